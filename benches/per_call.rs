//! The cost of one `roster` call (the generated results call, through its
//! hooks: auth, body bound, retry wrapper, the tolerant models) against what
//! a user would write instead: a bare `reqwest::Client`, the same request by
//! hand, the answer parsed into plain structs with `String` fields defined
//! here. Same loopback server answering the same fixed body. The rate
//! limiter is off: it is a deliberate wait, not overhead.
//!
//! `taskset -c 0 cargo bench --bench per_call` pins both threads (client and
//! server) to one core, so the figure is CPU cost; unpinned is reported too
//! (see `benches/README.md`).
//!
//! The arms are interleaved: each round times a block of calls of every arm
//! in turn, so that a drift of the machine (another process, frequency)
//! weighs on all arms alike; the figure is the median over rounds, and the
//! ratio the median of each round's own ratio. `ROUNDS` and `BLOCK` set the
//! sizes (default 400 rounds of 100 calls). Two breakdown arms send the
//! baseline's request with roster's reqwest settings, parsed into plain
//! structs and into roster's models, to say where the difference lies.

#[path = "support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use roster::office;
use roster::{LuccaApiKey, LuccaConfig};

const RESULTS: &str = r#"{"summaryId":"3fa85f64-5717-4562-b3fc-2c963f66afa6","userLocationsCreatedSummary":{"count":2,"descriptions":["Created user location for Jean Dupont on 2025/09/15","Created user location for Marie Lefevre on 2025/09/16"]},"userLocationsDeletedSummary":{"count":0},"globalErrorSummary":null,"errorLines":[{"line":{"login":"jsmith","firstname":"John","lastname":"Smith","worklocationName":"Paris","areaName":"B1","date":"2025-09-20","position":"FullDay","comment":null,"isDeletion":false},"lineNumber":3,"error":"User doesn't exist"}],"warningLines":[],"errorFileUri":null}"#;

/// What a user would parse the results into by hand.
#[allow(dead_code)]
mod plain {
    use serde::Deserialize;

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Results {
        pub summary_id: Option<String>,
        pub user_locations_created_summary: Option<Described>,
        pub user_locations_deleted_summary: Option<Count>,
        pub global_error_summary: Option<String>,
        #[serde(default)]
        pub error_lines: Vec<ErrorLine>,
        #[serde(default)]
        pub warning_lines: Vec<WarningLine>,
        pub error_file_uri: Option<String>,
    }

    #[derive(Deserialize)]
    pub struct Described {
        pub count: Option<i64>,
        #[serde(default)]
        pub descriptions: Vec<String>,
    }

    #[derive(Deserialize)]
    pub struct Count {
        pub count: Option<i64>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct ErrorLine {
        pub line: Option<Line>,
        pub line_number: Option<i64>,
        pub error: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct WarningLine {
        pub line: Option<Line>,
        pub line_number: Option<i64>,
        pub warning: Option<String>,
        pub is_conflict: Option<bool>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Line {
        pub login: Option<String>,
        pub firstname: Option<String>,
        pub lastname: Option<String>,
        pub worklocation_name: Option<String>,
        pub area_name: Option<String>,
        pub date: Option<String>,
        pub position: Option<String>,
        pub comment: Option<String>,
        pub is_deletion: Option<bool>,
    }
}

/// Answers every request of one keep-alive connection with the fixed body
/// (the requests are bodiless `GET`s: each ends at its blank line).
async fn answer_connection(mut stream: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{RESULTS}",
        RESULTS.len()
    );
    let mut buffer = Vec::with_capacity(4096);
    let mut chunk = [0_u8; 4096];
    loop {
        while let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            buffer.drain(..end + 4);
            if stream.write_all(answer.as_bytes()).await.is_err() {
                return;
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(read) => buffer.extend_from_slice(&chunk[..read]),
        }
    }
}

/// A loopback server answering the fixed body, on its own runtime thread.
fn server() -> String {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            sender.send(listener.local_addr().unwrap()).unwrap();
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(answer_connection(stream));
            }
        });
    });
    format!("http://{}", receiver.recv().unwrap())
}

/// The arms measured, in the order of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arm {
    Baseline,
    Roster,
    ParsePlain,
    ParseRoster,
    Settings,
    SettingsAndModels,
}

impl Arm {
    const ALL: [Arm; 6] = [
        Arm::Baseline,
        Arm::Roster,
        Arm::ParsePlain,
        Arm::ParseRoster,
        Arm::Settings,
        Arm::SettingsAndModels,
    ];

