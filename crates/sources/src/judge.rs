//! The rules over an outlet's hours: exceedances of its limits (O2-corrected
//! where the limit has a reference O2) and the data anomalies of
//! `sources.md` §5 — constant value, zero or negative, missing hours, long
//! M/C/D flags, O2 near ambient while flagged N, the device's own ZsAvg
//! differing from the computed correction, NH3 slip over its limit, values
//! over the instrument's range. Consecutive hours are one event. Pure: the
//! hours and the span judged are parameters.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use crate::flags::{Flag, Use};
use crate::limits::{Averaging, Limit};
use crate::num::{self, Fixed};

/// The HJ 212-2017 code of O2 (%).
pub const O2_CODE: &str = "a19001";
/// The code of NH3 (氨逃逸).
pub const NH3_CODE: &str = "a21001";

/// Local hour slots: hours since 1970-01-01 00:00 Beijing time of the
/// hour's start; an hour is labelled by its end (slot + 1 h).
pub fn label_of(slot: i64) -> NaiveDateTime {
    chrono::DateTime::from_timestamp((slot + 1) * 3600, 0)
        .map_or(NaiveDateTime::MIN, |t| t.naive_utc())
}

/// The slot of the hour labelled `end` (its end, local time).
pub fn slot_of(end: NaiveDateTime) -> i64 {
    end.and_utc().timestamp().div_euclid(3600) - 1
}

/// The rules (each named in an alarm with its version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Exceedance,
    Constant,
    Zero,
    Missing,
    FlagM,
    FlagC,
    FlagD,
    O2High,
    ZsMismatch,
    Nh3Slip,
    OverRange,
    /// 生产开、治污停 (分表计电).
    TreatmentOff,
    /// 餐饮: 风机开、净化器关.
    PurifierOff,
    /// 数据中断: a device or station silent beyond its expected interval
    /// (`freshness`).
    Silent,
    /// 转发滞后: the feed to an upper platform lags (`freshness`).
    FeedLag,
}

impl Rule {
    pub const ALL: [Rule; 15] = [
        Rule::Exceedance,
        Rule::Constant,
        Rule::Zero,
        Rule::Missing,
        Rule::FlagM,
        Rule::FlagC,
        Rule::FlagD,
        Rule::O2High,
        Rule::ZsMismatch,
        Rule::Nh3Slip,
        Rule::OverRange,
        Rule::TreatmentOff,
        Rule::PurifierOff,
        Rule::Silent,
        Rule::FeedLag,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Rule::Exceedance => "exceedance",
            Rule::Constant => "constant",
            Rule::Zero => "zero",
            Rule::Missing => "missing",
            Rule::FlagM => "flag_m",
            Rule::FlagC => "flag_c",
            Rule::FlagD => "flag_d",
            Rule::O2High => "o2_high",
            Rule::ZsMismatch => "zs_mismatch",
            Rule::Nh3Slip => "nh3_slip",
            Rule::OverRange => "over_range",
            Rule::TreatmentOff => "treatment_off",
            Rule::PurifierOff => "purifier_off",
            Rule::Silent => "silent",
            Rule::FeedLag => "feed_lag",
        }
    }

    pub const fn name_zh(self) -> &'static str {
        match self {
            Rule::Exceedance => "超标",
            Rule::Constant => "恒值",
            Rule::Zero => "零值或负值",
            Rule::Missing => "数据缺失",
            Rule::FlagM => "长时间维护(M)",
            Rule::FlagC => "长时间校准(C)",
            Rule::FlagD => "长时间故障(D)",
            Rule::O2High => "氧含量接近空气(标记正常)",
            Rule::ZsMismatch => "折算值与计算不符",
            Rule::Nh3Slip => "氨逃逸超限",
            Rule::OverRange => "超量程",
            Rule::TreatmentOff => "生产开、治污停",
            Rule::PurifierOff => "风机开、净化器关",
            Rule::Silent => "数据中断(超时未上报)",
            Rule::FeedLag => "上级平台转发滞后",
        }
    }

    /// The version of the rule's definition (an alarm carries it).
    pub const fn version(self) -> &'static str {
        "2026-12-01.1"
    }

    pub fn parse(s: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.name() == s)
    }

    /// Exceedances are emission violations; the rest are data or
    /// operation anomalies.
    pub const fn is_exceedance(self) -> bool {
        matches!(self, Rule::Exceedance)
    }
}

