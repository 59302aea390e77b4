#!/usr/bin/env bash
# Upload streaming: a 1 GiB CSV file uploaded to a loopback sink by roster
# and by curl (the baseline). Reports each one's throughput and peak memory
# (/usr/bin/time -v), and roster's peak above its idle size.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
size_mib=${SIZE_MIB:-1024}
file=target/bench-upload-${size_mib}MiB.csv
port=${PORT:-8099}
cargo build --release --quiet --example bench_upload
cargo build --release --quiet -p roster-emulator --example bench_sink

if [ ! -f "$file" ]; then
  python3 - "$file" "$size_mib" <<'PY'
import sys
path, mib = sys.argv[1], int(sys.argv[2])
row = "employee000000;Paris;Service Client;2025/09/18;FullDay;\"a comment; quoted\";false\r\n"
block = row * 8192
with open(path, "w", encoding="utf-8", newline="") as out:
    out.write("\ufefflogin;workLocationName;areaName;date;position;comment;isDeletion\r\n")
    written = 0
    while written < mib * 1048576:
        out.write(block)
        written += len(block)
PY
fi
bytes=$(stat -c %s "$file")

target/release/examples/bench_sink "$port" &
sink=$!
trap 'kill $sink 2>/dev/null || true' EXIT
for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done

url="http://127.0.0.1:$port"
measure() { # label, command...
  local label=$1; shift
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -v "$@" > /dev/null 2> "target/upload-$label.time"
  end=$(date +%s.%N)
  local rss
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "target/upload-$label.time")
  echo "$label $(echo "$end - $start" | bc) $rss"
}
runs=${RUNS:-5}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
read -r _ idle_s idle_kb < <(measure idle target/release/examples/bench_upload "$file" "$url" --idle)
: > target/upload-runs.txt
for _ in $(seq "$runs"); do  # alternate the two clients, same page cache
  measure roster target/release/examples/bench_upload "$file" "$url" >> target/upload-runs.txt
  measure curl curl -sS -o /dev/null -F "files=@$file;type=text/csv" \
    "$url/work-locations/public/api/imports/user-locations?create=false&overrideUserLocations=false" >> target/upload-runs.txt
done
roster_s=$(awk '$1 == "roster" { print $2 }' target/upload-runs.txt | median)
curl_s=$(awk '$1 == "curl" { print $2 }' target/upload-runs.txt | median)
roster_kb=$(awk '$1 == "roster" { print $3 }' target/upload-runs.txt | sort -n | tail -1)
curl_kb=$(awk '$1 == "curl" { print $3 }' target/upload-runs.txt | sort -n | tail -1)
echo "median of $runs runs each (peak RSS: the largest)"

mib=$(echo "scale=1; $bytes / 1048576" | bc)
echo "upload of $mib MiB to a loopback sink"
printf '%-8s %10s %12s %14s\n' "client" "seconds" "MiB/s" "peak RSS MiB"
printf '%-8s %10.2f %12.1f %14.1f\n' roster "$roster_s" "$(echo "$mib / $roster_s" | bc -l)" "$(echo "$roster_kb / 1024" | bc -l)"
printf '%-8s %10.2f %12.1f %14.1f\n' curl "$curl_s" "$(echo "$mib / $curl_s" | bc -l)" "$(echo "$curl_kb / 1024" | bc -l)"
echo "roster idle RSS: $(echo "scale=1; $idle_kb / 1024" | bc) MiB; peak above idle: $(echo "scale=1; ($roster_kb - $idle_kb) / 1024" | bc) MiB (target < 64)"
echo "throughput ratio roster/curl: $(echo "scale=3; $curl_s / $roster_s" | bc) (target >= 1.0)"
