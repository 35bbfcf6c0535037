//! From hourly series to daily records, and from daily records to the
//! evaluation of a period (HJ 663): means, percentiles, compliance, days by
//! category, good-day and heavy-pollution ratios, composite index; and area
//! (county, township) values from their assessment stations.
//!
//! Choices the texts leave open (each is a field of [`Settings`]):
//! - **Which daily values feed the statistics**: the published ones (GB/T
//!   8170: integers, CO one decimal), as CNEMC's own period figures do.
//! - **A day's validity for day counts** (good-day ratio etc.): the day's AQI
//!   per HJ 633-2026 §5.3.1, for both versions — a day with a missing pollutant
//!   counts only if the AQI from the others is > 100. Days with no AQI leave
//!   both numerator and denominator.
//! - **Limits for compliance**: the GB 3095 edition in force on the last day of
//!   the period, unless named. Limits are compared with the published
//!   (rounded) statistic (修约值比较法).
//! - **Annual validity**: ≥ 324 valid days; calendar months under 27 (Feb 25)
//!   are listed, and make the year invalid only when
//!   [`Settings::annual_requires_months`] is set.
//! - **Area values**: by default the mean of the stations' published daily
//!   values (the area MDA8 is the mean of station MDA8s), from at least
//!   [`Settings::min_stations`] valid stations; [`AreaMethod::AreaHourly`]
//!   averages station hours first and applies the daily rules to the area
//!   series. The area AQI is computed from area concentrations, never as a
//!   mean of station AQIs.

use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::aqi::{self, AqiOptions, Inputs, MissingRule, Reading, Report, Standard};
use crate::level::Level;
use crate::limits::{self, Edition, Grade, Limit};
use crate::pollutant::{Indicator, Period, Pollutant};
use crate::rounding::gbt8170;
use crate::stats::{self, CompositeConfig};
use crate::validity::{self, Daily, DayHours, Invalid};

/// Which AQI version applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum StandardChoice {
    /// By the date of each day (HJ 633-2026 from 2026-03-01).
    Auto,
    Fixed(Standard),
}

impl StandardChoice {
    pub fn for_day(self, day: NaiveDate) -> Standard {
        match self {
            StandardChoice::Auto => Standard::for_date(day),
            StandardChoice::Fixed(s) => s,
        }
    }
}

/// How an area's values are formed from its stations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AreaMethod {
    /// Mean of station daily values (default).
    StationDaily,
    /// Mean of station hourly values, then the daily rules.
    AreaHourly,
}

/// Settings of an evaluation. `Default` is the reading documented above.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Settings {
    pub standard: StandardChoice,
    pub grade: Grade,
    /// `None`: the edition in force on the last day of the period.
    pub edition: Option<Edition>,
    pub composite: CompositeConfig,
    pub area_method: AreaMethod,
    /// Minimum valid stations for an area daily value.
    pub min_stations: u32,
    pub annual_requires_months: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            standard: StandardChoice::Auto,
            grade: Grade::II,
            edition: None,
            composite: CompositeConfig::default(),
            area_method: AreaMethod::StationDaily,
            min_stations: 1,
            annual_requires_months: false,
        }
    }
}

/// Hourly values of one station on a dense grid: day `start + i/24`, hour
/// ending `i%24 + 1`, one vector per pollutant in `Pollutant::ALL` order
/// (CO in mg/m³, others µg/m³).
#[derive(Debug, Clone, PartialEq)]
pub struct StationHours {
    pub start: NaiveDate,
    pub hours: [Vec<Option<Decimal>>; 6],
}

impl StationHours {
    pub fn new(start: NaiveDate, days: usize) -> Self {
        StationHours {
            start,
            hours: std::array::from_fn(|_| vec![None; days * 24]),
        }
    }

    pub fn days(&self) -> usize {
        self.hours[0].len() / 24
    }

    fn day(&self, p: Pollutant, i: usize) -> &DayHours {
        self.hours[p.index()][i * 24..(i + 1) * 24]
            .try_into()
            .expect("a day is 24 hours")
    }
}

/// The published daily values of one station or area on one day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayRecord {
    pub date: NaiveDate,
    /// In `Pollutant::ALL` order; O3 is the MDA8.
    pub daily: [Daily; 6],
    /// The day's maximum 1-h O3 (a 2012 daily indicator).
    pub o3_1h_max: Daily,
}

impl DayRecord {
    pub fn value(&self, p: Pollutant) -> Option<Decimal> {
        self.daily[p.index()].value
    }

