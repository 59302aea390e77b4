//! A loopback sink for the upload benchmark (`benches/upload.sh`): reads
//! every request body to the end, counts its bytes, answers a summary.
//!
//! ```sh
//! cargo run --release -p roster-emulator --example bench_sink -- 8099
//! ```

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::routing::post;
use futures_util::StreamExt;

async fn sink(body: Body) -> ([(&'static str, &'static str); 1], String) {
    let mut stream = body.into_data_stream();
    let mut bytes = 0_u64;
    while let Some(Ok(chunk)) = stream.next().await {
        bytes += chunk.len() as u64;
    }
    let answer =
        format!(r#"{{"summaryId": "51564472-08cc-4410-94cc-a2b67f77f980", "bytes": {bytes}}}"#);
    ([("content-type", "application/json")], answer)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|port| port.parse().ok())
        .unwrap_or(8099);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let router = Router::new()
        .route(
            "/work-locations/public/api/imports/user-locations",
            post(sink),
        )
        .layer(DefaultBodyLimit::disable());
    axum::serve(listener, router).await.unwrap();
}
