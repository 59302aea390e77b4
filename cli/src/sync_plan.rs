//! A sync plan on the command line: shown (`show`), saved and read back
//! (`save`, `load`), and applied (`apply`): after the preview, with consent,
//! stopped by Ctrl-C with what was written said.

use std::path::Path;

use roster::directory::{self, DirectoryError, Strategy, SyncPlan};
use serde_json::{Value, json};

use crate::exit::{Failure, chain};
use crate::ui::{Context, Tone};

/// The largest plan file read back.
const PLAN_LIMIT: u64 = 256 * 1024 * 1024;

/// How a plan is applied.
pub(crate) struct Apply {
    /// Whether to apply at all (else the plan is only shown).
    pub(crate) apply: bool,
    /// Consent given on the command line.
    pub(crate) yes: bool,
    /// Whether a plan with refusals is applied (the rest of it).
    pub(crate) allow_partial: bool,
    /// Whether users changed since the plan are refused (a saved plan).
    pub(crate) unchanged_since_plan: bool,
}

/// A JSON value as a table cell (`∅` for nothing).
fn shown(value: &Value) -> String {
    match value {
        Value::Null => "∅".to_owned(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Writes `plan` to `path`, readable by its owner only (it holds people's
/// data).
pub(crate) fn save(plan: &SyncPlan, path: &Path) -> Result<(), Failure> {
    let bytes = serde_json::to_vec_pretty(plan)
        .map_err(|error| Failure::usage(format!("the plan: {error}")))?;
    crate::input::write_private(path, &bytes)
}

/// Reads a plan saved by [`save`].
pub(crate) fn load(path: &Path) -> Result<SyncPlan, Failure> {
    let bytes = crate::input::read_small(path, PLAN_LIMIT, "a plan file")?;
    serde_json::from_slice(&bytes).map_err(|error| {
        Failure::usage(format!(
            "{}:{}:{}: not a plan saved by `users sync --plan-out`: {error}",
            path.display(),
            error.line(),
            error.column()
        ))
    })
}

/// Shows the plan: the differences, the new hires, who is not in the
/// export, the refusals, the reading and the cost.
pub(crate) fn show(plan: &SyncPlan, source: &str, apply: bool, context: &Context) {
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
            source,
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
    const SHOWN: usize = 20;
    for absent in plan.not_in_export.iter().take(SHOWN) {
        let ended = match (plan.end_missing, &absent.key) {
            (Some(day), Some(_)) => format!(": ended on {day}"),
            (Some(_), None) => format!(": no {} in Lucca, not ended", plan.key),
            (None, _) => String::new(),
        };
        context.say(format!(
            "not in the export: {} (id {}){ended}",
            absent.login, absent.id
        ));
    }
    if plan.not_in_export.len() > SHOWN {
        context.say(format!(
            "… and {} more not in the export (--json lists them all)",
            plan.not_in_export.len() - SHOWN
        ));
    }
    if !plan.not_in_export.is_empty() && plan.end_missing.is_none() {
        context.say(format!(
            "{} user(s) active in Lucca are not in the export: left as they are; --end-missing DATE ends them",
            plan.not_in_export.len()
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
            source,
            duplicate.lines.first().copied().unwrap_or_default(),
            plan.key,
            duplicate.key,
            lines.join(", "),
        ));
    }
    for refused in &plan.refused {
        context.say(format!(
            "{}:{}:{}: {}: {:?}: {}",
            source, refused.line, refused.column, refused.field, refused.value, refused.problem
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
}

/// Applies `plan` (when asked, after the preview and consent), then says
/// what was done and exits by cause.
pub(crate) async fn apply(
    directory: &directory::Client,
    plan: &SyncPlan,
    source: &str,
    options: Apply,
    context: &Context,
) -> Result<(), Failure> {
    let Apply {
        apply,
        yes,
        allow_partial,
        unchanged_since_plan,
    } = options;
    let mut applied = Vec::new();
    // Updates that got no answer, or a transient one (a `PUT` is
    // idempotent: sending it again is safe).
    let mut unanswered = 0;
    let mut stopped = false;
    let refused = plan.refused.len() + plan.duplicates.len();
    let (to_create, not_created) = match plan.create_missing {
        true => (plan.creations.len(), 0),
        false => (0, plan.creations.len()),
    };
    if apply && (!plan.is_empty() || to_create > 0) {
        if refused > 0 && !allow_partial {
            return Err(Failure::refused(format!(
                "not applied: the plan of {source} has {refused} refused row(s) or value(s) (see above); fix them, or add --allow-partial to apply the rest"
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
        // New hires are claimed in the journal before they are created.
        let journal = match to_create {
            0 => None,
            _ => Some(crate::office::default_journal(context)?),
        };
        let mut applying = directory
            .apply_sync(plan)
            .stop_when(std::sync::Arc::clone(&stop));
        if let Some(journal) = &journal {
            applying = applying.journal(journal);
        }
        if unchanged_since_plan {
            applying = applying.unchanged_since_plan();
        }
        let report = applying
            .execute()
            .await
            .map_err(|error| crate::users::sync_failure(&error))?;
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
                    // Another run is creating it now: nothing sent here.
                    Err(DirectoryError::CreationClaimed { entry, .. }) if entry.is_held() => {
                        Err((Undone::Safe, format!("not created again: {entry}")))
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
    let mut document = serde_json::to_value(plan).unwrap_or_default();
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