    /// The daily AQI inputs of `standard` from this record.
    pub fn inputs(&self, standard: Standard) -> Inputs {
        let mut inputs = Inputs::new();
        let r = |v: Option<Decimal>| v.map_or(Reading::Missing, Reading::Value);
        for p in Pollutant::ALL {
            let period = if p == Pollutant::O3 {
                Period::Hour8
            } else {
                Period::Hour24
            };
            inputs.set(Indicator::new(p, period), r(self.value(p)));
        }
        if standard == Standard::Hj633_2012 {
            inputs.set(
                Indicator::new(Pollutant::O3, Period::Hour1),
                r(self.o3_1h_max.value),
            );
        }
        inputs
    }

    /// The daily AQI used for day counts (§5.3.1 rule for both versions).
    pub fn aqi(&self, standard: Standard) -> aqi::AqiResult {
        let opts = AqiOptions {
            pre_round: true,
            missing_rule: MissingRule::NaUnlessAbove100,
        };
        aqi::compute_with(standard, Report::Daily, &self.inputs(standard), &opts)
    }
}

/// Daily records of a station from its hours.
pub fn daily_records(hours: &StationHours, settings: &Settings) -> Vec<DayRecord> {
    (0..hours.days())
        .map(|i| {
            let date = hours.start + Days::new(i as u64);
            let edition = settings.edition.unwrap_or_else(|| Edition::for_date(date));
            let o3 = limits::limit(edition, settings.grade, Pollutant::O3);
            let daily = std::array::from_fn(|k| {
                let p = Pollutant::ALL[k];
                let day = hours.day(p, i);
                if p == Pollutant::O3 {
                    validity::mda8(day, o3.daily_dec())
                } else {
                    validity::daily_mean(day, p.report_dp())
                }
            });
            let o3_1h_max =
                validity::daily_max_hour(hours.day(Pollutant::O3, i), Decimal::from(o3.hourly), 0);
            DayRecord {
                date,
                daily,
                o3_1h_max,
            }
        })
        .collect()
}

/// Mean of the stations' hours, hour by hour (for [`AreaMethod::AreaHourly`]).
/// All stations must share the grid of the first.
pub fn area_hours(stations: &[&StationHours]) -> Option<StationHours> {
    let first = stations.first()?;
    let mut out = StationHours::new(first.start, first.days());
    for p in 0..6 {
        for (h, slot) in out.hours[p].iter_mut().enumerate() {
            *slot = stats_mean(
                stations
                    .iter()
                    .filter_map(|s| s.hours[p].get(h).copied().flatten()),
            );
        }
    }
    Some(out)
}

fn stats_mean(it: impl Iterator<Item = Decimal>) -> Option<Decimal> {
    crate::rounding::mean(it)
}

fn area_daily(values: impl Iterator<Item = Daily>, dp: u32, min_stations: u32) -> Daily {
    let mut sum = Decimal::ZERO;
    let mut n = 0u32;
    for v in values.filter_map(|d| d.value) {
        sum += v;
        n += 1;
    }
    if n == 0 || n < min_stations {
        return Daily {
            value: None,
            n: n as u8,
            invalid: Some(Invalid::NoData),
        };
    }
    Daily::valid(gbt8170(sum / Decimal::from(n), dp), n as u8)
}

/// Area daily records as the mean of station daily records (same dates).
pub fn area_records(stations: &[&[DayRecord]], settings: &Settings) -> Vec<DayRecord> {
    let Some(first) = stations.first() else {
        return Vec::new();
    };
    (0..first.len())
        .map(|i| {
            let date = first[i].date;
            let daily = std::array::from_fn(|k| {
                let p = Pollutant::ALL[k];
                area_daily(
                    stations.iter().filter_map(|s| s.get(i)).map(|r| r.daily[k]),
                    p.report_dp(),
                    settings.min_stations,
                )
            });
            let o3_1h_max = area_daily(
                stations
                    .iter()
                    .filter_map(|s| s.get(i))
                    .map(|r| r.o3_1h_max),
                0,
                settings.min_stations,
            );
            DayRecord {
                date,
                daily,
                o3_1h_max,
            }
        })
        .collect()
}

/// A calendar month inside the period with too few valid days — or, with
/// `through`, a run of consecutive months without any valid day, from
/// `year-month` through `through` (each month of the run is short; its
/// `required` is the first month's). Runs keep the list as long as the
/// data, not as long as the calendar: a period of centuries with one year
/// of data lists at most that year's months and the runs around them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ShortMonth {
    pub year: i32,
    pub month: u32,
    pub valid_days: u32,
    pub required: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub through: Option<(i32, u32)>,
}

