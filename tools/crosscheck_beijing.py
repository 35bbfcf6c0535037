#!/usr/bin/env python3
"""Independent cross-check of `lantian assess` on UCI PRSA files.

Written apart from the Rust code, from the rules as the standards state them
(GB 3095 Table 4, HJ 663 percentiles, GB/T 8170 half-even), with Python's
`decimal` (no floats). Prints per-station annual figures that the Rust tests
assert. Usage: python3 tools/crosscheck_beijing.py FILE.csv [YEAR]
Hour convention: UCI `hour` H is taken as the hour starting at H (lantian's
default `--uci-hours start`).
"""
import csv
import sys
from collections import defaultdict
from decimal import Decimal, ROUND_HALF_EVEN

POLS = ["SO2", "NO2", "CO", "O3", "PM10", "PM2.5"]


def r(x, dp):
    return x.quantize(Decimal(1).scaleb(-dp), rounding=ROUND_HALF_EVEN)


def pct(vals, p):
    v = sorted(vals)
    n = len(v)
    k = 1 + Decimal(n - 1) * Decimal(p) / 100
    s = int(k)
    if s >= n:
        return v[-1]
    return v[s - 1] + (v[s] - v[s - 1]) * (k - s)


def main():
    path = sys.argv[1]
    year = int(sys.argv[2]) if len(sys.argv) > 2 else 2016
    days = defaultdict(lambda: {p: [None] * 24 for p in POLS})
    with open(path) as f:
        for row in csv.DictReader(f):
            if int(row["year"]) != year:
                continue
            key = (int(row["month"]), int(row["day"]))
            h = int(row["hour"])
            for p in POLS:
                v = row[p]
                if v != "NA":
                    d = Decimal(v)
                    if p == "CO":
                        d = d / 1000
                    days[key][p][h] = d
    daily = {p: [] for p in POLS}
    for key in sorted(days):
        for p in POLS:
            hrs = days[key][p]
            if p == "O3":
                n_win, best = 0, None
                for end in range(7, 24):
                    w = [x for x in hrs[end - 7 : end + 1] if x is not None]
                    if len(w) >= 6:
                        n_win += 1
                        m = sum(w) / len(w)
                        best = m if best is None or m > best else best
                if best is not None and (n_win >= 14 or r(best, 0) > 160):
                    daily[p].append(r(best, 0))
            else:
                vals = [x for x in hrs if x is not None]
                if len(vals) >= 20:
                    daily[p].append(r(sum(vals) / len(vals), 1 if p == "CO" else 0))
    perc = {"SO2": 98, "NO2": 98, "CO": 95, "O3": 90, "PM10": 95, "PM2.5": 95}
    for p in POLS:
        v = daily[p]
        dp = 1 if p == "CO" else 0
        mean = r(sum(v) / len(v), dp)
        print(f"{p}: valid_days={len(v)} mean={mean} p{perc[p]}={r(pct(v, perc[p]), dp)}")


if __name__ == "__main__":
    main()
