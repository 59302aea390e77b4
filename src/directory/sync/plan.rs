//! `plan()`: read Lucca in bulk (only the compared fields), diff locally,
//! and say what applying would change and cost.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::super::Client;
use super::super::complete::{UpdateMode, login_of, modified_at, read, required_fields};
use super::super::fields::Fields;
use super::super::keys;
use super::super::pager::{Pager, Record};
use super::super::query::{MAX_PAGE, UserQuery};
use super::SyncError;
use super::column::Column;
use super::desired::DesiredUsers;
use super::hire::{self, UserCreation};
use super::key::Key;
use super::names::Names;
pub use super::refused::RefusedValue;

/// How the plan read Lucca.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Strategy {
    /// Nothing to read (no login in the export).
    Nothing,
    /// Every user of the tenant, a page of 1000 at a time.
    Listing,
    /// Only the export's logins (and managers'), as `login=a,b,…` lists.
    LoginLists,
}

/// What the plan read, how, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reading {
    /// The way chosen.
    pub strategy: Strategy,
    /// Requests the reading took.
    pub requests: u32,
    /// Why this way (the cost of each).
    pub reason: String,
}

/// One field to change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldChange {
    /// The API's field name (`managerId` for a `manager` column).
    pub field: String,
    /// What Lucca holds now (`null` when nothing).
    pub now: Value,
    /// What will be sent (`null` clears).
    pub wanted: Value,
}

/// One user to update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserChange {
    /// The login.
    pub login: String,
    /// The user's id.
    pub id: i64,
    /// The export's line (or the record's number when built in code).
    pub line: u64,
    /// `modifiedAt` when read: the complete mode refuses to write if it moved.
    pub modified_at: Option<String>,
    /// The differing fields.
    pub fields: Vec<FieldChange>,
}

impl UserChange {
    /// What applying sends for this user: its differing fields, as a
    /// [`UserPatch`](super::super::UserPatch) (values checked by the plan).
    pub fn patch(&self) -> super::super::UserPatch {
        super::super::UserPatch::from_values(
            self.fields
                .iter()
                .map(|field| (field.field.clone(), field.wanted.clone())),
        )
    }
}

/// A key's value the export names more than once, or that several Lucca
/// users hold: none of its rows is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DuplicateKey {
    /// The value.
    pub key: String,
    /// The export's lines that name it.
    pub lines: Vec<u64>,
    /// The Lucca users that hold it (more than one when Lucca holds it
    /// twice).
    pub ids: Vec<i64>,
}

/// A user active in Lucca (no end date, or one to come) whom the export
/// does not list: "not in the export". Ended only when the plan was asked
/// to ([`PlanSyncRequest::end_missing`]), never by default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Absent {
    /// The user's id.
    pub id: i64,
    /// Its login.
    pub login: String,
    /// Its value of the key; none when Lucca holds none (such a user cannot
    /// be matched, so it is never ended).
    pub key: Option<String>,
}

/// What applying the plan costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cost {
    /// Requests `apply()` sends.
    pub requests: u32,
    /// About how long that takes at the configuration's rate (none without
    /// one).
    pub seconds: f64,
    /// The rate, as `20 a minute` (none without a limit).
    pub rate: Option<String>,
}

/// What a sync would change, read from Lucca and compared locally.
/// Serializes to JSON; `apply()` sends exactly its changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPlan {
    /// The tenant (base URL) it was read from; it applies only there.
    pub tenant: String,
    /// The reading of the `PUT` it applies with.
    pub mode: UpdateMode,
    /// What the export's rows were matched by.
    pub key: Key,
    /// How Lucca was read.
    pub reading: Reading,
    /// The users to update, in the export's order.
    pub changes: Vec<UserChange>,
    /// New hires: rows whose key no user holds, with the body of their
    /// creation (a row that cannot be created is in `refused`).
    pub creations: Vec<UserCreation>,
    /// Whether applying creates them ([`PlanSyncRequest::create_missing`]);
    /// else they are only listed.
    pub create_missing: bool,
    /// Key values named more than once, or held by several users.
    pub duplicates: Vec<DuplicateKey>,
    /// Users active in Lucca the export does not list (when Lucca was read
    /// whole; see [`Reading`]).
    pub not_in_export: Vec<Absent>,
    /// The end date given to the users not in the export, when asked: their
    /// updates are among `changes` (line 0).
    pub end_missing: Option<chrono::NaiveDate>,
    /// Cells that cannot be sent.
    pub refused: Vec<RefusedValue>,
    /// Users found with nothing to change.
    pub untouched: usize,
    /// What applying costs.
    pub cost: Cost,
}

