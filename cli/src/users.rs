//! `roster users …`: list Lucca users, sync them with an HR export.

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use clap::{Subcommand, ValueEnum};
use futures_util::TryStreamExt;
use roster::directory::{
    self, DesiredUsers, DirectoryError, Fields, Key, Range, SyncError, Text, UpdateMode, UserQuery,
};
use serde_json::Value;

use crate::exit::{Failure, chain};
use crate::ui::Context;

#[derive(Debug, Subcommand)]
pub(crate) enum UsersCommand {
    /// Lists users (active employees unless `--former`).
    #[command(
        after_help = "Examples:\n  roster users list --login-like dup\n  roster users list --fields id,login,jobTitle,department --format csv"
    )]
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
    #[command(
        after_help = "Examples:\n  roster users sync hr.csv                                  # the plan, nothing sent\n  roster users sync hr.csv --key employeeNumber --plan-out plan.json\n  roster users sync hr.csv --apply                          # the plan, then asks\n  roster users sync hr.csv --create-missing --defaults defaults.txt --apply --yes\n  roster users apply plan.json --yes                        # a saved plan, as it was"
    )]
    Sync(SyncArgs),
    /// Applies a plan saved by `users sync --plan-out`, as it is: it is
    /// shown, then asked for; a user changed in Lucca since it was planned
    /// is refused, not overwritten.
    #[command(
        after_help = "Examples:\n  roster users sync hr.csv --plan-out plan.json     # review plan.json, then:\n  roster users apply plan.json --yes"
    )]
    Apply(ApplyArgs),
}

/// `users apply`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct ApplyArgs {
    /// The plan file.
    plan: PathBuf,
    /// Goes on without asking (no terminal to ask on: --yes is required).
    #[arg(long)]
    yes: bool,
    /// Applies a plan that has refused rows or cells (those are left as
    /// they are).
    #[arg(long)]
    allow_partial: bool,
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
    #[arg(long, default_value = "login")]
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
    /// The export's encoding: `auto` (UTF-8, or Windows-1252 when it has no
    /// UTF-8 sequence: French Excel's CSV), `utf-8` or `windows-1252`.
    #[arg(long, default_value = "auto")]
    encoding: roster::Encoding,
    /// With --apply, goes on without asking (no terminal to ask on:
    /// --yes is required).
    #[arg(long)]
    yes: bool,
    /// Ends (`dtContractEnd`) on DATE every user active in Lucca whom the
    /// export does not list (Lucca is then read whole); without it they
    /// are only listed.
    #[arg(long, value_name = "DATE")]
    end_missing: Option<chrono::NaiveDate>,
    /// Saves the plan (JSON, readable by you only) to apply later as it is
    /// with `roster users apply FILE`.
    #[arg(long, value_name = "FILE")]
    plan_out: Option<PathBuf>,
    /// With --apply, applies a plan that has refused rows or cells (those
    /// are left as they are); else such a plan is not applied.
    #[arg(long)]
    allow_partial: bool,
}

/// The `name=value` lines of a defaults file.
fn read_defaults(path: &Path) -> Result<Vec<(String, String)>, Failure> {
    let bytes = crate::input::read_small(path, 1 << 20, "a defaults file")?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::usage(format!("{}: not UTF-8", path.display())))?;
    let text = crate::config::without_bom(&text);
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
        UsersCommand::Apply(args) => apply_saved(args, context).await,
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
pub(crate) fn failure(error: &DirectoryError) -> Failure {
    let text = chain(error);
    match error {
        DirectoryError::Http(http) => Failure::from_http(http, text),
        DirectoryError::PartialRefused { .. } => {
            Failure::refused(format!("{text}\nsend whole bodies: --mode complete"))
        }
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
        known_fields(&fields)?;
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

/// Refuses a `--fields` name that is not a property of a user (the spec's
/// `User`), with the nearest one. The tenant's own `e_*` and
/// `userAxisValues_*` fields are not in the spec, and pass.
fn known_fields(fields: &[String]) -> Result<(), Failure> {
    let schema = schemars::schema_for!(roster::directory::types::User);
    let known: Vec<&str> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|properties| properties.keys().map(String::as_str).collect())
        .unwrap_or_default();
    for field in fields {
        let root = field.split(['.', '[']).next().unwrap_or_default();
        if known.contains(&root) || root.starts_with("e_") || root.starts_with("userAxisValues_") {
            continue;
        }
        let nearest = known
            .iter()
            .map(|name| (strsim::jaro_winkler(root, name), *name))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        return Err(Failure::usage(match nearest {
            Some((_, name)) => {
                format!("--fields: `{root}` is not a user field; did you mean `{name}`?")
            }
            None => format!(
                "--fields: `{root}` is not a user field (fields: {})",
                known.join(", ")
            ),
        }));
    }
    Ok(())
}

fn mode(mode: Mode) -> UpdateMode {
    match mode {
        Mode::Partial => UpdateMode::Partial,
        Mode::Complete => UpdateMode::Complete,
    }
}

/// The exit code of a sync error: the export's problems are the input's.
pub(crate) fn sync_failure(error: &SyncError) -> Failure {
    match error {
        SyncError::Directory(error) => failure(error),
        SyncError::File(file) => Failure::from_file(file, chain(error)),
        _ => Failure::refused(format!("{}\nnothing was read from Lucca", chain(error))),
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
        end_missing,
        allow_partial,
        plan_out,
        encoding,
    } = args;
    let path = file.as_path();
    let defaults = match defaults {
        Some(file) => read_defaults(&file)?,
        None => Vec::new(),
    };
    let desired = match crate::input::is_stdin(path) {
        true => DesiredUsers::from_csv_reader_in(std::io::stdin().lock(), encoding),
        false => DesiredUsers::from_csv_path_in(path, encoding),
    }
    .map_err(|error| sync_failure(&error))?
    .with_key(key);
    if encoding == roster::Encoding::Auto && desired.encoding() == roster::Encoding::Windows1252 {
        crate::input::note_windows_1252(path);
    }
    let directory = client(context)?;
    let mut planning = directory.plan_sync(desired).mode(mode(mode_flag));
    if let Some(day) = end_missing {
        planning = planning.end_missing(day);
    }
    let plan = planning
        .create_missing(create_missing)
        .creation_defaults(defaults)
        .map_err(|error| sync_failure(&error))?
        .execute()
        .await
        .map_err(|error| sync_failure(&error))?;

    let source = path.display().to_string();
    crate::sync_plan::show(&plan, &source, apply, context);
    if let Some(out) = &plan_out {
        crate::sync_plan::save(&plan, out)?;
        context.say(format!(
            "plan saved to {}: `roster users apply {}` applies it as it is",
            out.display(),
            out.display()
        ));
    }
    let options = crate::sync_plan::Apply {
        apply,
        yes,
        allow_partial,
        unchanged_since_plan: false,
    };
    crate::sync_plan::apply(&directory, &plan, &source, options, context).await
}

/// `users apply FILE`: a saved plan, shown, then applied as it is; a user
/// changed since it was planned is refused, not overwritten.
async fn apply_saved(args: ApplyArgs, context: &Context) -> Result<(), Failure> {
    let plan = crate::sync_plan::load(&args.plan)?;
    let directory = client(context)?;
    let source = args.plan.display().to_string();
    crate::sync_plan::show(&plan, &source, true, context);
    let options = crate::sync_plan::Apply {
        apply: true,
        yes: args.yes,
        allow_partial: args.allow_partial,
        unchanged_since_plan: true,
    };
    crate::sync_plan::apply(&directory, &plan, &source, options, context).await
}