/// The rules' settings, with the defaults of the issue and `sources.md`
/// (every [M] number there is one of these).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Settings {
    /// Hours with O2 at or above this (%) are neither corrected nor judged.
    pub o2_cap: Fixed,
    /// Same value text on this many consecutive hours flagged N: constant.
    pub constant_hours: usize,
    /// Value ≤ 0 on this many consecutive hours flagged N: zero.
    pub zero_hours: usize,
    /// This many consecutive hours without a row, for a code the outlet
    /// reports, inside the span judged: missing.
    pub missing_hours: usize,
    /// This many consecutive hours flagged M, C or D: a long flag.
    pub flag_hours: usize,
    /// O2 at or above `o2_cap` while flagged N on this many consecutive
    /// hours: o2_high (stopped but not marked, or dilution).
    pub o2_high_hours: usize,
    /// The device's ZsAvg may differ from the computed correction by this
    /// many percent.
    pub zs_tolerance_pct: Fixed,
    /// Whether a T-flagged hour (over range) counts as an exceeding hour.
    pub over_range_counts: bool,
    /// Valid hours a daily mean needs.
    pub min_day_hours: usize,
    /// Evidence rows kept per event.
    pub evidence_rows: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            o2_cap: Fixed::new(20, 0),
            constant_hours: 6,
            zero_hours: 3,
            missing_hours: 3,
            flag_hours: 4,
            o2_high_hours: 1,
            zs_tolerance_pct: Fixed::new(5, 0),
            over_range_counts: false,
            min_day_hours: 20,
            evidence_rows: 48,
        }
    }
}

impl Settings {
    /// Sets one setting from its text (`constant_hours`, `6`): how a
    /// configuration file, a case file or the bureau's settings page names
    /// them.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let n = || {
            value
                .trim()
                .parse::<usize>()
                .map_err(|_| format!("{key} `{value}`: a whole number"))
        };
        let x = || {
            Fixed::parse(value)
                .filter(|v| !v.m.is_negative())
                .ok_or_else(|| format!("{key} `{value}`: a number ≥ 0"))
        };
        match key.trim() {
            "o2_cap" => self.o2_cap = x()?,
            "constant_hours" => self.constant_hours = n()?.max(2),
            "zero_hours" => self.zero_hours = n()?.max(1),
            "missing_hours" => self.missing_hours = n()?.max(1),
            "flag_hours" => self.flag_hours = n()?.max(1),
            "o2_high_hours" => self.o2_high_hours = n()?.max(1),
            "zs_tolerance_pct" => self.zs_tolerance_pct = x()?,
            "over_range_counts" => {
                self.over_range_counts = match value.trim() {
                    "true" | "1" | "yes" => true,
                    "false" | "0" | "no" => false,
                    _ => return Err(format!("{key} `{value}`: true or false")),
                }
            }
            "min_day_hours" => self.min_day_hours = n()?.clamp(1, 24),
            "evidence_rows" => self.evidence_rows = n()?,
            other => return Err(format!("unknown setting `{other}`")),
        }
        Ok(())
    }
}

/// One factor's hours: value and flag per slot, from the outlet's `start`
/// (values as mantissa and scale in two vectors: 10 bytes an hour).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Column {
    pub m: Vec<i64>,
    pub scale: Vec<u8>,
    pub flags: Vec<Flag>,
    /// The device's O2-corrected value (`-ZsAvg`), where it sends one.
    pub zs: Vec<Option<Fixed>>,
}

impl Column {
    fn with_len(n: usize) -> Self {
        Column {
            m: vec![0; n],
            scale: vec![0; n],
            flags: vec![Flag::Absent; n],
            zs: Vec::new(),
        }
    }

    pub fn val(&self, i: usize) -> Fixed {
        Fixed::new(self.m[i], self.scale[i])
    }

    pub fn reports(&self) -> bool {
        self.flags.iter().any(|f| f.is_present())
    }

    /// Adds `front` absent hours before and `back` after.
    fn pad(&mut self, front: usize, back: usize) {
        grow(&mut self.m, 0, front, back);
        grow(&mut self.scale, 0, front, back);
        grow(&mut self.flags, Flag::Absent, front, back);
        if !self.zs.is_empty() {
            grow(&mut self.zs, None, front, back);
        }
    }
}

fn grow<T: Clone>(v: &mut Vec<T>, x: T, front: usize, back: usize) {
    v.splice(0..0, std::iter::repeat_n(x.clone(), front));
    v.extend(std::iter::repeat_n(x, back));
}