/// The evaluation of one pollutant over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PollutantEval {
    pub pollutant: Pollutant,
    /// Days in the period and valid daily values among them.
    pub days: u32,
    pub valid_days: u32,
    pub required_days: u32,
    pub valid: bool,
    pub invalid: Option<Invalid>,
    pub short_months: Vec<ShortMonth>,
    /// Period mean of the daily values (of the MDA8 for O3), published.
    pub mean: Option<Decimal>,
    /// The HJ 663 percentile (98, 95 or 90) and its published value.
    pub percentile: u32,
    pub percentile_value: Option<Decimal>,
    pub limit: Limit,
    /// Days whose daily value (MDA8) exceeds the daily limit.
    pub exceedance_days: u32,
    /// 超标倍数 of the mean (annual limit) and of the percentile (daily
    /// limit), 2 decimals, only when above.
    pub mean_exceedance: Option<Decimal>,
    pub percentile_exceedance: Option<Decimal>,
    /// 达标: None when the period is not valid for this pollutant.
    pub compliant: Option<bool>,
}

/// Days by AQI level over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct DayCounts {
    pub days: u32,
    pub valid: u32,
    /// AQI ≤ 100 (优 and 良).
    pub good: u32,
    /// AQI > 200 (重度 and 严重).
    pub heavy_or_worse: u32,
    /// AQI > 300.
    pub severe: u32,
    /// Valid days per level 1…6.
    pub by_level: [u32; 6],
}

impl DayCounts {
    pub fn add(&mut self, aqi: Option<u16>) {
        self.days += 1;
        if let Some(a) = aqi {
            self.valid += 1;
            self.by_level[Level::of_aqi(a).number() as usize - 1] += 1;
            if a <= 100 {
                self.good += 1;
            }
            if a > 200 {
                self.heavy_or_worse += 1;
            }
            if a > 300 {
                self.severe += 1;
            }
        }
    }

    /// Share of `count` in the valid days, percent, 1 decimal (GB/T 8170).
    pub fn ratio(&self, count: u32) -> Option<Decimal> {
        (self.valid > 0).then(|| {
            gbt8170(
                Decimal::from(count) * Decimal::ONE_HUNDRED / Decimal::from(self.valid),
                1,
            )
        })
    }
}

/// The evaluation of a station or area over `from..=to`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub edition: Edition,
    pub pollutants: Vec<PollutantEval>,
    pub days: DayCounts,
    /// 优良天数比例, percent, 1 decimal.
    pub good_ratio: Option<Decimal>,
    /// 重污染及以上天数比例, percent, 1 decimal.
    pub heavy_ratio: Option<Decimal>,
    /// Σ Ci/Si, only when all six statistics are valid.
    pub composite_index: Option<Decimal>,
    /// All six pollutants 达标 (None if any is not valid).
    pub compliant: Option<bool>,
}

impl Evaluation {
    pub fn pollutant(&self, p: Pollutant) -> &PollutantEval {
        &self.pollutants[p.index()]
    }
}

fn exceedance(c: Option<Decimal>, s: Option<Decimal>) -> Option<Decimal> {
    match (c, s) {
        (Some(c), Some(s)) if c > s && !s.is_zero() => Some(gbt8170((c - s) / s, 2)),
        _ => None,
    }
}

