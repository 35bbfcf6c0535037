//! The six basic pollutants of GB 3095, their units, averaging periods and
//! the AQI indicators (pollutant × averaging period) of HJ 633.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The six pollutants that the AQI and the annual evaluation use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Pollutant {
    #[serde(rename = "SO2")]
    So2,
    #[serde(rename = "NO2")]
    No2,
    #[serde(rename = "CO")]
    Co,
    #[serde(rename = "O3")]
    O3,
    #[serde(rename = "PM10")]
    Pm10,
    #[serde(rename = "PM2.5")]
    Pm25,
}

impl Pollutant {
    /// In the order the standards list them (and the order of every table here).
    pub const ALL: [Pollutant; 6] = [
        Pollutant::So2,
        Pollutant::No2,
        Pollutant::Co,
        Pollutant::O3,
        Pollutant::Pm10,
        Pollutant::Pm25,
    ];

    /// Index into `ALL`, for dense per-pollutant arrays.
    pub const fn index(self) -> usize {
        match self {
            Pollutant::So2 => 0,
            Pollutant::No2 => 1,
            Pollutant::Co => 2,
            Pollutant::O3 => 3,
            Pollutant::Pm10 => 4,
            Pollutant::Pm25 => 5,
        }
    }

    /// The code used in keys and files: `SO2`, `NO2`, `CO`, `O3`, `PM10`, `PM2.5`.
    pub const fn code(self) -> &'static str {
        match self {
            Pollutant::So2 => "SO2",
            Pollutant::No2 => "NO2",
            Pollutant::Co => "CO",
            Pollutant::O3 => "O3",
            Pollutant::Pm10 => "PM10",
            Pollutant::Pm25 => "PM2.5",
        }
    }

    /// The Chinese name as CNEMC publishes it (e.g. in 首要污染物).
    pub const fn name_zh(self) -> &'static str {
        match self {
            Pollutant::So2 => "二氧化硫",
            Pollutant::No2 => "二氧化氮",
            Pollutant::Co => "一氧化碳",
            Pollutant::O3 => "臭氧",
            Pollutant::Pm10 => "颗粒物(PM10)",
            Pollutant::Pm25 => "细颗粒物(PM2.5)",
        }
    }

    /// The unit in which the standards state limits and breakpoints.
    pub const fn unit(self) -> Unit {
        match self {
            Pollutant::Co => Unit::MgPerM3,
            _ => Unit::UgPerM3,
        }
    }

    /// Decimal places of a published concentration: integers in µg/m³, one
    /// decimal for CO in mg/m³ (HJ 633-2026 §4.2.2, CNEMC practice).
    pub const fn report_dp(self) -> u32 {
        match self {
            Pollutant::Co => 1,
            _ => 0,
        }
    }
}

impl fmt::Display for Pollutant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Error for a pollutant, indicator or unit name that is not known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    pub what: &'static str,
    pub name: String,
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} `{}`", self.what, self.name)
    }
}

impl std::error::Error for UnknownName {}

impl FromStr for Pollutant {
    type Err = UnknownName;

    /// Accepts the usual spellings: `PM2.5`, `PM25`, `pm2_5`, `so2`, `O3`…
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, '.' | '_' | ' ' | '-'))
            .flat_map(|c| c.to_uppercase())
            .collect();
        Ok(match norm.as_str() {
            "SO2" => Pollutant::So2,
            "NO2" => Pollutant::No2,
            "CO" => Pollutant::Co,
            "O3" => Pollutant::O3,
            "PM10" => Pollutant::Pm10,
            "PM25" => Pollutant::Pm25,
            _ => {
                return Err(UnknownName {
                    what: "pollutant",
                    name: s.to_string(),
                });
            }
        })
    }
}

/// Concentration units. Conversion is always explicit: a reader states the
/// unit of its source and calls [`Unit::convert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Unit {
    /// µg/m³
    #[serde(rename = "ug/m3")]
    UgPerM3,
    /// mg/m³
    #[serde(rename = "mg/m3")]
    MgPerM3,
}

impl Unit {
    /// Converts `value` from `self` to `to`, exactly (decimal shift).
    pub fn convert(self, value: Decimal, to: Unit) -> Decimal {
        match (self, to) {
            (Unit::UgPerM3, Unit::MgPerM3) => value / Decimal::ONE_THOUSAND,
            (Unit::MgPerM3, Unit::UgPerM3) => value * Decimal::ONE_THOUSAND,
            _ => value,
        }
    }

    pub const fn symbol(self) -> &'static str {
        match self {
            Unit::UgPerM3 => "µg/m³",
            Unit::MgPerM3 => "mg/m³",
        }
    }
}