/// An outlet's hours: columns by factor code, dense from slot `start`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hours {
    pub start: i64,
    pub len: usize,
    pub codes: BTreeMap<String, Column>,
}

impl Hours {
    pub fn new(start: i64, len: usize) -> Self {
        Hours {
            start,
            len,
            codes: BTreeMap::new(),
        }
    }

    /// Grows (with absent hours) to cover `from..=to`.
    pub fn cover(&mut self, from: i64, to: i64) {
        if self.len == 0 && self.codes.is_empty() {
            self.start = from;
            self.len = usize::try_from(to - from + 1).unwrap_or(0);
            return;
        }
        let front = usize::try_from(self.start - from).unwrap_or(0);
        let end = self.start + self.len as i64 - 1;
        let back = usize::try_from(to - end).unwrap_or(0);
        if front == 0 && back == 0 {
            return;
        }
        // Grow by at least half again at the back, so appending hour by
        // hour stays linear.
        let back = if back > 0 { back.max(self.len / 2) } else { 0 };
        for c in self.codes.values_mut() {
            c.pad(front, back);
        }
        self.start -= front as i64;
        self.len += front + back;
    }

    /// Sets an hour (the first value of an hour is kept); `false` when
    /// already set.
    pub fn set(&mut self, code: &str, slot: i64, value: Fixed, flag: Flag) -> bool {
        self.cover(slot, slot);
        let Some(i) = self.index(slot) else {
            return false;
        };
        if !self.codes.contains_key(code) {
            self.codes
                .insert(code.to_string(), Column::with_len(self.len));
        }
        let Some(col) = self.codes.get_mut(code) else {
            return false;
        };
        if col.flags[i].is_present() {
            return false;
        }
        col.m[i] = value.m;
        col.scale[i] = value.scale;
        col.flags[i] = flag;
        true
    }

    /// Sets an hour, replacing what it held (an hourly value arriving
    /// after the hour was made from real-time samples).
    pub fn put(&mut self, code: &str, slot: i64, value: Fixed, flag: Flag) {
        self.cover(slot, slot);
        let Some(i) = self.index(slot) else { return };
        let len = self.len;
        let col = self
            .codes
            .entry(code.to_string())
            .or_insert_with(|| Column::with_len(len));
        col.m[i] = value.m;
        col.scale[i] = value.scale;
        col.flags[i] = flag;
    }

    /// Whether `code` has a row at `slot`.
    pub fn has(&self, code: &str, slot: i64) -> bool {
        self.index(slot)
            .and_then(|i| self.codes.get(code).map(|c| c.flags[i].is_present()))
            .unwrap_or(false)
    }

    /// Marks the hours of slots `[from, to)` reviewed invalid
    /// ([`Flag::Reviewed`]): of one factor, or of every factor when `code`
    /// is `None`. An hour with no row stays missing (a review does not
    /// make data). The values are kept (the evidence shows them); no rule
    /// judges a reviewed hour (the flag table excludes it), and the flag
    /// anomalies (M/C/D runs) do not count it.
    pub fn mark_reviewed(&mut self, code: Option<&str>, from: i64, to: i64) {
        let (a, b) = (from.max(self.start), to.min(self.start + self.len as i64));
        if a >= b {
            return;
        }
        let (a, b) = ((a - self.start) as usize, (b - self.start) as usize);
        for (c, col) in self.codes.iter_mut() {
            if code.is_some_and(|x| x != c) {
                continue;
            }
            for f in &mut col.flags[a..b] {
                if f.is_present() {
                    *f = Flag::Reviewed;
                }
            }
        }
    }

    /// Sets the device's corrected value of an hour.
    pub fn set_zs(&mut self, code: &str, slot: i64, zs: Fixed) {
        self.cover(slot, slot);
        let Some(i) = self.index(slot) else { return };
        let len = self.len;
        let col = self
            .codes
            .entry(code.to_string())
            .or_insert_with(|| Column::with_len(len));
        if col.zs.is_empty() {
            col.zs = vec![None; len];
        }
        col.zs[i] = Some(zs);
    }

    /// The column of `code`, made (every hour absent) when new.
    pub fn column(&mut self, code: &str) -> &mut Column {
        let len = self.len;
        self.codes
            .entry(code.to_string())
            .or_insert_with(|| Column::with_len(len))
    }

    pub(crate) fn index(&self, slot: i64) -> Option<usize> {
        usize::try_from(slot - self.start)
            .ok()
            .filter(|i| *i < self.len)
    }