/// Evaluates the records whose date is in `from..=to`.
pub fn evaluate(
    records: &[DayRecord],
    from: NaiveDate,
    to: NaiveDate,
    settings: &Settings,
) -> Evaluation {
    let edition = settings.edition.unwrap_or_else(|| Edition::for_date(to));
    let in_period: Vec<&DayRecord> = records
        .iter()
        .filter(|r| r.date >= from && r.date <= to)
        .collect();
    let period_days = (to - from).num_days().max(-1) as u32 + 1;
    let required = validity::period_rule(from, to);

    let mut pollutants = Vec::with_capacity(6);
    let mut composite_inputs: [Option<Decimal>; 6] = [None; 6];
    for p in Pollutant::ALL {
        let limit = limits::limit(edition, settings.grade, p);
        let mut values: Vec<Decimal> = in_period.iter().filter_map(|r| r.value(p)).collect();
        let valid_days = values.len() as u32;
        let short_months = short_months(&in_period, p, from, to);
        let invalid = if valid_days == 0 {
            Some(Invalid::NoData)
        } else if valid_days < required {
            Some(Invalid::TooFewDays {
                valid: valid_days,
                required,
            })
        } else if settings.annual_requires_months && !short_months.is_empty() {
            let m = short_months[0];
            Some(Invalid::TooFewDays {
                valid: m.valid_days,
                required: m.required,
            })
        } else {
            None
        };
        let mean = crate::rounding::mean(values.iter().copied()).map(|m| gbt8170(m, p.report_dp()));
        let pct = stats::evaluation_percentile(p);
        let pct_value = stats::percentile(&mut values, pct).map(|v| gbt8170(v, p.report_dp()));
        let daily_limit = limit.daily_dec();
        let exceedance_days = values.iter().filter(|v| **v > daily_limit).count() as u32;
        let by_mean = matches!(
            p,
            Pollutant::So2 | Pollutant::No2 | Pollutant::Pm10 | Pollutant::Pm25
        );
        let valid = invalid.is_none();
        let compliant = valid.then(|| {
            let pct_ok = pct_value.is_some_and(|v| v <= daily_limit);
            let mean_ok = !by_mean || mean.zip(limit.annual_dec()).is_some_and(|(m, a)| m <= a);
            pct_ok && mean_ok
        });
        if valid {
            composite_inputs[p.index()] = if by_mean { mean } else { pct_value };
        }
        pollutants.push(PollutantEval {
            pollutant: p,
            days: period_days,
            valid_days,
            required_days: required,
            valid,
            invalid,
            short_months,
            mean,
            percentile: pct,
            percentile_value: pct_value,
            limit,
            exceedance_days,
            mean_exceedance: if by_mean {
                exceedance(mean, limit.annual_dec())
            } else {
                None
            },
            percentile_exceedance: exceedance(pct_value, Some(daily_limit)),
            compliant,
        });
    }

    let mut days = DayCounts::default();
    for r in &in_period {
        days.add(r.aqi(settings.standard.for_day(r.date)).aqi);
    }
    // Days of the period without any record count as days, not valid days.
    days.days = period_days;

    let compliant = pollutants
        .iter()
        .map(|p| p.compliant)
        .try_fold(true, |acc, c| c.map(|c| acc && c));
    Evaluation {
        from,
        to,
        edition,
        good_ratio: days.ratio(days.good),
        heavy_ratio: days.ratio(days.heavy_or_worse),
        composite_index: stats::composite_index(&composite_inputs, &settings.composite),
        pollutants,
        days,
        compliant,
    }
}

