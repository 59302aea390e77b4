//! The overhead of one `roster` call (the generated results call, through
//! its hooks: body bound, retry wrapper) against the same request written
//! with bare `reqwest`: same client settings, same loopback server
//! answering a fixed body, the answer parsed into the same type. The rate
//! limiter is off for both: it is a deliberate wait, not overhead.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use roster::office::{self, types};
use roster::{LuccaApiKey, LuccaConfig};

const RESULTS: &str = r#"{"summaryId":"3fa85f64-5717-4562-b3fc-2c963f66afa6","userLocationsCreatedSummary":{"count":2,"descriptions":["Created user location for Jean Dupont on 2025/09/15","Created user location for Marie Lefevre on 2025/09/16"]},"userLocationsDeletedSummary":{"count":0},"globalErrorSummary":null,"errorLines":[{"line":{"login":"jsmith","firstname":"John","lastname":"Smith","worklocationName":"Paris","areaName":"B1","date":"2025-09-20","position":"FullDay","comment":null,"isDeletion":false},"lineNumber":3,"error":"User doesn't exist"}],"warningLines":[],"errorFileUri":null}"#;

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

fn per_call(c: &mut Criterion) {
    let base_url = server();
    let config = LuccaConfig::new(&base_url, LuccaApiKey::new("bench-key"))
        .unwrap()
        .with_rate_limit(None);
    let office: office::Client = config.client().unwrap();
    let bare = config.http_client().unwrap();
    let url = format!("{base_url}/work-locations/public/api/imports/user-locations/results");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let mut group = c.benchmark_group("per_call");
    group.bench_function("baseline: bare reqwest", |b| {
        b.to_async(&runtime).iter(|| async {
            let answer = bare
                .get(&url)
                .query(&[("summaryId", "3fa85f64-5717-4562-b3fc-2c963f66afa6")])
                .header("accept", "application/json")
                .send()
                .await
                .unwrap();
            black_box(answer.json::<types::ImportResults>().await.unwrap())
        })
    });
    group.bench_function("roster: results call", |b| {
        b.to_async(&runtime).iter(|| async {
            let answer = office
                .get_office_api_imports_user_locations_results()
                .summary_id("3fa85f64-5717-4562-b3fc-2c963f66afa6")
                .send()
                .await
                .unwrap();
            black_box(answer.into_inner())
        })
    });
    group.finish();
}

criterion_group!(benches, per_call);
criterion_main!(benches);