    /// The first and last slot with any row.
    pub fn span(&self) -> Option<(i64, i64)> {
        let first = self
            .codes
            .values()
            .filter_map(|c| c.flags.iter().position(|f| f.is_present()))
            .min()?;
        let last = self
            .codes
            .values()
            .filter_map(|c| c.flags.iter().rposition(|f| f.is_present()))
            .max()?;
        Some((self.start + first as i64, self.start + last as i64))
    }

    /// Keeps only the hours from `from` on (a sliding window).
    /// A copy of the hours from slot `from` on.
    pub fn since(&self, from: i64) -> Hours {
        let n = usize::try_from(from - self.start)
            .unwrap_or(0)
            .min(self.len);
        Hours {
            start: self.start + n as i64,
            len: self.len - n,
            codes: self
                .codes
                .iter()
                .map(|(k, c)| {
                    let zs = if c.zs.is_empty() {
                        Vec::new()
                    } else {
                        c.zs[n..].to_vec()
                    };
                    let col = Column {
                        m: c.m[n..].to_vec(),
                        scale: c.scale[n..].to_vec(),
                        flags: c.flags[n..].to_vec(),
                        zs,
                    };
                    (k.clone(), col)
                })
                .collect(),
        }
    }

    pub fn drop_before(&mut self, from: i64) {
        let Some(n) = usize::try_from(from - self.start).ok().filter(|n| *n > 0) else {
            return;
        };
        let n = n.min(self.len);
        for c in self.codes.values_mut() {
            c.m.drain(..n);
            c.scale.drain(..n);
            c.flags.drain(..n);
            if !c.zs.is_empty() {
                c.zs.drain(..n);
            }
        }
        self.start += n as i64;
        self.len -= n;
    }
}

/// One hour (or window) shown as evidence: its label and named values
/// (`value`, `flag`, `o2`, `corrected`, `device_zs`; for electricity the
/// meters' mean kW).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Evidence {
    /// The hour's label (its end), `YYYY-MM-DD HH:MM`.
    pub time: String,
    #[serde(flatten)]
    pub values: BTreeMap<String, String>,
}

/// A run of hours one rule found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Event {
    pub rule: Rule,
    pub code: String,
    /// First and last hour (labels: their ends).
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub hours: usize,
    /// How long, in minutes (hours × 60 for the hourly rules).
    pub minutes: u32,
    /// The highest (corrected) value, for exceedance-like rules.
    pub max: Option<Decimal>,
    pub limit: Option<Decimal>,
    pub evidence: Vec<Evidence>,
}

/// Hour labels as the input writes them.
pub fn fmt_label(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// The corrected value GB/T 8170-rounded for display (3 decimals).
fn show(d: Decimal) -> String {
    d.round_dp_with_strategy(3, rust_decimal::RoundingStrategy::MidpointNearestEven)
        .normalize()
        .to_string()
}

fn fixed_text(v: Fixed) -> String {
    v.to_decimal().to_string()
}

/// Runs of `true` in `hit` (index ranges, end exclusive) of at least `min`.
fn runs(hit: impl Iterator<Item = bool>, min: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    let mut i = 0;
    for h in hit {
        match (h, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if i - s >= min.max(1) {
                    out.push((s, i));
                }
                start = None;
            }
            _ => {}
        }
        i += 1;
    }
    if let Some(s) = start
        && i - s >= min.max(1)
    {
        out.push((s, i));
    }
    out
}

/// Whether a limit is in force for the hour of `slot` (a limit without
/// validity dates, the usual case, without making the hour's label).
fn applies(l: &Limit, slot: i64) -> bool {
    (l.from.is_none() && l.to.is_none()) || l.applies(label_of(slot))
}

/// What a judged hour of a factor is worth for a limit.
struct Judged {
    /// Counts: the pollutant and (for a corrected limit) O2 are judgeable.
    ok: bool,
    exceeds: bool,
    corrected: Option<Decimal>,
}

