//! The offline check of a CEMS export (`lantian sources check`): the same
//! rules as the live judging, over files.
//!
//! - DATA: `outlet,time,code,value,flag` — hourly means; `time` the end of
//!   the hour in Beijing time (`2026-01-05 03:00`; `24:00` and a `T` or
//!   seconds accepted); HJ 212-2017 codes (O2 `a19001`); `flag` as sent
//!   (empty = N). A column `zs` (the device's corrected value) is read when
//!   present.
//! - LIMITS: `outlet,code,limit,ref_o2` (mg/m³, %; empty `ref_o2`: judged
//!   on the measured concentration), optional `averaging` (hour|day),
//!   `from`, `to`, `standard`, `clause`.
//!
//! `missing` is judged inside the file's span (its first to its last
//! hour, over every outlet). A row that cannot be read is reported with its
//! line and reason, and the rest is judged.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use crate::flags::Flag;
use crate::judge::{self, Event, Hours, Rule, Settings, fmt_label, slot_of};
use crate::limits::{Averaging, Limit};
use crate::num::Fixed;

/// A row that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Issue {
    pub file: String,
    pub line: u64,
    pub reason: String,
}

/// Parsed data: each outlet's hours and the file's span.
#[derive(Debug, Default)]
pub struct Data {
    pub outlets: BTreeMap<String, Hours>,
    pub span: Option<(i64, i64)>,
    pub rows: u64,
    pub issues: Vec<Issue>,
}

/// A time label: `YYYY-MM-DD HH:MM[:SS]` (or `T`), `24:00` allowed.
pub fn parse_label(s: &str) -> Option<NaiveDateTime> {
    let b = s.trim().as_bytes();
    if b.len() < 16
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b' ' || b[10] == b'T')
        || b[13] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let mut n = 0u32;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            n = n * 10 + u32::from(c - b'0');
        }
        Some(n)
    };
    let (y, m, d, h, mi) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
    );
    let date = chrono::NaiveDate::from_ymd_opt(y as i32, m, d)?;
    match (h, mi) {
        (24, 0) => date.succ_opt()?.and_hms_opt(0, 0, 0),
        (h, mi) if h < 24 && mi < 60 => date.and_hms_opt(h, mi, 0),
        _ => None,
    }
}

/// Columns of a header line.
struct Cols {
    outlet: usize,
    time: usize,
    code: usize,
    value: usize,
    flag: Option<usize>,
    zs: Option<usize>,
}

fn header(line: &str) -> Result<Cols, String> {
    let names: Vec<String> = line
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .collect();
    let at = |n: &str| names.iter().position(|x| x == n);
    let need = |n: &str| {
        at(n).ok_or_else(|| format!("the header has no `{n}` column (outlet,time,code,value,flag)"))
    };
    Ok(Cols {
        outlet: need("outlet")?,
        time: need("time")?,
        code: need("code")?,
        value: need("value")?,
        flag: at("flag"),
        zs: at("zs"),
    })
}

