//! Deadlines, default severities, the escalation ladder and the extension
//! limits, read from a versioned rule file (`rules/tickets-2026-1.tsv` is
//! shipped and is the default; a county may configure its own). Times are
//! milliseconds; the clock is a parameter.

use std::collections::HashMap;

/// How grave a problem is (management.md §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// 紧急: pollution in progress, a risk to health.
    Urgent,
    /// 较重: 督察 or an upper level's case, a permit breach.
    Serious,
    /// 一般: an ordinary report.
    Ordinary,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Urgent, Severity::Serious, Severity::Ordinary];
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Urgent => "urgent",
            Severity::Serious => "serious",
            Severity::Ordinary => "ordinary",
        }
    }
    pub const fn name_zh(self) -> &'static str {
        match self {
            Severity::Urgent => "紧急",
            Severity::Serious => "较重",
            Severity::Ordinary => "一般",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Where a problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Manual,
    PublicReport,
    SourceAlarm,
    AlertViolation,
    FirePoint,
    StationHotspot,
    /// A task of the plan's ledger gone 红 (overdue).
    LedgerTask,
}

impl Source {
    pub const ALL: [Source; 7] = [
        Source::Manual,
        Source::PublicReport,
        Source::SourceAlarm,
        Source::AlertViolation,
        Source::FirePoint,
        Source::StationHotspot,
        Source::LedgerTask,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::Manual => "manual",
            Source::PublicReport => "public_report",
            Source::SourceAlarm => "source_alarm",
            Source::AlertViolation => "alert_violation",
            Source::FirePoint => "fire_point",
            Source::StationHotspot => "station_hotspot",
            Source::LedgerTask => "ledger_task",
        }
    }
    pub const fn name_zh(self) -> &'static str {
        match self {
            Source::Manual => "人工录入",
            Source::PublicReport => "群众举报",
            Source::SourceAlarm => "污染源报警",
            Source::AlertViolation => "预警违规",
            Source::FirePoint => "火点",
            Source::StationHotspot => "站点热点",
            Source::LedgerTask => "任务逾期",
        }
    }
    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A step of the escalation ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// 提醒: to the handler, before the due time.
    Remind,
    /// 催办: overdue, to the unit.
    Urge,
    /// 黄牌督办.
    Yellow,
    /// 红牌督办.
    Red,
}

impl Step {
    pub const ALL: [Step; 4] = [Step::Remind, Step::Urge, Step::Yellow, Step::Red];
    pub const fn as_str(self) -> &'static str {
        match self {
            Step::Remind => "remind",
            Step::Urge => "urge",
            Step::Yellow => "yellow",
            Step::Red => "red",
        }
    }
    pub const fn name_zh(self) -> &'static str {
        match self {
            Step::Remind => "到期提醒",
            Step::Urge => "催办",
            Step::Yellow => "黄牌督办",
            Step::Red => "红牌督办",
        }
    }
    pub fn parse(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// When a ladder step fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offset {
    /// This share (percent) of the allowed time before the due time.
    BeforeShare(u32),
    /// This many hours after the due time.
    AfterHours(u32),
}

/// The rules of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    pub version: String,
    /// (source or None for any, severity) → hours.
    due: HashMap<(Option<Source>, Severity), u32>,
    severity: HashMap<Source, Severity>,
    /// In order of firing.
    pub ladder: Vec<(Step, Offset)>,
    pub max_extensions: u32,
    pub max_extension_days: u32,
}

/// The shipped rule file.
pub const SHIPPED: &str = include_str!("../rules/tickets-2026-1.tsv");

impl Default for Rules {
    fn default() -> Self {
        Rules::parse(SHIPPED).unwrap_or_else(|e| panic!("the shipped ticket rules: {e}"))
    }
}

