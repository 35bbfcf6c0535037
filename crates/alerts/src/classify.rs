//! The classifier: forecast days → an alert level, by a versioned rule set
//! (`rules/levels.tsv`), and what follows from it — the effective level
//! beside the city's and province's notices, and whether an alert holds,
//! rises, is downgraded or lifted.
//!
//! Choices the texts leave open, written down:
//! - Days are whole forecast days (1 day = 24 h, so "≥ 48 h" is 2 days).
//!   A missing date breaks a run, as a day that does not count does.
//! - A day counts toward a coloured alert unless its primary pollutant is
//!   O3 (`O3`, `O3_8h`, `O3_1h`, `a05024`) or its cause is dust/sand.
//!   Fireworks days count (their measures avoid stopping factories: that is
//!   the measures' business, not the level's).
//! - `auto` takes the newest set in force on the first day; a day before
//!   every set's start takes the oldest set.
//! - Advisory: when the counted days give no level but the same days all
//!   counted would give one (O3 or dust episodes).
//! - "≥ 3 days > 200 of which ≥ 1 is > 300": the days above 300 are counted
//!   anywhere in the run above 200, not as a run of their own (2017's
//!   "> 300 for ≥ 48 h" likewise: 2 such days in the run).

use std::fmt;

use chrono::NaiveDate;

use crate::forecast::{Cause, Day};

/// An alert level, in order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    None,
    /// Health advice (and for O3 stepped-up VOC/NOx supervision): never a coloured alert.
    Advisory,
    Yellow,
    Orange,
    Red,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::None,
        Level::Advisory,
        Level::Yellow,
        Level::Orange,
        Level::Red,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Advisory => "advisory",
            Level::Yellow => "yellow",
            Level::Orange => "orange",
            Level::Red => "red",
        }
    }
    pub const fn name_zh(self) -> &'static str {
        match self {
            Level::None => "无预警",
            Level::Advisory => "健康提示",
            Level::Yellow => "黄色预警（Ⅲ级）",
            Level::Orange => "橙色预警（Ⅱ级）",
            Level::Red => "红色预警（Ⅰ级）",
        }
    }
    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL
            .into_iter()
            .find(|l| l.as_str() == s.trim().to_ascii_lowercase())
    }
    /// A coloured alert (yellow, orange, red).
    pub const fn is_coloured(self) -> bool {
        matches!(self, Level::Yellow | Level::Orange | Level::Red)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One condition of a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// A run of ≥ `days` consecutive counted days, each > `over`.
    Run { over: u32, days: usize },
    /// Such a run holding ≥ `inner_days` days > `inner_over`.
    RunWith {
        over: u32,
        days: usize,
        inner_over: u32,
        inner_days: usize,
    },
    /// Any counted day with AQI ≥ `aqi`.
    AtLeast { aqi: u32 },
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Run { over, days } => write!(f, "≥ {days} consecutive days > {over}"),
            Condition::RunWith {
                over,
                days,
                inner_over,
                inner_days,
            } => {
                write!(
                    f,
                    "≥ {days} consecutive days > {over} with ≥ {inner_days} > {inner_over}"
                )
            }
            Condition::AtLeast { aqi } => write!(f, "a day ≥ {aqi}"),
        }
    }
}

/// One versioned rule set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSet {
    pub name: String,
    pub valid_from: NaiveDate,
    /// (level, condition, basis), in the file's order.
    pub conditions: Vec<(Level, Condition, String)>,
}

/// Every rule set, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    pub sets: Vec<RuleSet>,
}

/// The shipped rule sets.
pub const SHIPPED: &str = include_str!("../rules/levels.tsv");

impl Default for Rules {
    fn default() -> Self {
        Rules::parse(SHIPPED).unwrap_or_else(|e| panic!("the shipped alert rules: {e}"))
    }
}

