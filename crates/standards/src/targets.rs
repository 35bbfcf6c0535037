//! Target tracking: where the year stands against the plan's targets, and what
//! the rest of the year may still bring.
//!
//! Defaults are the Biyang plan's (二)工作目标: PM2.5 below 35 µg/m³, good-day
//! ratio at least 82.5 %, heavy-or-worse ratio at most 0.3 %.
//!
//! Readings written down here:
//! - "PM2.5 below T" is judged on the **published** annual mean (GB/T 8170 to
//!   an integer), so the largest exact mean that still passes is `T − 0.5`
//!   (inclusive when `T − 1` is even, since a trailing 5 rounds to even).
//! - The ratios are judged exactly on day counts (no rounding of the ratio).
//! - "What the rest of the year allows" assumes every remaining day of the
//!   year will be a valid day; fewer valid days only tighten the heavy-day
//!   allowance and loosen nothing else.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::evaluate::{DayCounts, DayRecord, StandardChoice};
use crate::pollutant::Pollutant;
use crate::rounding::gbt8170;

/// The three targets of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Targets {
    /// Annual PM2.5 mean must be below this (µg/m³).
    pub pm25_below: Decimal,
    /// Good-day ratio at least this (percent).
    pub good_ratio_at_least: Decimal,
    /// Heavy-or-worse ratio at most this (percent).
    pub heavy_ratio_at_most: Decimal,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            pm25_below: Decimal::from(35),
            good_ratio_at_least: Decimal::new(825, 1),
            heavy_ratio_at_most: Decimal::new(3, 1),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pm25Status {
    pub target_below: Decimal,
    pub valid_days: u32,
    /// Published mean to date.
    pub mean_to_date: Option<Decimal>,
    /// On track if the year ended with this mean.
    pub on_track: Option<bool>,
    /// The highest mean the remaining days may average (1 decimal, rounded
    /// down); `None` when no day remains.
    pub allowed_rest_mean: Option<Decimal>,
    pub reachable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoodDaysStatus {
    pub target_at_least: Decimal,
    pub valid_days: u32,
    pub good_days: u32,
    pub ratio_to_date: Option<Decimal>,
    pub on_track: Option<bool>,
    /// Good days the year needs in all (if every remaining day is valid).
    pub needed_total: u32,
    /// Of the remaining days, how many must still be good.
    pub still_needed: u32,
    pub reachable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeavyDaysStatus {
    pub target_at_most: Decimal,
    pub valid_days: u32,
    pub heavy_days: u32,
    pub ratio_to_date: Option<Decimal>,
    pub on_track: Option<bool>,
    /// Heavy-or-worse days the year may have in all.
    pub allowed_total: u32,
    /// How many more the rest of the year may have (0 when already over).
    pub still_allowed: u32,
    pub reachable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetStatus {
    pub year: i32,
    pub as_of: NaiveDate,
    pub days_in_year: u32,
    pub days_elapsed: u32,
    pub days_remaining: u32,
    pub pm25: Pm25Status,
    pub good_days: GoodDaysStatus,
    pub heavy_days: HeavyDaysStatus,
}

/// The largest exact mean whose published integer is below `target`, and
/// whether that bound itself passes.
fn pm25_bound(target: Decimal) -> (Decimal, bool) {
    let best = target.ceil() - Decimal::ONE; // largest published integer < target
    let bound = best + Decimal::new(5, 1);
    let inclusive = (best % Decimal::TWO).is_zero();
    (bound, inclusive)
}

/// Tracks `targets` for `year` with the (area) records up to `as_of`.
pub fn track(
    records: &[DayRecord],
    year: i32,
    as_of: NaiveDate,
    targets: &Targets,
    standard: StandardChoice,
) -> TargetStatus {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(as_of);
    let last = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(as_of);
    let as_of = as_of.clamp(first, last);
    let days_in_year = last.ordinal();
    let days_elapsed = as_of.ordinal();
    let r = days_in_year - days_elapsed;
    let rd = Decimal::from(r);

    let to_date: Vec<&DayRecord> = records
        .iter()
        .filter(|x| x.date >= first && x.date <= as_of)
        .collect();

    // PM2.5
    let pm: Vec<Decimal> = to_date
        .iter()
        .filter_map(|x| x.value(Pollutant::Pm25))
        .collect();
    let v = pm.len() as u32;
    let sum: Decimal = pm.iter().copied().sum();
    let mean_to_date = (v > 0).then(|| gbt8170(sum / Decimal::from(v), 0));
    let (bound, inclusive) = pm25_bound(targets.pm25_below);
    let on_track = mean_to_date.map(|m| m < targets.pm25_below);
    let (allowed_rest_mean, reachable) = if r == 0 {
        (None, on_track.unwrap_or(false))
    } else {
        let x = (bound * Decimal::from(v + r) - sum) / rd;
        let reachable = if inclusive {
            x >= Decimal::ZERO
        } else {
            x > Decimal::ZERO
        };
        (
            Some(x.round_dp_with_strategy(1, rust_decimal::RoundingStrategy::ToNegativeInfinity)),
            reachable,
        )
    };
    let pm25 = Pm25Status {
        target_below: targets.pm25_below,
        valid_days: v,
        mean_to_date,
        on_track,
        allowed_rest_mean,
        reachable,
    };

    // Days by AQI
    let mut counts = DayCounts::default();
    for x in &to_date {
        counts.add(x.aqi(standard.for_day(x.date)).aqi);
    }
    let total = Decimal::from(counts.valid + r);
    let hundred = Decimal::ONE_HUNDRED;
    let needed_total = (targets.good_ratio_at_least * total / hundred).ceil();
    let needed_total = u32::try_from(needed_total.mantissa() / 10i128.pow(needed_total.scale()))
        .unwrap_or(u32::MAX);
    let still_needed = needed_total.saturating_sub(counts.good);
    let exact_ratio = |n: u32| {
        (counts.valid > 0).then(|| Decimal::from(n) * hundred / Decimal::from(counts.valid))
    };
    let good_days = GoodDaysStatus {
        target_at_least: targets.good_ratio_at_least,
        valid_days: counts.valid,
        good_days: counts.good,
        ratio_to_date: counts.ratio(counts.good),
        on_track: exact_ratio(counts.good).map(|x| x >= targets.good_ratio_at_least),
        needed_total,
        still_needed,
        reachable: still_needed <= r,
    };
    let allowed_total = (targets.heavy_ratio_at_most * total / hundred).floor();
    let allowed_total =
        u32::try_from(allowed_total.mantissa() / 10i128.pow(allowed_total.scale())).unwrap_or(0);
    let heavy_days = HeavyDaysStatus {
        target_at_most: targets.heavy_ratio_at_most,
        valid_days: counts.valid,
        heavy_days: counts.heavy_or_worse,
        ratio_to_date: counts.ratio(counts.heavy_or_worse),
        on_track: exact_ratio(counts.heavy_or_worse).map(|x| x <= targets.heavy_ratio_at_most),
        allowed_total,
        still_allowed: allowed_total.saturating_sub(counts.heavy_or_worse),
        reachable: counts.heavy_or_worse <= allowed_total,
    };

    TargetStatus {
        year,
        as_of,
        days_in_year,
        days_elapsed,
        days_remaining: r,
        pm25,
        good_days,
        heavy_days,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validity::Daily;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn day(date: NaiveDate, pm25: &str) -> DayRecord {
        let v = |s: &str| Daily::valid(d(s), 24);
        DayRecord {
            date,
            daily: [v("5"), v("20"), v("0.5"), v("60"), v("40"), v(pm25)],
            o3_1h_max: v("80"),
        }
    }

    #[test]
    fn bound_of_35_is_34_5_inclusive() {
        assert_eq!(pm25_bound(d("35")), (d("34.5"), true));
        assert_eq!(pm25_bound(d("36")), (d("35.5"), false));
    }

    #[test]
    fn half_year_at_40_leaves_29_for_the_rest() {
        // 2025: 181 days to 30 June at PM2.5 40 (IAQI 57 on 2012 table: 良).
        let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let recs: Vec<DayRecord> = (0..181)
            .map(|i| day(start + chrono::Days::new(i), "40"))
            .collect();
        let as_of = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
        let t = track(
            &recs,
            2025,
            as_of,
            &Targets::default(),
            StandardChoice::Auto,
        );
        assert_eq!(t.days_remaining, 184);
        assert_eq!(t.pm25.mean_to_date, Some(d("40")));
        // (34.5·365 − 40·181)/184 = 29.0896… → 29.0
        assert_eq!(t.pm25.allowed_rest_mean, Some(d("29.0")));
        assert!(t.pm25.reachable);
        assert_eq!(t.good_days.good_days, 181);
        // ceil(0.825·365) = 302 → 121 more good days needed
        assert_eq!(t.good_days.needed_total, 302);
        assert_eq!(t.good_days.still_needed, 121);
        // floor(0.003·365) = 1
        assert_eq!(t.heavy_days.allowed_total, 1);
        assert_eq!(t.heavy_days.still_allowed, 1);
    }

    #[test]
    fn out_of_reach_when_too_high_already() {
        let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let recs: Vec<DayRecord> = (0..300)
            .map(|i| day(start + chrono::Days::new(i), "300"))
            .collect();
        let as_of = start + chrono::Days::new(299);
        let t = track(
            &recs,
            2025,
            as_of,
            &Targets::default(),
            StandardChoice::Auto,
        );
        assert!(!t.pm25.reachable);
        assert!(!t.good_days.reachable);
        assert!(!t.heavy_days.reachable);
        assert_eq!(t.heavy_days.still_allowed, 0);
    }
}
