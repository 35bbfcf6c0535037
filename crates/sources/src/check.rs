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
use std::io::Read;

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
    // A slice cannot fail to read.
    read_data_from(file, bytes, threads).unwrap_or_default()
}

/// The text read at once: big enough that the threads' start-up and the
/// outlets split between blocks cost nothing, small enough that memory is
/// the parsed hours, not the file.
const BLOCK: u64 = 32 << 20;

/// Reads DATA from `r` block by block (each block's lines parsed on
/// `threads` cores, in file order), so a file of any size is never held
/// whole.
pub fn read_data_from(file: &str, r: impl std::io::Read, threads: usize) -> std::io::Result<Data> {
    read_blocks(file, r, threads, BLOCK)
}

fn read_blocks(
    file: &str,
    mut r: impl std::io::Read,
    threads: usize,
    block: u64,
) -> std::io::Result<Data> {
    let threads = threads.max(1);
    let cap = usize::try_from(block).unwrap_or(0).saturating_add(1 << 16);
    let mut out = Data::default();
    let (mut cur, mut next) = (Vec::with_capacity(cap), Vec::with_capacity(cap));
    let mut eof = read_more(&mut r, &mut cur, block)?;
    // The header: the first line (read on until it ends).
    let head_end = loop {
        if let Some(p) = memchr::memchr(b'\n', &cur) {
            break p;
        }
        if eof {
            break cur.len();
        }
        eof = read_more(&mut r, &mut cur, block)?;
    };
    let cols = match header(&String::from_utf8_lossy(&cur[..head_end])) {
        Ok(c) => c,
        Err(reason) => {
            out.issues.push(Issue {
                file: file.into(),
                line: 1,
                reason,
            });
            return Ok(out);
        }
    };
    let mut start = (head_end + 1).min(cur.len());
    let mut line = 2u64;
    loop {
        // The block's whole lines (a line longer than a block reads on).
        let end = loop {
            if eof {
                break cur.len();
            }
            match memchr::memrchr(b'\n', &cur[start..]) {
                Some(p) => break start + p + 1,
                None => eof = read_more(&mut r, &mut cur, block)?,
            }
        };
        // The next block is read while this one is parsed.
        let mut got: std::io::Result<bool> = Ok(true);
        let parts = read_block(file, &cur[start..end], line, &cols, threads, || {
            next.clear();
            next.extend_from_slice(&cur[end..]);
            if !eof {
                got = read_more(&mut r, &mut next, block);
            }
        });
        for (d, piece) in parts {
            line += piece.lines;
            merge_into(&mut out, d, file, &piece, &cols);
        }
        if eof {
            break;
        }
        eof = got?;
        std::mem::swap(&mut cur, &mut next);
        start = 0;
    }
    Ok(out)
}

/// Appends up to `block` bytes; `true` at the end of the input.
fn read_more(r: &mut impl std::io::Read, buf: &mut Vec<u8>, block: u64) -> std::io::Result<bool> {
    Ok(r.by_ref().take(block).read_to_end(buf)? == 0)
}

/// A piece of a block: its text, the number of its first line and how
/// many lines it has.
#[derive(Clone, Copy)]
struct Piece<'a> {
    text: &'a [u8],
    first: u64,
    lines: u64,
}

