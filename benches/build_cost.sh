#!/usr/bin/env bash
# Build cost: a clean build of the crate (its dependencies already built)
# with the build script generating the clients, against the same crate with
# the generated files copied in and no build script; the build script's own
# run time; and whether a no-op rebuild runs it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TERM_COLOR=never
now() { date +%s.%N; }

cargo build --quiet
out_dir=$(dirname "$(ls -t target/debug/build/roster-*/out/office.rs | head -1)")
script=$(ls -t target/debug/build/roster-*/build-script-build | head -1)

# The copy of the crate with the generated files in it (made before the
# clean below removes them).
copy=target/build-cost/copied
rm -rf "$copy"; mkdir -p "$copy/src/generated"
cp -r src Cargo.toml Cargo.lock README.md "$copy/"
cp "$out_dir"/*.rs "$copy/src/generated/"

# The build script alone, five runs.
tmp_out=$(mktemp -d)
start=$(now)
for _ in 1 2 3 4 5; do OUT_DIR="$tmp_out" "$script" > /dev/null; done
script_s=$(echo "($(now) - $start) / 5" | bc -l)

# A clean build of the crate, with generation.
cargo clean --quiet -p roster
start=$(now); cargo build --quiet; generated_s=$(echo "$(now) - $start" | bc -l)

# The same crate with the generated files copied in.
sed -i 's|include!(concat!(env!("OUT_DIR"), "/", $file, ".rs"));|include!(concat!(env!("CARGO_MANIFEST_DIR"), "/src/generated/", $file, ".rs"));|' "$copy/src/lib.rs"
python3 - "$copy/Cargo.toml" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path).read()
text = text.replace('build = "build.rs"', "build = false")
text = re.sub(r"\n\[build-dependencies\]\n(?:[^\[\n][^\n]*\n)*", "\n", text)
text = re.sub(r"\n\[\[(test|bench)\]\]\n(?:[^\[\n][^\n]*\n)*", "\n", text)
open(path, "w").write(text)
PY
(cd "$copy" && CARGO_TARGET_DIR="$PWD/../../../target" cargo build --quiet)
(cd "$copy" && CARGO_TARGET_DIR="$PWD/../../../target" cargo clean --quiet -p roster)
start=$(now); (cd "$copy" && CARGO_TARGET_DIR="$PWD/../../../target" cargo build --quiet); copied_s=$(echo "$(now) - $start" | bc -l)

# A no-op rebuild must not run the build script.
cargo build --quiet
if cargo build -v 2>&1 | grep -q "build-script-build\`"; then noop="runs the build script (target missed)"; else noop="does not run the build script"; fi

printf 'build script run time: %.3f s (target < 0.3 s)\n' "$script_s"
printf 'clean build of the crate, generating: %.1f s\n' "$generated_s"
printf 'clean build of the crate, generated files copied in: %.1f s\n' "$copied_s"
printf 'ratio generating / copied: %.2f\n' "$(echo "$generated_s / $copied_s" | bc -l)"
echo "no-op rebuild: $noop"