impl Rules {
    /// Reads a rule file; errors name the line.
    pub fn parse(text: &str) -> Result<Rules, String> {
        let mut sets: Vec<RuleSet> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() < 5 {
                return Err(format!(
                    "line {n}: set, valid_from, level, kind and args separated by tabs"
                ));
            }
            let from = NaiveDate::parse_from_str(f[1], "%Y-%m-%d")
                .map_err(|_| format!("line {n}: valid_from `{}` is not YYYY-MM-DD", f[1]))?;
            let level = Level::parse(f[2])
                .filter(|l| l.is_coloured())
                .ok_or_else(|| format!("line {n}: level `{}`: yellow, orange or red", f[2]))?;
            let args: Vec<u32> = f[4]
                .split_whitespace()
                .map(|a| {
                    a.parse()
                        .map_err(|_| format!("line {n}: `{a}` is not a whole number"))
                })
                .collect::<Result<_, _>>()?;
            let cond = match (f[3], args.as_slice()) {
                ("run", [over, days]) if *days > 0 => Condition::Run {
                    over: *over,
                    days: *days as usize,
                },
                ("run_with", [over, days, io, id]) if *days > 0 => Condition::RunWith {
                    over: *over,
                    days: *days as usize,
                    inner_over: *io,
                    inner_days: *id as usize,
                },
                ("at_least", [aqi]) => Condition::AtLeast { aqi: *aqi },
                (k, _) => return Err(format!("line {n}: kind `{k}` with arguments `{}`", f[4])),
            };
            let basis = f.get(5).unwrap_or(&"").to_string();
            match sets.iter_mut().find(|s| s.name == f[0]) {
                Some(s) if s.valid_from != from => {
                    return Err(format!("line {n}: set {} starts on two dates", f[0]));
                }
                Some(s) => s.conditions.push((level, cond, basis)),
                None => sets.push(RuleSet {
                    name: f[0].to_string(),
                    valid_from: from,
                    conditions: vec![(level, cond, basis)],
                }),
            }
        }
        if sets.is_empty() {
            return Err("no rule set".into());
        }
        sets.sort_by_key(|s| s.valid_from);
        Ok(Rules { sets })
    }

    /// The set named `name`.
    pub fn named(&self, name: &str) -> Option<&RuleSet> {
        self.sets.iter().find(|s| s.name == name)
    }

    /// The set in force on `day` (the oldest for a day before them all).
    pub fn on(&self, day: NaiveDate) -> &RuleSet {
        self.sets
            .iter()
            .rev()
            .find(|s| s.valid_from <= day)
            .unwrap_or(&self.sets[0])
    }
}

/// What the classifier found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Classification {
    pub level: Level,
    /// The rule set used.
    pub rules: String,
    /// The condition that decided it (empty for none).
    pub because: String,
    /// The days that decided it.
    pub days: Vec<NaiveDate>,
    /// Days that did not count (O3 or dust), with why.
    pub not_counted: Vec<(NaiveDate, String)>,
}

/// Whether a day counts toward a coloured alert, or why not.
pub fn counts(d: &Day) -> Result<(), String> {
    let o3 = d.primary.iter().any(|p| {
        let p = p.trim().to_ascii_uppercase();
        p == "O3" || p.starts_with("O3_") || p == "O3-8H" || p == "A05024"
    });
    if o3 {
        return Err("primary pollutant O3".into());
    }
    if d.cause == Cause::Dust {
        return Err("dust or sand".into());
    }
    Ok(())
}

