//! Keep Lucca's employees in step with an HR export: read a CSV of
//! employees, find each in Lucca by login, update only what differs, print
//! a summary.
//!
//! ```sh
//! cargo run --example sync_users                 # the local Lucca server, the sample CSV
//! cargo run --example sync_users -- --csv hr.csv # your export (login,firstName,lastName,mail,jobTitle)
//! ```
//!
//! With `LUCCA_HOST` and `LUCCA_API_KEY` set it talks to that account and
//! only prints the changes, unless given `--apply`. `--mode partial` (the
//! default: only the changed fields are sent) or `--mode complete` (for
//! tenants that want the reference page's whole bodies: each user is read
//! fresh, and left alone if it changed meanwhile).

mod common;

use std::error::Error;

use roster::directory::{
    self, ClientExtraUsersExt, DirectoryError, Fields, UpdateMode, UserPatch, UserRef,
};

/// One line of the HR export.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Employee {
    login: String,
    first_name: String,
    last_name: String,
    mail: String,
    job_title: Option<String>,
}

const SAMPLE: &str = include_str!("data/employees.csv");

fn read_employees(text: &str) -> Result<Vec<Employee>, csv::Error> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect()
}

/// The fields of `user` that differ from the export, and a description.
fn differences(employee: &Employee, user: &directory::types::User) -> (UserPatch, Vec<String>) {
    let mut patch = UserPatch::new();
    let mut changes = Vec::new();
    let mut compare = |name: &str, current: Option<&str>, wanted: &str| {
        let differs = current != Some(wanted);
        if differs {
            changes.push(format!("{name}: {current:?} -> {wanted:?}"));
        }
        differs
    };
    if compare(
        "firstName",
        user.first_name.as_deref(),
        &employee.first_name,
    ) {
        patch = patch.first_name(&employee.first_name);
    }
    if compare("lastName", user.last_name.as_deref(), &employee.last_name) {
        patch = patch.last_name(&employee.last_name);
    }
    if compare("mail", user.mail.as_deref(), &employee.mail) {
        patch = patch.mail(&employee.mail);
    }
    match (&employee.job_title, &user.job_title) {
        (Some(wanted), current) if current.as_deref() != Some(wanted) => {
            changes.push(format!("jobTitle: {current:?} -> {wanted:?}"));
            patch = patch.job_title(wanted);
        }
        (None, Some(current)) => {
            changes.push(format!("jobTitle: {current:?} -> cleared"));
            patch = patch.clear_job_title();
        }
        _ => {}
    }
    (patch, changes)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let apply_on_tenant = args.iter().any(|arg| arg == "--apply");
    let mode = match args.iter().position(|arg| arg == "--mode") {
        None => UpdateMode::Partial,
        Some(index) => match args.get(index + 1).map(String::as_str) {
            Some("partial") => UpdateMode::Partial,
            Some("complete") => UpdateMode::Complete,
            other => return Err(format!("--mode takes partial or complete, not {other:?}").into()),
        },
    };
    let text = match args.iter().position(|arg| arg == "--csv") {
        Some(index) => std::fs::read_to_string(args.get(index + 1).ok_or("--csv needs a file")?)?,
        None => SAMPLE.to_owned(),
    };
    let employees = read_employees(&text)?;

    let (config, local) = common::lucca_from_env_or_local().await?;
    let directory: directory::Client = config.client()?;
    let apply = local.is_some() || apply_on_tenant;

    let mut updates = Vec::new();
    let (mut unchanged, mut missing) = (0, Vec::new());
    for employee in &employees {
        let id = match directory.find_user_id(&employee.login).send().await {
            Ok(id) => id,
            Err(DirectoryError::UnknownLogin { login }) => {
                missing.push(login);
                continue;
            }
            Err(error) => return Err(error.into()),
        };
        let user = directory.user(id).fields(Fields::sync()).send().await?;
        let (patch, changes) = differences(employee, &user);
        if changes.is_empty() {
            unchanged += 1;
            continue;
        }
        println!("{} (id {id}):", employee.login);
        for change in &changes {
            println!("  {change}");
        }
        updates.push((UserRef::Id(id), patch));
    }

    let to_update = updates.len();
    let (mut updated, mut failed) = (0, 0);
    if apply {
        let report = directory.bulk_update(updates).mode(mode).execute().await;
        updated = report.succeeded().count();
        for outcome in report.failed() {
            failed += 1;
            if let Err(error) = &outcome.result {
                println!("not updated: {:?}: {error}", outcome.user);
            }
        }
    } else {
        println!("Dry run: add --apply to send these updates.");
    }
    println!(
        "Summary: {} employees, {unchanged} unchanged, {to_update} to update, {updated} updated, {failed} failed, {} not in Lucca {missing:?}",
        employees.len(),
        missing.len()
    );
    Ok(())
}
