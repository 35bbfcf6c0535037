//! The pollution rose of a station: its PM2.5 hours binned by the wind
//! direction reported the same hour.
//!
//! Readings written down here: 16 points of 22.5°, N centred on 0° (a
//! direction exactly between two points goes to the one GB/T 8170
//! half-even rounding of `deg / 22.5` gives); no calm class — every hour
//! with a direction counts, whatever its speed; each bin's mean is GB/T
//! 8170 to an integer, coloured as the AQI level that mean would have as a
//! 24-h PM2.5 concentration by the rule set in force on the period's end.

use chrono::NaiveDate;
use lantian_standards::Decimal;
use lantian_standards::pollutant::Pollutant;

use crate::Assessment;

/// The 16 compass points, clockwise from north.
pub const POINTS: [&str; 16] = [
    "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW",
    "NNW",
];

/// One direction of a rose.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RoseBin {
    pub dir: &'static str,
    /// The point's bearing, degrees.
    pub deg: Decimal,
    /// PM2.5 hours with the wind from here.
    pub hours: u32,
    /// Their mean, µg/m³.
    pub pm25: Option<Decimal>,
    /// The official colour of that mean's level (HJ 633).
    pub colour: Option<String>,
}

/// A station's pollution rose over a period.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Rose {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub pollutant: &'static str,
    /// Hours with both PM2.5 and a direction.
    pub hours: u32,
    /// Empty when the station reports no wind direction.
    pub bins: Vec<RoseBin>,
}

/// The rose of station `i` of `a` over `from..=to`.
pub fn rose(a: &Assessment, i: usize, from: NaiveDate, to: NaiveDate) -> Rose {
    let empty = Rose {
        from,
        to,
        pollutant: "PM2.5",
        hours: 0,
        bins: Vec::new(),
    };
    let (Some(h), Some(station)) = (a.hours.get(i), a.dataset.stations.get(i)) else {
        return empty;
    };
    if station.wind.is_empty() {
        return empty;
    }
    let Some(epoch) = NaiveDate::from_ymd_opt(1970, 1, 1) else {
        return empty;
    };
    let slot0 = (h.start - epoch).num_days() * 24;
    let step = Decimal::new(225, 1);
    let mut sums = [(Decimal::ZERO, 0u32); 16];
    for (k, v) in h.hours[Pollutant::Pm25.index()].iter().enumerate() {
        let day = h.start + chrono::Days::new((k / 24) as u64);
        let (Some(v), true) = (v, day >= from && day <= to) else {
            continue;
        };
        let Some(deg) = station.wind.get(&(slot0 + k as i64)) else {
            continue;
        };
        let bin = lantian_standards::rounding::gbt8170(*deg / step, 0)
            .to_string()
            .parse::<i64>()
            .map_or(0, |b| b.rem_euclid(16) as usize);
        sums[bin].0 += *v;
        sums[bin].1 += 1;
    }
    let standard = a.settings.standard.for_day(to);
    let bins = POINTS
        .iter()
        .zip(sums)
        .enumerate()
        .map(|(k, (dir, (sum, n)))| {
            let pm25 =
                (n > 0).then(|| lantian_standards::rounding::gbt8170(sum / Decimal::from(n), 0));
            let colour = pm25.and_then(|m| {
                use lantian_standards::aqi::{Inputs, Reading, Report};
                use lantian_standards::pollutant::{Indicator, Period};
                let inputs = Inputs::new().with(
                    Indicator::new(Pollutant::Pm25, Period::Hour24),
                    Reading::Value(m),
                );
                lantian_standards::aqi::compute(standard, Report::Daily, &inputs)
                    .level
                    .map(|l| l.rgb().hex())
            });
            RoseBin {
                dir,
                deg: step * Decimal::from(k as u32),
                hours: n,
                pm25,
                colour,
            }
        })
        .collect();
    Rose {
        hours: sums.iter().map(|x| x.1).sum(),
        bins,
        ..empty
    }
}
