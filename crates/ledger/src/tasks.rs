//! Task ledgers (任务清单台账): each measure split into tasks per
//! responsible department and per township, and a task's status 绿/黄/红
//! from its deadline and its monthly progress reports, by a versioned rule
//! file (`rules/ledger-2026-1.tsv`). Pure: the day is a parameter.
//!
//! Readings written down here:
//! - A measure gives one task per responsible department (its role lead,
//!   partner or responsible as the plan says) and, where the plan says the
//!   townships carry every measure (（三）), one per township.
//! - A task's deadline is the latest deadline of its measure's targets
//!   that falls within the ledger's period (start … end), else the
//!   period's end: a ledger kept by year carries a measure whose dated
//!   target has passed on as a standing task to the year's end (the plan
//!   is one of "continuous improvement"). Its indicator and target are the
//!   measure's first target's.
//! - Status, first match wins: done (progress 100) → 绿 "完成"; past the
//!   deadline → 红; `missing_reports_red` or more due reports missing in a
//!   row → 红; one missing → 黄; progress `behind_points` behind the time
//!   gone → 黄; deadline within `due_soon_days` → 黄; else 绿. Every status
//!   carries its reasons.
//! - Month m's report is due by `report_day` of month m+1; months are
//!   counted from the task's start to the month before the day asked.

use chrono::{Datelike, Months, NaiveDate};

use crate::plan::{Measure, Plan};

/// The ledger's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRules {
    pub version: String,
    pub report_day: u32,
    pub behind_points: u32,
    pub due_soon_days: i64,
    pub missing_reports_red: u32,
}

pub const DEFAULT_RULES: &str = include_str!("../rules/ledger-2026-1.tsv");

impl LedgerRules {
    pub fn shipped() -> LedgerRules {
        LedgerRules::parse(DEFAULT_RULES, "ledger-2026-1.tsv")
            .expect("the shipped ledger rules are valid")
    }

    /// Reads a rule file; the error names the file, the line and the key.
    pub fn parse(text: &str, file: &str) -> Result<LedgerRules, String> {
        let (version, n) = crate::rules::read(
            text,
            file,
            &[
                ("report_day", 1, 28),
                ("behind_points", 0, 100),
                ("due_soon_days", 0, 366),
                ("missing_reports_red", 1, 24),
            ],
        )?;
        Ok(LedgerRules {
            version,
            report_day: n["report_day"] as u32,
            behind_points: n["behind_points"] as u32,
            due_soon_days: n["due_soon_days"],
            missing_reports_red: n["missing_reports_red"] as u32,
        })
    }
}

/// Who carries a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// 牵头.
    Lead,
    /// 配合.
    Partner,
    /// 按职责分工负责.
    Responsible,
    /// 属地 (a township, street or the development zone).
    Local,
}

/// One task of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Task {
    /// `{clause}/department:{name}` or `{clause}/township:{name}`.
    pub key: String,
    pub clause: u32,
    pub title: String,
    /// `department:NAME` or `township:NAME` (the tickets' assignee form).
    pub owner: String,
    pub role: Role,
    pub lead: Vec<String>,
    pub partners: Vec<String>,
    pub start: NaiveDate,
    pub deadline: NaiveDate,
    pub indicator: String,
    pub target: String,
}

/// The tasks of a plan: per measure, its departments then the townships.
pub fn split(
    plan: &Plan,
    townships: &[String],
    start: NaiveDate,
    plan_end: NaiveDate,
) -> Vec<Task> {
    let mut out = Vec::new();
    for m in &plan.measures {
        let deadline = m
            .targets
            .iter()
            .filter_map(|t| t.deadline)
            .filter(|d| (start..=plan_end).contains(d))
            .max()
            .unwrap_or(plan_end);
        let (indicator, target) = m.targets.first().map_or_else(
            || ("按计划推进".to_string(), "完成".to_string()),
            |t| {
                let what = match t.op.as_str() {
                    "done" => "完成".to_string(),
                    "reduce" => format!(
                        "较{}年下降{}{}",
                        t.baseline.as_deref().unwrap_or("基准"),
                        t.value,
                        t.unit
                    ),
                    op => format!("{op} {}{}", t.value, t.unit),
                };
                (t.indicator.clone(), what)
            },
        );
        let task = |owner: String, role: Role| Task {
            key: format!("{}/{owner}", m.clause),
            clause: m.clause,
            title: m.title.clone(),
            owner,
            role,
            lead: m.lead.clone(),
            partners: m.partners.clone(),
            start,
            deadline,
            indicator: indicator.clone(),
            target: target.clone(),
        };
        for d in &m.responsible {
            out.push(task(format!("department:{d}"), role_of(m, d)));
        }
        if plan.local.is_some() {
            for t in townships {
                out.push(task(format!("township:{t}"), Role::Local));
            }
        }
    }
    out
}

fn role_of(m: &Measure, d: &str) -> Role {
    if m.lead.iter().any(|x| x == d) {
        Role::Lead
    } else if m.partners.iter().any(|x| x == d) {
        Role::Partner
    } else {
        Role::Responsible
    }
}

