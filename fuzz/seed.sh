#!/usr/bin/env bash
# Seeds the fuzz corpus with every reference vector (prefixed by a control
# byte 0: lenient mode, 4096 cap, no MODBUS, 7-byte reads) and every
# HJ 212-2025 vector (control byte 8: the same, with the SM4 test key).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/framer
python3 - <<'PY'
import csv
rows = list(csv.reader(open('../crates/hj212/tests/fixtures/hj212-vectors.tsv'), delimiter='\t'))
for r in rows[1:]:
    data = r[2].replace('\\r', '\r').replace('\\n', '\n').encode()
    open(f'corpus/framer/{r[0]}', 'wb').write(b'\x00' + data)
rows = list(csv.reader(open('../crates/hj212/tests/fixtures/hj212-2025-vectors.tsv'), delimiter='\t'))
for r in rows[1:]:
    data = r[2].replace('\\r', '\r').replace('\\n', '\n').encode()
    # control byte 8: lenient, 4096 cap, SM4 with the standard's test key
    open(f'corpus/framer/2025-{r[0]}', 'wb').write(b'\x08' + data)
PY
