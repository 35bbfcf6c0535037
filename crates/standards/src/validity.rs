//! Data validity (GB 3095-2012/2026 Table 4, HJ 663 §6.1.2) and the
//! aggregation of hourly values into daily ones.
//!
//! Conventions (written down because the texts leave them to practice):
//! - An hourly value is labelled by the **end** of its hour; a natural day is
//!   the 24 values ending 01:00 … 24:00 ([`DayHours`] index `h` is the hour
//!   ending `h + 1`).
//! - The O3 8-h moving mean ending at hour t is the mean of the valid hours
//!   t−7 … t, valid with ≥ 6 of them. The MDA8 is the maximum of the 17
//!   windows ending 08:00 … 24:00 (all inside the day), valid with ≥ 14 valid
//!   windows, or with fewer when its rounded value exceeds the limit (an
//!   exceedance is not thrown away).
//! - The 2012 daily report also needs the day's maximum 1-h O3. GB 3095 gives
//!   it no rule; we ask ≥ 20 valid hours like a daily mean, with the same
//!   exceedance exception as the MDA8 (against the 1-h limit). A setting.
//! - Daily means are exact and then published per GB/T 8170 (integers; CO one
//!   decimal); the published value is what the AQI and statistics use.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::rounding::gbt8170;

/// The 24 hourly values of a natural day; index `h` is the hour ending `h+1`.
pub type DayHours = [Option<Decimal>; 24];

/// Minimum sampling minutes for a valid 1-h mean (GB 3095 Table 4).
pub const MIN_MINUTES_PER_HOUR: u32 = 45;
/// Minimum valid hours for a daily mean (GB 3095 Table 4).
pub const MIN_HOURS_PER_DAY: u32 = 20;
/// Minimum valid hours in an O3 8-h window (GB 3095 Table 4).
pub const MIN_HOURS_PER_8H: u32 = 6;
/// Minimum valid 8-h means among the 17 windows of a day (HJ 663 §6.1.2).
pub const MIN_WINDOWS_PER_MDA8: u32 = 14;
/// Minimum valid days in a calendar year (GB 3095 Table 4).
pub const MIN_DAYS_PER_YEAR: u32 = 324;

/// Whether an hourly value with this much sampling is valid (≥ 45 min).
pub const fn hour_is_valid(sampling_minutes: u32) -> bool {
    sampling_minutes >= MIN_MINUTES_PER_HOUR
}

/// Minimum valid days for a calendar month: 27, February 25.
pub const fn min_days_in_month(month: u32) -> u32 {
    if month == 2 { 25 } else { 27 }
}

/// Why a value is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Invalid {
    /// Fewer valid hours than a daily value needs.
    TooFewHours { valid: u32, required: u32 },
    /// Fewer valid 8-h windows than the MDA8 needs (and no exceedance).
    TooFewWindows { valid: u32, required: u32 },
    /// Fewer valid days than the period needs.
    TooFewDays { valid: u32, required: u32 },
    /// No data at all.
    NoData,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Invalid::TooFewHours { valid, required } => {
                write!(f, "有效小时数 {valid} < {required} (too few valid hours)")
            }
            Invalid::TooFewWindows { valid, required } => write!(
                f,
                "有效 8 小时滑动平均 {valid} < {required} 且未超标 (too few valid 8-h means)"
            ),
            Invalid::TooFewDays { valid, required } => {
                write!(f, "有效日数 {valid} < {required} (too few valid days)")
            }
            Invalid::NoData => write!(f, "无数据 (no data)"),
        }
    }
}

/// A daily value: published concentration, or the reason it is invalid;
/// `n` counts the valid hours (or 8-h windows, or stations for an area).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Daily {
    pub value: Option<Decimal>,
    pub n: u8,
    pub invalid: Option<Invalid>,
}

impl Daily {
    pub const NONE: Daily = Daily {
        value: None,
        n: 0,
        invalid: Some(Invalid::NoData),
    };

