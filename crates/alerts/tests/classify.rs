//! The classifier as data (`tests/cases/levels.cases`): both rule sets,
//! strict boundaries, O3 and dust, gaps; and what an alert does next
//! (raise, hold, downgrade, lift) beside the notices.

use chrono::NaiveDate;
use lantian_alerts::classify::{self, Level};
use lantian_alerts::{Cause, Day, Rules};

fn days(from: NaiveDate, spec: &str) -> Vec<Day> {
    let mut out = Vec::new();
    for (i, tok) in spec.split_whitespace().enumerate() {
        if tok == "_" {
            continue;
        }
        let f: Vec<&str> = tok.split('/').collect();
        out.push(Day {
            date: from + chrono::Days::new(i as u64),
            aqi: f[0].parse().unwrap(),
            range: None,
            primary: f
                .get(1)
                .map(|p| vec![p.to_string()])
                .unwrap_or_else(|| vec!["PM2.5".into()]),
            cause: f
                .get(2)
                .map(|c| Cause::parse(c).unwrap())
                .unwrap_or_default(),
        });
    }
    out
}

#[test]
fn every_case_of_the_case_file() {
    let rules = Rules::default();
    let text = include_str!("cases/levels.cases");
    let mut n = 0;
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let (set, first) = match f[0].strip_prefix("auto:") {
            Some(d) => {
                let d = NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
                (rules.on(d), d)
            }
            None => (
                rules.named(f[0]).unwrap(),
                NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            ),
        };
        let ds = days(first, f[1]);
        let c = classify::classify(&ds, set).unwrap();
        let want = Level::parse(f[2]).unwrap();
        assert_eq!(c.level, want, "line {}: {line} → {c:?}", i + 1);
        let decided: Vec<String> = c
            .days
            .iter()
            .map(|d| (*d - first).num_days().to_string())
            .collect();
        let want_days = if f[3] == "-" {
            String::new()
        } else {
            f[3].to_string()
        };
        assert_eq!(decided.join(","), want_days, "line {}: {line}", i + 1);
        n += 1;
    }
    assert_eq!(n, 29);
}

#[test]
fn two_days_of_one_date_are_refused() {
    let rules = Rules::default();
    let mut d = days(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), "201 202");
    d[1].date = d[0].date;
    assert_eq!(
        classify::classify(&d, rules.named("2024").unwrap()).unwrap_err(),
        "2026-01-01 is given twice"
    );
}

/// What an alert at `current` does when the latest classification is
/// `latest` and the next 36 h are forecast as given.
#[test]
fn raise_hold_downgrade_lift() {
    let rules = Rules::default();
    let set = rules.named("2024").unwrap();
    let d = |s: &str| days(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(), s);
    use Level::*;
    for (current, latest, next, want) in [
        (Yellow, Orange, "", Orange),
        (Orange, Yellow, "140 140", Yellow),
        (Orange, Yellow, "140 160", Orange),
        (Orange, Yellow, "150 150", Yellow),
        (Orange, None, "100 100", None),
        (Red, Orange, "190 180", Orange),
        (Red, Orange, "210 180", Red),
        (Yellow, None, "", Yellow),
    ] {
        assert_eq!(
            classify::next_level(set, current, latest, &d(next)),
            want,
            "{current} {latest} {next}"
        );
    }
    assert_eq!(classify::trigger(set, Red), Some(200));
    assert_eq!(classify::trigger(set, Yellow), Some(150));
    // The effective level: the highest of the local one and the notices.
    assert_eq!(classify::effective(Yellow, &[Orange, None]), Orange);
    assert_eq!(classify::effective(Red, &[Orange]), Red);
    assert_eq!(classify::effective(None, &[]), None);
}

#[test]
fn a_bad_rule_file_names_its_line() {
    assert_eq!(
        Rules::parse("x\t2024-01-23\tpurple\trun\t200 1\n").unwrap_err(),
        "line 1: level `purple`: yellow, orange or red"
    );
    assert_eq!(
        Rules::parse("x\t2024-01-23\tred\trun\t200\n").unwrap_err(),
        "line 1: kind `run` with arguments `200`"
    );
}
