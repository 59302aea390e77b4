//! Keep Lucca's employees in step with an HR export, as a plan and its
//! application: the export is read (its columns are the API's field
//! names), Lucca is read in bulk, the differences are shown with what
//! applying them costs, and only those are sent.
//!
//! ```sh
//! cargo run --example sync_users                 # the local Lucca server, the sample CSV
//! cargo run --example sync_users -- --csv hr.csv # your export (login and any fields: jobTitle, manager, …)
//! ```
//!
//! With `LUCCA_HOST` and `LUCCA_API_KEY` set it talks to that account and
//! only prints the plan, unless given `--apply`. `--mode partial` (the
//! default: only the changed fields are sent) or `--mode complete` (for
//! tenants that want the reference page's whole bodies: the changed users
//! are read fresh in one list, and one that changed since the plan is left
//! alone). `--json` prints the plan as JSON.

mod common;

use std::error::Error;

use roster::directory::{self, DesiredUsers, UpdateMode};

const SAMPLE: &str = include_str!("data/employees.csv");

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().any(|arg| arg == name);
    let value = |name: &str| {
        args.iter()
            .position(|arg| arg == name)
            .map(|index| {
                args.get(index + 1)
                    .cloned()
                    .ok_or(format!("{name} needs a value"))
            })
            .transpose()
    };
    let mode = match value("--mode")?.as_deref() {
        None | Some("partial") => UpdateMode::Partial,
        Some("complete") => UpdateMode::Complete,
        Some(other) => {
            return Err(format!("--mode takes partial or complete, not {other:?}").into());
        }
    };
    let desired = match value("--csv")? {
        Some(path) => DesiredUsers::from_csv_path(path)?,
        None => DesiredUsers::from_csv_bytes(SAMPLE.as_bytes())?,
    };

    let (config, local) = common::lucca_from_env_or_local().await?;
    let directory: directory::Client = config.client()?;

    // One bulk read, a local diff: nothing is written yet.
    let plan = directory.plan_sync(desired).mode(mode).execute().await?;
    if flag("--json") {
        println!("{}", serde_json::to_string_pretty(&plan)?);
    }
    for change in &plan.changes {
        println!("{} (id {}):", change.login, change.id);
        for field in &change.fields {
            println!("  {}: {} -> {}", field.field, field.now, field.wanted);
        }
    }
    for hire in &plan.creations {
        println!(
            "line {}: {} is a new hire (not created: see create_missing)",
            hire.line, hire.key
        );
    }
    for refused in &plan.refused {
        println!(
            "line {}, column {} ({}): {}",
            refused.line, refused.column, refused.field, refused.problem
        );
    }
    println!(
        "Read: {:?}, {} request(s) ({})",
        plan.reading.strategy, plan.reading.requests, plan.reading.reason
    );
    println!("Plan: {}", plan.cost_line());

    if local.is_none() && !flag("--apply") {
        println!("Dry run: add --apply to send these updates.");
        return Ok(());
    }
    let report = directory.apply_sync(&plan).execute().await?;
    for outcome in report.failed() {
        if let Err(error) = &outcome.result {
            println!("not updated: {}: {error}", outcome.user);
        }
    }
    println!(
        "Summary: {} updated, {} failed, {} unchanged, {} new hire(s) listed",
        report.succeeded().count(),
        report.failed().count(),
        plan.untouched,
        plan.creations.len()
    );
    Ok(())
}