    pub fn valid(value: Decimal, n: u8) -> Daily {
        Daily {
            value: Some(value),
            n,
            invalid: None,
        }
    }
}

fn sum_count(hours: &[Option<Decimal>]) -> (Decimal, u32) {
    let mut s = Decimal::ZERO;
    let mut n = 0;
    for v in hours.iter().flatten() {
        s += *v;
        n += 1;
    }
    (s, n)
}

/// Daily mean of a natural day (≥ 20 valid hours), published to `dp` decimals.
pub fn daily_mean(hours: &DayHours, dp: u32) -> Daily {
    let (s, n) = sum_count(hours);
    if n < MIN_HOURS_PER_DAY {
        return Daily {
            value: None,
            n: n as u8,
            invalid: Some(if n == 0 {
                Invalid::NoData
            } else {
                Invalid::TooFewHours {
                    valid: n,
                    required: MIN_HOURS_PER_DAY,
                }
            }),
        };
    }
    Daily::valid(gbt8170(s / Decimal::from(n), dp), n as u8)
}

/// The O3 8-h moving means of a day: index `h` is the window ending `h+1`
/// (hours `h−7 … h`). Windows ending before 08:00 reach into `previous`.
pub fn eight_hour_means(previous: Option<&DayHours>, day: &DayHours) -> [Option<Decimal>; 24] {
    let mut joined = [None; 32];
    if let Some(p) = previous {
        joined[..8].copy_from_slice(&p[16..]);
    }
    joined[8..].copy_from_slice(day);
    let mut out = [None; 24];
    for (h, slot) in out.iter_mut().enumerate() {
        let (s, n) = sum_count(&joined[h + 1..h + 9]);
        if n >= MIN_HOURS_PER_8H {
            *slot = Some(s / Decimal::from(n));
        }
    }
    out
}

/// Maximum daily 8-h mean (MDA8), published as an integer, with HJ 663
/// §6.1.2: ≥ 14 valid windows among those ending 08:00…24:00, or fewer when
/// the rounded maximum exceeds `limit`.
pub fn mda8(day: &DayHours, limit: Decimal) -> Daily {
    let mut max: Option<Decimal> = None;
    let mut n = 0u32;
    for end in 7..24 {
        let (s, k) = sum_count(&day[end - 7..=end]);
        if k >= MIN_HOURS_PER_8H {
            n += 1;
            let m = s / Decimal::from(k);
            max = Some(max.map_or(m, |x: Decimal| x.max(m)));
        }
    }
    let published = max.map(|m| gbt8170(m, 0));
    match published {
        Some(v) if n >= MIN_WINDOWS_PER_MDA8 || v > limit => Daily::valid(v, n as u8),
        _ => Daily {
            value: None,
            n: n as u8,
            invalid: Some(if n == 0 {
                Invalid::NoData
            } else {
                Invalid::TooFewWindows {
                    valid: n,
                    required: MIN_WINDOWS_PER_MDA8,
                }
            }),
        },
    }
}

/// The day's maximum 1-h value (2012 daily O3_1h): ≥ 20 valid hours, or fewer
/// when the maximum exceeds `limit`.
pub fn daily_max_hour(day: &DayHours, limit: Decimal, dp: u32) -> Daily {
    let n = day.iter().flatten().count() as u32;
    let max = day.iter().flatten().max().copied().map(|m| gbt8170(m, dp));
    match max {
        Some(v) if n >= MIN_HOURS_PER_DAY || v > limit => Daily::valid(v, n as u8),
        _ => Daily {
            value: None,
            n: n as u8,
            invalid: Some(if n == 0 {
                Invalid::NoData
            } else {
                Invalid::TooFewHours {
                    valid: n,
                    required: MIN_HOURS_PER_DAY,
                }
            }),
        },
    }
}

