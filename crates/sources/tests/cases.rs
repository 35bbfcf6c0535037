//! The rules as data: every file in `tests/cases/` holds input rows beside
//! the alarms they must (and only they must) raise. A case is read through
//! the same parsers as `lantian sources check`, so a case is also a test of
//! the file formats.
//!
//! Sections of a `.case` file (lines starting `#` are comments):
//! - `[settings]` — `key=value` lines for `Settings` / `PowerSettings`.
//! - `[limits]` — LIMITS.csv as the check reads it.
//! - `[data]` — DATA.csv rows (header included).
//! - `[series]` — `outlet code start v v v …`: consecutive hours from the
//!   hour labelled `start` (`2026-01-05T01:00`); a token is `value` (flag N),
//!   `F:value` (flag F, `:value` an empty flag), `value@zs` (the device's
//!   corrected value), `_` (no row). Expanded into DATA rows.
//! - `[meters]` — `meter,role,rated_kw`; `[samples]` — `meter start step_min kw kw …`
//!   (one line per run of samples); `catering=true` in settings picks the
//!   catering rule.
//! - `[expect]` — `kind,outlet,code,start,end,hours[,max]` for data rules,
//!   `kind,meters,power,start,end,<minutes>min` for the interlocks.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{Duration, NaiveDateTime};
use lantian_sources::check::{self, parse_label};
use lantian_sources::judge::{Settings, fmt_label};
use lantian_sources::num::Fixed;
use lantian_sources::power::{self, Meter, MeterRole, PowerSettings};

#[derive(Default)]
struct Case {
    sections: BTreeMap<String, Vec<String>>,
}

fn read(text: &str) -> Case {
    let mut c = Case::default();
    let mut at = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if t.starts_with('[') && t.ends_with(']') {
            at = t[1..t.len() - 1].to_string();
            c.sections.entry(at.clone()).or_default();
            continue;
        }
        c.sections
            .entry(at.clone())
            .or_default()
            .push(t.to_string());
    }
    c
}

fn label(s: &str) -> NaiveDateTime {
    parse_label(s).unwrap_or_else(|| panic!("bad time {s}"))
}

fn expand_series(lines: &[String]) -> String {
    let mut out = String::from("outlet,time,code,value,flag,zs\n");
    for l in lines {
        let mut it = l.split_whitespace();
        let (outlet, code, start) = (
            it.next().unwrap(),
            it.next().unwrap(),
            label(it.next().unwrap()),
        );
        for (i, tok) in it.enumerate() {
            let t = start + Duration::hours(i as i64);
            if tok == "_" {
                continue;
            }
            let (flag, rest) = match tok.split_once(':') {
                Some((f, r)) => (f, r),
                None => ("N", tok),
            };
            let (value, zs) = rest.split_once('@').unwrap_or((rest, ""));
            writeln!(out, "{outlet},{},{code},{value},{flag},{zs}", fmt_label(t)).unwrap();
        }
    }
    out
}

