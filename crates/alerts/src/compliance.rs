//! Compliance during an alert, per firm and hour: the measured load (kg/h
//! of a pollutant from CEMS, or kW from the meter) against the firm's
//! baseline — by default the same hours of the day over the 7 days before
//! the alert, leaving out the 24 h just before it — and the measure for the
//! level: complied, 应停未停 (should have stopped), 应限不限 (should have
//! limited), or no data. A firm whose load in the 24 h before the alert is
//! above its baseline by more than a margin is flagged for raising its
//! load before the alert. Loads are integers (milli-units): every
//! comparison is exact. Every threshold is a setting.

use crate::measures::Action;

/// The thresholds (each documented with its default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Days of baseline (default 7).
    pub baseline_days: i64,
    /// Hours before the alert left out of the baseline (default 24).
    pub skip_hours: i64,
    /// A stopped firm may keep this much of its baseline (standby,
    /// heating), percent (default 10) [M].
    pub stop_keep_percent: i64,
    /// Slack on a limit, percentage points (default 5) [M].
    pub limit_slack_percent: i64,
    /// Load in the 24 h before the alert above the baseline by more than
    /// this percent flags a raise (default 15; the default).
    pub raise_margin_percent: i64,
    /// What a CEMS flow value times this is in m³/h: 3600 for m³/s, the
    /// unit of HJ 212 Table B.2 (default), 1 where devices send m³/h.
    pub flow_per_hour: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            baseline_days: 7,
            skip_hours: 24,
            stop_keep_percent: 10,
            limit_slack_percent: 5,
            raise_margin_percent: 15,
            flow_per_hour: 3600,
        }
    }
}

const HOUR: i64 = 3_600_000;

/// A firm's hourly loads: `loads[i]` is the hour starting at `start_ms + i h`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    pub start_ms: i64,
    pub loads: Vec<Option<i64>>,
}

impl Series {
    fn at(&self, ms: i64) -> Option<i64> {
        let i = (ms - self.start_ms).div_euclid(HOUR);
        usize::try_from(i)
            .ok()
            .and_then(|i| self.loads.get(i).copied().flatten())
    }
}

/// What an hour of the alert was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Complied,
    /// 应停未停.
    NotStopped,
    /// 应限不限.
    NotLimited,
    NoData,
    /// No baseline hour to compare with (a firm new or silent before).
    NoBaseline,
}

/// One firm over an alert.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    /// Per alert hour.
    pub hours: Vec<Verdict>,
    pub complied: usize,
    pub violations: usize,
    pub no_data: usize,
    /// Per alert hour: the load and the baseline it was held to (the mean
    /// of the same hour of the day over the baseline days), milli-units —
    /// the evidence of each verdict.
    pub loads: Vec<Option<i64>>,
    pub baselines: Vec<Option<i64>>,
    /// Mean load of the baseline hours, of the 24 h before and of the
    /// alert's hours with data, milli-units.
    pub baseline_mean: Option<i64>,
    pub before_mean: Option<i64>,
    pub during_mean: Option<i64>,
    /// Raised its load before the alert.
    pub raised_before: bool,
    /// The cut achieved, ‰: 1 − Σ load / Σ baseline over the alert's hours
    /// that have both, each hour against its own hour of the day's baseline
    /// (so a firm that runs by day is not judged against its night hours).
    pub achieved_cut_permille: Option<i64>,
}

/// The baseline of the hour at `ms`: (sum, count) of the same hour of the
/// day over the baseline days.
fn baseline_at(s: &Series, alert_start: i64, ms: i64, set: &Settings) -> (i64, i64) {
    let first = alert_start - set.skip_hours * HOUR - set.baseline_days * 24 * HOUR;
    let end = alert_start - set.skip_hours * HOUR;
    let hod = (ms - alert_start).rem_euclid(24 * HOUR);
    let mut t = first + (hod - (first - alert_start).rem_euclid(24 * HOUR)).rem_euclid(24 * HOUR);
    let (mut sum, mut n) = (0, 0);
    while t < end {
        if let Some(v) = s.at(t) {
            sum += v;
            n += 1;
        }
        t += 24 * HOUR;
    }
    (sum, n)
}

fn mean(s: &Series, from: i64, to: i64) -> Option<i64> {
    let (mut sum, mut n) = (0i64, 0i64);
    let mut t = from;
    while t < to {
        if let Some(v) = s.at(t) {
            sum += v;
            n += 1;
        }
        t += HOUR;
    }
    (n > 0).then(|| sum / n)
}

