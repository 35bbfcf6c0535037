#!/usr/bin/env bash
# Seeds the fuzz corpus with every reference vector (prefixed by a control
# byte 0: lenient mode, 4096 cap, no MODBUS, 7-byte reads).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/framer
python3 - <<'PY'
import csv
rows = list(csv.reader(open('../crates/hj212/tests/fixtures/hj212-vectors.tsv'), delimiter='\t'))
for r in rows[1:]:
    data = r[2].replace('\\r', '\r').replace('\\n', '\n').encode()
    open(f'corpus/framer/{r[0]}', 'wb').write(b'\x00' + data)
PY