    fn name(self) -> &'static str {
        match self {
            Arm::Baseline => "baseline: bare reqwest, plain structs",
            Arm::Roster => "roster: generated results call",
            Arm::ParsePlain => "parse only: plain structs",
            Arm::ParseRoster => "parse only: roster's models",
            Arm::Settings => "breakdown: roster's reqwest settings",
            Arm::SettingsAndModels => "breakdown: settings + roster's models",
        }
    }
}

fn main() {
    let rounds = support::sized("ROUNDS", 400, 3);
    let block = support::sized("BLOCK", 100, 5);
    // `ARM=N` runs arm N alone (to profile it: `perf record`).
    let only = std::env::var("ARM")
        .ok()
        .and_then(|arm| arm.parse::<usize>().ok());
    let base_url = server();
    let config = LuccaConfig::new(&base_url, LuccaApiKey::new("bench-key"))
        .unwrap()
        .with_rate_limit(None);
    let office: office::Client = config.client().unwrap();
    let bare = reqwest::Client::new();
    // roster's own reqwest client (timeouts, user agent, the key as a
    // default header), for the breakdown arms.
    let configured = config.http_client().unwrap();
    let url = format!("{base_url}/work-locations/public/api/imports/user-locations/results");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let call = |arm: Arm| {
        let (office, bare, url, configured) = (&office, &bare, &url, &configured);
        async move {
            match arm {
                Arm::Baseline => {
                    let answer = bare
                        .get(url)
                        .query(&[("summaryId", "3fa85f64-5717-4562-b3fc-2c963f66afa6")])
                        .header("accept", "application/json")
                        .header("authorization", "lucca application=bench-key")
                        .send()
                        .await
                        .unwrap();
                    black_box(answer.json::<plain::Results>().await.unwrap());
                }
                Arm::Roster => {
                    let answer = office
                        .get_office_api_imports_user_locations_results()
                        .summary_id("3fa85f64-5717-4562-b3fc-2c963f66afa6")
                        .send()
                        .await
                        .unwrap();
                    black_box(answer);
                }
                Arm::Settings | Arm::SettingsAndModels => {
                    let answer = configured
                        .get(url)
                        .query(&[("summaryId", "3fa85f64-5717-4562-b3fc-2c963f66afa6")])
                        .header("accept", "application/json")
                        .send()
                        .await
                        .unwrap();
                    if arm == Arm::SettingsAndModels {
                        black_box(answer.json::<office::types::ImportResults>().await.unwrap());
                    } else {
                        black_box(answer.json::<plain::Results>().await.unwrap());
                    }
                }
                Arm::ParsePlain => {
                    black_box(serde_json::from_str::<plain::Results>(black_box(RESULTS)).unwrap());
                }
                Arm::ParseRoster => {
                    black_box(
                        serde_json::from_str::<office::types::ImportResults>(black_box(RESULTS))
                            .unwrap(),
                    );
                }
            }
        }
    };

    let mut times: Vec<Vec<f64>> = vec![Vec::new(); Arm::ALL.len()];
    runtime.block_on(async {
        // Warm up: connections, allocator, caches.
        for arm in Arm::ALL {
            for _ in 0..(block * 10) {
                call(arm).await;
            }
        }
        for round in 0..rounds {
            for offset in 0..Arm::ALL.len() {
                // Rotate the order, so no arm always follows the same one.
                let index = (round + offset) % Arm::ALL.len();
                if only.is_some_and(|only| only != index) {
                    continue;
                }
                let started = Instant::now();
                for _ in 0..block {
                    call(Arm::ALL[index]).await;
                }
                let elapsed: Duration = started.elapsed();
                times[index].push(elapsed.as_secs_f64() * 1e6 / block as f64);
            }
        }
    });

    let ratios = |over: usize, under: usize| -> f64 {
        let mut each: Vec<f64> = times[over]
            .iter()
            .zip(&times[under])
            .map(|(over, under)| over / under)
            .collect();
        support::median(&mut each)
    };
    println!("per_call: {rounds} rounds of {block} calls, interleaved");
    println!("{:<40} {:>12}", "arm", "median µs");
    if only.is_some() {
        return;
    }
    for (arm, samples) in Arm::ALL.iter().zip(&times) {
        let mut samples = samples.clone();
        println!("{:<40} {:>12.2}", arm.name(), support::median(&mut samples));
    }
    println!(
        "ratio roster / baseline (median of rounds): {:.3}",
        ratios(1, 0)
    );
    println!(
        "ratio parse roster / plain (median of rounds): {:.3}",
        ratios(3, 2)
    );
    println!(
        "ratio settings / baseline (median of rounds): {:.3}",
        ratios(4, 0)
    );
    println!(
        "ratio settings + models / baseline (median of rounds): {:.3}",
        ratios(5, 0)
    );
}