/// Judges a firm's `hours` of an alert starting at `start_ms` for `count`
/// hours under `action`.
pub fn judge(s: &Series, action: Action, start_ms: i64, count: usize, set: &Settings) -> Outcome {
    judge_spans(
        s,
        start_ms,
        &[Span {
            from_ms: start_ms,
            hours: count,
            action,
        }],
        set,
    )
}

/// A stretch of an alert under one measure (an alert raised from yellow
/// to orange has two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub from_ms: i64,
    pub hours: usize,
    pub action: Action,
}

/// Judges the hours of an alert that started at `start_ms` whose level —
/// and so the firm's measure — changed along the way: each span's hours
/// under its own action, all against the one baseline before the alert's
/// start (a raise does not move the baseline). Spans follow each other;
/// the verdicts are in the spans' order.
pub fn judge_spans(s: &Series, start_ms: i64, spans: &[Span], set: &Settings) -> Outcome {
    let count: usize = spans.iter().map(|x| x.hours).sum();
    let mut hours = Vec::with_capacity(count);
    let mut loads = Vec::with_capacity(count);
    let mut baselines = Vec::with_capacity(count);
    let (mut during_sum, mut during_n) = (0i64, 0i64);
    // The hours with both a load and a baseline: their loads and the sum
    // of their own baselines (each the mean of its hour of the day), for
    // the cut achieved.
    let (mut matched_load, mut matched_base) = (0i64, rust_decimal::Decimal::ZERO);
    for (action, ms) in spans
        .iter()
        .flat_map(|x| (0..x.hours as i64).map(move |i| (x.action, x.from_ms + i * HOUR)))
    {
        let load = s.at(ms);
        let (bsum, bn) = baseline_at(s, start_ms, ms, set);
        loads.push(load);
        baselines.push((bn > 0).then(|| bsum / bn));
        if let Some(l) = load {
            during_sum += l;
            during_n += 1;
            if bn > 0 {
                matched_load += l;
                matched_base += rust_decimal::Decimal::from(bsum) / rust_decimal::Decimal::from(bn);
            }
        }
        let v = match (load, (bsum, bn)) {
            (None, _) => Verdict::NoData,
            (Some(_), (_, 0)) if !matches!(action, Action::None | Action::Voluntary) => {
                Verdict::NoBaseline
            }
            (Some(load), (sum, n)) => {
                // load ≤ mean × share / 100  ⇔  load × n × 100 ≤ sum × share
                let within = |share: i64| {
                    (load as i128) * (n as i128) * 100 <= (sum as i128) * (share as i128)
                };
                match action {
                    Action::None | Action::Voluntary => Verdict::Complied,
                    Action::Stop if within(set.stop_keep_percent) => Verdict::Complied,
                    Action::Stop => Verdict::NotStopped,
                    Action::Limit(p) if within(100 - i64::from(p) + set.limit_slack_percent) => {
                        Verdict::Complied
                    }
                    Action::Limit(_) => Verdict::NotLimited,
                    Action::MaxLoad(p) if within(i64::from(p) + set.limit_slack_percent) => {
                        Verdict::Complied
                    }
                    Action::MaxLoad(_) => Verdict::NotLimited,
                }
            }
        };
        hours.push(v);
    }
    let base_from = start_ms - set.skip_hours * HOUR - set.baseline_days * 24 * HOUR;
    let base_to = start_ms - set.skip_hours * HOUR;
    let baseline_mean = mean(s, base_from, base_to);
    let before_mean = mean(s, start_ms - 24 * HOUR, start_ms);
    let raised_before = match (baseline_mean, before_mean) {
        (Some(b), Some(x)) => {
            (x as i128) * 100 > (b as i128) * (100 + set.raise_margin_percent as i128)
        }
        _ => false,
    };
    let during_mean = (during_n > 0).then(|| during_sum / during_n);
    let complied = hours.iter().filter(|v| **v == Verdict::Complied).count();
    let violations = hours
        .iter()
        .filter(|v| matches!(v, Verdict::NotStopped | Verdict::NotLimited))
        .count();
    let no_data = hours
        .iter()
        .filter(|v| matches!(v, Verdict::NoData | Verdict::NoBaseline))
        .count();
    Outcome {
        hours,
        complied,
        violations,
        no_data,
        loads,
        baselines,
        baseline_mean,
        before_mean,
        during_mean,
        raised_before,
        achieved_cut_permille: achieved_cut_permille(
            matched_base,
            rust_decimal::Decimal::from(matched_load),
        ),
    }
}

