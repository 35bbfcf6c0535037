//! Every case of `fixtures/aqi-cases.tsv` (the reference pack's table) run
//! against the engine. A row this harness cannot interpret fails the test, so
//! no case is skipped silently.

use std::collections::BTreeMap;

use lantian_standards::Decimal;
use lantian_standards::aqi::{AqiResult, Inputs, Reading, Report, Standard, compute};
use lantian_standards::pollutant::{Indicator, Period};
use lantian_standards::rounding::gbt8170;
use lantian_standards::stats::percentile;
use lantian_standards::validity::{self, DayHours};

const TSV: &str = include_str!("fixtures/aqi-cases.tsv");

fn d(s: &str) -> Decimal {
    s.trim()
        .parse()
        .unwrap_or_else(|e| panic!("bad decimal `{s}`: {e}"))
}

struct Case<'a> {
    id: &'a str,
    kind: &'a str,
    inputs: &'a str,
    expected: &'a str,
}

fn cases() -> Vec<Case<'static>> {
    TSV.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert!(f.len() >= 4, "short row: {l}");
            Case {
                id: f[0],
                kind: f[1],
                inputs: f[2],
                expected: f[3],
            }
        })
        .collect()
}

/// `k=v` pairs of a `;`-separated field (values may hold spaces).
fn pairs(s: &str) -> Vec<(String, String)> {
    s.split(';')
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

fn standard(s: &str) -> Standard {
    s.parse().unwrap_or_else(|_| panic!("standard {s}"))
}

/// Inputs of an `iaqi`/`aqi` row; `raw=` values are given unrounded.
fn inputs_of(pairs: &[(String, String)]) -> (Standard, Option<Report>, Inputs, Vec<Indicator>) {
    let mut std = None;
    let mut report = None;
    let mut inputs = Inputs::new();
    let mut order = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "std" => std = Some(standard(v)),
            "report" => report = Some(v.parse().unwrap()),
            _ => {
                // "PM2.5_24h raw" → key PM2.5_24h; the value may carry a comment.
                let key = k.split_whitespace().next().unwrap();
                let ind: Indicator = key.parse().unwrap_or_else(|e| panic!("{e}"));
                let val = v.split_whitespace().next().unwrap();
                let reading = if val == "missing" {
                    Reading::Missing
                } else {
                    Reading::Value(d(val))
                };
                inputs.set(ind, reading);
                order.push(ind);
            }
        }
    }
    (std.expect("std="), report, inputs, order)
}

/// The IAQI of the pollutant of `ind`: the maximum of that pollutant's
/// indicators (2012 reports O3 through its 1-h IAQI when the 8-h is > 800).
fn pollutant_iaqi(r: &AqiResult, ind: Indicator) -> Option<u16> {
    r.iaqi
        .iter()
        .filter(|(i, _)| i.pollutant == ind.pollutant)
        .filter_map(|(_, v)| *v)
        .max()
}

fn check_iaqi(c: &Case) {
    let (std, _, inputs, order) = inputs_of(&pairs(c.inputs));
    let first = order[0];
    let report = if first.period == Period::Hour1 {
        Report::Hourly
    } else {
        Report::Daily
    };
    let r = compute(std, report, &inputs);
    let exp = pairs(c.expected);
    if c.expected.starts_with("IAQI undefined") {
        assert_eq!(pollutant_iaqi(&r, first), None, "{}: {:?}", c.id, r);
        assert!(
            r.missing.contains(&first),
            "{}: SO2 counts as missing",
            c.id
        );
        return;
    }
    for (k, v) in &exp {
        match k.as_str() {
            "IAQI" => {
                let want: u16 = v.parse().unwrap();
                assert_eq!(
                    pollutant_iaqi(&r, first),
                    Some(want),
                    "{}: {}",
                    c.id,
                    c.inputs
                );
            }
            "rounded" => {
                let Some(Reading::Value(raw)) = inputs.get(first) else {
                    panic!()
                };
                assert_eq!(gbt8170(raw, first.pollutant.report_dp()), d(v), "{}", c.id);
            }
            other => panic!("{}: unknown expectation {other}", c.id),
        }
    }
}

