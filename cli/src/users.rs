//! `roster users …`: list Lucca users, sync them with an HR export.

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use clap::{Subcommand, ValueEnum};
use futures_util::TryStreamExt;
use roster::directory::{
    self, DesiredUsers, DirectoryError, Fields, Key, Range, Strategy, SyncError, Text, UpdateMode,
    UserQuery,
};
use serde_json::{Value, json};

use crate::exit::{Failure, chain};
use crate::ui::{Context, Tone};

#[derive(Debug, Subcommand)]
pub(crate) enum UsersCommand {
    /// Lists users (active employees unless `--former`).
    List {
        /// Only this login.
        #[arg(long)]
        login: Option<String>,
        /// Only logins containing this text.
        #[arg(long, conflicts_with = "login")]
        login_like: Option<String>,
        /// Only this professional email.
        #[arg(long)]
        mail: Option<String>,
        /// Only users changed at or after this time (YYYY-MM-DDTHH:MM:SS).
        #[arg(long)]
        modified_since: Option<NaiveDateTime>,
        /// Only these ids (comma-separated).
        #[arg(long, value_delimiter = ',')]
        ids: Vec<i64>,
        /// Former employees too.
        #[arg(long)]
        former: bool,
        /// The fields to show (comma-separated; default id, login,
        /// firstName, lastName, mail).
        #[arg(long, value_delimiter = ',')]
        fields: Vec<String>,
    },
    /// Plans the sync of Lucca's users with an HR export: reads Lucca in
    /// bulk, shows what differs and what applying costs; with `--apply`,
    /// sends only the differences.
    Sync(SyncArgs),
}

/// `users sync`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct SyncArgs {
    /// The export: a `,` or `;` separated CSV, a `login` column and the
    /// API's field names (`jobTitle`, `departmentId`, `dtContractEnd`,
    /// `manager` as a login, `e_*`…); an empty cell clears. `-`:
    /// standard input, read once to its end.
    pub(crate) file: PathBuf,
    /// Sends the updates (else only shows them).
    #[arg(long)]
    pub(crate) apply: bool,
    /// Partial (only the changed fields) or complete (the whole record,
    /// for tenants that want it).
    #[arg(long, value_enum, default_value_t = Mode::Partial)]
    mode: Mode,
    /// What the export's rows are matched by: `login`, `employeeNumber`
    /// (the HR system's matricule) or `mail`; `manager` cells name
    /// managers by it too.
    #[arg(long, default_value = "login", value_parser = parse_key)]
    key: Key,
    /// With --apply, also creates the new hires (employees of the export
    /// no Lucca user has the key of) the plan lists; else they are only
    /// listed.
    #[arg(long)]
    create_missing: bool,
    /// Values for every new hire, for the fields the export does not
    /// give: a file of `name=value` lines (`rolePrincipalId=55`,
    /// `calendarId=1`, `department=Sales`; `#` starts a comment).
    #[arg(long, value_name = "FILE")]
    defaults: Option<PathBuf>,
    /// With --apply, goes on without asking (no terminal to ask on:
    /// --yes is required).
    #[arg(long)]
    yes: bool,
    /// With --apply, applies a plan that has refused rows or cells (those
    /// are left as they are); else such a plan is not applied.
    #[arg(long)]
    allow_partial: bool,
}

/// The `name=value` lines of a defaults file.
fn read_defaults(path: &Path) -> Result<Vec<(String, String)>, Failure> {
    let small_file =
        std::fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.len() <= 1 << 20);
    if !small_file {
        return Err(Failure::usage(format!(
            "{}: not a file of at most 1 MiB",
            path.display()
        )));
    }
    let bytes = std::fs::read(path)
        .map_err(|error| Failure::usage(format!("{}: {error}", path.display())))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::usage(format!("{}: not UTF-8", path.display())))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut defaults = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            return Err(Failure::usage(format!(
                "{}:{}: not a `name=value` line",
                path.display(),
                number + 1
            )));
        };
        defaults.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    Ok(defaults)
}

/// What applying did for one user.
enum Done {
    Updated(String),
    Created(String),
    Existing,
}

impl std::fmt::Display for Done {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Updated(text) | Self::Created(text) => f.write_str(text),
            Self::Existing => f.write_str("already in Lucca: not created again"),
        }
    }
}