/// The cut a measure asks of the baseline, percent: a stop all of it, a
/// limit its percentage, a maximum load what lies above it; none and
/// voluntary nothing (what such a firm cut is still reported).
pub fn required_cut_percent(action: Action) -> u8 {
    match action {
        Action::None | Action::Voluntary => 0,
        Action::Stop => 100,
        Action::Limit(p) => p.min(100),
        Action::MaxLoad(p) => 100u8.saturating_sub(p),
    }
}

/// The cut achieved: 1 − during / baseline (sums or means of the same
/// hours), in permille (‰, so percent with one decimal), rounded half away
/// from zero once; negative when the load rose. `None` for a baseline that
/// is not above zero. The baseline sum is a decimal (28 significant digits)
/// of exact integer means.
pub fn achieved_cut_permille(
    baseline: rust_decimal::Decimal,
    during: rust_decimal::Decimal,
) -> Option<i64> {
    use rust_decimal::prelude::ToPrimitive;
    if baseline <= rust_decimal::Decimal::ZERO {
        return None;
    }
    ((baseline - during) * rust_decimal::Decimal::from(1000) / baseline)
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A firm's series: 8 days before a 72-hour alert, a load per hour.
    fn series(before: i64, last_day: i64, during: Option<i64>) -> (Series, i64) {
        let start = 1_800_000_000_000 - 1_800_000_000_000 % HOUR;
        let from = start - 8 * 24 * HOUR;
        let mut loads = Vec::new();
        for i in 0..(8 * 24 + 72) {
            let t = from + i * HOUR;
            loads.push(if t < start - 24 * HOUR {
                Some(before)
            } else if t < start {
                Some(last_day)
            } else {
                during
            });
        }
        (
            Series {
                start_ms: from,
                loads,
            },
            start,
        )
    }

    /// The five firms: stopped, limited, did not stop, raised its
    /// load before, offline.
    #[test]
    fn the_five_firms() {
        let s = Settings::default();
        // Stopped: 5 % of its baseline left (≤ 10 %).
        let (x, t0) = series(1_000_000, 1_000_000, Some(50_000));
        let o = judge(&x, Action::Stop, t0, 72, &s);
        assert_eq!((o.complied, o.violations, o.raised_before), (72, 0, false));
        // Limited 20 %: at 82 % of baseline (≤ 80 + 5) complies; at 90 % it does not.
        let (x, t0) = series(1_000_000, 1_000_000, Some(820_000));
        assert_eq!(judge(&x, Action::Limit(20), t0, 72, &s).complied, 72);
        let (x, t0) = series(1_000_000, 1_000_000, Some(900_000));
        let o = judge(&x, Action::Limit(20), t0, 72, &s);
        assert_eq!((o.violations, o.hours[0]), (72, Verdict::NotLimited));
        // Did not stop: full load.
        let (x, t0) = series(1_000_000, 1_000_000, Some(1_000_000));
        let o = judge(&x, Action::Stop, t0, 72, &s);
        assert_eq!((o.violations, o.hours[71]), (72, Verdict::NotStopped));
        // Raised its load in the 24 h before (+20 % > 15 %), then "cut" to its old load.
        let (x, t0) = series(1_000_000, 1_200_000, Some(1_000_000));
        let o = judge(&x, Action::Limit(10), t0, 72, &s);
        assert!(o.raised_before);
        assert_eq!(
            o.violations, 72,
            "judged against the baseline before the raise, not the raised hours"
        );
        let (x, t0) = series(1_000_000, 1_150_000, Some(100_000));
        assert!(
            !judge(&x, Action::Stop, t0, 72, &s).raised_before,
            "exactly +15 % is not above the margin"
        );
        // Offline: no data during the alert.
        let (x, t0) = series(1_000_000, 1_000_000, None);
        let o = judge(&x, Action::Stop, t0, 72, &s);
        assert_eq!(
            (o.complied, o.no_data, o.hours[0]),
            (0, 72, Verdict::NoData)
        );
        // A firm without a baseline cannot be judged against it.
        let x = Series {
            start_ms: t0,
            loads: vec![Some(5); 72],
        };
        assert_eq!(
            judge(&x, Action::Stop, t0, 72, &s).hours[0],
            Verdict::NoBaseline
        );
        assert_eq!(judge(&x, Action::Voluntary, t0, 72, &s).complied, 72);
    }

    /// An alert raised from yellow (limit 20 %) to orange (stop) after 24 h:
    /// a firm that cut 20 % and kept at it complies for the yellow day and
    /// is 应停未停 for the orange hours; the baseline stays the one before
    /// the start, and the evidence (load, baseline) is kept per hour.
    #[test]
    fn a_raised_alert_judges_each_span_by_its_own_measure() {
        let s = Settings::default();
        let (x, t0) = series(1_000_000, 1_000_000, Some(800_000));
        let spans = [
            Span {
                from_ms: t0,
                hours: 24,
                action: Action::Limit(20),
            },
            Span {
                from_ms: t0 + 24 * HOUR,
                hours: 48,
                action: Action::Stop,
            },
        ];
        let o = judge_spans(&x, t0, &spans, &s);
        assert_eq!((o.complied, o.violations), (24, 48));
        assert_eq!(o.hours[23], Verdict::Complied);
        assert_eq!(o.hours[24], Verdict::NotStopped);
        assert_eq!(
            (o.loads[30], o.baselines[30]),
            (Some(800_000), Some(1_000_000))
        );
        assert_eq!(o.during_mean, Some(800_000));
        // Achieved 20.0 % of a required 100 % for the stop.
        assert_eq!(o.achieved_cut_permille, Some(200));
        assert_eq!(required_cut_percent(Action::Stop), 100);
        assert_eq!(required_cut_percent(Action::MaxLoad(70)), 30);
        assert_eq!(required_cut_percent(Action::Voluntary), 0);
        // One span equals judge.
        assert_eq!(
            judge(&x, Action::Limit(20), t0, 24, &s),
            judge_spans(&x, t0, &spans[..1], &s)
        );
    }

    /// The achieved cut rounds half away from zero, and is negative when
    /// the load rose.
    #[test]
    fn the_achieved_cut_rounds_exactly() {
        let a = |b: i64, d: i64| {
            achieved_cut_permille(
                rust_decimal::Decimal::from(b),
                rust_decimal::Decimal::from(d),
            )
        };
        assert_eq!(a(3, 2), Some(333));
        assert_eq!(a(3, 1), Some(667));
        assert_eq!(a(2000, 1999), Some(1), "0.5 ‰ up");
        assert_eq!(a(2000, 2001), Some(-1));
        assert_eq!(a(100, 120), Some(-200));
        assert_eq!(a(0, 5), None);
    }

    /// A firm that runs by day, cut by half during a day-time alert: 50 %
    /// achieved against its own day hours, not against a mean with its
    /// idle nights.
    #[test]
    fn the_achieved_cut_is_against_the_same_hours() {
        let s = Settings::default();
        let start = 1_800_000_000_000 - 1_800_000_000_000 % (24 * HOUR) + 8 * HOUR;
        let from = start - 8 * 24 * HOUR - 8 * HOUR;
        let loads: Vec<Option<i64>> = (0..(8 * 24 + 24))
            .map(|i: i64| {
                let t = from + i * HOUR;
                let hod = (t / HOUR).rem_euclid(24);
                let day = (8..18).contains(&hod);
                Some(match (t >= start, day) {
                    (_, false) => 0,
                    (true, true) => 500,
                    (false, true) => 1000,
                })
            })
            .collect();
        let x = Series {
            start_ms: from,
            loads,
        };
        let o = judge(&x, Action::Limit(50), start, 10, &s);
        assert_eq!(
            (o.complied, o.achieved_cut_permille),
            (10, Some(500)),
            "{:?}",
            o.hours
        );
    }

    /// The baseline is the same hour of the day: a firm that runs only by
    /// day is not "not stopped" at night when its night baseline is zero
    /// and it stays at zero.
    #[test]
    fn the_baseline_is_by_hour_of_day() {
        let s = Settings::default();
        let start = 1_800_000_000_000 - 1_800_000_000_000 % (24 * HOUR);
        let from = start - 8 * 24 * HOUR;
        let loads: Vec<Option<i64>> = (0..(8 * 24 + 24))
            .map(|i: i64| {
                let hod = i % 24;
                let t = from + i * HOUR;
                if t >= start {
                    // During the alert: day hours cut 50 %, night still 0.
                    Some(if (8..18).contains(&hod) { 500 } else { 0 })
                } else {
                    Some(if (8..18).contains(&hod) { 1000 } else { 0 })
                }
            })
            .collect();
        let x = Series {
            start_ms: from,
            loads,
        };
        let o = judge(&x, Action::Limit(50), start, 24, &s);
        assert_eq!(o.complied, 24, "{:?}", o.hours);
        let o = judge(&x, Action::Limit(60), start, 24, &s);
        assert_eq!(o.violations, 10, "the ten day hours");
    }
}