/// One block's lines, cut at line boundaries into `threads` pieces read
/// each on its own thread; each piece's data, in file order.
/// `meanwhile` runs on the calling thread while the pieces are read.
fn read_block<'a>(
    file: &str,
    body: &'a [u8],
    first_line: u64,
    cols: &Cols,
    threads: usize,
    meanwhile: impl FnOnce(),
) -> Vec<(Data, Piece<'a>)> {
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
    let mut pieces: Vec<Piece<'a>> = Vec::new();
    let mut line = first_line;
    for w in cuts.windows(2) {
        let text = &body[w[0]..w[1]];
        let lines = memchr::memchr_iter(b'\n', text).count() as u64
            + u64::from(text.last().is_some_and(|b| *b != b'\n'));
        pieces.push(Piece {
            text,
            first: line,
            lines,
        });
        line += lines;
    }
    let parts: Vec<Data> = std::thread::scope(|s| {
        let handles: Vec<_> = pieces
            .iter()
            .map(|p| {
                let p = *p;
                s.spawn(move || read_chunk(file, p.text, p.first, cols))
            })
            .collect();
        meanwhile();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    parts.into_iter().zip(pieces).collect()
}

/// One row as read, kept while its outlet's run of rows lasts.
#[derive(Clone, Copy)]
struct Row {
    slot: i64,
    value: Fixed,
    flag: Flag,
    zs: Option<Fixed>,
    line: u64,
}

/// The rows of the outlet being read, per code in the order first seen
/// (rows of an hour come code after code, so the next code is guessed).
#[derive(Default)]
struct Run {
    outlet: String,
    codes: Vec<(String, Vec<Row>)>,
    next: usize,
}

impl Run {
    fn push(&mut self, code: &str, row: Row) {
        let k = match self.codes.get(self.next) {
            Some((c, _)) if c == code => self.next,
            _ => match self.codes.iter().position(|(c, _)| c == code) {
                Some(k) => k,
                None => {
                    self.codes.push((code.to_string(), Vec::new()));
                    self.codes.len() - 1
                }
            },
        };
        self.codes[k].1.push(row);
        self.next = (k + 1) % self.codes.len();
    }

    /// Writes the run into its outlet's hours (the first row of an hour is
    /// kept, a second one is an issue) and starts empty.
    fn flush(&mut self, file: &str, d: &mut Data) {
        if self.codes.iter().all(|(_, rows)| rows.is_empty()) {
            return;
        }
        let outlet = self.outlet.as_str();
        let hours = d.outlets.entry(self.outlet.clone()).or_default();
        for (code, rows) in &mut self.codes {
            let (Some(lo), Some(hi)) = (
                rows.iter().map(|r| r.slot).min(),
                rows.iter().map(|r| r.slot).max(),
            ) else {
                continue;
            };
            hours.cover(lo, hi);
            d.span = Some(match d.span {
                None => (lo, hi),
                Some((a, b)) => (a.min(lo), b.max(hi)),
            });
            let (start, len) = (hours.start, hours.len);
            let col = hours.column(code);
            for r in rows.drain(..) {
                let Some(i) = usize::try_from(r.slot - start).ok().filter(|i| *i < len) else {
                    continue;
                };
                if col.flags[i].is_present() {
                    d.issues.push(Issue {
                        file: file.into(),
                        line: r.line,
                        reason: format!(
                            "{outlet} {code} {}: a second row for the hour (the first is kept)",
                            fmt_label(judge::label_of(r.slot))
                        ),
                    });
                    continue;
                }
                col.m[i] = r.value.m;
                col.scale[i] = r.value.scale;
                col.flags[i] = r.flag;
                if let Some(z) = r.zs {
                    if col.zs.is_empty() {
                        col.zs = vec![None; len];
                    }
                    col.zs[i] = Some(z);
                }
            }
        }
        self.next = 0;
    }
}

/// A field without its surrounding whitespace (most fields have none).
fn trimmed(s: &str) -> &str {
    match s.as_bytes() {
        [] => s,
        [f, .., l] | [f @ l] if f.is_ascii_graphic() && l.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// Reads a piece's rows. A piece that is valid UTF-8 (every sane file)
/// is cut into lines and fields in one pass over its bytes; otherwise each
/// line is checked on its own and a line that is not UTF-8 is an issue.
fn read_chunk(file: &str, chunk: &[u8], first_line: u64, cols: &Cols) -> Data {
    let mut r = Rows {
        file,
        cols,
        d: Data::default(),
        run: Run::default(),
        last_time: (String::new(), 0),
    };
    let mut at: Vec<(usize, usize)> = Vec::with_capacity(8);
    match std::str::from_utf8(chunk) {
        Ok(text) => {
            let b = text.as_bytes();
            let (mut line, mut field, mut quoted, mut this) = (0usize, 0usize, false, first_line);
            let end_line = |r: &mut Rows<'_>,
                            at: &mut Vec<(usize, usize)>,
                            line: usize,
                            end: usize,
                            quoted: bool,
                            this: u64| {
                let end = if end > line && b[end - 1] == b'\r' {
                    end - 1
                } else {
                    end
                };
                if let Some(last) = at.last_mut() {
                    last.1 = last.1.min(end).max(last.0);
                }
                r.row(this, &text[line..end.max(line)], text, at, quoted);
                at.clear();
            };
            for p in memchr::memchr3_iter(b',', b'\n', b'"', b) {
                match b[p] {
                    b',' => {
                        at.push((field, p));
                        field = p + 1;
                    }
                    b'"' => quoted = true,
                    _ => {
                        at.push((field, p));
                        end_line(&mut r, &mut at, line, p, quoted, this);
                        this += 1;
                        line = p + 1;
                        field = p + 1;
                        quoted = false;
                    }
                }
            }
            if line < b.len() {
                at.push((field, b.len()));
                end_line(&mut r, &mut at, line, b.len(), quoted, this);
            }
        }
        Err(_) => {
            for (this, raw) in (first_line..).zip(chunk.split(|b| *b == b'\n')) {
                let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
                match std::str::from_utf8(raw) {
                    Ok(line) => {
                        at.clear();
                        let mut field = 0;
                        for p in memchr::memchr_iter(b',', raw) {
                            at.push((field, p));
                            field = p + 1;
                        }
                        at.push((field, raw.len()));
                        let quoted = memchr::memchr(b'"', raw).is_some();
                        r.row(this, line, line, &at, quoted);
                    }
                    Err(_) => {
                        r.d.rows += 1;
                        r.d.issues.push(Issue {
                            file: file.into(),
                            line: this,
                            reason: "not UTF-8".into(),
                        });
                    }
                }
            }
        }
    }
    let Rows { mut d, mut run, .. } = r;
    run.flush(file, &mut d);
    // Issues in line order (a repeated hour is found when its run ends).
    d.issues.sort_by_key(|i| i.line);
    d
}

/// The state of a piece's reading: its data, the outlet's run being read,
/// the last time field and its slot (an hour's rows share it).
struct Rows<'a> {
    file: &'a str,
    cols: &'a Cols,
    d: Data,
    run: Run,
    last_time: (String, i64),
}

impl Rows<'_> {
    /// One line (without its newline); its fields are `at`, byte ranges
    /// of `base`.
    fn row(&mut self, this: u64, line: &str, base: &str, at: &[(usize, usize)], quoted: bool) {
        if line.is_empty() {
            return;
        }
        let d = &mut self.d;
        d.rows += 1;
        let file = self.file;
        let bad = |reason: String| Issue {
            file: file.into(),
            line: this,
            reason,
        };
        if quoted {
            d.issues.push(bad(
                "quoted fields are not read: write the file without quotes".into(),
            ));
            return;
        }
        let get = |i: usize| at.get(i).map_or("", |&(a, b)| trimmed(&base[a..b]));
        let cols = self.cols;
        let outlet = get(cols.outlet);
        if outlet.is_empty() {
            d.issues.push(bad("empty outlet".into()));
            return;
        }
        let time = get(cols.time);
        let slot = if self.last_time.0 == time && !time.is_empty() {
            self.last_time.1
        } else {
            let Some(t) = parse_label(time) else {
                d.issues.push(bad(format!(
                    "time `{time}`: expected YYYY-MM-DD HH:MM (the end of the hour)"
                )));
                return;
            };
            let slot = slot_of(t);
            self.last_time.0.clear();
            self.last_time.0.push_str(time);
            self.last_time.1 = slot;
            slot
        };
        let code = get(cols.code);
        if code.is_empty() {
            d.issues.push(bad("empty code".into()));
            return;
        }
        let flag = cols.flag.map_or(Flag::N, |i| Flag::parse(get(i)));
        let value = match (get(cols.value), flag) {
            ("", Flag::N) => {
                d.issues
                    .push(bad(format!("{code}: an hour flagged N without a value")));
                return;
            }
            ("", _) => Fixed::ZERO,
            (v, _) => match Fixed::parse(v) {
                Some(x) => x,
                None => {
                    d.issues
                        .push(bad(format!("{code}: value `{v}` is not a number")));
                    return;
                }
            },
        };
        if self.run.outlet != outlet {
            self.run.flush(file, d);
            self.run.outlet.clear();
            self.run.outlet.push_str(outlet);
        }
        self.run.push(
            code,
            Row {
                slot,
                value,
                flag,
                zs: cols.zs.and_then(|i| Fixed::parse(get(i))),
                line: this,
            },
        );
    }
}

/// Merges a piece's data into `out`, which holds everything before it
/// (the first row of an hour is kept). A row repeating an hour an earlier
/// piece holds is an issue at its own line, found again in the piece's
/// text (rare: only rows of one outlet's hour split between pieces, or a
/// file holding the same hours twice).
fn merge_into(out: &mut Data, p: Data, file: &str, piece: &Piece<'_>, cols: &Cols) {
    out.rows += p.rows;
    out.issues.extend(p.issues);
    out.span = match (out.span, p.span) {
        (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
        (x, None) | (None, x) => x,
    };
    let mut repeated: std::collections::HashSet<(String, String, i64)> =
        std::collections::HashSet::new();
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
                            if !into.set(code, slot, col.val(i), col.flags[i]) {
                                repeated.insert((name.clone(), code.clone(), slot));
                                continue;
                            }
                            if let Some(Some(z)) = col.zs.get(i) {
                                into.set_zs(code, slot, *z);
                            }
                        }
                    }
                }
            }
        }
    }
    if repeated.is_empty() {
        return;
    }
    // The first row of each repeated hour in this piece is the one left out.
    for (this, raw) in (piece.first..).zip(piece.text.split(|b| *b == b'\n')) {
        let Ok(line) = std::str::from_utf8(raw.strip_suffix(b"\r").unwrap_or(raw)) else {
            continue;
        };
        // A row the reader refused is not the one left out.
        if line.contains('"') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let get = |i: usize| fields.get(i).copied().unwrap_or("");
        if get(cols.outlet).is_empty() || get(cols.code).is_empty() {
            continue;
        }
        let Some(t) = parse_label(get(cols.time)) else {
            continue;
        };
        let flag = cols.flag.map_or(Flag::N, |i| Flag::parse(get(i)));
        match get(cols.value) {
            "" if flag == Flag::N => continue,
            "" => {}
            v if Fixed::parse(v).is_none() => continue,
            _ => {}
        }
        let key = (
            get(cols.outlet).to_string(),
            get(cols.code).to_string(),
            slot_of(t),
        );
        if repeated.remove(&key) {
            out.issues.push(Issue {
                file: file.into(),
                line: this,
                reason: format!(
                    "{} {} {}: a second row for the hour (the first is kept)",
                    key.0,
                    key.1,
                    fmt_label(judge::label_of(key.2))
                ),
            });
            if repeated.is_empty() {
                break;
            }
        }
    }
    out.issues.sort_by_key(|i| i.line);
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

    /// Blocks of any size, pieces on any number of threads, outlets split
    /// between them: the same hours, span, rows and issues (in line order,
    /// with their lines) as the file read whole on one thread.
    #[test]
    fn blocks_and_threads_read_what_the_whole_file_holds() {
        let mut text = String::from("outlet,time,code,value,flag,zs\n");
        for o in ["DA001", "DA002", "DA003"] {
            for h in 1..=30 {
                let t = format!("2026-01-0{} {:02}:00", 1 + h / 24, h % 24);
                text.push_str(&format!("{o},{t},a19001,{}.5,N,\n", 9 + h % 3));
                text.push_str(&format!(
                    "{o},{t},a34013,{h},{},{}\n",
                    if h % 7 == 0 { "M" } else { "" },
                    h * 2
                ));
                if h == 12 {
                    text.push_str(&format!("{o},{t},a34013,99,N,\n")); // a second row for the hour
                    text.push_str(&format!("{o},2026-01-01 25:00,a34013,1,N,\n")); // a bad time
                }
            }
        }
        // An outlet coming back after another (its rows in two runs).
        text.push_str("DA001,2026-01-03 09:00, a21026 ,3.25,N,\r\n");
        let whole = read_blocks("d", text.as_bytes(), 1, 1 << 30).unwrap();
        assert_eq!(whole.rows, 3 * (30 * 2 + 2) + 1);
        assert_eq!(whole.issues.len(), 6, "{:?}", whole.issues);
        assert_eq!(
            whole.issues[0].reason,
            "DA001 a34013 2026-01-01 12:00: a second row for the hour (the first is kept)"
        );
        assert_eq!(whole.issues[0].line, 26);
        assert!(
            whole.issues[1]
                .reason
                .starts_with("time `2026-01-01 25:00`"),
            "{:?}",
            whole.issues[1]
        );
        let h = &whole.outlets["DA001"];
        let col = &h.codes["a34013"];
        let i =
            usize::try_from(slot_of(parse_label("2026-01-01 12:00").unwrap()) - h.start).unwrap();
        assert_eq!(
            col.val(i),
            Fixed::new(12, 0),
            "the first row of the hour kept"
        );
        assert_eq!(col.zs[i], Some(Fixed::new(24, 0)));
        assert_eq!(col.flags[i - 5], Flag::M);
        assert!(h.codes.contains_key("a21026"));
        for block in [40, 97, 1000, 4096] {
            for threads in [1, 2, 3] {
                let d = read_blocks("d", text.as_bytes(), threads, block).unwrap();
                let at = format!("block {block}, {threads} threads");
                assert_eq!(d.rows, whole.rows, "{at}");
                assert_eq!(d.span, whole.span, "{at}");
                assert_eq!(d.issues, whole.issues, "{at}");
                assert_eq!(d.outlets.len(), 3, "{at}");
                let at_slot = |h: &Hours, code: &str, slot: i64| {
                    h.codes.get(code).and_then(|c| {
                        usize::try_from(slot - h.start)
                            .ok()
                            .filter(|i| *i < h.len && c.flags[*i].is_present())
                            .map(|i| (c.flags[i], c.val(i), c.zs.get(i).copied().flatten()))
                    })
                };
                let (lo, hi) = whole.span.unwrap();
                for (name, want) in &whole.outlets {
                    let got = &d.outlets[name];
                    assert_eq!(got.codes.len(), want.codes.len(), "{at} {name}");
                    for code in want.codes.keys() {
                        for slot in lo..=hi {
                            assert_eq!(
                                at_slot(got, code, slot),
                                at_slot(want, code, slot),
                                "{at} {name} {code} {slot}"
                            );
                        }
                    }
                }
            }
        }
        // A line that is not UTF-8: named, and the rest of its piece read.
        let mut bytes = text.clone().into_bytes();
        bytes.extend_from_slice(
            b"DA009,2026-01-01 01:00,a\xff,1,N\nDA009,2026-01-01 01:00,a34013,1,N\n",
        );
        for block in [64, 1 << 20] {
            let d = read_blocks("d", bytes.as_slice(), 2, block).unwrap();
            let n = text.lines().count() as u64;
            assert_eq!(d.rows, whole.rows + 2, "block {block}");
            assert!(
                d.issues
                    .iter()
                    .any(|i| i.line == n + 1 && i.reason == "not UTF-8"),
                "block {block}: {:?}",
                d.issues
            );
            assert!(
                d.outlets["DA009"].codes.contains_key("a34013"),
                "block {block}"
            );
        }
        // A header only, and nothing at all.
        let d = read_blocks("d", &b"outlet,time,code,value,flag"[..], 2, 8).unwrap();
        assert_eq!((d.rows, d.issues.len()), (0, 0));
        let d = read_blocks("d", &b""[..], 2, 8).unwrap();
        assert_eq!(d.issues[0].line, 1, "{:?}", d.issues);
        // The same rows twice (two exports put together): each row of the
        // second copy is named at its own line, whatever the blocks.
        let body = text.split_once('\n').unwrap().1;
        let twice = format!("{text}{body}");
        let n = text.lines().count() as u64;
        for block in [64, 1000, 1 << 20] {
            let d = read_blocks("d", twice.as_bytes(), 2, block).unwrap();
            let repeats: Vec<u64> = d
                .issues
                .iter()
                .filter(|i| i.reason.contains("second row"))
                .map(|i| i.line)
                .collect();
            // Every stored row of the copy (all but its 3 repeats and 3 bad
            // times), and the copy's own 3 repeats.
            assert_eq!(
                repeats.len(),
                3 + (whole.rows as usize - 6) + 3,
                "block {block}"
            );
            assert!(
                repeats.contains(&(n + 1)),
                "the copy's first row: line {}",
                n + 1
            );
            assert!(
                d.issues.windows(2).all(|w| w[0].line <= w[1].line),
                "in line order"
            );
        }
    }
}