impl SyncPlan {
    /// Whether applying changes nothing.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The cost in a sentence: `3 updates, 2 creations: 6 requests, about
    /// 0 s at 50 a minute` (creations only when they are to be made).
    pub fn cost_line(&self) -> String {
        let plural = |count: usize, what: &str| {
            format!("{count} {what}{}", if count == 1 { "" } else { "s" })
        };
        let mut what = plural(self.changes.len(), "update");
        if self.create_missing && !self.creations.is_empty() {
            what = format!("{what}, {}", plural(self.creations.len(), "creation"));
        }
        let rate = match &self.cost.rate {
            Some(rate) => format!(", about {} at {rate}", seconds(self.cost.seconds)),
            None => String::new(),
        };
        format!(
            "{what}: {}{rate}",
            plural(self.cost.requests as usize, "request")
        )
    }
}

/// How long the limiter takes to let `requests` through at `allowed` per
/// `per`, a sliding window in which the plan's own `used` reads were just
/// sent: nothing while the window has room, then a window per `allowed`
/// more.
fn wait(requests: u32, used: u32, allowed: u32, per: std::time::Duration) -> f64 {
    let allowed = allowed.max(1);
    let room = allowed.saturating_sub(used);
    if requests <= room {
        return 0.0;
    }
    f64::from((requests - room).div_ceil(allowed)) * per.as_secs_f64()
}

/// `5 s`, `3 min 20 s`.
fn seconds(total: f64) -> String {
    let whole = total.ceil() as u64;
    if whole < 60 {
        format!("{whole} s")
    } else {
        format!("{} min {} s", whole / 60, whole % 60)
    }
}

/// A plan of a sync: made by [`Client::plan_sync`](super::super::Client::plan_sync).
#[derive(Debug)]
pub struct PlanSyncRequest<'a> {
    client: &'a Client,
    desired: DesiredUsers,
    mode: UpdateMode,
    create_missing: bool,
    defaults: Vec<hire::Default>,
    end_missing: Option<chrono::NaiveDate>,
}

impl Client {
    /// Plans a sync of `desired` with Lucca: reads the compared fields in
    /// bulk (a listing or login lists, whichever costs fewer requests),
    /// compares locally, and returns the [`SyncPlan`]; nothing is written.
    ///
    /// ```no_run
    /// use roster::directory::{self, DesiredUsers};
    ///
    /// # async fn run(directory: directory::Client) -> Result<(), roster::directory::SyncError> {
    /// let desired = DesiredUsers::from_csv_path("employees.csv")?;
    /// let plan = directory.plan_sync(desired).execute().await?;
    /// println!("{}", plan.cost_line());
    /// let report = directory.apply_sync(&plan).execute().await?;
    /// println!("{} updated", report.succeeded().count());
    /// # Ok(()) }
    /// ```
    pub fn plan_sync(&self, desired: DesiredUsers) -> PlanSyncRequest<'_> {
        PlanSyncRequest {
            client: self,
            desired,
            mode: UpdateMode::default(),
            create_missing: false,
            defaults: Vec::new(),
            end_missing: None,
        }
    }
}