/// Reads DATA from `bytes` (in parallel on `threads` cores).
pub fn read_data(file: &str, bytes: &[u8], threads: usize) -> Data {
    let text_end = bytes.len();
    let first_nl = memchr::memchr(b'\n', bytes).unwrap_or(text_end);
    let head = String::from_utf8_lossy(&bytes[..first_nl]).to_string();
    let cols = match header(&head) {
        Ok(c) => c,
        Err(reason) => {
            return Data {
                issues: vec![Issue {
                    file: file.into(),
                    line: 1,
                    reason,
                }],
                ..Data::default()
            };
        }
    };
    // Chunks at line boundaries; each is read on its own thread.
    let body = &bytes[(first_nl + 1).min(text_end)..];
    let threads = threads.max(1);
    let mut cuts = vec![0usize];
    for k in 1..threads {
        let at = body.len() * k / threads;
        let at =
            memchr::memchr(b'\n', &body[at.min(body.len())..]).map_or(body.len(), |p| at + p + 1);
        if at > *cuts.last().unwrap_or(&0) && at < body.len() {
            cuts.push(at);
        }
    }
    cuts.push(body.len());
    // Line numbers of each chunk's first line.
    let chunks: Vec<(&[u8], u64)> = {
        let mut out = Vec::new();
        let mut line = 2u64;
        for w in cuts.windows(2) {
            let c = &body[w[0]..w[1]];
            out.push((c, line));
            line += memchr::memchr_iter(b'\n', c).count() as u64;
        }
        out
    };
    let parts: Vec<Data> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|(c, line)| s.spawn(|| read_chunk(file, c, *line, &cols)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    merge(parts)
}

fn read_chunk(file: &str, chunk: &[u8], first_line: u64, cols: &Cols) -> Data {
    let mut d = Data::default();
    let mut fields: Vec<&str> = Vec::with_capacity(8);
    // The last outlet's hours, to skip the map lookup on runs of one outlet.
    let mut last: Option<(String, Hours)> = None;
    for (this, raw) in (first_line..).zip(chunk.split(|b| *b == b'\n')) {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.is_empty() {
            continue;
        }
        d.rows += 1;
        let Ok(line) = std::str::from_utf8(raw) else {
            d.issues.push(Issue {
                file: file.into(),
                line: this,
                reason: "not UTF-8".into(),
            });
            continue;
        };
        if line.contains('"') {
            d.issues.push(Issue {
                file: file.into(),
                line: this,
                reason: "quoted fields are not read: write the file without quotes".into(),
            });
            continue;
        }
        fields.clear();
        fields.extend(line.split(','));
        let get = |i: usize| fields.get(i).map_or("", |s| s.trim());
        let bad = |reason: String| Issue {
            file: file.into(),
            line: this,
            reason,
        };
        let outlet = get(cols.outlet);
        if outlet.is_empty() {
            d.issues.push(bad("empty outlet".into()));
            continue;
        }
        let Some(t) = parse_label(get(cols.time)) else {
            d.issues.push(bad(format!(
                "time `{}`: expected YYYY-MM-DD HH:MM (the end of the hour)",
                get(cols.time)
            )));
            continue;
        };
        let code = get(cols.code);
        if code.is_empty() {
            d.issues.push(bad("empty code".into()));
            continue;
        }
        let flag = cols.flag.map_or(Flag::N, |i| Flag::parse(get(i)));
        let value = match (get(cols.value), flag) {
            ("", Flag::N) => {
                d.issues
                    .push(bad(format!("{code}: an hour flagged N without a value")));
                continue;
            }
            ("", _) => Fixed::ZERO,
            (v, _) => match Fixed::parse(v) {
                Some(x) => x,
                None => {
                    d.issues
                        .push(bad(format!("{code}: value `{v}` is not a number")));
                    continue;
                }
            },
        };
        let slot = slot_of(t);
        let hours = match &mut last {
            Some((name, h)) if name == outlet => h,
            _ => {
                if let Some((name, h)) = last.take() {
                    d.outlets.insert(name, h);
                }
                let h = d.outlets.remove(outlet).unwrap_or_default();
                last = Some((outlet.to_string(), h));
                match &mut last {
                    Some((_, h)) => h,
                    None => continue,
                }
            }
        };
        if !hours.set(code, slot, value, flag) {
            d.issues.push(bad(format!(
                "{outlet} {code} {}: a second row for the hour (the first is kept)",
                get(cols.time)
            )));
            continue;
        }
        if let Some(zs) = cols.zs.and_then(|i| Fixed::parse(get(i))) {
            hours.set_zs(code, slot, zs);
        }
        d.span = Some(match d.span {
            None => (slot, slot),
            Some((a, b)) => (a.min(slot), b.max(slot)),
        });
    }
    if let Some((name, h)) = last {
        d.outlets.insert(name, h);
    }
    d
}

/// Merges the chunks in file order (the first row of an hour is kept).
fn merge(parts: Vec<Data>) -> Data {
    let mut out = Data::default();
    for p in parts {
        out.rows += p.rows;
        out.issues.extend(p.issues);
        out.span = match (out.span, p.span) {
            (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
            (x, None) | (None, x) => x,
        };
        for (name, h) in p.outlets {
            match out.outlets.get_mut(&name) {
                None => {
                    out.outlets.insert(name, h);
                }
                Some(into) => {
                    for (code, col) in &h.codes {
                        for i in 0..h.len {
                            if col.flags[i].is_present() {
                                let slot = h.start + i as i64;
                                into.set(code, slot, col.val(i), col.flags[i]);
                                if let Some(Some(z)) = col.zs.get(i) {
                                    into.set_zs(code, slot, *z);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// Reads LIMITS: outlet → its limits; rows that cannot be read are issues.
pub fn read_limits(file: &str, text: &str) -> (BTreeMap<String, Vec<Limit>>, Vec<Issue>) {
    let mut out: BTreeMap<String, Vec<Limit>> = BTreeMap::new();
    let mut issues = Vec::new();
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let names: Vec<String> = match r.headers() {
        Ok(h) => h
            .iter()
            .map(|s| s.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect(),
        Err(e) => {
            issues.push(Issue {
                file: file.into(),
                line: 1,
                reason: e.to_string(),
            });
            return (out, issues);
        }
    };
    let at = |n: &str| names.iter().position(|x| x == n);
    for need in ["outlet", "code", "limit"] {
        if at(need).is_none() {
            issues.push(Issue {
                file: file.into(),
                line: 1,
                reason: format!("the header has no `{need}` column (outlet,code,limit,ref_o2)"),
            });
            return (out, issues);
        }
    }
    for rec in r.records() {
        let rec = match rec {
            Ok(x) => x,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                issues.push(Issue {
                    file: file.into(),
                    line,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line());
        let get = |n: &str| at(n).and_then(|i| rec.get(i)).map_or("", str::trim);
        let bad = |reason: String| Issue {
            file: file.into(),
            line,
            reason,
        };
        let parse_time = |n: &str| -> Result<Option<NaiveDateTime>, String> {
            match get(n) {
                "" => Ok(None),
                v => parse_label(v)
                    .or_else(|| {
                        v.parse::<chrono::NaiveDate>()
                            .ok()
                            .and_then(|d| d.and_hms_opt(0, 0, 0))
                    })
                    .map(Some)
                    .ok_or_else(|| format!("{n} `{v}`: a date or an hour label")),
            }
        };
        let limit = match Fixed::parse(get("limit")) {
            Some(l) if l.is_positive() => l,
            _ => {
                issues.push(bad(format!(
                    "limit `{}`: a positive number (mg/m³)",
                    get("limit")
                )));
                continue;
            }
        };
        let ref_o2 = match get("ref_o2") {
            "" => None,
            v => match Fixed::parse(v) {
                Some(x) if x < Fixed::new(21, 0) && !x.m.is_negative() => Some(x),
                _ => {
                    issues.push(bad(format!(
                        "ref_o2 `{v}`: a percentage below 21, or empty"
                    )));
                    continue;
                }
            },
        };
        let averaging = match Averaging::parse(get("averaging")) {
            Ok(a) => a,
            Err(e) => {
                issues.push(bad(e));
                continue;
            }
        };
        let (from, to) = match (parse_time("from"), parse_time("to")) {
            (Ok(f), Ok(t)) => (f, t),
            (Err(e), _) | (_, Err(e)) => {
                issues.push(bad(e));
                continue;
            }
        };
        let (outlet, code) = (get("outlet"), get("code"));
        if outlet.is_empty() || code.is_empty() {
            issues.push(bad("empty outlet or code".into()));
            continue;
        }
        out.entry(outlet.to_string()).or_default().push(Limit {
            code: code.to_string(),
            limit,
            ref_o2,
            averaging,
            from,
            to,
            standard: get("standard").to_string(),
            clause: get("clause").to_string(),
        });
    }
    (out, issues)
}

/// An exceedance as the check prints it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Exceedance {
    pub outlet: String,
    pub code: String,
    pub start: String,
    pub end: String,
    pub hours: usize,
    pub max: Option<String>,
    pub limit: Option<String>,
}

/// An anomaly as the check prints it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Anomaly {
    pub outlet: String,
    pub code: String,
    pub kind: &'static str,
    pub start: String,
    pub end: String,
    pub hours: usize,
}

/// The check's findings.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub exceedances: Vec<Exceedance>,
    pub anomalies: Vec<Anomaly>,
}

/// Judges every outlet of `data` (on `threads` cores).
pub fn check(
    data: &mut Data,
    limits: &BTreeMap<String, Vec<Limit>>,
    s: &Settings,
    threads: usize,
) -> Report {
    let Some(span) = data.span else {
        return Report::default();
    };
    let outlets: Vec<(&String, &mut Hours)> = data.outlets.iter_mut().collect();
    let per = outlets.len().div_ceil(threads.max(1)).max(1);
    let mut groups: Vec<Vec<(&String, &mut Hours)>> = Vec::new();
    let mut it = outlets.into_iter().peekable();
    while it.peek().is_some() {
        groups.push(it.by_ref().take(per).collect());
    }
    let none = Vec::new();
    let events: Vec<Vec<(String, Event)>> = std::thread::scope(|sc| {
        let hs: Vec<_> = groups
            .into_iter()
            .map(|g| {
                let none = &none;
                sc.spawn(move || {
                    let mut out = Vec::new();
                    for (name, h) in g {
                        h.cover(span.0, span.1);
                        let l = limits.get(name.as_str()).unwrap_or(none);
                        out.extend(
                            judge::judge(h, l, s, span)
                                .into_iter()
                                .map(|e| (name.clone(), e)),
                        );
                    }
                    out
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut r = Report::default();
    for (outlet, e) in events.into_iter().flatten() {
        if e.rule == Rule::Exceedance {
            r.exceedances.push(Exceedance {
                outlet,
                code: e.code,
                start: fmt_label(e.start),
                end: fmt_label(e.end),
                hours: e.hours,
                max: e.max.map(|m| m.normalize().to_string()),
                limit: e.limit.map(|l| l.normalize().to_string()),
            });
        } else {
            r.anomalies.push(Anomaly {
                outlet,
                code: e.code,
                kind: e.rule.name(),
                start: fmt_label(e.start),
                end: fmt_label(e.end),
                hours: e.hours,
            });
        }
    }
    r.exceedances
        .sort_by(|a, b| (&a.outlet, &a.start, &a.code).cmp(&(&b.outlet, &b.start, &b.code)));
    r.anomalies.sort_by(|a, b| {
        (&a.outlet, &a.start, a.kind, &a.code).cmp(&(&b.outlet, &b.start, b.kind, &b.code))
    });
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        let t = parse_label("2026-01-05 24:00").unwrap();
        assert_eq!(fmt_label(t), "2026-01-06 00:00");
        assert_eq!(
            parse_label("2026-01-05T03:00:00"),
            parse_label("2026-01-05 03:00")
        );
        for bad in [
            "2026-01-05",
            "2026-13-05 03:00",
            "2026-01-05 25:00",
            "2026/01/05 03:00",
        ] {
            assert_eq!(parse_label(bad), None, "{bad}");
        }
    }
}