fn run(name: &str, text: &str) -> (Vec<String>, Vec<String>) {
    let c = read(text);
    let get = |k: &str| c.sections.get(k).cloned().unwrap_or_default();
    let mut s = Settings::default();
    let mut ps = PowerSettings::default();
    let mut catering = false;
    for kv in get("settings") {
        let (k, v) = kv
            .split_once('=')
            .unwrap_or_else(|| panic!("{name}: setting {kv}"));
        if k.trim() == "catering" {
            catering = v.trim() == "true";
        } else if s.set(k, v).is_err() {
            ps.set(k, v).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
    let mut got = Vec::new();
    let mut data_text = String::new();
    if c.sections.contains_key("data") {
        data_text = get("data").join("\n");
    }
    if c.sections.contains_key("series") {
        assert!(data_text.is_empty(), "{name}: both [data] and [series]");
        data_text = expand_series(&get("series"));
    }
    if !data_text.is_empty() {
        let limits_text = get("limits").join("\n");
        let (limits, issues) = check::read_limits(
            "limits",
            if limits_text.is_empty() {
                "outlet,code,limit"
            } else {
                &limits_text
            },
        );
        assert!(issues.is_empty(), "{name}: {issues:?}");
        let mut data = check::read_data("data", data_text.as_bytes(), 2);
        for i in &data.issues {
            got.push(format!("issue,{},{}", i.line, i.reason));
        }
        let r = check::check(&mut data, &limits, &s, 2);
        for e in r.exceedances {
            got.push(format!(
                "exceedance,{},{},{},{},{},{}",
                e.outlet,
                e.code,
                e.start,
                e.end,
                e.hours,
                e.max.unwrap_or_default()
            ));
        }
        for a in r.anomalies {
            got.push(format!(
                "{},{},{},{},{},{}",
                a.kind, a.outlet, a.code, a.start, a.end, a.hours
            ));
        }
    }
    if c.sections.contains_key("meters") {
        let window = if catering {
            ps.catering_window_minutes
        } else {
            ps.window_minutes
        };
        let mut samples: BTreeMap<String, Vec<(NaiveDateTime, Fixed)>> = BTreeMap::new();
        for l in get("samples") {
            let mut it = l.split_whitespace();
            let (m, start, step) = (
                it.next().unwrap(),
                label(it.next().unwrap()),
                it.next().unwrap().parse::<i64>().unwrap(),
            );
            for (i, kw) in it.enumerate() {
                samples.entry(m.to_string()).or_default().push((
                    start + Duration::minutes(step * i as i64),
                    Fixed::parse(kw).unwrap(),
                ));
            }
        }
        let meters: Vec<Meter> = get("meters")
            .iter()
            .map(|l| {
                let f: Vec<&str> = l.split(',').map(str::trim).collect();
                Meter {
                    name: f[0].to_string(),
                    role: MeterRole::parse(f[1]).unwrap(),
                    rated_kw: Fixed::parse(f[2]).unwrap(),
                    windows: power::windows(
                        samples.get(f[0]).map_or(&[][..], |v| v.as_slice()),
                        window,
                    ),
                }
            })
            .collect();
        for e in power::judge(&meters, &ps, catering) {
            got.push(format!(
                "{},meters,power,{},{},{}min",
                e.rule.name(),
                fmt_label(e.start),
                fmt_label(e.end),
                e.minutes
            ));
        }
    }
    got.sort();
    let mut want = get("expect");
    want.sort();
    (got, want)
}

#[test]
fn every_case_raises_exactly_its_alarms() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "case"))
        .collect();
    files.sort();
    assert!(files.len() >= 15, "the cases are missing");
    let mut failures = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let (got, want) = run(&name, &std::fs::read_to_string(f).unwrap());
        if got != want {
            failures.push(format!(
                "{name}:\n  got:\n    {}\n  want:\n    {}",
                got.join("\n    "),
                want.join("\n    ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every rule and every flag appears in some case (so a new rule or flag
/// cannot land without its case).
#[test]
fn the_cases_cover_every_rule_and_flag() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut all = String::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        all.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
    let expects: String = all.split("[expect]").skip(1).collect::<Vec<_>>().join("\n");
    // Silent and feed_lag are judged by `freshness` from a device's last
    // activity, not from an outlet's hours: its unit tests are their cases.
    for r in lantian_sources::Rule::ALL.into_iter().filter(|r| {
        !matches!(
            r,
            lantian_sources::Rule::Silent | lantian_sources::Rule::FeedLag
        )
    }) {
        assert!(
            expects.contains(&format!("{},", r.name())),
            "no case expects rule {}",
            r.name()
        );
    }
    for (flag, _, _) in lantian_sources::flags::FLAGS {
        let l = flag.letter();
        // R is a review mark (数据审核), never sent: its case is the unit
        // test of `Hours::mark_reviewed` and the API's review test.
        if l.is_empty() || l == "?" || *flag == lantian_sources::flags::Flag::Reviewed {
            continue;
        }
        assert!(
            all.contains(&format!(" {l}:")) || all.contains(&format!(",{l},")),
            "no case sends flag {l}"
        );
    }
    assert!(all.contains(" X:"), "no case sends an unknown flag");
}