impl PlanSyncRequest<'_> {
    /// The reading of the `PUT` the plan is applied with (partial by
    /// default); its cost counts the complete mode's fresh reads.
    pub fn mode(mut self, mode: UpdateMode) -> Self {
        self.mode = mode;
        self
    }

    /// Whether applying the plan creates its new hires (employees of the
    /// export whose key no Lucca user holds). Off by default: they are
    /// listed, with their bodies, and nothing is created.
    pub fn create_missing(mut self, create: bool) -> Self {
        self.create_missing = create;
        self
    }

    /// Ends, on `day` (`dtContractEnd`), every user active in Lucca whom the
    /// export does not list and who holds a value of the key: the exports
    /// that just stop listing leavers. Lucca is then read whole. Without
    /// it, such users are only listed (`SyncPlan::not_in_export`).
    pub fn end_missing(mut self, day: chrono::NaiveDate) -> Self {
        self.end_missing = Some(day);
        self
    }

    /// Values for every new hire, for the fields the export does not give
    /// (a role, a calendar, a culture…): a column name and a cell each, read
    /// as the export's cells are (`department` by name, `calendarId` an
    /// id). Nothing is invented: a required field neither gives refuses the
    /// hire. A name no document names is [`SyncError::UnknownColumn`].
    ///
    /// ```no_run
    /// # async fn run(directory: roster::directory::Client, desired: roster::directory::DesiredUsers) -> Result<(), roster::directory::SyncError> {
    /// let plan = directory
    ///     .plan_sync(desired)
    ///     .create_missing(true)
    ///     .creation_defaults([("rolePrincipalId", "55"), ("cultureID", "1036"), ("calendarId", "1")])?
    ///     .execute()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn creation_defaults(
        mut self,
        defaults: impl IntoIterator<Item = (impl AsRef<str>, impl Into<String>)>,
    ) -> Result<Self, SyncError> {
        for (name, cell) in defaults {
            let name = name.as_ref();
            let column = Column::named(name).ok_or_else(|| SyncError::UnknownColumn {
                file: None,
                column: 0,
                name: name.to_owned(),
                hint: None,
            })?;
            self.defaults.push((name.to_owned(), column, cell.into()));
        }
        Ok(self)
    }

    /// Reads Lucca and compares.
    pub async fn execute(self) -> Result<SyncPlan, SyncError> {
        let Self {
            client,
            desired,
            mode,
            create_missing,
            defaults,
            end_missing,
        } = self;
        let key = desired.key;
        let Some(key_column) = desired.key_column else {
            return Err(SyncError::NoKeyColumn {
                file: desired.source.clone(),
                key,
                columns: desired.columns().map(str::to_owned).collect(),
            });
        };
        let mut refused = Vec::new();
        let mut lines: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for row in &desired.rows {
            let value = key.fold(&row.key);
            let problem = if value.is_empty() {
                Some(format!("the {key} is empty"))
            } else if key == Key::Login && value.contains(',') {
                Some("a login holding `,` cannot be looked up (Lucca reads it as a list)".into())
            } else {
                lines.entry(value).or_default().push(row.line);
                None
            };
            if let Some(problem) = problem {
                refused.push(RefusedValue {
                    key: row.key.clone(),
                    line: row.line,
                    column: key_column,
                    field: key.field().into(),
                    value: row.key.clone(),
                    problem,
                });
            }
        }
        let manager = desired
            .columns
            .iter()
            .position(|(_, column, _)| *column == Column::Manager);
        let managers: BTreeSet<&str> = manager
            .into_iter()
            .flat_map(|index| {
                desired
                    .rows
                    .iter()
                    .map(move |row| row.cells[index].as_str())
            })
            .filter(|login| !login.is_empty() && !login.contains(','))
            .collect();

        let mut fields = Fields::new()
            .with(keys::ID)
            .with(keys::LOGIN)
            .with(keys::MODIFIED_AT);
        // The end date says who is active: those the export does not list
        // are said.
        fields = fields.with(keys::DT_CONTRACT_END);
        for name in std::iter::once(key.field())
            .chain(desired.columns.iter().map(|(_, column, _)| column.key()))
        {
            if !fields.contains(name) {
                fields = fields.with(name);
            }
        }
        let (records, mut reading) = match key {
            // Ending the missing needs every user: the tenant, in pages.
            Key::Login if end_missing.is_some() => read_all(client, &fields, key).await?,
            Key::Login => {
                let wanted: BTreeSet<&str> =
                    lines.keys().map(String::as_str).chain(managers).collect();
                read_users(client, &fields, &wanted).await?
            }
            // No documented filter takes these keys: the tenant, in pages.
            Key::EmployeeNumber | Key::Mail => read_all(client, &fields, key).await?,
        };
        // One read of each table the export names references of.
        let uses = |wanted: Column| {
            desired
                .columns
                .iter()
                .any(|(_, column, _)| *column == wanted)
        };
        let mut tables = Vec::new();
        let departments = match uses(Column::Department) {
            true => Some(Names::departments(client).await?),
            false => None,
        };
        let establishments = match uses(Column::Establishment) {
            true => Some(Names::establishments(client).await?),
            false => None,
        };
        for (table, read) in [
            ("departments", &departments),
            ("establishments", &establishments),
        ] {
            if let Some((_, requests)) = read {
                reading.requests += requests;
                tables.push(format!("{requests} read(s) of the {table}"));
            }
        }
        if !tables.is_empty() {
            reading.reason = format!("{}; {}", reading.reason, tables.join(", "));
        }
        let by_name = |names: &Option<(Names, u32)>, cell: &str| match names {
            Some((names, _)) => names.id(cell).map(Value::from),
            None => Err("its table was not read".to_owned()),
        };
        let mut by_key: HashMap<String, Vec<&Record>> = HashMap::new();
        for record in &records {
            if let Some(value) = key.value_of(record) {
                by_key.entry(key.fold(&value)).or_default().push(record);
            }
        }
        let id_of = |record: &Record| {
            record
                .get(keys::ID)
                .and_then(Value::as_i64)
                .unwrap_or_default()
        };
        let resolve =
            |name: &str, column: &Column, cell: &str, current: Option<&Value>| match column {
                Column::Manager if cell.is_empty() => Ok(Value::Null),
                Column::Manager => match by_key.get(&key.fold(cell)).map(Vec::as_slice) {
                    Some([manager]) => Ok(Value::from(id_of(manager))),
                    Some(several) if !several.is_empty() => {
                        Err(format!("{} users have the {key} {cell:?}", several.len()))
                    }
                    _ => Err(format!("no user has the {key} {cell:?}")),
                },
                Column::Department | Column::Establishment if cell.trim().is_empty() => {
                    Err(format!("{name} cannot be cleared"))
                }
                Column::Department => by_name(&departments, cell),
                Column::Establishment => by_name(&establishments, cell),
                column => column.wanted(cell, current),
            };
        let mut changes = Vec::new();
        let mut creations = Vec::new();
        let mut duplicates = Vec::new();
        let mut untouched = 0;
        for row in &desired.rows {
            let value = key.fold(&row.key);
            let Some(rows) = lines.get(&value) else {
                continue;
            };
            let held = by_key.get(&value).map(Vec::as_slice).unwrap_or_default();
            if rows.len() != 1 || held.len() > 1 {
                if rows.first() == Some(&row.line) {
                    duplicates.push(DuplicateKey {
                        key: row.key.clone(),
                        lines: rows.clone(),
                        ids: held.iter().map(|record| id_of(record)).collect(),
                    });
                }
                continue;
            }
            let Some(record) = held.first() else {
                creations.extend(hire::creation(
                    row,
                    (key, key_column),
                    &desired.columns,
                    &defaults,
                    &resolve,
                    &mut refused,
                ));
                continue;
            };
            let mut differing = Vec::new();
            for ((name, column, at), cell) in desired.columns.iter().zip(&row.cells) {
                let current = read(record, column.key());
                let wanted = resolve(name, column, cell, current);
                match wanted {
                    Ok(wanted) if !column.same(current, &wanted) => differing.push(FieldChange {
                        field: column.key().to_owned(),
                        now: current.cloned().unwrap_or(Value::Null),
                        wanted,
                    }),
                    Ok(_) => {}
                    Err(problem) => refused.push(RefusedValue {
                        key: row.key.clone(),
                        line: row.line,
                        column: *at,
                        field: name.clone(),
                        value: cell.clone(),
                        problem,
                    }),
                }
            }
            if differing.is_empty() {
                untouched += 1;
                continue;
            }
            changes.push(UserChange {
                login: login_of(record).unwrap_or(&row.key).to_owned(),
                id: id_of(record),
                line: row.line,
                modified_at: modified_at(record),
                fields: differing,
            });
        }
        let mut not_in_export = Vec::new();
        if reading.strategy == Strategy::Listing {
            let today = chrono::Utc::now().date_naive();
            for record in &records {
                let value = key.value_of(record);
                if value
                    .as_ref()
                    .is_some_and(|value| lines.contains_key(&key.fold(value)))
                {
                    continue;
                }
                let end = read(record, keys::DT_CONTRACT_END)
                    .and_then(Value::as_str)
                    .and_then(|text| text.parse::<crate::VendorDateTime>().ok())
                    .map(|at| at.local().date());
                let active = end.is_none_or(|end| end >= today);
                if !active {
                    continue;
                }
                let absent = Absent {
                    id: id_of(record),
                    login: login_of(record).unwrap_or_default().to_owned(),
                    key: value,
                };
                if let (Some(day), Some(_)) = (end_missing, &absent.key) {
                    let column = Column::Field(keys::DT_CONTRACT_END);
                    let current = read(record, keys::DT_CONTRACT_END);
                    if let Ok(wanted) = column.wanted(&day.format("%Y-%m-%d").to_string(), current)
                        && !column.same(current, &wanted)
                    {
                        changes.push(UserChange {
                            login: absent.login.clone(),
                            id: absent.id,
                            line: 0,
                            modified_at: modified_at(record),
                            fields: vec![FieldChange {
                                field: keys::DT_CONTRACT_END.to_owned(),
                                now: current.cloned().unwrap_or(Value::Null),
                                wanted,
                            }],
                        });
                    }
                }
                not_in_export.push(absent);
            }
        }
        refused.sort_by_key(|value| (value.line, value.column));
        let created: &[UserCreation] = if create_missing { &creations } else { &[] };
        let requests = apply_requests(client, &changes, created, mode)?;
        let rate = client.transport().limiter().map(|limiter| limiter.limit());
        let used = reading.requests;
        Ok(SyncPlan {
            tenant: client.baseurl().to_owned(),
            mode,
            key,
            reading,
            changes,
            creations,
            create_missing,
            duplicates,
            not_in_export,
            end_missing,
            refused,
            untouched,
            cost: Cost {
                requests,
                seconds: rate.map_or(0.0, |rate| wait(requests, used, rate.requests, rate.per)),
                rate: rate.map(|rate| rate.to_string()),
            },
        })
    }
}