/// `always`: the corrected value is wanted for every counted hour (a
/// daily mean); else only for an exceeding one (the event's maximum) — the
/// exact division is most of the judging's time and a compliant hour needs
/// none (it is decided by cross-multiplying, `num::corrected_exceeds`).
fn judge_hour(
    v: Fixed,
    flag: Flag,
    o2: Option<(Fixed, Flag)>,
    limit: &Limit,
    s: &Settings,
    always: bool,
) -> Judged {
    let no = Judged {
        ok: false,
        exceeds: false,
        corrected: None,
    };
    let counted = match flag.use_of() {
        Use::Judge => true,
        Use::OverRange => s.over_range_counts,
        Use::Exclude => false,
    };
    if !counted {
        return no;
    }
    match limit.ref_o2 {
        None => Judged {
            ok: true,
            exceeds: v > limit.limit,
            corrected: Some(v.to_decimal()),
        },
        Some(reference) => {
            let Some((o, of)) = o2 else { return no };
            if of.use_of() != Use::Judge || o >= s.o2_cap {
                return no;
            }
            let exceeds = num::corrected_exceeds(v, o, reference, limit.limit);
            Judged {
                ok: true,
                exceeds,
                corrected: if exceeds || always {
                    num::corrected(v, o, reference)
                } else {
                    None
                },
            }
        }
    }
}

struct Ctx<'a> {
    h: &'a Hours,
    s: &'a Settings,
    o2: Option<&'a Column>,
}

impl Ctx<'_> {
    fn o2_at(&self, i: usize) -> Option<(Fixed, Flag)> {
        let c = self.o2?;
        c.flags
            .get(i)
            .filter(|f| f.is_present())
            .map(|f| (c.val(i), *f))
    }

    fn evidence(&self, code: &str, range: (usize, usize), limit: Option<&Limit>) -> Vec<Evidence> {
        let Some(col) = self.h.codes.get(code) else {
            return Vec::new();
        };
        (range.0..range.1)
            .take(self.s.evidence_rows)
            .map(|i| {
                let present = col.flags[i].is_present();
                let o2 = self.o2_at(i);
                let corrected = match (limit.and_then(|l| l.ref_o2), o2, present) {
                    (Some(r), Some((o, _)), true) => num::corrected(col.val(i), o, r).map(show),
                    _ => None,
                };
                let mut values = BTreeMap::new();
                let mut put = |k: &str, v: Option<String>| {
                    if let Some(v) = v {
                        values.insert(k.to_string(), v);
                    }
                };
                put("value", present.then(|| fixed_text(col.val(i))));
                put(
                    "flag",
                    Some(col.flags[i].letter().to_string()).filter(|f| !f.is_empty()),
                );
                put("o2", o2.map(|(o, _)| fixed_text(o)));
                put("corrected", corrected);
                put(
                    "device_zs",
                    col.zs.get(i).copied().flatten().map(fixed_text),
                );
                Evidence {
                    time: fmt_label(label_of(self.h.start + i as i64)),
                    values,
                }
            })
            .collect()
    }

    fn event(&self, rule: Rule, code: &str, range: (usize, usize), limit: Option<&Limit>) -> Event {
        Event {
            rule,
            code: code.to_string(),
            start: label_of(self.h.start + range.0 as i64),
            end: label_of(self.h.start + range.1 as i64 - 1),
            hours: range.1 - range.0,
            minutes: (range.1 - range.0) as u32 * 60,
            max: None,
            limit: limit.map(|l| l.limit.to_decimal()),
            evidence: self.evidence(code, range, limit),
        }
    }
}

/// Everything the rules find in an outlet's hours, judging `missing`
/// inside `span` (slots, both included; the span of the file or of the
/// window the caller judges).
pub fn judge(h: &Hours, limits: &[Limit], s: &Settings, span: (i64, i64)) -> Vec<Event> {
    let ctx = Ctx {
        h,
        s,
        o2: h.codes.get(O2_CODE),
    };
    let mut out = Vec::new();
    for l in limits {
        let rule = if l.code == NH3_CODE {
            Rule::Nh3Slip
        } else {
            Rule::Exceedance
        };
        match l.averaging {
            Averaging::Hour => exceed_hours(&ctx, l, rule, &mut out),
            Averaging::Day => exceed_days(&ctx, l, rule, &mut out),
        }
        zs_mismatch(&ctx, l, &mut out);
    }
    for (code, col) in &h.codes {
        let n = |i: usize| col.flags[i] == Flag::N;
        // Constant: runs of hours flagged N with the same value text.
        let mut a = 0;
        while a < h.len {
            if !n(a) {
                a += 1;
                continue;
            }
            let mut b = a + 1;
            while b < h.len && n(b) && col.val(b) == col.val(a) {
                b += 1;
            }
            if b - a >= s.constant_hours {
                out.push(ctx.event(Rule::Constant, code, (a, b), None));
            }
            a = b;
        }
        for r in runs(
            (0..h.len).map(|i| n(i) && !col.val(i).is_positive()),
            s.zero_hours,
        ) {
            out.push(ctx.event(Rule::Zero, code, r, None));
        }
        for (flag, rule) in [
            (Flag::M, Rule::FlagM),
            (Flag::C, Rule::FlagC),
            (Flag::D, Rule::FlagD),
        ] {
            for r in runs(col.flags.iter().map(|f| *f == flag), s.flag_hours) {
                out.push(ctx.event(rule, code, r, None));
            }
        }
        for r in runs(col.flags.iter().map(|f| *f == Flag::T), 1) {
            out.push(ctx.event(Rule::OverRange, code, r, None));
        }
        if col.reports() {
            let lo = usize::try_from(span.0 - h.start).unwrap_or(0);
            let hi = usize::try_from(span.1 - h.start + 1)
                .unwrap_or(0)
                .min(h.len);
            if lo < hi {
                for (a, b) in runs(
                    (lo..hi).map(|i| !col.flags[i].is_present()),
                    s.missing_hours,
                ) {
                    out.push(ctx.event(Rule::Missing, code, (a + lo, b + lo), None));
                }
            }
        }
        if code == O2_CODE {
            for r in runs(
                (0..h.len).map(|i| n(i) && col.val(i) >= s.o2_cap),
                s.o2_high_hours,
            ) {
                out.push(ctx.event(Rule::O2High, code, r, None));
            }
        }
    }
    out.sort_by(|a, b| (a.start, a.rule, &a.code).cmp(&(b.start, b.rule, &b.code)));
    out
}