/// A monthly progress report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The month reported on (its first day).
    pub month: NaiveDate,
    /// When it was handed in.
    pub submitted: NaiveDate,
    /// 0–100.
    pub progress: u32,
}

/// 绿, 黄 or 红.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Light {
    Green,
    Yellow,
    Red,
}

impl Light {
    pub const fn name_zh(self) -> &'static str {
        match self {
            Light::Green => "绿",
            Light::Yellow => "黄",
            Light::Red => "红",
        }
    }
}

/// A task's status on a day, with why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    pub light: Light,
    pub done: bool,
    pub progress: u32,
    pub reasons: Vec<String>,
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The status of `task` on `today` given its reports.
pub fn status(task: &Task, reports: &[Report], today: NaiveDate, r: &LedgerRules) -> Status {
    let latest = reports
        .iter()
        .filter(|x| x.submitted <= today)
        .max_by_key(|x| (x.month, x.submitted));
    let progress = latest.map_or(0, |x| x.progress.min(100));
    let mut s = Status {
        light: Light::Green,
        done: progress >= 100,
        progress,
        reasons: Vec::new(),
    };
    if s.done {
        s.reasons.push("完成 done".into());
        return s;
    }
    if today > task.deadline {
        s.light = Light::Red;
        s.reasons
            .push(format!("逾期 past its deadline {}", task.deadline));
        return s;
    }
    // Due reports missing, counted back from the latest due month.
    let mut missing = 0u32;
    let mut month = first_of_month(today).checked_sub_months(Months::new(1));
    while let Some(m) = month.filter(|m| *m >= first_of_month(task.start)) {
        let due = m
            .checked_add_months(Months::new(1))
            .and_then(|n| n.with_day(r.report_day));
        if due.is_some_and(|d| today > d) {
            let handed = reports.iter().any(|x| x.month == m && x.submitted <= today);
            if handed {
                break;
            }
            missing += 1;
        }
        month = m.checked_sub_months(Months::new(1));
    }
    if missing >= r.missing_reports_red {
        s.light = Light::Red;
        s.reasons
            .push(format!("{missing} 个月未报送 monthly reports missing"));
        return s;
    }
    if missing > 0 {
        s.light = Light::Yellow;
        s.reasons
            .push("上月进展未按时报送 last month's report missing".into());
    }
    let total = (task.deadline - task.start).num_days().max(1);
    let gone = (today - task.start).num_days().clamp(0, total);
    // Expected progress in whole points, rounded down (exact integers).
    let expected = (gone * 100 / total) as u32;
    if progress + r.behind_points < expected {
        s.light = s.light.max(Light::Yellow);
        s.reasons.push(format!(
            "进度滞后 progress {progress} % against {expected} % of the time gone"
        ));
    }
    if (task.deadline - today).num_days() <= r.due_soon_days {
        s.light = s.light.max(Light::Yellow);
        s.reasons.push(format!("临近时限 due {}", task.deadline));
    }
    s
}

/// The 台账 layout: 序号, 任务, 牵头单位, 配合单位, 完成时限, 进展情况, 佐证材料, 状态.
pub const LEDGER_HEADER: [&str; 8] = [
    "序号",
    "任务",
    "牵头单位",
    "配合单位",
    "完成时限",
    "进展情况",
    "佐证材料",
    "状态",
];

/// One row of the 台账 (the evidence column lists what the caller gives).
pub fn ledger_row(
    n: usize,
    t: &Task,
    s: &Status,
    progress_text: &str,
    evidence: &str,
) -> Vec<String> {
    let lead = if t.lead.is_empty() {
        owner_name(&t.owner).to_string()
    } else {
        t.lead.join("、")
    };
    vec![
        n.to_string(),
        format!(
            "（{}）{}：{} {}",
            crate::plan::numeral(t.clause),
            t.title,
            t.indicator,
            t.target
        ),
        lead,
        t.partners.join("、"),
        t.deadline.format("%Y-%m-%d").to_string(),
        if progress_text.is_empty() {
            format!("{} %", s.progress)
        } else {
            format!("{} %：{progress_text}", s.progress)
        },
        evidence.to_string(),
        if s.done {
            "完成".to_string()
        } else {
            s.light.name_zh().to_string()
        },
    ]
}

