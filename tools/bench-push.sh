#!/usr/bin/env bash
# Benchmark: POST /api/v1/observations on loopback, this machine.
# Usage: tools/bench-push.sh [STATIONS] [HOURS] [CLIENTS] [sqlite|postgres]
# Registers STATIONS sites, then CLIENTS parallel clients push CSV bodies of
# one station-day each (24 hours × 6 pollutants = 144 values; 50 days per
# body = 7,200 values) until HOURS hours of every station are in. Prints
# values/s stored (wall clock, from the first request to the last answer)
# and the server's /metrics counters.
set -euo pipefail
cd "$(dirname "$0")/.."
stations=${1:-12}; hours=${2:-8760}; clients=${3:-4}; backend=${4:-sqlite}
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
for i in $(seq 1 "$stations"); do
  "$bin" device add --database "$db" --mn "$(printf 'BENCH%09d' "$i")" --password 123456 \
    --site "$(printf 'P%03d' "$i")" --kind ambient >/dev/null
done
"$bin" user add --database "$db" bench --role bureau --password 'a long password' >/dev/null
token=$("$bin" user token --database "$db" bench | grep -o 'lt_[A-Za-z0-9_-]*' | head -1)
LANTIAN_LOG=warn "$bin" serve --database "$db" --hj212 127.0.0.1:29213 --http 127.0.0.1:28081 \
  2>"$dir/serve.log" &
srv=$!
sleep 2
python3 - "$stations" "$hours" "$clients" "$token" <<'PY'
import sys, time, threading, http.client, datetime, json
stations, hours, clients, token = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
t0 = datetime.datetime(2024, 1, 1, 1)
per_body = 50 * 24
bodies = []
for s in range(1, stations + 1):
    for h0 in range(0, hours, per_body):
        rows = ["station,time,pollutant,value"]
        for h in range(h0, min(h0 + per_body, hours)):
            t = (t0 + datetime.timedelta(hours=h)).strftime("%Y-%m-%d %H:%M")
            for p, v in (("SO2", 7), ("NO2", 31), ("CO", "0.8"), ("O3", 60), ("PM10", 70), ("PM2.5", 35 + h % 40)):
                rows.append(f"P{s:03d},{t},{p},{v}")
        bodies.append("\n".join(rows).encode())
stored = [0]
lock = threading.Lock()
def work(mine):
    c = http.client.HTTPConnection("127.0.0.1", 28081)
    for b in mine:
        c.request("POST", "/api/v1/observations", body=b,
                  headers={"Authorization": "Bearer " + token, "Content-Type": "text/csv"})
        r = c.getresponse(); a = json.loads(r.read())
        assert r.status == 200, a
        with lock: stored[0] += a["stored"]
start = time.time()
ts = [threading.Thread(target=work, args=(bodies[i::clients],)) for i in range(clients)]
for t in ts: t.start()
for t in ts: t.join()
el = time.time() - start
print(json.dumps({"bodies": len(bodies), "stored": stored[0], "seconds": round(el, 2), "values_per_s": round(stored[0] / el)}))
PY
echo "server peak RSS: $(grep VmHWM /proc/$srv/status | awk '{printf "%.1f MB", $2/1024}')"
curl -s 127.0.0.1:28081/metrics | grep -E '^lantian_push_'
