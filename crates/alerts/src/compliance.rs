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
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            baseline_days: 7,
            skip_hours: 24,
            stop_keep_percent: 10,
            limit_slack_percent: 5,
            raise_margin_percent: 15,
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
    /// Mean load of the baseline hours and of the 24 h before, milli-units.
    pub baseline_mean: Option<i64>,
    pub before_mean: Option<i64>,
    /// Raised its load before the alert.
    pub raised_before: bool,
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
    let mut hours = Vec::with_capacity(count);
    for i in 0..count as i64 {
        let ms = start_ms + i * HOUR;
        let v = match (s.at(ms), baseline_at(s, start_ms, ms, set)) {
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
        baseline_mean,
        before_mean,
        raised_before,
    }
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
