//! SLA figures per assignee and month, derived from the tickets' facts
//! (never kept as running counters). Definitions, written down:
//! - the due time runs against the assignee only while it owes an answer
//!   (as the ladder does): it is judged by its last answer (verify or
//!   feedback) of a ticket that ended or awaits the bureau's review, not by
//!   the bureau's accept;
//! - a ticket's month for `due` and `on_time` is the Beijing month of its
//!   (last) due time; it counts in `due` once that time has passed by
//!   `now`, or once the assignee has answered for good (ended, or under
//!   review); `on_time` = that answer at or before the due time;
//!   `on_time_rate` = on_time / due, exact, rounded half-even to 4 places,
//!   none when nothing fell due;
//! - `closed` and `mean_hours_to_close` count the tickets that ended in
//!   the month (from creation to the end, rounded half-even to 0.1 h);
//! - `returns` counts the bureau's returns made in the month;
//! - `overdue_open` counts tickets whose assignee still owes an answer
//!   (not ended, not under review) whose due time passed by `now` and fell
//!   in the month.

use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};

/// What the figures need of one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub assignee: String,
    pub created_ms: i64,
    pub due_ms: Option<i64>,
    pub ended_ms: Option<i64>,
    /// The assignee's last answer (verify or feedback).
    pub answered_ms: Option<i64>,
    /// Awaiting the bureau's review (the assignee has answered).
    pub reviewing: bool,
    /// When the bureau returned it (each return).
    pub returns_ms: Vec<i64>,
}

/// The figures of one assignee in one month.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Sla {
    pub assignee: String,
    /// YYYY-MM, Beijing time.
    pub month: String,
    pub due: u32,
    pub on_time: u32,
    pub on_time_rate: Option<Decimal>,
    pub closed: u32,
    pub mean_hours_to_close: Option<Decimal>,
    pub returns: u32,
    pub overdue_open: u32,
}

/// The Beijing month (YYYY-MM) of a moment.
pub fn month_of(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms + 8 * 3_600_000)
        .map(|t| t.format("%Y-%m").to_string())
        .unwrap_or_default()
}

/// The figures, by (assignee, month), in that order.
pub fn figures(tickets: &[Facts], now_ms: i64) -> Vec<Sla> {
    #[derive(Default)]
    pub struct Acc {
        due: u32,
        on_time: u32,
        closed: u32,
        close_ms: i64,
        returns: u32,
        overdue_open: u32,
    }
    let mut by: BTreeMap<(String, String), Acc> = BTreeMap::new();
    for t in tickets {
        fn acc<'a>(by: &'a mut BTreeMap<(String, String), Acc>, who: &str, ms: i64) -> &'a mut Acc {
            by.entry((who.to_string(), month_of(ms))).or_default()
        }
        let settled = t.ended_ms.is_some() || t.reviewing;
        let answer = if settled {
            t.answered_ms.or(t.ended_ms)
        } else {
            None
        };
        if let Some(due) = t.due_ms.filter(|d| *d < now_ms || settled) {
            let a = acc(&mut by, &t.assignee, due);
            a.due += 1;
            match answer {
                Some(at) if at <= due => a.on_time += 1,
                None if !settled && due < now_ms => a.overdue_open += 1,
                _ => {}
            }
        }
        if let Some(end) = t.ended_ms {
            let a = acc(&mut by, &t.assignee, end);
            a.closed += 1;
            a.close_ms += (end - t.created_ms).max(0);
        }
        for r in &t.returns_ms {
            acc(&mut by, &t.assignee, *r).returns += 1;
        }
    }
    by.into_iter()
        .map(|((assignee, month), a)| Sla {
            assignee,
            month,
            due: a.due,
            on_time: a.on_time,
            on_time_rate: (a.due > 0).then(|| {
                (Decimal::from(a.on_time) / Decimal::from(a.due))
                    .round_dp_with_strategy(4, RoundingStrategy::MidpointNearestEven)
            }),
            closed: a.closed,
            mean_hours_to_close: (a.closed > 0).then(|| {
                (Decimal::from(a.close_ms) / Decimal::from(3_600_000u32) / Decimal::from(a.closed))
                    .round_dp_with_strategy(1, RoundingStrategy::MidpointNearestEven)
            }),
            returns: a.returns,
            overdue_open: a.overdue_open,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;
    /// 2026-11-01 00:00 Beijing.
    const NOV: i64 = 1_793_462_400_000;

    #[test]
    fn months_are_beijing_months() {
        assert_eq!(month_of(NOV), "2026-11");
        assert_eq!(month_of(NOV - 1), "2026-10");
    }

    /// Three tickets of one township: one on time (48 h), one late (200 h,
    /// returned once), one open past its due time; one of another.
    #[test]
    fn figures_by_assignee_and_month() {
        let t = |a: &str, c: i64, d: i64, e: Option<i64>, r: Vec<i64>| Facts {
            assignee: a.into(),
            created_ms: c,
            due_ms: Some(d),
            ended_ms: e,
            answered_ms: e,
            reviewing: false,
            returns_ms: r,
        };
        let town = "township:泌水街道";
        let tickets = vec![
            t(town, NOV, NOV + 168 * H, Some(NOV + 48 * H), vec![]),
            t(
                town,
                NOV,
                NOV + 168 * H,
                Some(NOV + 200 * H),
                vec![NOV + 100 * H],
            ),
            t(town, NOV, NOV + 24 * H, None, vec![]),
            t(
                "department:住建局",
                NOV,
                NOV + 24 * H,
                Some(NOV + 10 * H),
                vec![],
            ),
        ];
        let mut tickets = tickets;
        // Answered at 160 h, due at 168 h, accepted by the bureau at 180 h:
        // on time (the review's hours are the bureau's).
        tickets.push(Facts {
            answered_ms: Some(NOV + 160 * H),
            ..t(
                "department:住建局",
                NOV,
                NOV + 168 * H,
                Some(NOV + 180 * H),
                vec![],
            )
        });
        // Answered late, still under review: due, not on time, not overdue-open.
        tickets.push(Facts {
            answered_ms: Some(NOV + 30 * H),
            reviewing: true,
            ..t("department:住建局", NOV, NOV + 24 * H, None, vec![])
        });
        let f = figures(&tickets, NOV + 300 * H);
        assert_eq!(f.len(), 2);
        let d = &f[0];
        assert_eq!(
            (d.assignee.as_str(), d.month.as_str()),
            ("department:住建局", "2026-11")
        );
        assert_eq!((d.due, d.on_time, d.overdue_open), (3, 2, 0));
        assert_eq!(d.on_time_rate, Some(Decimal::new(6667, 4)));
        let s = &f[1];
        assert_eq!(
            (s.due, s.on_time, s.closed, s.returns, s.overdue_open),
            (3, 1, 2, 1, 1)
        );
        // 1/3 → 0.3333; (48 + 200) / 2 = 124.0 h.
        assert_eq!(s.on_time_rate, Some(Decimal::new(3333, 4)));
        assert_eq!(s.mean_hours_to_close, Some(Decimal::new(1240, 1)));
    }
}