fn parse_iaqi_map(s: &str) -> BTreeMap<String, Option<u16>> {
    let inner = s
        .trim()
        .strip_prefix("IAQI{")
        .and_then(|x| x.strip_suffix('}'))
        .unwrap();
    inner
        .split(',')
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            (k.trim().to_string(), v.trim().parse().ok())
        })
        .collect()
}

fn check_aqi(c: &Case) {
    let (std, report, inputs, _) = inputs_of(&pairs(c.inputs));
    let r = compute(std, report.expect("report="), &inputs);
    for part in c.expected.split("; ") {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("AQI=") {
            assert_eq!(r.aqi, Some(v.parse().unwrap()), "{}: {:?}", c.id, r);
        } else if let Some(v) = part.strip_prefix("level=") {
            let mut it = v.split_whitespace();
            let n: u8 = it.next().unwrap().parse().unwrap();
            let cat = it.next().unwrap();
            let colour = it.next().unwrap();
            let lv = r.level.expect("level");
            assert_eq!(lv.number(), n, "{}", c.id);
            assert_eq!(lv.category_zh(), cat, "{}", c.id);
            assert!(
                lv.colour_zh().starts_with(colour),
                "{}: {}",
                c.id,
                lv.colour_zh()
            );
        } else if let Some(v) = part.strip_prefix("primary=") {
            let got: Vec<String> = r.primary.iter().map(|i| i.key()).collect();
            let want: Vec<String> = if v == "none" {
                vec![]
            } else {
                v.split('+').map(String::from).collect()
            };
            assert_eq!(got, want, "{}", c.id);
        } else if part.starts_with("IAQI{") {
            for (k, want) in parse_iaqi_map(part) {
                let ind: Indicator = k.parse().unwrap();
                assert_eq!(r.iaqi_of(ind), want, "{}: {k}", c.id);
            }
        } else if part.starts_with("publish AQI") {
            assert!(r.aqi.is_some() && !r.missing.is_empty(), "{}", c.id);
        } else {
            panic!("{}: unknown expectation `{part}`", c.id);
        }
    }
}