/// Why applying did not change a user.
enum Undone {
    /// Not sent: the apply was stopped.
    Stopped,
    /// Not created, and known not to be: safe to run again.
    Safe,
    /// Failed.
    Failed,
}

/// `--key`.
fn parse_key(text: &str) -> Result<Key, String> {
    text.parse()
}

/// `--mode`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Mode {
    Partial,
    Complete,
}

pub(crate) async fn run(command: UsersCommand, context: &Context) -> Result<(), Failure> {
    match command {
        UsersCommand::List {
            login,
            login_like,
            mail,
            modified_since,
            ids,
            former,
            fields,
        } => {
            let mut query = UserQuery::new().former_employees(former);
            if let Some(login) = login {
                query = query.login(Text::Is(login));
            }
            if let Some(login) = login_like {
                query = query.login(Text::Like(login));
            }
            if let Some(mail) = mail {
                query = query.mail(Text::Is(mail));
            }
            if let Some(since) = modified_since {
                query = query.modified_at(Range::AtOrAfter(since));
            }
            if !ids.is_empty() {
                query = query.ids(ids);
            }
            list(query, fields, context).await
        }
        UsersCommand::Sync(args) => sync(args, context).await,
    }
}

fn client(context: &Context) -> Result<directory::Client, Failure> {
    context
        .sources
        .lucca()?
        .client()
        .map_err(|error| Failure::usage(chain(&error)))
}

/// The exit code of a Directory error.
fn failure(error: &DirectoryError) -> Failure {
    let text = chain(error);
    match error {
        DirectoryError::Http(http) => Failure::from_http(http, text),
        _ => Failure::refused(text),
    }
}

/// A value as a table cell.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

async fn list(query: UserQuery, fields: Vec<String>, context: &Context) -> Result<(), Failure> {
    let shown: Vec<String> = if fields.is_empty() {
        ["id", "login", "firstName", "lastName", "mail"]
            .map(str::to_owned)
            .to_vec()
    } else {
        fields
    };
    let selection = shown
        .iter()
        .fold(Fields::new().with("id"), |fields, name| fields.with(name));
    let directory = client(context)?;
    // Each user as the fields asked for, in that order (JSON or a row).
    let users = directory
        .users(query.fields(selection))
        .stream()
        .map_err(|error| failure(&error))
        .map_ok(|user| {
            let record = serde_json::to_value(&user).unwrap_or_default();
            shown
                .iter()
                .map(|name| {
                    let value = record.get(name).cloned().unwrap_or(Value::Null);
                    (name.clone(), value)
                })
                .collect::<serde_json::Map<String, Value>>()
        });
    let header: Vec<&str> = shown.iter().map(String::as_str).collect();
    context
        .listing(&header, users, |picked| {
            shown.iter().map(|name| cell(picked.get(name))).collect()
        })
        .await
}

fn mode(mode: Mode) -> UpdateMode {
    match mode {
        Mode::Partial => UpdateMode::Partial,
        Mode::Complete => UpdateMode::Complete,
    }
}

/// The exit code of a sync error: the export's problems are the input's.
fn sync_failure(error: &SyncError) -> Failure {
    match error {
        SyncError::Directory(error) => failure(error),
        SyncError::File(file) => Failure::from_file(file, chain(error)),
        _ => Failure::refused(format!("{}\nnothing was read from Lucca", chain(error))),
    }
}

/// A JSON value as a table cell (`∅` for nothing).
fn shown(value: &Value) -> String {
    match value {
        Value::Null => "∅".to_owned(),
        other => cell(Some(other)),
    }
}

