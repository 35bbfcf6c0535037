#!/usr/bin/env bash
# Benchmark: lantian serve + lantian simulate on loopback, this machine.
# Usage: tools/bench-serve.sh DEVICES SECONDS [sqlite|postgres] [ambient|cems] [idle]
# Prints the simulator's JSON summary and the server's peak RSS.
# PostgreSQL uses LANTIAN_BENCH_PG (default postgres://root@127.0.0.1:5432/test)
# and a fresh database lantian_bench.
# LANTIAN_BENCH_PROTOCOL=2025 plays HJ 212-2025 devices; LANTIAN_BENCH_ENCRYPT=1
# adds SM4-encrypted CP bodies (keys sealed with a throw-away master key).
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-100}; secs=${2:-30}; backend=${3:-sqlite}; kind=${4:-cems}; mode=${5:-load}
cargo build --release -q -p lantian
bin=$PWD/target/release/lantian
dir=$(mktemp -d)
trap 'kill $srv 2>/dev/null || true; rm -rf "$dir"' EXIT
if [ "$backend" = postgres ]; then
  admin=${LANTIAN_BENCH_PG:-postgres://root@127.0.0.1:5432/test}
  psql "$admin" -q -c "DROP DATABASE IF EXISTS lantian_bench WITH (FORCE)" -c "CREATE DATABASE lantian_bench"
  db="${admin%/*}/lantian_bench"
else
  db="sqlite://$dir/bench.db"
fi
proto=()
if [ -n "${LANTIAN_BENCH_PROTOCOL:-}" ]; then proto=(--protocol "$LANTIAN_BENCH_PROTOCOL"); fi
if [ -n "${LANTIAN_BENCH_ENCRYPT:-}" ]; then proto+=(--encrypt); fi
export LANTIAN_MASTER_KEY=${LANTIAN_MASTER_KEY:-000102030405060708090a0b0c0d0e0f}
"$bin" simulate --kind "$kind" --devices "$devices" "${proto[@]}" --write-devices "$dir/dev.csv" 2>/dev/null
"$bin" device import --database "$db" "$dir/dev.csv" >/dev/null
LANTIAN_LOG=warn "$bin" serve --database "$db" --hj212 127.0.0.1:29212 --http 127.0.0.1:28080 2>"$dir/serve.log" &
srv=$!
sleep 1; echo $srv > /tmp/bench-serve.pid
if [ "$mode" = idle ]; then
  "$bin" simulate --target 127.0.0.1:29212 --devices "$devices" --duration "$secs" --idle
else
  "$bin" simulate --target 127.0.0.1:29212 --kind "$kind" --devices "$devices" "${proto[@]}" --duration "$secs" ${LANTIAN_BENCH_RATE:+--rate $LANTIAN_BENCH_RATE}
fi
echo "server peak RSS: $(grep VmHWM /proc/$srv/status | awk '{printf "%.1f MB", $2/1024}')"
curl -s 127.0.0.1:28080/metrics | grep -E '^lantian_(values_stored_total|commit_seconds_count|commit_seconds_sum|connections_open) '
