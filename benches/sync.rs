//! Requests a Directory sync spends, counted by the local server, against
//! the per-employee approach users (and `roster` before plan and apply)
//! write: find each login, read each user, then update the differing ones.
//! Syncs of 1,000 and 10,000 employees with 1 % differences; the time at
//! Lucca's rate is the requests spaced as the default limiter spaces them
//! (50 in 63 s). The headline is requests divided by the minimum Lucca
//! allows: ⌈N/1000⌉ listing pages and one `PUT` a difference.
//!
//! `cargo bench --bench sync`

use std::time::Instant;

use roster::RateLimit;
use roster::directory::{self, DesiredUsers, Fields, UserPatch, UserRef};
use roster_emulator::{LocalLucca, Setup};

/// An export of `count` employees as the tenant holds them, a job title for
/// every hundredth.
fn export(count: usize) -> String {
    let mut csv = String::from("login;firstName;lastName;jobTitle\n");
    for index in 0..count {
        let title = if index % 100 == 7 { "Engineer" } else { "" };
        csv.push_str(&format!("user{index:04};Test;User {index:04};{title}\n"));
    }
    csv
}

async fn tenant(count: usize) -> (LocalLucca, directory::Client) {
    let setup = Setup {
        employees: Vec::new(),
        ..Setup::default()
    }
    .with_generated_employees(count);
    let lucca = LocalLucca::start_with(setup).await.unwrap();
    let config =
        roster::LuccaConfig::new(&lucca.base_url(), roster::LuccaApiKey::new(lucca.api_key()))
            .unwrap();
    let client = config.with_rate_limit(None).client().unwrap();
    (lucca, client)
}

/// Plan and apply; the requests the server counted.
async fn plan_and_apply(count: usize) -> (u64, usize, f64) {
    let (lucca, directory) = tenant(count).await;
    let desired = DesiredUsers::from_csv_bytes(export(count).as_bytes()).unwrap();
    let start = Instant::now();
    let plan = directory.plan_sync(desired).execute().await.unwrap();
    let report = directory.apply_sync(&plan).execute().await.unwrap();
    let seconds = start.elapsed().as_secs_f64();
    assert_eq!(report.failed().count(), 0);
    (lucca.requests_total(), report.succeeded().count(), seconds)
}

/// One lookup and one read an employee, then the updates.
async fn per_employee(count: usize) -> (u64, usize, f64) {
    let (lucca, directory) = tenant(count).await;
    let fields = Fields::new()
        .with("id")
        .with("firstName")
        .with("lastName")
        .with("jobTitle");
    let start = Instant::now();
    let mut updates = Vec::new();
    for index in 0..count {
        let login = format!("user{index:04}");
        let id = directory.find_user_id(&login).send().await.unwrap();
        let user = directory
            .user(id)
            .fields(fields.clone())
            .send()
            .await
            .unwrap();
        let wanted = (index % 100 == 7).then_some("Engineer");
        if user.job_title.as_deref() != wanted {
            let patch = match wanted {
                Some(title) => UserPatch::new().job_title(title),
                None => UserPatch::new().clear_job_title(),
            };
            updates.push((UserRef::Id(id), patch));
        }
    }
    let report = directory.bulk_update(updates).execute().await;
    let seconds = start.elapsed().as_secs_f64();
    (lucca.requests_total(), report.succeeded().count(), seconds)
}

fn at_lucca_rate(requests: u64) -> String {
    let limit = RateLimit::LUCCA;
    let seconds = requests as f64 * limit.per.as_secs_f64() / f64::from(limit.requests);
    if seconds < 120.0 {
        format!("{seconds:.0} s")
    } else {
        format!("{:.1} min", seconds / 60.0)
    }
}

#[tokio::main]
async fn main() {
    println!(
        "| employees | approach | requests | minimum | requests / minimum | at Lucca's rate | updated | local wall time |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for count in [1_000_usize, 10_000] {
        let differences = count / 100;
        let minimum = count.div_ceil(1000) as u64 + differences as u64;
        for (name, (requests, updated, seconds)) in [
            ("plan + apply", plan_and_apply(count).await),
            ("per employee", per_employee(count).await),
        ] {
            assert_eq!(updated, differences, "{name}");
            println!(
                "| {count} | {name} | {requests} | {minimum} | {:.2} | {} | {updated} | {seconds:.2} s |",
                requests as f64 / minimum as f64,
                at_lucca_rate(requests),
            );
        }
    }
}
