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
    Sync {
        /// The export: a `,` or `;` separated CSV, a `login` column and the
        /// API's field names (`jobTitle`, `departmentId`, `dtContractEnd`,
        /// `manager` as a login, `e_*`…); an empty cell clears. `-`:
        /// standard input, read once to its end.
        file: PathBuf,
        /// Sends the updates (else only shows them).
        #[arg(long)]
        apply: bool,
        /// Partial (only the changed fields) or complete (the whole record,
        /// for tenants that want it).
        #[arg(long, value_enum, default_value_t = Mode::Partial)]
        mode: Mode,
        /// What the export's rows are matched by: `login`, `employeeNumber`
        /// (the HR system's matricule) or `mail`; `manager` cells name
        /// managers by it too.
        #[arg(long, default_value = "login", value_parser = parse_key)]
        key: Key,
    },
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
        UsersCommand::Sync {
            file,
            apply,
            mode,
            key,
        } => sync(&file, apply, mode, key, context).await,
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
async fn sync(
    path: &Path,
    apply: bool,
    mode_flag: Mode,
    key: Key,
    context: &Context,
) -> Result<(), Failure> {
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
    for unknown in &plan.unknown {
        context.say(format!(
            "{}:{}: {}: no Lucca user has this {}",
            path.display(),
            unknown.line,
            unknown.key,
            plan.key
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
    if apply && !plan.is_empty() {
        let mut bar = context.progress("updating");
        bar.set(0);
        let report = directory
            .apply_sync(&plan)
            .execute()
            .await
            .map_err(|error| sync_failure(&error))?;
        drop(bar);
        unanswered = report
            .failed()
            .filter(|outcome| match &outcome.result {
                Err(roster::directory::DirectoryError::Http(error)) => error
                    .status()
                    .is_none_or(|status| status.is_server_error() || status.as_u16() == 429),
                _ => false,
            })
            .count();
        applied = report
            .outcomes
            .into_iter()
            .map(|outcome| {
                let result = match outcome.result {
                    Ok(roster::directory::Applied::Read(_)) => Ok("updated".to_owned()),
                    Ok(roster::directory::Applied::AnswerUnread(error)) => Ok(format!(
                        "updated (Lucca's answer did not read: {})",
                        chain(&error)
                    )),
                    Err(error) => Err(chain(&error)),
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
                        Ok(done) => (Tone::Good, done.clone()),
                        Err(error) => (Tone::Bad, error.clone()),
                    };
                    let id = id.map(|id| id.to_string()).unwrap_or_default();
                    (tone, vec![login.clone(), id, result])
                })
                .collect::<Vec<_>>(),
        );
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
                        "updated": result.is_ok(),
                        "result": result.as_ref().ok(),
                        "error": result.as_ref().err(),
                    })
                })
                .collect(),
        );
    }
    context.document(&document);
    let unknown = plan.unknown.len();
    let refused = plan.refused.len() + plan.duplicates.len();
    if failed > 0 && failed == unanswered && unknown == 0 && refused == 0 {
        return Err(Failure::transient(format!(
            "{failed} update(s) got no answer (or a transient one): an update is idempotent, so it is safe to run the same command again"
        )));
    }
    if failed > 0 || unknown > 0 || refused > 0 {
        return Err(Failure::refused(format!(
            "{failed} update(s) failed, {unknown} {}(s) unknown, {refused} value(s) or row(s) refused: see above",
            plan.key
        )));
    }
    Ok(())
}
