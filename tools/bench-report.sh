#!/usr/bin/env bash
# Benchmark: making reports (model + PDF) from a year of 12 stations.
# Usage: tools/bench-report.sh [RUNS]
# Imports the committed Beijing sample (12 national stations, 2015–2016:
# two years, so the monthly report also has last year's month) into a
# fresh SQLite database with `lantian import`, then times `lantian report
# monthly --month 2016-05` and `lantian report annual --year 2015` as PDF
# and xlsx, each RUNS times (default 5): the whole command — reading the
# store, the assessment, the management sections, typesetting and writing.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cargo build --release -q -p lantian
bin=$PWD/target/release/lantian
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/data"
for f in crates/cli/demo/PRSA_Data_*_2015-2016.csv.gz; do
  gunzip -c "$f" > "$dir/data/$(basename "${f%.gz}")"
done
db="sqlite://$dir/bench.db"
"$bin" import --database "$db" "$dir/data" --quiet | tail -1
time_it() {
  local name=$1; shift
  local best=999999 all=""
  for i in $(seq "$runs"); do
    local t0 t1 ms
    t0=$(date +%s%N)
    "$bin" "$@" > /dev/null
    t1=$(date +%s%N)
    ms=$(( (t1 - t0) / 1000000 ))
    all="$all $ms"
    [ "$ms" -lt "$best" ] && best=$ms
  done
  echo "$name: best ${best} ms of $runs (all:$all ms)"
}
time_it "monthly 2016-05 pdf " report monthly --database "$db" --month 2016-05 --out "$dir/m.pdf"
time_it "monthly 2016-05 xlsx" report monthly --database "$db" --month 2016-05 --out "$dir/m.xlsx"
time_it "annual 2015 pdf     " report annual --database "$db" --year 2015 --out "$dir/a.pdf"
time_it "annual 2015 xlsx    " report annual --database "$db" --year 2015 --out "$dir/a.xlsx"
ls -l "$dir"/*.pdf "$dir"/*.xlsx | awk '{print "  " $NF ": " $5 " bytes"}'