/// What the complete mode reads before writing: the required fields, the
/// id and `modifiedAt`.
pub(super) fn complete_fields() -> Fields {
    required_fields()
        .chain([keys::ID, keys::MODIFIED_AT])
        .fold(Fields::new(), Fields::with)
}

/// The complete mode's fresh read of the changed users: the required
/// fields, the id and `modifiedAt`, in `id=` lists.
pub(super) fn fresh_query(changes: &[UserChange]) -> UserQuery {
    UserQuery::new()
        .fields(complete_fields())
        .former_employees(true)
        .ids(changes.iter().map(|change| change.id))
}

/// The requests `apply()` sends for `changes`: one `PUT` a user, and in
/// complete mode the fresh reads (the same query's lists) before them; for
/// `creations` (when created), the read of their logins, then one `POST`
/// each.
fn apply_requests(
    client: &Client,
    changes: &[UserChange],
    creations: &[UserCreation],
    mode: UpdateMode,
) -> Result<u32, SyncError> {
    let reads = if mode == UpdateMode::Complete && !changes.is_empty() {
        Pager::new(client, &fresh_query(changes))?.lists()
    } else {
        0
    };
    let created = match creations {
        [] => 0,
        creations => Pager::new(client, &hired_query(creations))?.lists() + creations.len(),
    };
    Ok(u32::try_from(changes.len() + reads + created).unwrap_or(u32::MAX))
}

