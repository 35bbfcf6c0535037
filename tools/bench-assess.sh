#!/usr/bin/env bash
# Benchmark: `lantian assess` on the whole Beijing multi-site folder
# (12 stations × 35,064 hours × 6 pollutants, all years), wall time and peak
# memory over N runs. Needs ../shared/data (not in a fresh clone).
# Usage: tools/bench-assess.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${LANTIAN_BEIJING:-../shared/data/beijing-multisite-2013-2017}
[ -d "$data" ] || { echo "no data at $data (set LANTIAN_BEIJING)"; exit 1; }
runs=${1:-10}
cargo build --release -q -p lantian
bin=target/release/lantian
"$bin" assess --input "$data" --exclude Dingling --quiet >/dev/null   # warm the page cache
for i in $(seq "$runs"); do
  /usr/bin/time -f "%e %M" "$bin" assess --input "$data" --exclude Dingling --quiet 2>&1 >/dev/null | tail -1
done | awk '{w+=$1; if($1>mw)mw=$1; if(min==""||$1<min)min=$1; if($2>m)m=$2} END {printf "runs %d: wall mean %.3f s, min %.3f s, max %.3f s; peak RSS %.1f MB\n", NR, w/NR, min, mw, m/1024}'
