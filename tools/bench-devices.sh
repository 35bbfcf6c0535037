#!/usr/bin/env bash
# Benchmark: the device page's call (GET /api/v1/devices) on the demo's
# whole database (1.5 years of 12 stations preloaded, the stations
# replaying live every 5 s), at RATE requests/s (default 20) for SECONDS
# (30), while ingest goes on. Prints the latency percentiles and the
# acknowledgements ingest sent during the run.
# Usage: tools/bench-devices.sh [RATE] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-20}; secs=${2:-30}
cargo build --release -q -p lantian
cargo build --release -q -p lantian-server --example api_load
bin=$PWD/target/release/lantian
dir=$(mktemp -d)
trap 'kill $demo 2>/dev/null || true; rm -rf "$dir"' EXIT
db="sqlite://$dir/bench.db"
(cd "$dir" && exec "$bin" demo --database "$db" --http 127.0.0.1:28181 --hj212 127.0.0.1:29313 > demo.txt 2>&1) &
demo=$!
for i in $(seq 180); do
  curl -sf 127.0.0.1:28181/api/v1/public/now >/dev/null && break
  sleep 1
done
"$bin" user add bench --role bureau --password bench-password-1 --database "$db" >/dev/null
token=$("$bin" user token bench --database "$db" | awk '{print $NF}')
echo "one call: $(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $token" 127.0.0.1:28181/api/v1/devices) s"
acks() { curl -s 127.0.0.1:28181/metrics | awk '$1 == "lantian_replies_sent_total" {print $2}'; }
before=$(acks)
LANTIAN_LOAD_PATHS=/api/v1/devices target/release/examples/api_load 127.0.0.1:28181 "$token" "$rate" "$secs" 4
echo "acknowledgements during the run: $(( $(acks) - before ))"