impl FromStr for Unit {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('µ', "u").as_str() {
            "ug/m3" | "ug/m³" | "ugm-3" | "ug" => Ok(Unit::UgPerM3),
            "mg/m3" | "mg/m³" | "mgm-3" | "mg" => Ok(Unit::MgPerM3),
            _ => Err(UnknownName {
                what: "unit",
                name: s.to_string(),
            }),
        }
    }
}

/// Averaging period of a concentration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Period {
    /// 1-hour mean.
    #[serde(rename = "1h")]
    Hour1,
    /// 8-hour moving mean (O3) — in a daily report, the day's maximum (MDA8).
    #[serde(rename = "8h")]
    Hour8,
    /// 24-hour mean: natural-day mean in a daily report, 24-h moving mean in
    /// the 2012 real-time report.
    #[serde(rename = "24h")]
    Hour24,
}

/// An AQI indicator: a pollutant over an averaging period, e.g. `PM2.5_24h`.
/// These are the keys of `reference/aqi-cases.tsv` and of `lantian aqi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Indicator {
    pub pollutant: Pollutant,
    pub period: Period,
}

impl Indicator {
    pub const fn new(pollutant: Pollutant, period: Period) -> Self {
        Indicator { pollutant, period }
    }

    /// Every indicator that a breakpoint table exists for (12 keys).
    pub const ALL: [Indicator; 12] = [
        Indicator::new(Pollutant::So2, Period::Hour1),
        Indicator::new(Pollutant::So2, Period::Hour24),
        Indicator::new(Pollutant::No2, Period::Hour1),
        Indicator::new(Pollutant::No2, Period::Hour24),
        Indicator::new(Pollutant::Co, Period::Hour1),
        Indicator::new(Pollutant::Co, Period::Hour24),
        Indicator::new(Pollutant::O3, Period::Hour1),
        Indicator::new(Pollutant::O3, Period::Hour8),
        Indicator::new(Pollutant::Pm10, Period::Hour1),
        Indicator::new(Pollutant::Pm10, Period::Hour24),
        Indicator::new(Pollutant::Pm25, Period::Hour1),
        Indicator::new(Pollutant::Pm25, Period::Hour24),
    ];

    /// Dense index 0..12 in the order of [`Indicator::ALL`], or `None` for a
    /// pair that has no table (e.g. SO2_8h).
    pub const fn index(self) -> Option<usize> {
        let p = self.pollutant.index();
        match (self.pollutant, self.period) {
            (Pollutant::O3, Period::Hour1) => Some(6),
            (Pollutant::O3, Period::Hour8) => Some(7),
            (Pollutant::O3, Period::Hour24) => None,
            (_, Period::Hour8) => None,
            (_, Period::Hour1) => Some(p * 2),
            (_, Period::Hour24) => Some(p * 2 + 1),
        }
    }

    pub fn key(self) -> String {
        let period = match self.period {
            Period::Hour1 => "1h",
            Period::Hour8 => "8h",
            Period::Hour24 => "24h",
        };
        format!("{}_{}", self.pollutant.code(), period)
    }
}

impl fmt::Display for Indicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

impl FromStr for Indicator {
    type Err = UnknownName;

    /// Parses `PM2.5_24h`, `so2_1h`, `O3_8h`, `SO2_24h_mov` (24-h moving mean
    /// of the 2012 real-time report, same table as the 24-h mean)…
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || UnknownName {
            what: "indicator",
            name: s.to_string(),
        };
        let t = s.trim();
        let lower = t.to_ascii_lowercase();
        let base = lower.strip_suffix("_mov").unwrap_or(&lower);
        let (pol, per) = base.rsplit_once('_').ok_or_else(err)?;
        let pollutant: Pollutant = pol.parse().map_err(|_| err())?;
        let period = match per {
            "1h" => Period::Hour1,
            "8h" => Period::Hour8,
            "24h" | "d" | "day" => Period::Hour24,
            _ => return Err(err()),
        };
        let ind = Indicator::new(pollutant, period);
        ind.index().ok_or_else(err)?;
        Ok(ind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indicator_keys_round_trip_and_are_dense() {
        for (i, ind) in Indicator::ALL.iter().enumerate() {
            assert_eq!(ind.index(), Some(i), "{ind}");
            assert_eq!(ind.key().parse::<Indicator>().unwrap(), *ind);
        }
        assert_eq!("so2_24h_mov".parse::<Indicator>().unwrap().key(), "SO2_24h");
        assert!("SO2_8h".parse::<Indicator>().is_err());
        assert!("PM3_1h".parse::<Indicator>().is_err());
    }

    #[test]
    fn co_conversion_is_exact() {
        let v: Decimal = "2200".parse().unwrap();
        assert_eq!(
            Unit::UgPerM3.convert(v, Unit::MgPerM3),
            "2.2".parse::<Decimal>().unwrap()
        );
    }
}
