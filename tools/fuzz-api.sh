#!/usr/bin/env bash
# Fuzzing the HTTP API from its own OpenAPI description with schemathesis
# (PyPI): every operation, generated valid and invalid requests, as a bureau
# user (a token), checking for 5xx answers and answers that break the
# described status codes, content types and schemas. On `lantian demo`
# with a week of the sample loaded. Not part of CI; see BENCHMARKS.md.
# Usage: tools/fuzz-api.sh [SECONDS]    (pip install schemathesis first)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
cargo build --release -q -p lantian
bin=$PWD/target/release/lantian
dir=$(mktemp -d)
trap 'kill $demo 2>/dev/null || true; rm -rf "$dir"' EXIT
db="sqlite://$dir/fuzz.db"
(cd "$dir" && exec "$bin" demo --database "$db" --http 127.0.0.1:28182 --hj212 127.0.0.1:29314 \
  --live-from 2015-01-08 --every 2 > demo.txt 2>&1) &
demo=$!
for i in $(seq 120); do
  curl -sf 127.0.0.1:28182/api/v1/public/now >/dev/null && break
  sleep 1
done
"$bin" user add fuzz --role bureau --password fuzz-password-1 --database "$db" >/dev/null
token=$("$bin" user token fuzz --database "$db" | awk '{print $NF}')
schemathesis run http://127.0.0.1:28182/api/openapi.json \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-time "$secs" --workers 2 --suppress-health-check all \
  --exclude-path /api/v1/logout