/// `department:X` / `township:X` → X.
pub fn owner_name(owner: &str) -> &str {
    owner.split_once(':').map_or(owner, |(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn task() -> Task {
        // 2025-01-01 … 2025-12-31: 364 days.
        split(
            &Plan::biyang(),
            &["羊册镇".into()],
            d(2025, 1, 1),
            d(2025, 12, 31),
        )
        .into_iter()
        .find(|t| t.key == "16/department:农业农村局")
        .unwrap()
    }

    fn rep(month: u32, submitted: NaiveDate, progress: u32) -> Report {
        Report {
            month: d(2025, month, 1),
            submitted,
            progress,
        }
    }

    #[test]
    fn the_plan_splits_into_department_and_township_tasks() {
        let p = Plan::biyang();
        let tasks = split(
            &p,
            &["羊册镇".into(), "泌水街道".into()],
            d(2025, 1, 1),
            d(2025, 12, 31),
        );
        let per: usize = p.measures.iter().map(|m| m.responsible.len() + 2).sum();
        assert_eq!(tasks.len(), per);
        let t16: Vec<(&str, Role)> = tasks
            .iter()
            .filter(|t| t.clause == 16)
            .map(|t| (t.owner.as_str(), t.role))
            .collect();
        assert_eq!(
            t16,
            [
                ("department:农业农村局", Role::Lead),
                ("department:财政局", Role::Partner),
                ("department:生态环境分局", Role::Partner),
                ("township:羊册镇", Role::Local),
                ("township:泌水街道", Role::Local)
            ]
        );
        let t = task();
        assert_eq!(
            (t.indicator.as_str(), t.target.as_str(), t.deadline),
            ("秸秆综合利用率", ">= 93%", d(2025, 12, 31))
        );
        // (二十一)'s deadline is its latest target's in the period; in a
        // later year's ledger the measure stands to that year's end.
        assert!(
            tasks
                .iter()
                .filter(|t| t.clause == 21)
                .all(|t| t.deadline == d(2025, 12, 31))
        );
        let y2024 = split(&p, &[], d(2024, 1, 1), d(2024, 12, 31));
        let t21: Vec<_> = y2024.iter().filter(|t| t.clause == 21).collect();
        assert!(!t21.is_empty() && t21.iter().all(|t| t.deadline == d(2024, 10, 31)));
    }

    /// The lights worked by hand (report day 5, 20 points, 30 days, 2
    /// missing → red).
    #[test]
    fn lights_by_the_rules() {
        let r = LedgerRules::shipped();
        let t = task();
        let light = |reports: &[Report], today| status(&t, reports, today, &r).light;
        // January: no report due yet (January's is due 5 February).
        assert_eq!(light(&[], d(2025, 1, 20)), Light::Green);
        // 6 February: January's missing → 黄; 6 March: two missing → 红.
        assert_eq!(light(&[], d(2025, 2, 6)), Light::Yellow);
        assert_eq!(light(&[], d(2025, 3, 6)), Light::Red);
        // On the 5th it is not late yet.
        assert_eq!(light(&[], d(2025, 2, 5)), Light::Green);
        // Reports in, on track: 1 July, 181 of 364 days gone → 49 %
        // expected; 30 % is 19 behind (绿), 28 % is 21 behind (黄).
        let on = |p| {
            (1..=6)
                .map(|m| rep(m, d(2025, m + 1, 3), p))
                .collect::<Vec<_>>()
        };
        assert_eq!(light(&on(30), d(2025, 7, 1)), Light::Green);
        assert_eq!(light(&on(28), d(2025, 7, 1)), Light::Yellow);
        // A report handed in after its day still counts once in.
        let late = [rep(1, d(2025, 2, 20), 5)];
        assert_eq!(light(&late, d(2025, 2, 21)), Light::Green);
        // Within 30 days of the deadline and not done: 黄; done: 绿; past
        // the deadline and not done: 红.
        let all = |p| {
            (1..=11)
                .map(|m| rep(m, d(2025, m + 1, 3), p))
                .collect::<Vec<_>>()
        };
        assert_eq!(light(&all(95), d(2025, 12, 2)), Light::Yellow);
        let s = status(&t, &all(100), d(2026, 1, 10), &r);
        assert_eq!((s.light, s.done), (Light::Green, true));
        let s = status(&t, &all(95), d(2026, 1, 1), &r);
        assert_eq!(s.light, Light::Red);
        assert!(s.reasons[0].contains("2025-12-31"), "{s:?}");
        // A report not yet handed in on the day asked does not count.
        assert_eq!(
            light(&[rep(1, d(2025, 2, 10), 5)], d(2025, 2, 6)),
            Light::Yellow
        );
    }

    #[test]
    fn the_ledger_row_has_the_usual_columns() {
        let t = task();
        let s = status(&t, &[], d(2025, 1, 20), &LedgerRules::shipped());
        let row = ledger_row(1, &t, &s, "已完成收储点建设", "照片3张");
        assert_eq!(row.len(), LEDGER_HEADER.len());
        assert_eq!(row[2], "农业农村局");
        assert_eq!(row[3], "财政局、生态环境分局");
        assert_eq!(row[7], "绿");
        assert!(
            row[1].starts_with("（十六）加强秸秆综合利用和禁烧"),
            "{}",
            row[1]
        );
    }

    #[test]
    fn a_bad_rule_file_is_named() {
        let e = LedgerRules::parse("version\tx\nreport_day\t31\n", "l.tsv").unwrap_err();
        assert_eq!(e, "l.tsv:2: report_day: `31` is not a whole number 1–28");
        let e = LedgerRules::parse("version\tx\nspeed\t3\n", "l.tsv").unwrap_err();
        assert_eq!(e, "l.tsv:2: speed: unknown key");
    }
}
