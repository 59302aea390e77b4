#!/usr/bin/env bash
# A consumer's build: the same small program (list Lucca Office's work
# locations, print each id and name) written twice, each in its own fresh
# target directory:
#   - `roster`: `roster = { default-features = false, features = ["office", TLS] }`;
#   - bare: reqwest + serde + tokio, a struct of its own for the answer.
# Both use rustls with the same provider (TLS: `tls-ring` by default; run
# with `TLS=tls-aws-lc` for the other). It reports each cold build (wall
# and CPU: user + system), the ratio, and each program's rebuild after
# `touch src/main.rs`. Debug builds, as `cargo build`.
#
#   bash benches/consumer_build.sh          (about 5 min on 2 cores)
#
# Uses the registry's cached crates when it can (`--offline`), else fetches.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tls=${TLS:-tls-ring}
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
export CARGO_TERM_COLOR=never

case "$tls" in
  tls-ring) bare_tls='"rustls-no-provider"'; bare_rustls='rustls = { version = "0.23", default-features = false, features = ["std", "ring"] }'
            install='let _ = rustls::crypto::ring::default_provider().install_default();' ;;
  tls-aws-lc) bare_tls='"rustls"'; bare_rustls=''; install='' ;;
  *) echo "TLS must be tls-ring or tls-aws-lc" >&2; exit 2 ;;
esac

mkdir -p "$work/with-roster/src" "$work/bare/src"
cat >"$work/with-roster/Cargo.toml" <<EOF
[package]
name = "with-roster"
version = "0.1.0"
edition = "2024"

[dependencies]
roster = { path = "$root", default-features = false, features = ["office", "$tls"] }
tokio = { version = "1", features = ["macros", "rt"] }
EOF
cat >"$work/with-roster/src/main.rs" <<'EOF'
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let office = roster::LuccaConfig::from_env()?.office_client()?;
    let page = office.get_office_api_work_locations().send().await?;
    for place in page.items {
        println!("{} {}", place.id, place.name);
    }
    Ok(())
}
EOF
cat >"$work/bare/Cargo.toml" <<EOF
[package]
name = "bare"
version = "0.1.0"
edition = "2024"

[dependencies]
reqwest = { version = "0.13", default-features = false, features = ["json", "http2", $bare_tls] }
$bare_rustls
serde = { version = "1", features = ["derive"] }
tokio = { version = "1", features = ["macros", "rt"] }
EOF
cat >"$work/bare/src/main.rs" <<EOF
use serde::Deserialize;

#[derive(Deserialize)]
struct WorkLocation {
    id: i64,
    name: String,
}

#[derive(Deserialize)]
struct Page {
    items: Vec<WorkLocation>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    $install
    let host = std::env::var("LUCCA_HOST")?;
    let key = std::env::var("LUCCA_API_KEY")?;
    let page: Page = reqwest::Client::new()
        .get(format!("{host}/work-locations/public/api/work-locations"))
        .header("Authorization", format!("lucca application={key}"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    for place in page.items {
        println!("{} {}", place.id, place.name);
    }
    Ok(())
}
EOF

# One build, in this shell (a failed build stops the script): its "wall
# cpu" in seconds, in $work/figures.
measure() {
  local dir=$1 TIMEFORMAT='%R %U %S'
  { time (cd "$dir" && cargo build --quiet --offline 2>/dev/null || cargo build --quiet) ; } 2>"$work/times" \
    || { cat "$work/times" >&2; echo "the build of $dir failed" >&2; exit 1; }
  tail -1 "$work/times" | awk '{ printf "%.1f %.1f\n", $1, $2 + $3 }' >"$work/figures"
}

for project in with-roster bare; do
  (cd "$work/$project" && { cargo generate-lockfile --offline --quiet 2>/dev/null || cargo generate-lockfile --quiet; })
done
measure "$work/with-roster"; read -r roster_wall roster_cpu <"$work/figures"
measure "$work/bare"; read -r bare_wall bare_cpu <"$work/figures"
touch "$work/with-roster/src/main.rs"; measure "$work/with-roster"; read -r roster_re _ <"$work/figures"
touch "$work/bare/src/main.rs"; measure "$work/bare"; read -r bare_re _ <"$work/figures"
units() { find "$1/target/debug/.fingerprint" -mindepth 1 -maxdepth 1 | wc -l; }

echo "TLS: $tls; $(nproc) cores"
printf 'cold build, roster: %s s wall, %s s CPU, %s units\n' "$roster_wall" "$roster_cpu" "$(units "$work/with-roster")"
printf 'cold build, bare reqwest: %s s wall, %s s CPU, %s units\n' "$bare_wall" "$bare_cpu" "$(units "$work/bare")"
printf 'ratio roster / bare: %.2fx CPU, %.2fx wall (goal <= 1.3x CPU)\n' \
  "$(echo "$roster_cpu / $bare_cpu" | bc -l)" "$(echo "$roster_wall / $bare_wall" | bc -l)"
printf 'rebuild after touch src/main.rs: roster %s s, bare %s s (goal <= 2 s)\n' "$roster_re" "$bare_re"