/// What [`judge`] finds that ends at or after the day holding slot
/// `recent`, judging only from that day on (what the live job does as one
/// hour arrives: the older events were raised when they happened). Every
/// rule is a run of consecutive hours or a natural day, so an event of the
/// tail that does not touch its first hour is the event the whole window
/// gives; when one touches it (the run may have begun earlier), or a
/// factor is silent through the whole tail, the whole span is judged.
pub fn judge_since(
    h: &Hours,
    limits: &[Limit],
    s: &Settings,
    span: (i64, i64),
    recent: i64,
) -> Vec<Event> {
    let from = recent.div_euclid(24) * 24;
    if from <= span.0.max(h.start) {
        return judge(h, limits, s, span);
    }
    let tail = h.since(from);
    let silent = h
        .codes
        .iter()
        .any(|(k, c)| c.reports() && !tail.codes.get(k).is_some_and(Column::reports));
    let first = label_of(from);
    let events = judge(&tail, limits, s, (from, span.1));
    if silent || events.iter().any(|e| e.start <= first) {
        return judge(h, limits, s, span);
    }
    events
}

fn exceed_hours(ctx: &Ctx<'_>, l: &Limit, rule: Rule, out: &mut Vec<Event>) {
    let Some(col) = ctx.h.codes.get(&l.code) else {
        return;
    };
    let mut maxes: Vec<Option<Decimal>> = vec![None; ctx.h.len];
    let hits = (0..ctx.h.len).map(|i| {
        if !col.flags[i].is_present() || !applies(l, ctx.h.start + i as i64) {
            return false;
        }
        let j = judge_hour(col.val(i), col.flags[i], ctx.o2_at(i), l, ctx.s, false);
        if j.exceeds {
            maxes[i] = j.corrected;
        }
        j.ok && j.exceeds
    });
    let found = runs(hits.collect::<Vec<_>>().into_iter(), 1);
    for r in found {
        let mut e = ctx.event(rule, &l.code, r, Some(l));
        e.max = maxes[r.0..r.1]
            .iter()
            .flatten()
            .max()
            .map(|d| d.round_dp(3));
        out.push(e);
    }
}

