//! The public API of the handwritten layer is the accepted one
//! (`tests/public_api.txt`): a change fails here until it is accepted, as
//! the generated surface's does. Listed from rustdoc's JSON by
//! `roster_codegen::public_api` (rustdoc's JSON output is unstable, so the
//! stable toolchain is asked for it with `RUSTC_BOOTSTRAP=1`).
//!
//! Accept a change: `ROSTER_ACCEPT_API=1 cargo test --all-features --test it public_api`.

use std::path::Path;
use std::process::Command;

/// rustdoc's JSON of the crate, all features on, built in a target
/// directory of its own.
fn rustdoc_json(root: &Path) -> serde_json::Value {
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
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo rustdoc failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(target.join("doc/roster.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_handwritten_public_api_is_the_accepted_one() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let listing = roster_codegen::public_api::listing(&rustdoc_json(root), "src/");
    assert!(
        listing.contains("fn roster::office::Client::checked_import("),
        "the listing holds the handwritten operations:\n{listing}"
    );
    let accepted_path = root.join("tests/public_api.txt");
    if std::env::var_os("ROSTER_ACCEPT_API").is_some() {
        std::fs::write(&accepted_path, &listing).unwrap();
        return;
    }
    let accepted = std::fs::read_to_string(&accepted_path).unwrap_or_default();
    if accepted != listing {
        let old: std::collections::BTreeSet<&str> = accepted.lines().collect();
        let new: std::collections::BTreeSet<&str> = listing.lines().collect();
        let removed: Vec<_> = old
            .difference(&new)
            .map(|line| format!("- {line}"))
            .collect();
        let added: Vec<_> = new
            .difference(&old)
            .map(|line| format!("+ {line}"))
            .collect();
        panic!(
            "the public API changed (review it, then accept with ROSTER_ACCEPT_API=1):\n{}\n{}",
            removed.join("\n"),
            added.join("\n")
        );
    }
}