/// The read, just before they are created, of the new hires' logins: one
/// created since the plan is not created again.
pub(super) fn hired_query(creations: &[UserCreation]) -> UserQuery {
    UserQuery::new()
        .fields(Fields::new().with(keys::ID).with(keys::LOGIN))
        .former_employees(true)
        .logins(creations.iter().map(|creation| creation.login.as_str()))
}

/// Reads the users with `fields`: by login lists when they take one
/// request, else whichever of a listing and login lists takes fewer (the
/// listing's first page says the tenant's size).
async fn read_users(
    client: &Client,
    fields: &Fields,
    logins: &BTreeSet<&str>,
) -> Result<(Vec<Record>, Reading), SyncError> {
    if logins.is_empty() {
        let reading = Reading {
            strategy: Strategy::Nothing,
            requests: 0,
            reason: "the export names no login".into(),
        };
        return Ok((Vec::new(), reading));
    }
    let by_login = UserQuery::new()
        .fields(fields.clone())
        .former_employees(true)
        .logins(logins.iter().copied());
    let mut lists = Pager::new(client, &by_login)?;
    let list_requests = lists.lists() as u64;
    let listing_query = UserQuery::new()
        .fields(fields.clone())
        .former_employees(true);
    if list_requests <= 1 {
        let records = drain(&mut lists, Vec::new()).await?;
        if records.is_empty() && logins.len() > 1 {
            // A server that compares `login=a,b` whole finds nobody: read
            // the tenant instead.
            let mut listing = Pager::new(client, &listing_query)?;
            let records = drain(&mut listing, Vec::new()).await?;
            let reading = Reading {
                strategy: Strategy::Listing,
                requests: lists.requests() + listing.requests(),
                reason: format!(
                    "a login list of {} found nobody (the server may not read lists): read every user",
                    logins.len()
                ),
            };
            return Ok((records, reading));
        }
        let reading = Reading {
            strategy: Strategy::LoginLists,
            requests: lists.requests(),
            reason: format!("{} login(s) fit in one list request", logins.len()),
        };
        return Ok((records, reading));
    }
    let mut listing = Pager::new(client, &listing_query)?;
    let first = listing.next_page().await?.unwrap_or_default();
    let total = listing.total().unwrap_or(first.len() as u64);
    let pages = total.div_ceil(u64::from(MAX_PAGE)).max(1);
    if pages <= list_requests {
        let records = drain(&mut listing, first).await?;
        let reading = Reading {
            strategy: Strategy::Listing,
            requests: listing.requests(),
            reason: format!(
                "{} login(s) of a tenant of {total}: a listing takes {pages} request(s), login lists {list_requests}",
                logins.len()
            ),
        };
        return Ok((records, reading));
    }
    let records = drain(&mut lists, Vec::new()).await?;
    let reading = Reading {
        strategy: Strategy::LoginLists,
        requests: listing.requests() + lists.requests(),
        reason: format!(
            "{} login(s) of a tenant of {total}: login lists take {list_requests} request(s), a listing {pages} (its first page told the size)",
            logins.len()
        ),
    };
    Ok((records, reading))
}