fn short_months(
    records: &[&DayRecord],
    p: Pollutant,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<ShortMonth> {
    // Months are numbered year × 12 + month − 1; only whole months of the
    // period count.
    let index = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
    let of_index = |i: i64| (i.div_euclid(12) as i32, i.rem_euclid(12) as u32 + 1);
    let first_whole = if from.day() == 1 {
        index(from)
    } else {
        index(from) + 1
    };
    let last_whole = if to.succ_opt().is_none_or(|n| n.day() == 1) {
        index(to)
    } else {
        index(to) - 1
    };
    if first_whole > last_whole {
        // No whole month in the period.
        return Vec::new();
    }
    // One pass over the data: valid days per month.
    let mut valid: std::collections::BTreeMap<i64, u32> = Default::default();
    for r in records {
        if r.value(p).is_some() {
            *valid.entry(index(r.date)).or_insert(0) += 1;
        }
    }
    let mut out = Vec::new();
    let empty_run = |out: &mut Vec<ShortMonth>, a: i64, b: i64| {
        if a > b {
            return;
        }
        let (year, month) = of_index(a);
        out.push(ShortMonth {
            year,
            month,
            valid_days: 0,
            required: validity::min_days_in_month(month),
            through: (b > a).then(|| of_index(b)),
        });
    };
    let mut next = first_whole;
    for (&m, &n) in valid.range(first_whole..=last_whole) {
        empty_run(&mut out, next, m - 1);
        let (year, month) = of_index(m);
        let required = validity::min_days_in_month(month);
        if n < required {
            out.push(ShortMonth {
                year,
                month,
                valid_days: n,
                required,
                through: None,
            });
        }
        next = m + 1;
    }
    empty_run(&mut out, next, last_whole);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn day_counts_ratios() {
        let mut c = DayCounts::default();
        for a in [Some(40), Some(90), Some(120), Some(250), None] {
            c.add(a);
        }
        assert_eq!(c.valid, 4);
        assert_eq!(c.good, 2);
        assert_eq!(c.heavy_or_worse, 1);
        assert_eq!(c.ratio(c.good), Some(d("50.0")));
        assert_eq!(c.by_level, [1, 1, 1, 0, 1, 0]);
    }

    #[test]
    fn short_months_are_as_long_as_the_data_not_the_calendar() {
        let start = NaiveDate::from_ymd_opt(2016, 1, 1).unwrap();
        let mut h = StationHours::new(start, 366);
        h.hours[5].iter_mut().for_each(|x| *x = Some(d("35")));
        // February 2016 keeps 20 days of PM2.5: short.
        for x in h.hours[5][(31 + 20) * 24..60 * 24].iter_mut() {
            *x = None;
        }
        let s = Settings::default();
        let recs = daily_records(&h, &s);
        let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let e = evaluate(&recs, ymd(1, 1, 1), ymd(9999, 12, 31), &s);
        let short = &e.pollutant(Pollutant::Pm25).short_months;
        assert_eq!(
            short,
            &[
                ShortMonth {
                    year: 1,
                    month: 1,
                    valid_days: 0,
                    required: 27,
                    through: Some((2015, 12))
                },
                ShortMonth {
                    year: 2016,
                    month: 2,
                    valid_days: 20,
                    required: 25,
                    through: None
                },
                ShortMonth {
                    year: 2017,
                    month: 1,
                    valid_days: 0,
                    required: 27,
                    through: Some((9999, 12))
                },
            ]
        );
        // A part month at either end is not a whole month of the period.
        let e = evaluate(&recs, ymd(2016, 1, 15), ymd(2016, 3, 10), &s);
        assert_eq!(e.pollutant(Pollutant::Pm25).short_months.len(), 1);
        // A period within one month, or of a few days across two, has no
        // whole month.
        for (f, t) in [
            ((2016, 1, 1), (2016, 1, 7)),
            ((2016, 1, 20), (2016, 2, 10)),
            ((2016, 3, 5), (2016, 3, 5)),
        ] {
            let e = evaluate(&recs, ymd(f.0, f.1, f.2), ymd(t.0, t.1, t.2), &s);
            assert!(
                e.pollutant(Pollutant::Pm25).short_months.is_empty(),
                "{f:?} {t:?}"
            );
        }
        // One empty month alone is not a run.
        let e = evaluate(&recs, ymd(2016, 12, 1), ymd(2017, 1, 31), &s);
        assert_eq!(
            e.pollutant(Pollutant::Pm25).short_months,
            [ShortMonth {
                year: 2017,
                month: 1,
                valid_days: 0,
                required: 27,
                through: None
            }]
        );
    }

    #[test]
    fn a_constant_year_evaluates_exactly() {
        let start = NaiveDate::from_ymd_opt(2016, 1, 1).unwrap();
        let mut h = StationHours::new(start, 366);
        let vals = ["10", "30", "0.8", "100", "70", "40"];
        for (p, v) in vals.iter().enumerate() {
            h.hours[p].iter_mut().for_each(|x| *x = Some(d(v)));
        }
        // Knock out 40 days of PM2.5 → 326 valid days, still a valid year.
        for x in h.hours[5][..40 * 24].iter_mut() {
            *x = None;
        }
        let s = Settings::default();
        let recs = daily_records(&h, &s);
        let end = NaiveDate::from_ymd_opt(2016, 12, 31).unwrap();
        let e = evaluate(&recs, start, end, &s);
        let pm = e.pollutant(Pollutant::Pm25);
        assert_eq!(pm.valid_days, 326);
        assert!(pm.valid);
        assert_eq!(pm.short_months.len(), 2); // January none, February 20 < 25
        assert_eq!(pm.mean, Some(d("40")));
        assert_eq!(pm.mean_exceedance, Some(d("0.14")));
        assert_eq!(pm.compliant, Some(false));
        assert_eq!(e.pollutant(Pollutant::O3).percentile_value, Some(d("100")));
        // PM2.5 40 → IAQI 57 on the 2012 table: every full day is 良. The 40
        // days without PM2.5 have AQI 60 from the rest: NA under §5.3.1.
        assert_eq!(e.days.days, 366);
        assert_eq!(e.days.valid, 326);
        assert_eq!(e.days.by_level[1], 326);
        // 10/60 + 30/40 + 0.8/4 + 100/160 + 70/70 + 40/35 = 3.8845… → 3.88
        assert_eq!(e.composite_index, Some(d("3.88")));
    }
}
