//! Several workers, one tenant (feature `redis`), against a real
//! `redis-server`: four workers share the tenant's budget and none is
//! refused; a `429`'s pause holds every worker back; a store that cannot be
//! reached fails the call before anything is sent (or falls back to the
//! in-process limiter when chosen), and its password is never shown.

use std::time::{Duration, Instant};

use roster::directory::{self, UserPatch, UserRef};
use roster::office::{self, CsvSource, ImportError, UploadError};
use roster::shared::{RedisStore, StoreDown};
use roster::{Backoff, HttpError, LuccaConfig, RateLimit};
use roster_emulator::{Fault, LocalLucca, RequestLimit, Route, Setup};

use crate::redis_server::RedisServer;
use crate::support::{LocalConfig, error_chain, fast};

/// Lucca's 50 requests a minute, time scaled down 150 times.
const SERVER: RequestLimit = RequestLimit {
    requests: 50,
    per: Duration::from_millis(400),
};

#[tokio::test]
async fn a_redis_restarted_under_the_workers_is_used_again_at_once() {
    let Some(mut redis) = RedisServer::start("restarted") else {
        return;
    };
    let lucca = LocalLucca::start().await.unwrap();
    let directory: directory::Client = worker(&lucca, &redis.url()).client().unwrap();
    directory.user(416).send().await.unwrap();

    redis.restart();

    directory
        .user(416)
        .send()
        .await
        .expect("the dropped connection is opened again for the next call");
}

/// A worker's configuration: its own connection to the store, as a process
/// of its own would have.
fn worker(lucca: &LocalLucca, redis: &str) -> LuccaConfig {
    let store = RedisStore::open(redis).unwrap();
    lucca
        .config()
        .with_rate_limit(Some(crate::support::client_budget(SERVER)))
        .with_shared_budget(&store)
        .with_retries(Backoff::NONE)
}

