//! `cargo run -p roster-codegen --bin public-api`: lists `roster`'s
//! handwritten public API from rustdoc's JSON ([`listing`]) and compares it
//! with the accepted one, `tests/public_api.txt`: a difference is printed
//! and exits 1. `-- --accept` writes the listing instead. CI runs it as a
//! step of its own (`.ci/run`), outside `cargo test`.
//!
//! rustdoc's JSON output is unstable, so the stable toolchain is asked for
//! it with `RUSTC_BOOTSTRAP=1`, in a target directory of its own.
//!
//! [`listing`]: roster_codegen::public_api::listing

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let accept = std::env::args()
        .skip(1)
        .any(|argument| argument == "--accept");
    // This crate is `codegen/` of the workspace whose root is `roster`.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let doc = match rustdoc_json(&root) {
        Ok(doc) => doc,
        Err(message) => {
            eprintln!("public-api: {message}");
            return ExitCode::from(2);
        }
    };
    let listing = roster_codegen::public_api::listing(&doc, "src/");
    if !listing.contains("fn roster::office::Client::checked_import(") {
        eprintln!("public-api: the listing lacks the handwritten operations:\n{listing}");
        return ExitCode::from(2);
    }
    let accepted_path = root.join("tests/public_api.txt");
    if accept {
        return match std::fs::write(&accepted_path, &listing) {
            Ok(()) => {
                println!("wrote {}", accepted_path.display());
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!(
                    "public-api: cannot write {}: {error}",
                    accepted_path.display()
                );
                ExitCode::from(2)
            }
        };
    }
    let accepted = std::fs::read_to_string(&accepted_path).unwrap_or_default();
    let changes = roster_codegen::public_api::changes(&accepted, &listing);
    if changes.is_empty() {
        println!(
            "the public API is the accepted one ({} lines)",
            listing.lines().count()
        );
        return ExitCode::SUCCESS;
    }
    eprintln!(
        "the public API changed (review it, then accept with `cargo run -p roster-codegen --bin public-api -- --accept`):"
    );
    for change in changes {
        eprintln!("{change}");
    }
    ExitCode::FAILURE
}

/// rustdoc's JSON of `roster`, all features on.
fn rustdoc_json(root: &Path) -> Result<serde_json::Value, String> {
    let target = root.join("target/public-api");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(root)
        .env("RUSTC_BOOTSTRAP", "1")
        .args([
            "rustdoc",
            "--quiet",
            "-p",
            "roster",
            "--lib",
            "--all-features",
        ])
        .arg("--target-dir")
        .arg(&target)
        .args(["--", "-Z", "unstable-options", "--output-format", "json"])
        .args(["-A", "rustdoc::all"])
        .output()
        .map_err(|error| format!("cargo does not run: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo rustdoc failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let path = target.join("doc/roster.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    serde_json::from_str(&text).map_err(|error| format!("{} is not JSON: {error}", path.display()))
}