fn exceed_days(ctx: &Ctx<'_>, l: &Limit, rule: Rule, out: &mut Vec<Event>) {
    let Some(col) = ctx.h.codes.get(&l.code) else {
        return;
    };
    // Natural days: the hours ending 01:00 … 24:00 are the slots of one day.
    let mut days: BTreeMap<i64, (Decimal, usize, usize, usize)> = BTreeMap::new();
    for i in 0..ctx.h.len {
        let slot = ctx.h.start + i as i64;
        if !col.flags[i].is_present() || !applies(l, slot) {
            continue;
        }
        let j = judge_hour(col.val(i), col.flags[i], ctx.o2_at(i), l, ctx.s, true);
        let day = slot.div_euclid(24);
        let e = days.entry(day).or_insert((Decimal::ZERO, 0, i, i));
        e.3 = i;
        if let (true, Some(c)) = (j.ok, j.corrected) {
            e.0 += c;
            e.1 += 1;
        }
    }
    let mut run: Option<(usize, usize, Decimal, i64)> = None;
    let flush = |run: &mut Option<(usize, usize, Decimal, i64)>, out: &mut Vec<Event>| {
        if let Some((a, b, max, _)) = run.take() {
            let mut e = ctx.event(rule, &l.code, (a, b + 1), Some(l));
            e.max = Some(max.round_dp(3));
            out.push(e);
        }
    };
    for (day, (sum, n, first, last)) in days {
        let mean = (n >= ctx.s.min_day_hours).then(|| sum / Decimal::from(n as u64));
        match mean {
            Some(m) if m > l.limit.to_decimal() => {
                run = match run {
                    Some((a, _, max, d)) if d + 1 == day => Some((a, last, max.max(m), day)),
                    other => {
                        let mut other = other;
                        flush(&mut other, out);
                        Some((first, last, m, day))
                    }
                };
            }
            _ => flush(&mut run, out),
        }
    }
    flush(&mut run, out);
}

fn zs_mismatch(ctx: &Ctx<'_>, l: &Limit, out: &mut Vec<Event>) {
    let (Some(col), Some(reference)) = (ctx.h.codes.get(&l.code), l.ref_o2) else {
        return;
    };
    if col.zs.is_empty() {
        return;
    }
    let tol = ctx.s.zs_tolerance_pct.to_decimal() / Decimal::ONE_HUNDRED;
    let hits = (0..ctx.h.len).map(|i| {
        let (Some(zs), Some((o, of))) = (col.zs[i], ctx.o2_at(i)) else {
            return false;
        };
        if col.flags[i] != Flag::N || of != Flag::N || o >= ctx.s.o2_cap {
            return false;
        }
        let Some(c) = num::corrected(col.val(i), o, reference) else {
            return false;
        };
        (zs.to_decimal() - c).abs() > tol * c.abs()
    });
    for r in runs(hits.collect::<Vec<_>>().into_iter(), 1) {
        out.push(ctx.event(Rule::ZsMismatch, &l.code, r, Some(l)));
    }
}

/// The stable key of an event's alarm: rule, outlet, code and first hour
/// (re-judging the same hours finds the same key, so alarms are never
/// duplicated; a run that grows keeps its key).
pub fn alarm_key(outlet: &str, e: &Event) -> String {
    format!(
        "{}:{outlet}:{}:{}",
        e.rule.name(),
        e.code,
        e.start.format("%Y%m%d%H%M")
    )
}

#[cfg(test)]
mod tests {
    /// Judging only the tail gives what judging the whole window gives,
    /// for every event that reaches into the tail's days.
    #[test]
    fn judging_the_tail_agrees_with_judging_the_whole() {
        use crate::limits::Averaging;
        let limit = |code: &str, v: i64, avg| Limit {
            code: code.into(),
            limit: Fixed::new(v, 0),
            ref_o2: Some(Fixed::new(9, 0)),
            averaging: avg,
            from: None,
            to: None,
            standard: String::new(),
            clause: String::new(),
        };
        let limits = [
            limit("a34013", 10, Averaging::Hour),
            limit("a21026", 35, Averaging::Day),
        ];
        let s = Settings::default();
        let mut x: u64 = 7;
        let mut h = Hours::new(1000 * 24, 24 * 20);
        for i in 0..(24 * 20) as i64 {
            let slot = 1000 * 24 + i;
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = (x >> 33) % 100;
            // Faults of every length, some across day boundaries.
            if (100..=108).contains(&i) || (i / 37) % 5 == 1 && r < 30 {
                continue; // missing
            }
            let pm = if r < 8 || (300..=340).contains(&i) {
                150
            } else {
                40 + r as i64 % 30
            };
            let flag = if (200..=230).contains(&i) {
                Flag::M
            } else {
                Flag::N
            };
            let so2 = if (410..=460).contains(&i) {
                500
            } else {
                150 + r as i64
            };
            h.set("a34013", slot, Fixed::new(pm, 1), flag);
            h.set("a21026", slot, Fixed::new(so2, 1), Flag::N);
            h.set(
                O2_CODE,
                slot,
                Fixed::new(if i > 400 { 100 } else { 95 + (r % 3) as i64 }, 1),
                Flag::N,
            );
        }
        let span = (h.start, h.start + h.len as i64 - 1);
        let whole = judge(&h, &limits, &s, span);
        assert!(whole.len() > 10, "{}", whole.len());
        for recent in (h.start..=span.1).step_by(7) {
            let first = label_of(recent.div_euclid(24) * 24);
            let tail = judge_since(&h, &limits, &s, span, recent);
            for e in &whole {
                if e.end >= first {
                    assert!(tail.contains(e), "recent {recent}: {e:?} missing");
                }
            }
            for e in &tail {
                assert!(whole.contains(e), "recent {recent}: {e:?} not in the whole");
            }
        }
        // Late tails are judged alone (fewer events than the whole), not
        // the whole again.
        assert!(
            (span.1 - 5 * 24..=span.1)
                .any(|r| judge_since(&h, &limits, &s, span, r).len() < whole.len())
        );
    }

