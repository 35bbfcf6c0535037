//! Assessment (考核): a department's or a township's monthly score by a
//! versioned scheme (`rules/score-2026-1.tsv`), every point lost with the
//! items behind it, and the ranks. Pure: the facts of the month are given.
//!
//! Readings written down here:
//! - Everyone starts at `base` and loses points per item; never below
//!   `floor`. Whole points, so the arithmetic is exact.
//! - The tasks counted are the owner's tasks with their light at the
//!   month's end (or on the day asked, for the current month).
//! - Departments and townships are ranked apart (they are not compared):
//!   higher score first, equal scores share a rank (1, 1, 3), then by name
//!   for the order of the list only.
//! - The air-ranking term is for townships only, and only where a ranking
//!   is given (a township with no assessed station loses nothing for it).

use std::collections::HashMap;

use crate::tasks::Light;

/// The scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreRules {
    pub version: String,
    n: HashMap<String, i64>,
}

pub const DEFAULT_SCORE_RULES: &str = include_str!("../rules/score-2026-1.tsv");

const KEYS: crate::rules::Keys<'static> = &[
    ("base", 0, 1000),
    ("floor", -1000, 1000),
    ("red_task", 0, 100),
    ("yellow_task", 0, 100),
    ("late_report", 0, 100),
    ("overdue_ticket", 0, 100),
    ("straw_fire", 0, 100),
    ("other_fire", 0, 100),
    ("air_rank_step", 0, 100),
    ("air_rank_max", 0, 100),
];

impl ScoreRules {
    pub fn shipped() -> ScoreRules {
        ScoreRules::parse(DEFAULT_SCORE_RULES, "score-2026-1.tsv")
            .expect("the shipped scoring scheme is valid")
    }

    /// Reads a scheme; the error names the file, the line and the key.
    pub fn parse(text: &str, file: &str) -> Result<ScoreRules, String> {
        let (version, n) = crate::rules::read(text, file, KEYS)?;
        Ok(ScoreRules { version, n })
    }

    /// A number of the scheme by key (every key of the file is present).
    pub fn get(&self, key: &str) -> i64 {
        self.n.get(key).copied().unwrap_or(0)
    }
}

/// What happened to one owner in the month.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// `department:NAME` or `township:NAME`.
    pub owner: String,
    /// Each task's key and its light.
    pub tasks: Vec<(String, Light)>,
    /// Reports due in the month not in by their day: the tasks' keys.
    pub late_reports: Vec<String>,
    /// Tickets that passed their due time in the month unanswered: ids.
    pub overdue_tickets: Vec<i64>,
    /// Verified fire points of the township in the month: (id, straw?).
    pub fires: Vec<(String, bool)>,
    /// The township's place in the air ranking and of how many.
    pub air_rank: Option<(usize, usize)>,
}

/// Points lost for one kind of item.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Deduction {
    /// The scheme's key (`red_task`, …).
    pub rule: String,
    pub what: String,
    pub count: usize,
    pub each: i64,
    pub points: i64,
    /// The items: task keys, ticket ids, fire point ids, the rank.
    pub evidence: Vec<String>,
}

/// One owner's score.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Score {
    pub owner: String,
    pub score: i64,
    /// Among owners of the same kind (departments, townships).
    pub rank: usize,
    pub deductions: Vec<Deduction>,
    pub tasks: usize,
    pub rules: String,
}

/// The score of one owner (rank 0 until [`rank`]).
pub fn score(f: &Facts, r: &ScoreRules) -> Score {
    let mut out = Vec::new();
    let mut add = |rule: &str, what: &str, evidence: Vec<String>| {
        if evidence.is_empty() {
            return;
        }
        let each = r.get(rule);
        out.push(Deduction {
            rule: rule.into(),
            what: what.into(),
            count: evidence.len(),
            each,
            points: each * evidence.len() as i64,
            evidence,
        });
    };
    let lit = |l: Light| {
        f.tasks
            .iter()
            .filter(|(_, x)| *x == l)
            .map(|(k, _)| k.clone())
            .collect::<Vec<_>>()
    };
    add("red_task", "红灯任务 tasks overdue", lit(Light::Red));
    add("yellow_task", "黄灯任务 tasks at risk", lit(Light::Yellow));
    add(
        "late_report",
        "进展逾期未报 reports late",
        f.late_reports.clone(),
    );
    add(
        "overdue_ticket",
        "工单超期 tickets overdue",
        f.overdue_tickets.iter().map(|t| format!("#{t}")).collect(),
    );
    let fires = |straw: bool| {
        f.fires
            .iter()
            .filter(|(_, s)| *s == straw)
            .map(|(id, _)| id.clone())
            .collect::<Vec<_>>()
    };
    add("straw_fire", "秸秆焚烧火点 straw fire points", fires(true));
    add(
        "other_fire",
        "其他露天焚烧 other burning points",
        fires(false),
    );
    if let Some((place, of)) = f.air_rank {
        let below = place.saturating_sub(1) as i64;
        let points = (below * r.get("air_rank_step")).min(r.get("air_rank_max"));
        if points > 0 {
            out.push(Deduction {
                rule: "air_rank_step".into(),
                what: "空气质量排名 air-quality rank".into(),
                count: below as usize,
                each: r.get("air_rank_step"),
                points,
                evidence: vec![format!("第 {place} 名 / {of}")],
            });
        }
    }
    let lost: i64 = out.iter().map(|d| d.points).sum();
    Score {
        owner: f.owner.clone(),
        score: (r.get("base") - lost).max(r.get("floor")),
        rank: 0,
        deductions: out,
        tasks: f.tasks.len(),
        rules: r.version.clone(),
    }
}

