#!/usr/bin/env bash
# Benchmark: the dashboard's API under load, and what the overview page weighs.
# Usage: tools/bench-api.sh [RATE] [SECONDS]
# Starts `lantian demo` with the Beijing sample's 2015 loaded (one year of 12
# stations; no live replay during the run), issues a bureau API token, runs
# the api_load example at RATE requests/s (default 200) for SECONDS (60),
# then measures the gzip bytes of everything the overview page downloads.
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-200}; secs=${2:-60}
cargo build --release -q -p lantian
cargo build --release -q -p lantian-server --example api_load
bin=$PWD/target/release/lantian
dir=$(mktemp -d)
trap 'kill $demo 2>/dev/null || true; rm -rf "$dir"' EXIT
db="sqlite://$dir/bench.db"
(cd "$dir" && exec "$bin" demo --database "$db" --http 127.0.0.1:28180 --hj212 127.0.0.1:29312 \
  --live-from 2016-01-01 --every 3600 > demo.txt 2>&1) &
demo=$!
for i in $(seq 120); do
  curl -sf 127.0.0.1:28180/api/v1/public/now >/dev/null && break
  sleep 1
done
"$bin" user add bench --role bureau --password bench-password-1 --database "$db" >/dev/null
token=$("$bin" user token bench --database "$db" | awk '{print $NF}')
echo "server RSS before: $(grep VmRSS /proc/$(pgrep -f "lantian demo --database $db")/status | awk '{printf "%.0f MB", $2/1024}')"
target/release/examples/api_load 127.0.0.1:28180 "$token" "$rate" "$secs"
echo "server peak RSS: $(grep VmHWM /proc/$(pgrep -f "lantian demo --database $db")/status | awk '{printf "%.0f MB", $2/1024}')"
# Everything the overview page downloads, as the browser gets it (gzip).
total=0
for p in / /app.css /vendor/echarts.min.js /vendor/lit-html.js /app.js /lib/api.js /lib/charts.js /lib/i18n.js /lib/ui.js \
    /pages/overview.js /pages/public.js /pages/targets.js /pages/station.js /pages/ranking.js /pages/devices.js /pages/login.js; do
  n=$(curl -s -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "127.0.0.1:28180$p")
  echo "  $p: $n bytes"; total=$((total + n))
done
for p in /api/v1/me /api/v1/overview /api/v1/public/boundary; do
  n=$(curl -s -H "Authorization: Bearer $token" -o /dev/null -w '%{size_download}' "127.0.0.1:28180$p")
  echo "  $p: $n bytes"; total=$((total + n))
done
echo "overview page total: $total bytes"