    use super::*;

    fn f(s: &str) -> Fixed {
        Fixed::parse(s).unwrap()
    }

    #[test]
    fn runs_are_consecutive_and_long_enough() {
        let v = [true, true, false, true, true, true, false, true];
        assert_eq!(runs(v.into_iter(), 2), vec![(0, 2), (3, 6)]);
        assert_eq!(runs(v.into_iter(), 3), vec![(3, 6)]);
        assert_eq!(runs(v.into_iter(), 1).last(), Some(&(7, 8)));
    }

    #[test]
    fn slots_and_labels() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 1, 5)
            .unwrap()
            .and_hms_opt(3, 0, 0)
            .unwrap();
        let s = slot_of(t);
        assert_eq!(label_of(s), t);
        // The hour ending 24:00 (00:00 next day) is the last of its day.
        let midnight = chrono::NaiveDate::from_ymd_opt(2026, 1, 6)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert_eq!(slot_of(midnight).div_euclid(24), s.div_euclid(24));
    }

    #[test]
    fn a_run_of_exceeding_hours_is_one_event_with_its_max() {
        let mut h = Hours::new(0, 10);
        for i in 0..10 {
            let v = if (3..6).contains(&i) { "45" } else { "20" };
            h.set("a21026", i, f(v), Flag::N);
            h.set(O2_CODE, i, f("12"), Flag::N);
        }
        let limit = Limit {
            code: "a21026".into(),
            limit: f("50"),
            ref_o2: Some(f("9")),
            averaging: Averaging::Hour,
            from: None,
            to: None,
            standard: "t".into(),
            clause: "t".into(),
        };
        let ev = judge(
            &h,
            std::slice::from_ref(&limit),
            &Settings::default(),
            (0, 9),
        );
        let ex: Vec<_> = ev.iter().filter(|e| e.rule == Rule::Exceedance).collect();
        assert_eq!(ex.len(), 1);
        // 45 × 12 / 9 = 60 > 50.
        assert_eq!((ex[0].hours, ex[0].max), (3, Some(Decimal::from(60))));
        assert_eq!(ex[0].evidence[0].values["corrected"], "60");

        // A review marking the middle exceeding hour of SO2 invalid splits
        // the run in two (hours 3 and 5); marking O2 invalid over hours
        // 3–4 leaves only hour 5 judgeable (no valid O2, no correction);
        // marking every factor 0–10 leaves nothing; missing hours stay
        // missing (the missing-hours rule sees no new data).
        let judge_marked = |marks: &[(Option<&str>, i64, i64)]| {
            let mut h = h.clone();
            for (c, a, b) in marks {
                h.mark_reviewed(*c, *a, *b);
            }
            let ev = judge(
                &h,
                std::slice::from_ref(&limit),
                &Settings::default(),
                (0, 9),
            );
            ev.into_iter()
                .filter(|e| e.rule == Rule::Exceedance)
                .map(|e| (slot_of(e.start), e.hours))
                .collect::<Vec<_>>()
        };
        assert_eq!(judge_marked(&[]), vec![(3, 3)]);
        assert_eq!(
            judge_marked(&[(Some("a21026"), 4, 5)]),
            vec![(3, 1), (5, 1)]
        );
        assert_eq!(judge_marked(&[(Some(O2_CODE), 3, 5)]), vec![(5, 1)]);
        assert_eq!(judge_marked(&[(None, 0, 10)]), vec![]);
        // Outside the window: nothing changes.
        assert_eq!(judge_marked(&[(None, 20, 30), (None, -5, 0)]), vec![(3, 3)]);
        let mut m = h.clone();
        m.mark_reviewed(None, 4, 5);
        assert_eq!(m.codes["a21026"].flags[4], Flag::Reviewed);
        assert_eq!(m.codes["a21026"].flags[3], Flag::N);
    }
}
