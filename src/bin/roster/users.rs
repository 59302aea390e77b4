//! `roster users …`: list Lucca users, sync them with an HR export.

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use clap::{Subcommand, ValueEnum};
use futures_util::TryStreamExt;
use roster::directory::{
    self, ClientExtraUsersExt, DirectoryError, Fields, Range, Text, UpdateMode, UserPatch,
    UserQuery, UserRef,
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
    /// Compares users with an HR export (`login` and the columns to keep
    /// in step) and, with `--apply`, updates what differs.
    Sync {
        /// The export: a `,` or `;` separated CSV with a `login` column.
        file: PathBuf,
        /// Sends the updates (else only shows them).
        #[arg(long)]
        apply: bool,
        /// Partial (only the changed fields) or complete (the whole record,
        /// for tenants that want it).
        #[arg(long, value_enum, default_value_t = Mode::Partial)]
        mode: Mode,
    },
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
        UsersCommand::Sync { file, apply, mode } => sync(&file, apply, mode, context).await,
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
        .execute()
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

/// The columns `users sync` keeps in step: text fields, set or (for those
/// Lucca lets go empty) cleared by an empty cell.
const SYNCED: &[&str] = &[
    "firstName",
    "lastName",
    "mail",
    "jobTitle",
    "employeeNumber",
    "directLine",
    "professionalMobile",
    "personalEmail",
    "personalMobile",
    "address",
    "quote",
];

/// `patch` with `key` set to `value`, or cleared when `value` is empty.
fn set(patch: UserPatch, key: &str, value: &str) -> Result<UserPatch, String> {
    let clear = value.is_empty();
    Ok(match (key, clear) {
        ("firstName" | "lastName" | "mail", true) => {
            return Err(format!("{key} cannot be cleared"));
        }
        ("firstName", _) => patch.first_name(value),
        ("lastName", _) => patch.last_name(value),
        ("mail", _) => patch.mail(value),
        ("jobTitle", true) => patch.clear_job_title(),
        ("jobTitle", _) => patch.job_title(value),
        ("employeeNumber", true) => patch.clear_employee_number(),
        ("employeeNumber", _) => patch.employee_number(value),
        ("directLine", true) => patch.clear_direct_line(),
        ("directLine", _) => patch.direct_line(value),
        ("professionalMobile", true) => patch.clear_professional_mobile(),
        ("professionalMobile", _) => patch.professional_mobile(value),
        ("personalEmail", true) => patch.clear_personal_email(),
        ("personalEmail", _) => patch.personal_email(value),
        ("personalMobile", true) => patch.clear_personal_mobile(),
        ("personalMobile", _) => patch.personal_mobile(value),
        ("address", true) => patch.clear_address(),
        ("address", _) => patch.address(value),
        ("quote", true) => patch.clear_quote(),
        ("quote", _) => patch.quote(value),
        _ => return Err(format!("{key} is not a column `users sync` keeps in step")),
    })
}

/// One row of the export.
struct Wanted {
    line: u64,
    login: String,
    values: Vec<(String, String)>,
}

/// Reads the export: every problem with its line and column, or the rows.
fn read_export(path: &Path) -> Result<Vec<Wanted>, Failure> {
    let shown = path.display();
    let bytes = std::fs::read(path)
        .map_err(|error| Failure::usage(format!("cannot read {shown}: {error}")))?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let first_line = body.split(|byte| *byte == b'\n').next().unwrap_or_default();
    let delimiter = if first_line.contains(&b';') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(body);
    let header: Vec<String> = reader
        .headers()
        .map_err(|error| Failure::refused(format!("{shown}:line 1: {error}")))?
        .iter()
        .map(|name| name.trim().to_owned())
        .collect();
    let mut problems = Vec::new();
    let Some(login_column) = header.iter().position(|name| name == "login") else {
        return Err(Failure::refused(format!(
            "{shown}:line 1: no `login` column (columns: {})",
            header.join(", ")
        )));
    };
    for (index, name) in header.iter().enumerate() {
        if index != login_column && !SYNCED.contains(&name.as_str()) {
            problems.push(format!(
                "{shown}:line 1, column {} ({name}): not a column `users sync` keeps in step; it takes login and {}",
                index + 1,
                SYNCED.join(", ")
            ));
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, csv::Position::line);
                problems.push(format!("{shown}:line {line}: {error}"));
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        let login = record.get(login_column).unwrap_or_default().trim();
        if login.is_empty() {
            problems.push(format!(
                "{shown}:line {line}, column {} (login): empty",
                login_column + 1
            ));
            continue;
        }
        let values = header
            .iter()
            .enumerate()
            .filter(|(index, _)| *index != login_column)
            .map(|(index, name)| {
                (
                    name.clone(),
                    record.get(index).unwrap_or_default().trim().to_owned(),
                )
            })
            .collect();
        rows.push(Wanted {
            line,
            login: login.to_owned(),
            values,
        });
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        for problem in &problems {
            crate::ui::emit_err(problem);
        }
        Err(Failure::refused(format!(
            "{} problem(s) in {shown}: nothing was compared",
            problems.len()
        )))
    }
}

async fn sync(path: &Path, apply: bool, mode: Mode, context: &Context) -> Result<(), Failure> {
    let wanted = read_export(path)?;
    let directory = client(context)?;
    let selection = SYNCED
        .iter()
        .fold(Fields::new().with("id").with("login"), |fields, name| {
            fields.with(*name)
        });

    let mut differences = Vec::new();
    let mut updates = Vec::new();
    let mut logins = Vec::new();
    let mut unknown = Vec::new();
    let mut refused = Vec::new();
    let mut unchanged = 0;
    let mut bar = context.progress("comparing");
    for (index, row) in wanted.iter().enumerate() {
        bar.set(u8::try_from(index * 100 / wanted.len().max(1)).unwrap_or(100));
        let id = match directory.find_user_id(&row.login).send().await {
            Ok(id) => id,
            Err(DirectoryError::UnknownLogin { .. }) => {
                unknown.push(row.login.clone());
                continue;
            }
            Err(error) => return Err(failure(&error)),
        };
        let user = directory
            .user(id)
            .fields(selection.clone())
            .send()
            .await
            .map_err(|error| failure(&error))?;
        let record = serde_json::to_value(&user).unwrap_or_default();
        let mut patch = UserPatch::new();
        let mut changed = false;
        for (key, value) in &row.values {
            let current = cell(record.get(key));
            if current == *value {
                continue;
            }
            match set(patch.clone(), key, value) {
                Ok(next) => patch = next,
                Err(problem) => {
                    refused.push(format!("line {}: {}: {problem}", row.line, row.login));
                    continue;
                }
            }
            changed = true;
            differences.push((row.login.clone(), id, key.clone(), current, value.clone()));
        }
        if changed {
            updates.push((UserRef::Id(id), patch));
            logins.push(row.login.clone());
        } else {
            unchanged += 1;
        }
    }
    drop(bar);

    context.table(
        &["login", "id", "field", "now", "wanted"],
        differences
            .iter()
            .map(|(login, id, key, now, wanted)| {
                (
                    Tone::Plain,
                    vec![
                        login.clone(),
                        id.to_string(),
                        key.clone(),
                        now.clone(),
                        wanted.clone(),
                    ],
                )
            })
            .collect::<Vec<_>>(),
    );
    for login in &unknown {
        context.say(format!("{login}: no such login in Lucca"));
    }
    for problem in &refused {
        context.say(problem);
    }

    let mut applied = Vec::new();
    let mut failed = 0;
    if apply && !updates.is_empty() {
        let mode = match mode {
            Mode::Partial => UpdateMode::Partial,
            Mode::Complete => UpdateMode::Complete,
        };
        let mut bar = context.progress("updating");
        bar.set(0);
        let report = directory.bulk_update(updates).mode(mode).execute().await;
        drop(bar);
        for (outcome, login) in report.outcomes.iter().zip(&logins) {
            let (tone, result) = match &outcome.result {
                Ok(_) => (Tone::Good, None),
                Err(error) => {
                    failed += 1;
                    (Tone::Bad, Some(chain(error)))
                }
            };
            applied.push((tone, login.clone(), outcome.user.clone(), result));
        }
        context.table(
            &["login", "user", "result"],
            applied
                .iter()
                .map(|(tone, login, user, result)| {
                    (
                        *tone,
                        vec![
                            login.clone(),
                            user_text(user),
                            result.clone().unwrap_or_else(|| "updated".into()),
                        ],
                    )
                })
                .collect::<Vec<_>>(),
        );
    }
    let to_update = logins.len();
    let updated = applied.len() - failed;
    context.say(format!(
        "{} row(s): {unchanged} unchanged, {to_update} to update, {updated} updated, {failed} failed, {} not in Lucca{}",
        wanted.len(),
        unknown.len(),
        if apply || to_update == 0 {
            ""
        } else {
            " (add --apply to send the updates)"
        }
    ));
    context.document(&json!({
        "rows": wanted.len(),
        "unchanged": unchanged,
        "differences": differences
            .iter()
            .map(|(login, id, key, now, wanted)| json!({
                "login": login, "id": id, "field": key, "now": now, "wanted": wanted,
            }))
            .collect::<Vec<_>>(),
        "applied": applied
            .iter()
            .map(|(_, login, user, result)| json!({
                "login": login, "user": user_text(user), "updated": result.is_none(), "error": result,
            }))
            .collect::<Vec<_>>(),
        "unknownLogins": unknown,
        "refused": refused,
    }));
    if failed > 0 || !unknown.is_empty() || !refused.is_empty() {
        return Err(Failure::refused(format!(
            "{failed} update(s) failed, {} login(s) unknown, {} value(s) refused: see above",
            unknown.len(),
            refused.len()
        )));
    }
    Ok(())
}

fn user_text(user: &UserRef) -> String {
    match user {
        UserRef::Id(id) => id.to_string(),
        UserRef::Login(login) => login.clone(),
    }
}
