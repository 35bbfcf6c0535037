#!/usr/bin/env bash
# Benchmark: the dashboard's full rebuild from the database — what a node
# does at start — on the demo's database (12 stations × 18 months,
# 156,000 hourly uploads). Starts `lantian serve` RUNS times (default 5) on
# it and prints the time of each full read and evaluation, from its log
# line.
# Usage: tools/bench-rebuild.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cargo build --release -q -p lantian
bin=$PWD/target/release/lantian
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
db="sqlite://$dir/bench.db"
(cd "$dir" && "$bin" demo --database "$db" --http 127.0.0.1:0 --hj212 127.0.0.1:0 --duration 1 > /dev/null 2>&1)
for i in $(seq "$runs"); do
  LANTIAN_LOG=info "$bin" serve --database "$db" --hj212 127.0.0.1:0 --http 127.0.0.1:0 > "$dir/log" 2>&1 &
  pid=$!
  for t in $(seq 600); do
    grep -q 'built from the database' "$dir/log" && break
    sleep 0.1
  done
  kill $pid; wait $pid 2>/dev/null || true
  grep -m1 'built from the database' "$dir/log" | sed -E 's/.*(read_ms=[0-9]+ ms=[0-9]+ uploads=[0-9]+).*/\1/'
done