fn check_percentile(c: &Case) {
    let kv = pairs(c.inputs);
    let get = |k: &str| {
        kv.iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let p: u32 = get("p").parse().unwrap();
    let n: usize = get("n").parse().unwrap();
    let values = get("values");
    let values = values.split(" (").next().unwrap().to_string();
    let mut v: Vec<Decimal> = if let Some((a, b)) = values.split_once("..") {
        (a.parse::<i64>().unwrap()..=b.parse::<i64>().unwrap())
            .map(Decimal::from)
            .collect()
    } else {
        values.trim_matches(['[', ']']).split(',').map(d).collect()
    };
    assert_eq!(v.len(), n, "{}", c.id);
    let m = percentile(&mut v, p).unwrap();
    for (k, val) in pairs(c.expected) {
        match k.as_str() {
            "k" => {
                let k_exact = Decimal::ONE
                    + Decimal::from(n as u64 - 1) * Decimal::from(p) / Decimal::ONE_HUNDRED;
                assert_eq!(k_exact, d(&val), "{}", c.id);
            }
            "m_p" => {
                let exact = val.split("(=").nth(1).unwrap().trim_end_matches(')');
                assert_eq!(m, d(exact), "{}", c.id);
            }
            // The case states the reporting precision by its own digits.
            "reported" => assert_eq!(gbt8170(m, d(&val).scale()), d(&val), "{}", c.id),
            other => panic!("{}: unknown {other}", c.id),
        }
    }
}

fn number_before(s: &str, marker: &str) -> u32 {
    let head = &s[..s
        .find(marker)
        .unwrap_or_else(|| panic!("`{marker}` in `{s}`"))];
    head.split_whitespace().last().unwrap().parse().unwrap()
}

fn check_validity(c: &Case) {
    let s = c.inputs;
    let expect_valid = c.expected.starts_with("valid");
    let got_valid = if s.starts_with("hourly value") {
        validity::hour_is_valid(number_before(s, " min"))
    } else if s.starts_with("daily mean") {
        let n = number_before(s, " valid hourly");
        let mut h: DayHours = [None; 24];
        for slot in h.iter_mut().take(n as usize) {
            *slot = Some(Decimal::TEN);
        }
        validity::daily_mean(&h, 0).value.is_some()
    } else if s.starts_with("O3 8h moving") {
        let n = number_before(s, " valid hours");
        let mut h: DayHours = [None; 24];
        for slot in h.iter_mut().skip(8 - n as usize).take(n as usize) {
            *slot = Some(Decimal::TEN);
        }
        validity::eight_hour_means(None, &h)[7].is_some()
    } else if s.starts_with("O3 MDA8") {
        let windows = number_before(s, " valid 8h");
        let max = d(s
            .rsplit("max=")
            .next()
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap());
        // Hours 0..windows+5 valid at `max`: windows ending 08:00… have ≥ 6
        // valid hours exactly `windows` times.
        let mut h: DayHours = [None; 24];
        for slot in h.iter_mut().take(windows as usize + 5) {
            *slot = Some(max);
        }
        let r = validity::mda8(&h, Decimal::from(160));
        assert_eq!(r.n as u32, windows, "{}", c.id);
        if expect_valid {
            let want = c.expected.split("MDA8=").nth(1).unwrap();
            let want = want.split(|ch: char| !ch.is_ascii_digit()).next().unwrap();
            assert_eq!(r.value, Some(d(want)), "{}", c.id);
        }
        r.value.is_some()
    } else if s.starts_with("annual mean") {
        let n = number_before(s, " valid daily");
        n >= validity::MIN_DAYS_PER_YEAR
    } else if s.starts_with("monthly mean") {
        let n = number_before(s, " valid daily");
        let month = if s.contains("(Feb)") { 2 } else { 4 };
        n >= validity::min_days_in_month(month)
    } else if s.starts_with("HJ633-2026 daily report") {
        // PM2.5 invalid; the other pollutants give the AQI stated.
        let pm10 = if s.contains("AQI 45") { "45" } else { "260" };
        let inputs = Inputs::new()
            .with("PM2.5_24h".parse().unwrap(), Reading::Missing)
            .with("PM10_24h".parse().unwrap(), Reading::Value(d(pm10)))
            .with("SO2_24h".parse().unwrap(), Reading::Value(d("5")))
            .with("NO2_24h".parse().unwrap(), Reading::Value(d("20")))
            .with("CO_24h".parse().unwrap(), Reading::Value(d("0.5")))
            .with("O3_8h".parse().unwrap(), Reading::Value(d("60")));
        let r = compute(Standard::Hj633_2026, Report::Daily, &inputs);
        if c.expected.starts_with("AQI=NA") {
            assert_eq!(r.max_iaqi, Some(45), "{}", c.id);
            assert_eq!(r.aqi, None, "{}", c.id);
            assert!(r.iaqi_of("PM10_24h".parse().unwrap()).is_some());
            return;
        }
        assert_eq!(r.aqi, Some(155), "{}", c.id);
        assert_eq!(r.primary, vec!["PM10_24h".parse::<Indicator>().unwrap()]);
        return;
    } else {
        panic!("{}: no interpretation for `{s}`", c.id);
    };
    assert_eq!(got_valid, expect_valid, "{}: {s}", c.id);
}

#[test]
fn every_reference_case() {
    let all = cases();
    assert_eq!(all.len(), 85, "the fixture holds 85 cases");
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &all {
        match c.kind {
            "iaqi" => check_iaqi(c),
            "aqi" => check_aqi(c),
            "percentile" => check_percentile(c),
            "validity" => check_validity(c),
            k => panic!("{}: unknown kind {k}", c.id),
        }
        *by_kind.entry(c.kind).or_default() += 1;
    }
    assert_eq!(
        by_kind["iaqi"] + by_kind["aqi"] + by_kind["percentile"] + by_kind["validity"],
        85
    );
}