/// Every user of the tenant with `fields`, in pages: what a key without a
/// documented filter is matched by.
async fn read_all(
    client: &Client,
    fields: &Fields,
    key: Key,
) -> Result<(Vec<Record>, Reading), SyncError> {
    let query = UserQuery::new()
        .fields(fields.clone())
        .former_employees(true);
    let mut listing = Pager::new(client, &query)?;
    let records = drain(&mut listing, Vec::new()).await?;
    let reading = Reading {
        strategy: Strategy::Listing,
        requests: listing.requests(),
        reason: format!("matched by {key}, which no documented filter takes: read every user"),
    };
    Ok((records, reading))
}

/// Every remaining page of `pager`, after `records`.
async fn drain(pager: &mut Pager<'_>, mut records: Vec<Record>) -> Result<Vec<Record>, SyncError> {
    while let Some(page) = pager.next_page().await? {
        records.extend(page);
    }
    Ok(records)
}

#[cfg(test)]
mod cost_tests {
    use std::time::Duration;

    use super::wait;

    #[test]
    fn a_batch_the_window_has_room_for_takes_no_wait() {
        let minute = Duration::from_secs(60);
        assert_eq!(wait(20, 3, 50, minute), 0.0);
        assert_eq!(wait(47, 3, 50, minute), 0.0);
        assert_eq!(wait(48, 3, 50, minute), 60.0, "one past the room");
        assert_eq!(wait(147, 3, 50, minute), 120.0);
    }
}