/// The most requests `admitted` holds in any window of `per`.
fn busiest_window(admitted: &[Duration], per: Duration) -> usize {
    admitted
        .iter()
        .enumerate()
        .map(|(first, start)| {
            admitted[first..]
                .iter()
                .take_while(|at| **at < *start + per)
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn four_workers_syncing_one_tenant_share_its_budget_and_none_is_refused() {
    let Some(redis) = RedisServer::start("four_workers") else {
        return;
    };
    let lucca = LocalLucca::start_with(Setup::default().with_generated_employees(200))
        .await
        .unwrap();
    lucca.set_rate_limit(Some(SERVER));

    let workers = (0..4).map(|index| {
        let directory: directory::Client = worker(&lucca, &redis.url()).client().unwrap();
        async move {
            let updates: Vec<(UserRef, UserPatch)> = (0..50)
                .map(|user| {
                    let id = 1000 + index * 50 + user;
                    (
                        UserRef::Id(id),
                        UserPatch::new().job_title(format!("T{id}")),
                    )
                })
                .collect();
            directory
                .bulk_update(updates)
                .concurrency(8)
                .retries(Backoff::NONE)
                .execute()
                .await
        }
    });
    let reports = futures_util::future::join_all(workers).await;

    let succeeded: usize = reports
        .iter()
        .map(|report| report.succeeded().count())
        .sum();
    assert_eq!(succeeded, 200);
    assert_eq!(lucca.rate_limited(), 0, "no request was refused");
    let admitted = lucca.admitted_requests();
    assert_eq!(admitted.len(), 200);
    let busiest = busiest_window(&admitted, SERVER.per);
    assert!(
        busiest <= SERVER.requests as usize,
        "{busiest} requests in one window of {:?}",
        SERVER.per
    );
}

#[tokio::test]
async fn a_429_s_pause_holds_every_worker_back() {
    let Some(redis) = RedisServer::start("a_429_s_pause") else {
        return;
    };
    let lucca = LocalLucca::start().await.unwrap();
    let (first, second): (directory::Client, directory::Client) = (
        worker(&lucca, &redis.url()).client().unwrap(),
        worker(&lucca, &redis.url()).client().unwrap(),
    );
    lucca.faults().inject(
        Route::Users,
        Fault::Status {
            status: 429,
            retry_after: Some("1".into()),
        },
    );

    let started = Instant::now();
    let refused = first.user(416).send().await.unwrap_err();
    assert!(
        matches!(&refused, directory::DirectoryError::Http(error) if error.status().is_some_and(|status| status.as_u16() == 429)),
        "{refused:?}"
    );
    // The other worker never saw the 429: only the shared pause holds it.
    second.user(416).send().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "sent {:?} after the 429 asked for a second",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_store_that_cannot_be_reached_fails_the_call_before_anything_is_sent() {
    let Some(redis) = RedisServer::start("unreachable") else {
        return;
    };
    let lucca = LocalLucca::start().await.unwrap();
    // A limit far away: the server's count of what it received.
    lucca.set_rate_limit(Some(RequestLimit {
        requests: 10_000,
        per: Duration::from_secs(3600),
    }));
    let received = || lucca.admitted_requests().len();
    let password = "s3cret-redis-pw";
    let address = redis
        .url()
        .replace("redis://", &format!("redis://:{password}@"));
    // Redis without a password takes none: set it, as a real one would.
    let store = RedisStore::open(&redis.url()).unwrap();
    let directory: directory::Client = lucca.config().with_shared_budget(&store).client().unwrap();
    directory.user(416).send().await.unwrap();
    redis_command(&redis.url(), &["CONFIG", "SET", "requirepass", password]).await;
    let with_password = RedisStore::open(&address)
        .unwrap()
        .with_timeout(Duration::from_millis(500));
    let office: office::Client = lucca
        .config()
        .with_shared_budget(&with_password)
        .client()
        .unwrap();
    office
        .get_office_api_work_locations()
        .send()
        .await
        .expect("the password is sent");

    // A worker that chose to fall back, its first request counted in Redis.
    let fallback_config = lucca
        .config()
        .with_rate_limit(Some(RateLimit {
            requests: 2,
            per: Duration::from_secs(3600),
        }))
        .with_shared_budget(
            // A budget of its own (the calls above count in the tenant's).
            &RedisStore::open(&address)
                .unwrap()
                .with_prefix("fallback")
                .when_down(StoreDown::InProcess),
        );
    let fallback: directory::Client = fallback_config.client().unwrap();
    fallback.user(416).send().await.unwrap();

    // Redis goes away: every call fails, typed, before it is sent.
    drop(redis);
    let before = received();
    let error = directory.user(416).send().await.unwrap_err();
    assert!(
        matches!(
            &error,
            directory::DirectoryError::Http(HttpError::Budget { .. })
        ),
        "a generated call: {error:?}"
    );
    let error = office
        .checked_import(CsvSource::path("examples/data/office-import.csv"))
        .wait_options(fast())
        .execute()
        .await
        .unwrap_err();
    let ImportError::Upload {
        source: UploadError::NotSent(HttpError::Budget { source, .. }),
        ..
    } = &error
    else {
        panic!("a handwritten call: {error:?}");
    };
    assert_eq!(received(), before, "nothing was sent");
    assert!(source.store().contains("127.0.0.1"));
    for shown in [
        error_chain(&error),
        format!("{error:?}"),
        format!("{office:?}"),
    ] {
        assert!(!shown.contains(password), "{shown}");
    }

    // Chosen: each worker counts in its own window meanwhile, which already
    // holds what it sent through Redis (2 an hour: one then, one now).
    fallback
        .user(416)
        .send()
        .await
        .expect("counted in this process");
    let limiter = fallback_config.rate_limiter().unwrap();
    assert!(
        tokio::time::timeout(Duration::from_secs(1), limiter.acquire())
            .await
            .is_err(),
        "the in-process budget (2 an hour) is spent: never unlimited"
    );
}

/// Sends one command to the Redis at `url` (for what a test sets up).
async fn redis_command(url: &str, args: &[&str]) {
    let client = redis::Client::open(url).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let mut command = redis::cmd(args[0]);
    for arg in &args[1..] {
        command.arg(*arg);
    }
    let _: redis::Value = command.query_async(&mut connection).await.unwrap();
}
