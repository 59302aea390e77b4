//! Bulk updates against the local server with 20 ms of latency a request
//! (emulated to within microseconds, not rounded up to the timer's tick):
//! 100 users a unit of concurrency with the limiter off at concurrency 1, 8
//! and 32 (throughput as a fraction of the ideal, concurrency / latency),
//! then with the limiter on (scaled: 50 requests a second): requests the
//! server refused for being over that limit.

use std::time::{Duration, Instant};

use roster::RateLimit;
use roster::directory::{self, UserPatch, UserRef};
use roster_emulator::{LocalLucca, RequestLimit, Setup};

const USERS: usize = 3_200;
const LATENCY: Duration = Duration::from_millis(20);

fn updates(count: usize) -> Vec<(UserRef, UserPatch)> {
    (0..count)
        .map(|index| {
            (
                UserRef::Id(1000 + index as i64),
                UserPatch::new().job_title(format!("Title {index}")),
            )
        })
        .collect()
}

#[tokio::main]
async fn main() {
    let lucca = LocalLucca::start_with(Setup::default().with_generated_employees(USERS))
        .await
        .unwrap();
    // The service time without latency: what each request costs on top.
    let directory: directory::Client = config(&lucca).with_rate_limit(None).client().unwrap();
    let start = Instant::now();
    let report = directory
        .bulk_update(updates(500))
        .concurrency(1)
        .execute()
        .await;
    assert_eq!(report.succeeded().count(), 500);
    println!(
        "service time without latency, concurrency 1: {:.0} µs a request",
        start.elapsed().as_secs_f64() * 1e6 / 500.0
    );
    lucca.faults().set_latency(LATENCY);
    println!(
        "bulk update: 100 users a unit of concurrency, {LATENCY:?} of latency a request, limiter off"
    );
    println!(
        "{:>11} | {:>9} | {:>12} | {:>12} | {:>8}",
        "concurrency", "seconds", "updates/s", "ideal/s", "fraction"
    );
    for concurrency in [1_usize, 8, 32] {
        let users = 100 * concurrency;
        let directory: directory::Client = config(&lucca).with_rate_limit(None).client().unwrap();
        let start = Instant::now();
        let report = directory
            .bulk_update(updates(users))
            .concurrency(concurrency)
            .execute()
            .await;
        let elapsed = start.elapsed();
        assert_eq!(report.succeeded().count(), users);
        let rate = users as f64 / elapsed.as_secs_f64();
        let ideal = concurrency as f64 / LATENCY.as_secs_f64();
        println!(
            "{concurrency:>11} | {:>9.1} | {rate:>12.1} | {ideal:>12.1} | {:>8.3}",
            elapsed.as_secs_f64(),
            rate / ideal
        );
    }

    let limit = RequestLimit {
        requests: 50,
        per: Duration::from_secs(1),
    };
    lucca.set_rate_limit(Some(limit));
    // The client keeps the same 5 % margin as RateLimit::LUCCA.
    let margin = RateLimit {
        requests: limit.requests,
        per: limit.per * 105 / 100,
    };
    let directory: directory::Client = config(&lucca)
        .with_rate_limit(Some(margin))
        .client()
        .unwrap();
    let count = 1_000;
    let start = Instant::now();
    let report = directory
        .bulk_update(updates(count))
        .concurrency(32)
        .execute()
        .await;
    let elapsed = start.elapsed();
    println!(
        "limiter on ({} per {:?}, the server's limit too): {count} updates in {:.1} s = {:.1} a second, refused by the server: {}",
        limit.requests,
        limit.per,
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64(),
        lucca.rate_limited()
    );
    assert_eq!(report.succeeded().count(), count);
}

/// A configuration for the local server, from its URL and key.
fn config(lucca: &LocalLucca) -> roster::LuccaConfig {
    roster::LuccaConfig::new(&lucca.base_url(), roster::LuccaApiKey::new(lucca.api_key()))
        .expect("a loopback URL is a valid base URL")
}
