//! GB 3095 concentration limits: the 2012 edition (in force until
//! 2026-02-28), and GB 3095-2026 with its transitional limits
//! (2026-03-01 … 2030-12-31) and final limits (from 2031-01-01).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::pollutant::Pollutant;

/// Which limit table applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Edition {
    #[serde(rename = "GB3095-2012")]
    Gb3095_2012,
    #[serde(rename = "GB3095-2026-transitional")]
    Gb3095_2026Transitional,
    #[serde(rename = "GB3095-2026-final")]
    Gb3095_2026Final,
}

impl Edition {
    /// The table in force on `day`.
    pub fn for_date(day: NaiveDate) -> Edition {
        let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN);
        if day < ymd(2026, 3, 1) {
            Edition::Gb3095_2012
        } else if day <= ymd(2030, 12, 31) {
            Edition::Gb3095_2026Transitional
        } else {
            Edition::Gb3095_2026Final
        }
    }

    pub const fn code(self) -> &'static str {
        match self {
            Edition::Gb3095_2012 => "GB3095-2012",
            Edition::Gb3095_2026Transitional => "GB3095-2026-transitional",
            Edition::Gb3095_2026Final => "GB3095-2026-final",
        }
    }
}

impl std::str::FromStr for Edition {
    type Err = crate::pollutant::UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "2012" | "gb3095-2012" => Ok(Edition::Gb3095_2012),
            "2026" | "2026-transitional" | "gb3095-2026-transitional" => {
                Ok(Edition::Gb3095_2026Transitional)
            }
            "2031" | "2026-final" | "gb3095-2026-final" => Ok(Edition::Gb3095_2026Final),
            _ => Err(crate::pollutant::UnknownName {
                what: "GB 3095 edition (2012, 2026-transitional, 2026-final)",
                name: s.to_string(),
            }),
        }
    }
}

/// 一级 (class-I zones) or 二级 (class-II zones, the default for a county).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Grade {
    I,
    II,
}

/// The limits of one pollutant (µg/m³; CO mg/m³). `daily` is the 24-h limit,
/// or the MDA8 limit for O3; `hourly` the 1-h limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limit {
    pub annual: Option<u32>,
    pub daily: u32,
    pub hourly: u32,
}

impl Limit {
    pub fn annual_dec(&self) -> Option<Decimal> {
        self.annual.map(Decimal::from)
    }
    pub fn daily_dec(&self) -> Decimal {
        Decimal::from(self.daily)
    }
}

/// The limit of `pollutant` in `edition` for `grade`.
pub const fn limit(edition: Edition, grade: Grade, pollutant: Pollutant) -> Limit {
    use Edition::*;
    use Grade::*;
    use Pollutant::*;
    const fn l(annual: u32, daily: u32, hourly: u32) -> Limit {
        Limit {
            annual: Some(annual),
            daily,
            hourly,
        }
    }
    const fn nl(daily: u32, hourly: u32) -> Limit {
        Limit {
            annual: None,
            daily,
            hourly,
        }
    }
    match (edition, grade, pollutant) {
        (Gb3095_2026Final, _, So2) => l(20, 50, 150),
        (_, I, So2) => l(20, 50, 150),
        (_, II, So2) => l(60, 150, 500),
        (Gb3095_2026Final, _, No2) => l(30, 50, 200),
        (_, _, No2) => l(40, 80, 200),
        (_, _, Co) => nl(4, 10),
        (_, I, O3) => nl(100, 160),
        (_, II, O3) => nl(160, 200),
        (Gb3095_2012, I, Pm10) | (Gb3095_2026Transitional, I, Pm10) => l(40, 50, 0),
        (Gb3095_2012, II, Pm10) => l(70, 150, 0),
        (Gb3095_2026Transitional, II, Pm10) => l(60, 120, 0),
        (Gb3095_2026Final, I, Pm10) => l(20, 50, 0),
        (Gb3095_2026Final, II, Pm10) => l(50, 100, 0),
        (Gb3095_2012, I, Pm25) | (Gb3095_2026Transitional, I, Pm25) => l(15, 35, 0),
        (Gb3095_2012, II, Pm25) => l(35, 75, 0),
        (Gb3095_2026Transitional, II, Pm25) => l(30, 60, 0),
        (Gb3095_2026Final, I, Pm25) => l(10, 25, 0),
        (Gb3095_2026Final, II, Pm25) => l(25, 50, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editions_by_date_and_key_values() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(Edition::for_date(d(2026, 2, 28)), Edition::Gb3095_2012);
        assert_eq!(
            Edition::for_date(d(2026, 3, 1)),
            Edition::Gb3095_2026Transitional
        );
        assert_eq!(Edition::for_date(d(2031, 1, 1)), Edition::Gb3095_2026Final);
        let pm25 = |e| limit(e, Grade::II, Pollutant::Pm25);
        assert_eq!(pm25(Edition::Gb3095_2012).annual, Some(35));
        assert_eq!(pm25(Edition::Gb3095_2026Transitional).daily, 60);
        assert_eq!(pm25(Edition::Gb3095_2026Final).annual, Some(25));
        assert_eq!(
            limit(Edition::Gb3095_2026Final, Grade::II, Pollutant::No2).daily,
            50
        );
        assert_eq!(
            limit(Edition::Gb3095_2012, Grade::II, Pollutant::O3).daily,
            160
        );
    }
}
