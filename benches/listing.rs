//! A Directory listing of 100,000 users in pages of 1,000 against the local
//! server (its own process, one for each count): throughput and the client's peak memory, which
//! must not grow with the number of users (the stream holds one page). The
//! same listing of 10,000 users is the comparison.
//!
//! `cargo bench --bench listing` (`USERS` sets the larger count).

#[path = "support/mod.rs"]
mod support;

use std::time::Instant;

use futures_util::TryStreamExt;
use roster::directory::{self, Fields, UserQuery};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let large = support::sized("USERS", 100_000, 2_000);
    println!("listing: users in pages of 1,000, the local server in its own process");
    println!(
        "{:>8} | {:>8} | {:>10} | {:>14} | {:>26}",
        "users", "seconds", "users/s", "client CPU s", "client peak over start MiB"
    );
    for count in [large / 10, large] {
        let emulator = support::Emulator::start(count);
        let directory: directory::Client = emulator.lucca().client().unwrap();
        let query = UserQuery::new()
            .fields(
                Fields::new()
                    .with("id")
                    .with("login")
                    .with("firstName")
                    .with("lastName")
                    .with("mail"),
            )
            .page_size(1000);
        support::reset_peak();
        let before = support::resident_mib();
        let cpu = support::cpu_seconds();
        let started = Instant::now();
        let mut users = std::pin::pin!(directory.users(query).stream());
        let mut seen = 0_usize;
        while let Some(user) = users.try_next().await.unwrap() {
            std::hint::black_box(&user);
            seen += 1;
        }
        let elapsed = started.elapsed().as_secs_f64();
        assert!(seen >= count, "{seen} of {count}");
        println!(
            "{seen:>8} | {elapsed:>8.2} | {:>10.0} | {:>14.2} | {:>26.1}",
            seen as f64 / elapsed,
            support::cpu_seconds() - cpu,
            support::peak_mib() - before
        );
    }
}
