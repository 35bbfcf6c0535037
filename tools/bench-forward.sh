#!/usr/bin/env bash
# Benchmark: forwarding up. A county `lantian serve` takes DEVICES simulated
# CEMS devices at RATE frames/s in total (default: as fast as acknowledged)
# for SECONDS and forwards every upload to a city `lantian serve` (both
# SQLite, loopback, this machine). Prints the simulator's summary, then the
# county's forwarding counters once the backlog is empty (or after 120 s of
# waiting), and how long the catch-up took after the devices stopped.
# Usage: tools/bench-forward.sh [DEVICES] [SECONDS] [RATE]
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-2000}; secs=${2:-60}; rate=${3:-}
cargo build --release -q -p lantian
bin=$PWD/target/release/lantian
dir=$(mktemp -d)
trap 'kill $county $city 2>/dev/null || true; rm -rf "$dir"' EXIT
"$bin" simulate --kind cems --devices "$devices" --write-devices "$dir/dev.csv" 2>/dev/null
"$bin" device import --database "sqlite://$dir/county.db" "$dir/dev.csv" >/dev/null
"$bin" device import --database "sqlite://$dir/city.db" "$dir/dev.csv" >/dev/null
cat > "$dir/county.toml" <<TOML
[[forward]]
name = "city"
target = "127.0.0.1:29312"
protocol = "2017"
devices = "*"
window = 256
TOML
LANTIAN_LOG=warn "$bin" serve --database "sqlite://$dir/city.db" --hj212 127.0.0.1:29312 --http 127.0.0.1:28180 2>"$dir/city.log" &
city=$!
LANTIAN_LOG=warn "$bin" serve --config "$dir/county.toml" --database "sqlite://$dir/county.db" --hj212 127.0.0.1:29212 --http 127.0.0.1:28080 2>"$dir/county.log" &
county=$!
sleep 1
"$bin" simulate --target 127.0.0.1:29212 --kind cems --devices "$devices" --duration "$secs" ${rate:+--rate $rate}
t0=$(date +%s.%N)
for _ in $(seq 1 1200); do
  backlog=$(curl -s 127.0.0.1:28080/metrics | awk '/^lantian_forward_backlog/ {print $2}')
  [ "${backlog:-1}" = 0 ] && break
  sleep 0.1
done
t1=$(date +%s.%N)
echo "catch-up after the devices stopped: $(echo "$t1 - $t0" | bc) s"
curl -s 127.0.0.1:28080/metrics | grep -E '^lantian_(uploads_stored_total|forward_[a-z_]+)'
echo "county peak RSS: $(grep VmHWM /proc/$county/status | awk '{printf "%.1f MB", $2/1024}')"
