//! The real-time (hourly) report of an hour of a station or of the area.

use chrono::{Days, NaiveDate};
use lantian_standards::Decimal;
use lantian_standards::evaluate::{self, Settings, StationHours};
use lantian_standards::pollutant::Pollutant;

use crate::Assessment;

/// The real-time (hourly) report of one hour of a grid.
pub struct HourReport {
    pub day: NaiveDate,
    /// The hour's end, local (Beijing) time, as the national release labels it.
    pub end: chrono::NaiveDateTime,
    /// The published 1-h values (GB/T 8170 to each pollutant's report
    /// precision), in `Pollutant::ALL` order.
    pub values: [Option<Decimal>; 6],
    pub result: lantian_standards::aqi::AqiResult,
}

/// The real-time report of hour `k` of `h` (`None` when no pollutant has a
/// value): IAQI from the published 1-h values, with the rule set in force
/// on the day (HJ 633's real-time report; PM on the 24-h table).
pub fn hourly_report(h: &StationHours, k: usize, settings: &Settings) -> Option<HourReport> {
    use lantian_standards::aqi::{self, AqiOptions, Inputs, Reading, Report};
    use lantian_standards::pollutant::{Indicator, Period};
    use lantian_standards::rounding::gbt8170;
    let values: [Option<Decimal>; 6] = std::array::from_fn(|i| {
        let p = Pollutant::ALL[i];
        h.hours[p.index()]
            .get(k)
            .copied()
            .flatten()
            .map(|v| gbt8170(v, p.report_dp()))
    });
    if values.iter().all(Option::is_none) {
        return None;
    }
    let day = h.start.checked_add_days(Days::new((k / 24) as u64))?;
    let end = day.and_hms_opt((k % 24) as u32, 0, 0)? + chrono::Duration::hours(1);
    let standard = settings.standard.for_day(day);
    let mut inputs = Inputs::new();
    for (p, v) in Pollutant::ALL.iter().zip(&values) {
        inputs.set(
            Indicator::new(*p, Period::Hour1),
            v.map_or(Reading::Missing, Reading::Value),
        );
    }
    let opts = AqiOptions {
        pre_round: true,
        ..AqiOptions::for_standard(standard)
    };
    let result = aqi::compute_with(standard, Report::Hourly, &inputs, &opts);
    Some(HourReport {
        day,
        end,
        values,
        result,
    })
}

/// The area's hourly grid: the mean of the assessed stations' hours.
pub fn area_hours(a: &Assessment) -> Option<StationHours> {
    let assessed: Vec<&StationHours> = a
        .hours
        .iter()
        .zip(&a.assessed)
        .filter(|(_, x)| **x)
        .map(|(h, _)| h)
        .collect();
    evaluate::area_hours(&assessed)
}
