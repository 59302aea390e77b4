//! The client side of the upload benchmark (`benches/upload.sh`): uploads a
//! CSV file to a sink with `roster` and prints the time it took (the file
//! taken, checked and sent, as every import is). With
//! `--idle` it only builds the client, to measure the process's idle size.
//!
//! ```sh
//! cargo run --release --example bench_upload -- FILE http://127.0.0.1:8099
//! ```

use std::time::Instant;

use roster::office::{self, CsvSource};
use roster::{LuccaApiKey, LuccaConfig};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (file, url) = (&args[0], &args[1]);
    let office: office::Client = LuccaConfig::new(url, LuccaApiKey::new("bench"))?
        .with_timeout(std::time::Duration::from_secs(3600))?
        .with_rate_limit(None)
        .client()?;
    if args.iter().any(|arg| arg == "--idle") {
        return Ok(());
    }
    let start = Instant::now();
    let size = std::fs::metadata(file)?.len();
    office
        .import_user_locations(CsvSource::path(file))
        .send()
        .await?;
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{size} bytes in {seconds:.3} s = {:.1} MiB/s",
        size as f64 / seconds / 1048576.0
    );
    Ok(())
}