impl Rules {
    /// Reads a rule file; an error names the line and what is wrong.
    pub fn parse(text: &str) -> Result<Rules, String> {
        let mut r = Rules {
            version: String::new(),
            due: HashMap::new(),
            severity: HashMap::new(),
            ladder: Vec::new(),
            max_extensions: 1,
            max_extension_days: 30,
        };
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let line = line.trim_end();
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() < 3 {
                return Err(format!("line {n}: kind, key and value separated by tabs"));
            }
            let (kind, key, value) = (f[0], f[1], f[2]);
            let hours = |v: &str| {
                v.parse::<u32>()
                    .map_err(|_| format!("line {n}: `{v}` is not a whole number"))
            };
            match kind {
                "version" => r.version = value.to_string(),
                "due" => {
                    let (src, sev) = key
                        .split_once('/')
                        .ok_or_else(|| format!("line {n}: due key is SOURCE/SEVERITY"))?;
                    let src = if src == "*" {
                        None
                    } else {
                        Some(
                            Source::parse(src)
                                .ok_or_else(|| format!("line {n}: unknown source `{src}`"))?,
                        )
                    };
                    let sev = Severity::parse(sev)
                        .ok_or_else(|| format!("line {n}: unknown severity `{sev}`"))?;
                    let h = hours(value)?;
                    if h == 0 {
                        return Err(format!("line {n}: a due time of 0 hours"));
                    }
                    r.due.insert((src, sev), h);
                }
                "severity" => {
                    let src = Source::parse(key)
                        .ok_or_else(|| format!("line {n}: unknown source `{key}`"))?;
                    let sev = Severity::parse(value)
                        .ok_or_else(|| format!("line {n}: unknown severity `{value}`"))?;
                    r.severity.insert(src, sev);
                }
                "ladder" => {
                    let step = Step::parse(key)
                        .ok_or_else(|| format!("line {n}: unknown ladder step `{key}`"))?;
                    let off = if let Some(p) =
                        value.strip_prefix('-').and_then(|v| v.strip_suffix('%'))
                    {
                        let p = hours(p)?;
                        if p > 100 {
                            return Err(format!("line {n}: more than 100 %"));
                        }
                        Offset::BeforeShare(p)
                    } else if let Some(h) =
                        value.strip_prefix('+').and_then(|v| v.strip_suffix('h'))
                    {
                        Offset::AfterHours(hours(h)?)
                    } else {
                        return Err(format!(
                            "line {n}: a ladder offset is -P% (before the due time) or +Hh (after it), not `{value}`"
                        ));
                    };
                    r.ladder.push((step, off));
                }
                "extend" => match key {
                    "max_times" => r.max_extensions = hours(value)?,
                    "max_days" => r.max_extension_days = hours(value)?,
                    _ => return Err(format!("line {n}: unknown extend key `{key}`")),
                },
                _ => return Err(format!("line {n}: unknown kind `{kind}`")),
            }
        }
        if r.version.is_empty() {
            return Err("no `version` line".into());
        }
        for sev in Severity::ALL {
            if !r.due.contains_key(&(None, sev)) {
                return Err(format!("no `due */{}` line", sev.as_str()));
            }
        }
        let mut last = None;
        for (step, off) in &r.ladder {
            let key = match off {
                Offset::BeforeShare(p) => (0, -i64::from(*p)),
                Offset::AfterHours(h) => (1, i64::from(*h)),
            };
            if last.is_some_and(|l| l >= key) {
                return Err(format!(
                    "ladder step `{}` fires before the step above it",
                    step.as_str()
                ));
            }
            last = Some(key);
        }
        Ok(r)
    }

    /// The severity a ticket from `source` gets when none is given.
    pub fn default_severity(&self, source: Source) -> Severity {
        self.severity
            .get(&source)
            .copied()
            .unwrap_or(Severity::Ordinary)
    }

    /// Hours allowed for a ticket of `source` and `severity`.
    pub fn due_hours(&self, source: Source, severity: Severity) -> u32 {
        self.due
            .get(&(Some(source), severity))
            .or_else(|| self.due.get(&(None, severity)))
            .copied()
            .unwrap_or(360)
    }

    /// The due time of a ticket assigned at `from_ms`.
    pub fn due_ms(&self, from_ms: i64, source: Source, severity: Severity) -> i64 {
        from_ms + i64::from(self.due_hours(source, severity)) * 3_600_000
    }

    /// The moment `step` fires for a ticket whose clock started at
    /// `start_ms` and is due at `due_ms`.
    pub fn fires_at(&self, off: Offset, start_ms: i64, due_ms: i64) -> i64 {
        match off {
            Offset::BeforeShare(p) => {
                let allowed = (due_ms - start_ms).max(0);
                due_ms - allowed * i64::from(p) / 100
            }
            Offset::AfterHours(h) => due_ms + i64::from(h) * 3_600_000,
        }
    }

    /// The highest ladder step reached at `now_ms` (None before the first).
    pub fn reached(&self, start_ms: i64, due_ms: i64, now_ms: i64) -> Option<Step> {
        self.ladder
            .iter()
            .filter(|(_, off)| self.fires_at(*off, start_ms, due_ms) <= now_ms)
            .map(|(s, _)| *s)
            .max()
    }

    /// Whether an extension to `new_due_ms` is allowed for a ticket due at
    /// `due_ms` and extended `times` times already.
    pub fn check_extension(&self, times: u32, due_ms: i64, new_due_ms: i64) -> Result<(), String> {
        if times >= self.max_extensions {
            return Err(format!(
                "this ticket has been extended {times} time(s); at most {} (rules {})",
                self.max_extensions, self.version
            ));
        }
        if new_due_ms <= due_ms {
            return Err("the new due time must be later than the current one".into());
        }
        if new_due_ms - due_ms > i64::from(self.max_extension_days) * 86_400_000 {
            return Err(format!(
                "an extension moves the due time by at most {} days (rules {})",
                self.max_extension_days, self.version
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    #[test]
    fn the_shipped_rules() {
        let r = Rules::default();
        assert_eq!(r.version, "2026-1");
        assert_eq!(r.due_hours(Source::Manual, Severity::Urgent), 24);
        assert_eq!(r.due_hours(Source::SourceAlarm, Severity::Serious), 168);
        assert_eq!(r.due_hours(Source::PublicReport, Severity::Ordinary), 360);
        assert_eq!(r.default_severity(Source::FirePoint), Severity::Urgent);
        assert_eq!(r.default_severity(Source::PublicReport), Severity::Ordinary);
        assert_eq!(
            r.due_ms(1000, Source::FirePoint, Severity::Urgent),
            1000 + 24 * H
        );
        assert_eq!((r.max_extensions, r.max_extension_days), (1, 30));
    }

    /// The ladder of a 7-day ticket, hour by hour at its edges.
    #[test]
    fn the_ladder_fires_in_order() {
        let r = Rules::default();
        let (start, due) = (0, 168 * H);
        // Remind at 75 % of 168 h = 126 h.
        assert_eq!(r.reached(start, due, 126 * H - 1), None);
        assert_eq!(r.reached(start, due, 126 * H), Some(Step::Remind));
        assert_eq!(r.reached(start, due, due - 1), Some(Step::Remind));
        assert_eq!(r.reached(start, due, due), Some(Step::Urge));
        assert_eq!(r.reached(start, due, due + 24 * H - 1), Some(Step::Urge));
        assert_eq!(r.reached(start, due, due + 24 * H), Some(Step::Yellow));
        assert_eq!(r.reached(start, due, due + 72 * H), Some(Step::Red));
        assert_eq!(r.reached(start, due, due + 1000 * H), Some(Step::Red));
    }

    #[test]
    fn extensions_are_limited() {
        let r = Rules::default();
        let due = 100 * H;
        assert!(r.check_extension(0, due, due + 30 * 24 * H).is_ok());
        assert!(r.check_extension(0, due, due + 30 * 24 * H + 1).is_err());
        assert!(r.check_extension(0, due, due).is_err());
        assert_eq!(
            r.check_extension(1, due, due + H).unwrap_err(),
            "this ticket has been extended 1 time(s); at most 1 (rules 2026-1)"
        );
    }

    #[test]
    fn a_bad_rule_file_names_its_line() {
        assert_eq!(
            Rules::parse("version\tt\t1\ndue\t*/urgent\tsoon\n").unwrap_err(),
            "line 2: `soon` is not a whole number"
        );
        assert_eq!(
            Rules::parse("version\tt\t1\ndue\t*/urgent\t24\ndue\t*/serious\t1\n").unwrap_err(),
            "no `due */ordinary` line"
        );
        let base = "version\tt\t1\ndue\t*/urgent\t1\ndue\t*/serious\t1\ndue\t*/ordinary\t1\n";
        assert_eq!(
            Rules::parse(&format!("{base}ladder\turge\t+0h\nladder\tremind\t-25%\n")).unwrap_err(),
            "ladder step `remind` fires before the step above it"
        );
        assert!(Rules::parse(&format!("{base}ladder\tremind\t-25%\n")).is_ok());
        assert_eq!(
            Rules::parse(&format!("{base}ladder\tremind\t25\n")).unwrap_err(),
            "line 5: a ladder offset is -P% (before the due time) or +Hh (after it), not `25`"
        );
    }
}
