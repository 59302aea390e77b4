//! How the waiter waits: for an import that takes T on the local server,
//! the time from done to the waiter returning, and the polls it made, for
//! T = 5 s, 60 s and 600 s, with every duration scaled down 100 times (the
//! server's import time and the waiter's delays alike).

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use roster::office::types::Position;
use roster::office::{self, CsvSource, UserLocationRow, WaitOptions};
use roster_emulator::{LocalLucca, Route};

const SCALE: u32 = 100;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let defaults = WaitOptions::default();
    let options = WaitOptions {
        min_delay: defaults.min_delay / SCALE,
        max_delay: defaults.max_delay / SCALE,
        max_wait: defaults.max_wait / SCALE,
        ..WaitOptions::default()
    };
    println!("waiting (durations scaled 1/{SCALE}; figures shown at real scale)");
    println!(
        "{:>7} | {:>10} | {:>12} | {:>5} | {:>14} | {:>16}",
        "T", "lag", "max delay", "polls", "polls/minute", "limit/minute"
    );
    for seconds in [5_u64, 60, 600] {
        let lucca = LocalLucca::start().await.unwrap();
        let duration = Duration::from_secs(seconds) / SCALE;
        lucca.set_import_duration(duration);
        let office: office::Client = config(&lucca).with_rate_limit(None).client().unwrap();
        let row = UserLocationRow::new(
            "jdupont",
            "Paris",
            NaiveDate::from_ymd_opt(2025, 9, 15).unwrap(),
            Position::FullDay,
        );
        let sent = Instant::now();
        let started = office
            .import_user_locations(CsvSource::rows(vec![row]))
            .send()
            .await
            .unwrap();
        let done = sent + duration;
        office
            .wait_for_import(started)
            .options(options)
            .execute()
            .await
            .unwrap();
        let lag = Instant::now().saturating_duration_since(done) * SCALE;
        let polls =
            lucca.faults().requests(Route::Progress) + lucca.faults().requests(Route::Analysis);
        // Over the whole wait, at least a minute (Lucca counts a minute).
        let minutes = ((seconds as f64 + lag.as_secs_f64()) / 60.0).max(1.0);
        let per_minute = polls as f64 / minutes;
        println!(
            "{:>6}s | {:>9.1}s | {:>11.0}s | {:>5} | {:>14.1} | {:>16}",
            seconds,
            lag.as_secs_f64(),
            defaults.max_delay.as_secs_f64(),
            polls,
            per_minute,
            50
        );
        assert!(
            lag <= defaults.max_delay + Duration::from_secs(1),
            "returned {lag:?} after done"
        );
    }
}

/// A configuration for the local server, from its URL and key.
fn config(lucca: &LocalLucca) -> roster::LuccaConfig {
    roster::LuccaConfig::new(&lucca.base_url(), roster::LuccaApiKey::new(lucca.api_key()))
        .expect("a loopback URL is a valid base URL")
}