/// Validity of a mean over the days `from..=to` that has `valid_days` valid
/// daily values. A whole calendar year needs 324; a whole calendar month 27
/// (February 25). Any other period — a lantian choice, the texts give none —
/// needs the same share as a year: `ceil(days × 324 / 365)`.
pub fn period_rule(from: NaiveDate, to: NaiveDate) -> u32 {
    let days = (to - from).num_days() as u32 + 1;
    let whole_year = from.month() == 1
        && from.day() == 1
        && to.month() == 12
        && to.day() == 31
        && from.year() == to.year();
    let whole_month = from.day() == 1
        && from.year() == to.year()
        && from.month() == to.month()
        && to.succ_opt().is_some_and(|n| n.day() == 1);
    if whole_year {
        MIN_DAYS_PER_YEAR
    } else if whole_month {
        min_days_in_month(from.month())
    } else {
        (days * MIN_DAYS_PER_YEAR).div_ceil(365)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn hours(n: usize, v: &str) -> DayHours {
        let mut h = [None; 24];
        for slot in h.iter_mut().take(n) {
            *slot = Some(d(v));
        }
        h
    }

    #[test]
    fn hour_needs_45_minutes() {
        // V090, V091
        assert!(!hour_is_valid(44));
        assert!(hour_is_valid(45));
    }

    #[test]
    fn daily_needs_20_hours() {
        // V092, V093
        assert_eq!(
            daily_mean(&hours(19, "10"), 0).invalid,
            Some(Invalid::TooFewHours {
                valid: 19,
                required: 20
            })
        );
        assert_eq!(daily_mean(&hours(20, "10"), 0).value, Some(d("10")));
    }

    #[test]
    fn eight_hour_window_needs_six() {
        // V095: 6 valid hours in the window ending 08:00 → valid.
        let mut h = [None; 24];
        for slot in h.iter_mut().take(8).skip(2) {
            *slot = Some(d("60"));
        }
        let m = eight_hour_means(None, &h);
        assert_eq!(m[7], Some(d("60")));
        let mut h5 = h;
        h5[2] = None;
        assert_eq!(eight_hour_means(None, &h5)[7], None);
    }

    /// A day whose valid 8-h windows (ending 08:00…24:00) number `windows`,
    /// the highest of them equal to `max`.
    fn o3_day(windows: usize, max: &str) -> DayHours {
        // Hours 0..(windows+7) valid, the rest missing: window ending at
        // index e (7..24) has min(8, valid hours in e-7..=e) values.
        let mut h = [None; 24];
        for slot in h.iter_mut().take(windows + 7 - 2) {
            *slot = Some(d(max));
        }
        h
    }

    #[test]
    fn mda8_rule_with_exceedance_exception() {
        let limit = d("160");
        // V096: 14 valid windows, max 150 → valid.
        let day = o3_day(14, "150");
        let r = mda8(&day, limit);
        assert_eq!(r.n, 14);
        assert_eq!(r.value, Some(d("150")));
        // V097: 13 windows, 150 → invalid.
        let r = mda8(&o3_day(13, "150"), limit);
        assert_eq!(r.n, 13);
        assert_eq!(r.value, None);
        // V098: 13 windows, 170 → valid exceedance.
        assert_eq!(mda8(&o3_day(13, "170"), limit).value, Some(d("170")));
    }

    #[test]
    fn month_and_year_rules() {
        let ymd = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        // V100–V103
        assert_eq!(period_rule(ymd(2016, 1, 1), ymd(2016, 12, 31)), 324);
        assert_eq!(period_rule(ymd(2016, 4, 1), ymd(2016, 4, 30)), 27);
        assert_eq!(period_rule(ymd(2016, 2, 1), ymd(2016, 2, 29)), 25);
        assert_eq!(period_rule(ymd(2015, 2, 1), ymd(2015, 2, 28)), 25);
        assert_eq!(
            period_rule(ymd(2016, 1, 1), ymd(2016, 6, 30)),
            (182 * 324u32).div_ceil(365)
        );
    }
}