/// Ranks departments and townships apart: higher first, ties share a
/// rank; the list comes back ordered by kind, rank, then name.
pub fn rank(mut scores: Vec<Score>) -> Vec<Score> {
    let kind = |o: &str| o.split_once(':').map_or("", |(k, _)| k).to_string();
    scores.sort_by(|a, b| {
        (kind(&a.owner), -a.score, &a.owner).cmp(&(kind(&b.owner), -b.score, &b.owner))
    });
    let mut i = 0;
    while i < scores.len() {
        let k = kind(&scores[i].owner);
        let group_start = i;
        while i < scores.len() && kind(&scores[i].owner) == k {
            let better = scores[group_start..i]
                .iter()
                .filter(|s| s.score > scores[i].score)
                .count();
            scores[i].rank = better + 1;
            i += 1;
        }
    }
    scores
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(owner: &str) -> Facts {
        Facts {
            owner: owner.into(),
            ..Facts::default()
        }
    }

    /// Worked by hand with the shipped scheme (100; red 5, yellow 1, late
    /// report 2, overdue ticket 3, straw 10, other 2, rank 1 per place to 10).
    #[test]
    fn a_township_loses_points_item_by_item() {
        let r = ScoreRules::shipped();
        let f = Facts {
            tasks: vec![
                ("16/township:羊册镇".into(), Light::Red),
                ("14/township:羊册镇".into(), Light::Yellow),
                ("3/township:羊册镇".into(), Light::Yellow),
                ("5/township:羊册镇".into(), Light::Green),
            ],
            late_reports: vec!["16/township:羊册镇".into()],
            overdue_tickets: vec![7, 9],
            fires: vec![("SAT-1".into(), true), ("CAM-2".into(), false)],
            air_rank: Some((4, 14)),
            ..facts("township:羊册镇")
        };
        let s = score(&f, &r);
        // 5 + 2×1 + 2 + 2×3 + 10 + 2 + 3 = 30 → 70.
        assert_eq!(s.score, 70);
        let pts: Vec<(&str, i64)> = s
            .deductions
            .iter()
            .map(|d| (d.rule.as_str(), d.points))
            .collect();
        assert_eq!(
            pts,
            [
                ("red_task", 5),
                ("yellow_task", 2),
                ("late_report", 2),
                ("overdue_ticket", 6),
                ("straw_fire", 10),
                ("other_fire", 2),
                ("air_rank_step", 3)
            ]
        );
        assert_eq!(s.deductions[3].evidence, ["#7", "#9"]);
        assert_eq!(s.deductions[6].evidence, ["第 4 名 / 14"]);
        // The rank term stops at its cap; the floor holds.
        let last = Facts {
            air_rank: Some((14, 14)),
            ..facts("township:x")
        };
        assert_eq!(score(&last, &r).score, 90);
        let many = Facts {
            fires: (0..30).map(|i| (i.to_string(), true)).collect(),
            ..facts("township:y")
        };
        assert_eq!(score(&many, &r).score, 0);
        // Nothing happened: the base, no deductions.
        let s = score(&facts("department:住建局"), &r);
        assert_eq!((s.score, s.deductions.len()), (100, 0));
    }

    #[test]
    fn departments_and_townships_rank_apart_ties_shared() {
        let r = ScoreRules::shipped();
        let s = |o: &str, reds: usize| {
            score(
                &Facts {
                    tasks: (0..reds).map(|i| (i.to_string(), Light::Red)).collect(),
                    ..facts(o)
                },
                &r,
            )
        };
        let ranked = rank(vec![
            s("township:b", 1),
            s("department:住建局", 0),
            s("township:a", 1),
            s("township:c", 0),
            s("department:交通运输局", 2),
        ]);
        let got: Vec<(&str, i64, usize)> = ranked
            .iter()
            .map(|x| (x.owner.as_str(), x.score, x.rank))
            .collect();
        assert_eq!(
            got,
            [
                ("department:住建局", 100, 1),
                ("department:交通运输局", 90, 2),
                ("township:c", 100, 1),
                ("township:a", 95, 2),
                ("township:b", 95, 2)
            ]
        );
    }

    #[test]
    fn a_bad_scheme_is_named() {
        let e = ScoreRules::parse("version\tx\nbase\tmany\n", "s.tsv").unwrap_err();
        assert_eq!(e, "s.tsv:2: base: `many` is not a whole number 0–1000");
        let e = ScoreRules::parse("version\tx\nbase\t100\n", "s.tsv").unwrap_err();
        assert_eq!(e, "s.tsv: no floor line");
    }
}
