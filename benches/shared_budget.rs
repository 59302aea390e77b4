//! The cost of the shared rate budget (feature `redis`): one request's
//! admission through `roster`'s Lua script, against what a user would write
//! instead, a fixed window by hand (`INCR` and `PEXPIRE` in one `MULTI`, one
//! round trip), and against the in-process limiter. A real `redis-server` on
//! loopback, started here; the budget is never spent (a million a second),
//! so the figure is the cost of asking, not a wait.
//!
//! `cargo bench --bench shared_budget --features redis`. The arms are
//! interleaved in rounds (`ROUNDS`, default 200, of `BLOCK`, default 100,
//! admissions each); the figure is the median over rounds, the ratio the
//! median of each round's own ratio.

#[path = "support/mod.rs"]
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use roster::shared::RedisStore;
use roster::{LuccaApiKey, LuccaConfig, RateLimit};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Arm {
    ByHand,
    Roster,
    InProcess,
}

impl Arm {
    const ALL: [Arm; 3] = [Arm::ByHand, Arm::Roster, Arm::InProcess];

    fn name(self) -> &'static str {
        match self {
            Arm::ByHand => "fixed window by hand (MULTI INCR PEXPIRE)",
            Arm::Roster => "roster shared budget (Lua sliding window)",
            Arm::InProcess => "roster in-process limiter",
        }
    }
}

/// A million a second: never spent.
const OPEN: RateLimit = RateLimit {
    requests: 1_000_000,
    per: Duration::from_secs(1),
};

fn main() {
    let rounds = support::sized("ROUNDS", 200, 3);
    let block = support::sized("BLOCK", 100, 5);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap()
        .port();
    let mut server = match Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(server) => server,
        Err(error) => {
            eprintln!("skipped: redis-server cannot be started ({error})");
            return;
        }
    };
    let url = format!("redis://127.0.0.1:{port}");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let lucca = LuccaConfig::new("https://acme.ilucca.net", LuccaApiKey::new("bench-key")).unwrap();
    let shared = lucca
        .clone()
        .with_rate_limit(Some(OPEN))
        .with_shared_budget(&RedisStore::open(&url).unwrap());
    let local = lucca.with_rate_limit(Some(OPEN));
    let (shared, local) = (
        shared.rate_limiter().unwrap(),
        local.rate_limiter().unwrap(),
    );

    let mut times: Vec<Vec<f64>> = vec![Vec::new(); Arm::ALL.len()];
    let mut ratios = Vec::new();
    runtime.block_on(async {
        let client = redis::Client::open(url.as_str()).unwrap();
        let mut by_hand = loop {
            // The server may still be starting.
            match client.get_multiplexed_async_connection().await {
                Ok(connection) => break connection,
                Err(_) => tokio::task::yield_now().await,
            }
        };
        let mut admit = async |arm: Arm| match arm {
            Arm::ByHand => {
                let (count,): (u64,) = redis::pipe()
                    .atomic()
                    .incr("hand:{acme.ilucca.net}:window", 1)
                    .cmd("PEXPIRE")
                    .arg("hand:{acme.ilucca.net}:window")
                    .arg(1000)
                    .arg("NX")
                    .ignore()
                    .query_async(&mut by_hand)
                    .await
                    .unwrap();
                assert!(count <= u64::from(OPEN.requests));
            }
            Arm::Roster => shared.acquire().await.unwrap(),
            Arm::InProcess => local.acquire().await.unwrap(),
        };
        for arm in Arm::ALL {
            for _ in 0..(block * 10) {
                admit(arm).await;
            }
        }
        for _ in 0..rounds {
            let mut round = [0.0; 3];
            for (index, arm) in Arm::ALL.into_iter().enumerate() {
                let started = Instant::now();
                for _ in 0..block {
                    admit(arm).await;
                }
                round[index] = started.elapsed().as_secs_f64() * 1e6 / block as f64;
                times[index].push(round[index]);
            }
            ratios.push(round[1] / round[0]);
        }
    });
    let _ = server.kill();
    let _ = server.wait();

    for (arm, times) in Arm::ALL.iter().zip(&mut times) {
        println!(
            "{:<45} {:>8.2} µs per admission",
            arm.name(),
            support::median(times)
        );
    }
    println!(
        "ratio roster / by hand: {:.3}",
        support::median(&mut ratios)
    );
}