/// Plans the sync of the export with Lucca, shows the plan and its cost,
/// and with `--apply` applies it.
async fn sync(args: SyncArgs, context: &Context) -> Result<(), Failure> {
    let SyncArgs {
        file,
        apply,
        mode: mode_flag,
        key,
        create_missing,
        defaults,
        yes,
        allow_partial,
    } = args;
    let path = file.as_path();
    let defaults = match defaults {
        Some(file) => read_defaults(&file)?,
        None => Vec::new(),
    };
    let desired = match crate::input::is_stdin(path) {
        true => DesiredUsers::from_csv_reader(std::io::stdin().lock()),
        false => DesiredUsers::from_csv_path(path),
    }
    .map_err(|error| sync_failure(&error))?
    .with_key(key);
    let directory = client(context)?;
    let plan = directory
        .plan_sync(desired)
        .mode(mode(mode_flag))
        .create_missing(create_missing && apply)
        .creation_defaults(defaults)
        .map_err(|error| sync_failure(&error))?
        .execute()
        .await
        .map_err(|error| sync_failure(&error))?;

    context.table(
        &["login", "id", "field", "now", "wanted"],
        plan.changes
            .iter()
            .flat_map(|change| {
                change.fields.iter().map(|field| {
                    (
                        Tone::Plain,
                        vec![
                            change.login.clone(),
                            change.id.to_string(),
                            field.field.clone(),
                            shown(&field.now),
                            shown(&field.wanted),
                        ],
                    )
                })
            })
            .collect::<Vec<_>>(),
    );
    for creation in &plan.creations {
        let fields: Vec<String> = creation
            .body
            .iter()
            .map(|(name, value)| format!("{name}={}", shown(value)))
            .collect();
        context.say(format!(
            "{}:{}: {}: new hire ({}){}",
            path.display(),
            creation.line,
            creation.key,
            fields.join(", "),
            if plan.create_missing {
                ""
            } else {
                "; add --create-missing to create"
            }
        ));
    }
    for duplicate in &plan.duplicates {
        let lines: Vec<String> = duplicate.lines.iter().map(u64::to_string).collect();
        let held = match duplicate.ids.len() {
            0 | 1 => String::new(),
            _ => format!(
                ", and Lucca users {} all hold it",
                duplicate
                    .ids
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        context.say(format!(
            "{}:{}: the {} {} is on line(s) {}{held}: left as it is",
            path.display(),
            duplicate.lines.first().copied().unwrap_or_default(),
            plan.key,
            duplicate.key,
            lines.join(", "),
        ));
    }
    for refused in &plan.refused {
        context.say(format!(
            "{}:{}, column {} ({}): {:?}: {}",
            path.display(),
            refused.line,
            refused.column,
            refused.field,
            refused.value,
            refused.problem
        ));
    }
    context.say(format!(
        "read {} with {} request(s): {}",
        match plan.reading.strategy {
            Strategy::Listing => "every user",
            Strategy::LoginLists => "the export's logins",
            _ => "nothing",
        },
        plan.reading.requests,
        plan.reading.reason
    ));
    context.say(format!(
        "{} ({} unchanged){}",
        plan.cost_line(),
        plan.untouched,
        if apply || plan.is_empty() {
            ""
        } else {
            "; add --apply to send them"
        }
    ));

    let mut applied = Vec::new();
    // Updates that got no answer, or a transient one (a `PUT` is
    // idempotent: sending it again is safe).
    let mut unanswered = 0;
    let mut stopped = false;
    let to_create = if plan.create_missing {
        plan.creations.len()
    } else {
        0
    };
    if apply && (!plan.is_empty() || to_create > 0) {
        let partial = plan.refused.len() + plan.duplicates.len();
        if partial > 0 && !allow_partial {
            return Err(Failure::refused(format!(
                "not applied: the plan has {partial} refused row(s) or value(s) (see above); fix them, or add --allow-partial to apply the rest"
            )));
        }
        // Consent after the preview: the plan above is what is applied.
        let what = match to_create {
            0 => format!("Updating {} user(s) in Lucca", plan.changes.len()),
            created => format!(
                "Updating {} user(s) and creating {created} new hire(s) in Lucca",
                plan.changes.len()
            ),
        };
        context.confirm(&what, yes)?;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let interrupt = {
            let stop = std::sync::Arc::clone(&stop);
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    stop.store(true, std::sync::atomic::Ordering::SeqCst);
                }
            })
        };
        let mut bar = context.progress("applying");
        bar.set(0);
        let report = directory
            .apply_sync(&plan)
            .stop_when(std::sync::Arc::clone(&stop))
            .execute()
            .await
            .map_err(|error| sync_failure(&error))?;
        interrupt.abort();
        drop(bar);
        stopped = stop.load(std::sync::atomic::Ordering::SeqCst);
        unanswered = report
            .failed()
            .filter(|outcome| match &outcome.result {
                Err(DirectoryError::Http(error)) => error
                    .status()
                    .is_none_or(|status| status.is_server_error() || status.as_u16() == 429),
                _ => false,
            })
            .count();
        applied = report
            .outcomes
            .into_iter()
            .map(|outcome| {
                use roster::directory::Applied;
                let result = match outcome.result {
                    Ok(Applied::Read(_)) => Ok(Done::Updated("updated".to_owned())),
                    Ok(Applied::AnswerUnread(error)) => Ok(Done::Updated(format!(
                        "updated (Lucca's answer did not read: {})",
                        chain(&error)
                    ))),
                    Ok(Applied::Created(_)) => Ok(Done::Created("created".to_owned())),
                    Ok(Applied::CreatedFound { .. }) => Ok(Done::Created(
                        "created (its answer was lost; read back)".to_owned(),
                    )),
                    Ok(Applied::Exists { .. }) => Ok(Done::Existing),
                    Err(DirectoryError::Stopped) => {
                        Err((Undone::Stopped, "not sent: stopped".to_owned()))
                    }
                    Err(error @ DirectoryError::NotCreated { .. }) => {
                        Err((Undone::Safe, chain(&error)))
                    }
                    Err(error) => Err((Undone::Failed, chain(&error))),
                };
                (outcome.user.to_string(), outcome.id, result)
            })
            .collect();
        context.table(
            &["login", "id", "result"],
            applied
                .iter()
                .map(|(login, id, result)| {
                    let (tone, result) = match result {
                        Ok(done) => (Tone::Good, done.to_string()),
                        Err((_, error)) => (Tone::Bad, error.clone()),
                    };
                    let id = id.map(|id| id.to_string()).unwrap_or_default();
                    (tone, vec![login.clone(), id, result])
                })
                .collect::<Vec<_>>(),
        );
        let count = |wanted: fn(&Result<Done, (Undone, String)>) -> bool| {
            applied.iter().filter(|(.., result)| wanted(result)).count()
        };
        let ended = plan
            .changes
            .iter()
            .filter(|change| {
                change
                    .fields
                    .iter()
                    .any(|field| field.field == "dtContractEnd" && !field.wanted.is_null())
            })
            .count();
        context.say(format!(
            "summary: {} created, {} updated ({ended} with an end date), {} already there, {} not sent, {} failed",
            count(|result| matches!(result, Ok(Done::Created(_)))),
            count(|result| matches!(result, Ok(Done::Updated(_)))),
            count(|result| matches!(result, Ok(Done::Existing))),
            count(|result| matches!(result, Err((Undone::Stopped, _)))),
            count(|result| matches!(result, Err((Undone::Failed | Undone::Safe, _)))),
        ));
    }
    let failed = applied
        .iter()
        .filter(|(.., result)| result.is_err())
        .count();
    let mut document = serde_json::to_value(&plan).unwrap_or_default();
    if apply {
        document["applied"] = Value::Array(
            applied
                .iter()
                .map(|(login, id, result)| {
                    json!({
                        "login": login,
                        "id": id,
                        "updated": matches!(result, Ok(Done::Updated(_))),
                        "created": matches!(result, Ok(Done::Created(_))),
                        "result": result.as_ref().ok().map(ToString::to_string),
                        "error": result.as_ref().err().map(|(_, error)| error),
                    })
                })
                .collect(),
        );
    }
    context.document(&document);
    let refused = plan.refused.len() + plan.duplicates.len();
    let not_created = if plan.create_missing {
        0
    } else {
        plan.creations.len()
    };
    if stopped {
        return Err(Failure::interrupted(
            "interrupted: stopped sending; the table above says what was written and what was not sent (run the same command again to go on: it plans afresh)",
        ));
    }
    let safe = applied
        .iter()
        .filter(|(.., result)| matches!(result, Err((Undone::Safe, _))))
        .count();
    if failed > 0 && failed == unanswered + safe && refused == 0 {
        return Err(Failure::transient(format!(
            "{failed} change(s) got no answer (or a transient one), and none was applied twice: it is safe to run the same command again"
        )));
    }
    if failed > 0 || refused > 0 {
        return Err(Failure::refused(format!(
            "{failed} change(s) failed, {refused} value(s) or row(s) refused: see above"
        )));
    }
    if not_created > 0 && apply {
        context.say(format!(
            "{not_created} new hire(s) listed, not created: add --create-missing"
        ));
    }
    Ok(())
}