/// Runs of consecutive dates among `days` (sorted) whose `ok` holds.
fn runs<'a>(days: &'a [&'a Day], ok: impl Fn(&Day) -> bool) -> Vec<Vec<&'a Day>> {
    let mut out: Vec<Vec<&Day>> = Vec::new();
    let mut cur: Vec<&Day> = Vec::new();
    for d in days {
        let next_of_last = cur.last().and_then(|l| l.date.succ_opt()) == Some(d.date);
        if ok(d) && (cur.is_empty() || next_of_last) {
            cur.push(d);
        } else {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            if ok(d) {
                cur.push(d);
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The first days that meet `c`, if any.
fn meets(c: &Condition, days: &[&Day]) -> Option<Vec<NaiveDate>> {
    match *c {
        Condition::AtLeast { aqi } => days.iter().find(|d| d.aqi >= aqi).map(|d| vec![d.date]),
        Condition::Run { over, days: n } => runs(days, |d| d.aqi > over)
            .into_iter()
            .find(|r| r.len() >= n)
            .map(|r| r.iter().map(|d| d.date).collect()),
        Condition::RunWith {
            over,
            days: n,
            inner_over,
            inner_days,
        } => runs(days, |d| d.aqi > over)
            .into_iter()
            .find(|r| r.len() >= n && r.iter().filter(|d| d.aqi > inner_over).count() >= inner_days)
            .map(|r| r.iter().map(|d| d.date).collect()),
    }
}

/// The highest level `set` gives `days` (all taken as counted).
fn level_of(set: &RuleSet, days: &[&Day]) -> (Level, String, Vec<NaiveDate>) {
    let mut best = (Level::None, String::new(), Vec::new());
    for (level, cond, _) in &set.conditions {
        if *level > best.0
            && let Some(d) = meets(cond, days)
        {
            best = (*level, cond.to_string(), d);
        }
    }
    best
}

/// Classifies forecast days (any order; one entry per date) by `set`.
pub fn classify(days: &[Day], set: &RuleSet) -> Result<Classification, String> {
    let mut sorted: Vec<&Day> = days.iter().collect();
    sorted.sort_by_key(|d| d.date);
    if let Some(w) = sorted.windows(2).find(|w| w[0].date == w[1].date) {
        return Err(format!("{} is given twice", w[0].date));
    }
    let not_counted: Vec<(NaiveDate, String)> = sorted
        .iter()
        .filter_map(|d| counts(d).err().map(|why| (d.date, why)))
        .collect();
    // A day that does not count breaks a run: split the counted days there.
    let mut segments: Vec<Vec<&Day>> = vec![Vec::new()];
    for d in &sorted {
        if counts(d).is_ok() {
            if let Some(s) = segments.last_mut() {
                s.push(d);
            }
        } else {
            segments.push(Vec::new());
        }
    }
    let mut best = (Level::None, String::new(), Vec::new());
    for s in &segments {
        let l = level_of(set, s);
        if l.0 > best.0 {
            best = l;
        }
    }
    if best.0 == Level::None {
        let all = level_of(set, &sorted);
        if all.0.is_coloured() {
            best = (
                Level::Advisory,
                format!("{} if every day counted ({})", all.0, all.1),
                all.2,
            );
        }
    }
    Ok(Classification {
        level: best.0,
        rules: set.name.clone(),
        because: best.1,
        days: best.2,
        not_counted,
    })
}

/// The effective level: the highest of the local one and the notices'.
pub fn effective(local: Level, notices: &[Level]) -> Level {
    notices.iter().copied().fold(local, Level::max)
}

/// The AQI a day must stay at or below for `level` to be left: the lowest
/// threshold among its conditions in `set`.
pub fn trigger(set: &RuleSet, level: Level) -> Option<u32> {
    set.conditions
        .iter()
        .filter(|(l, ..)| *l == level)
        .map(|(_, c, _)| match c {
            Condition::Run { over, .. } | Condition::RunWith { over, .. } => *over,
            Condition::AtLeast { aqi } => aqi.saturating_sub(1),
        })
        .min()
}

/// What to do with an alert at `current` given the latest classification
/// and the forecast of the next 36 h (the days covering it): rise at once;
/// go down (to the new level, or lift to none) only when every day of the
/// next 36 h stays at or below the current level's trigger; otherwise
/// hold (when the AQI swings between two levels, the higher holds).
pub fn next_level(set: &RuleSet, current: Level, latest: Level, next_36h: &[Day]) -> Level {
    if latest >= current {
        return latest;
    }
    let Some(t) = trigger(set, current) else {
        return latest;
    };
    if !next_36h.is_empty() && next_36h.iter().all(|d| d.aqi <= t) {
        latest
    } else {
        current
    }
}
