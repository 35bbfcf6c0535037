//! Emission limits: what an outlet's factor is judged against. A limit row
//! names its standard and clause and is valid from/to; the shipped table of
//! defaults by source type ([`defaults`], `data/limits-defaults.csv`) is
//! what a register picks from, and an outlet's permit value always wins.

use chrono::NaiveDateTime;

use crate::num::Fixed;

/// Over what a limit is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Averaging {
    /// Each valid hourly mean.
    Hour,
    /// Each natural day's mean of its valid hours (≥ `min_day_hours`).
    Day,
}

impl Averaging {
    pub fn parse(s: &str) -> Result<Averaging, String> {
        match s.trim() {
            "" | "hour" | "1h" | "小时" => Ok(Averaging::Hour),
            "day" | "24h" | "日" => Ok(Averaging::Day),
            other => Err(format!("averaging `{other}`: hour or day")),
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Averaging::Hour => "hour",
            Averaging::Day => "day",
        }
    }
}

/// The limit of one factor of one outlet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    /// HJ 212-2017 factor code (a21026 SO2, a21002 NOx, a34013 PM, …).
    pub code: String,
    /// mg/m³ (at `ref_o2` when given).
    pub limit: Fixed,
    /// Reference O2 (%); `None`: judged on the measured concentration.
    pub ref_o2: Option<Fixed>,
    pub averaging: Averaging,
    /// Valid from / to (Beijing time, hour labels; both included).
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub standard: String,
    pub clause: String,
}

impl Limit {
    /// Whether the limit applies to the hour ending at `end`.
    pub fn applies(&self, end: NaiveDateTime) -> bool {
        self.from.is_none_or(|f| end >= f) && self.to.is_none_or(|t| end <= t)
    }
}

/// A row of the shipped default table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DefaultLimit {
    pub source_type: String,
    pub source_type_zh: String,
    pub code: String,
    pub pollutant: String,
    pub limit: String,
    pub ref_o2: Option<String>,
    pub averaging: String,
    pub standard: String,
    pub clause: String,
    /// V: seen in a source; M: unverified background knowledge.
    pub tag: String,
}

/// The version of the shipped default table.
pub const DEFAULTS_VERSION: &str = "2026-12-01.1";

const DEFAULTS: &str = include_str!("../data/limits-defaults.csv");

/// The shipped default limits by source type.
pub fn defaults() -> Vec<DefaultLimit> {
    let body: String = DEFAULTS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    let mut r = csv::Reader::from_reader(body.as_bytes());
    r.records()
        .filter_map(Result::ok)
        .map(|rec| {
            let get = |i: usize| rec.get(i).unwrap_or("").trim().to_string();
            DefaultLimit {
                source_type: get(0),
                source_type_zh: get(1),
                code: get(2),
                pollutant: get(3),
                limit: get(4),
                ref_o2: Some(get(5)).filter(|s| !s.is_empty()),
                averaging: get(6),
                standard: get(7),
                clause: get(8),
                tag: get(9),
            }
        })
        .collect()
}

/// The default limits of a source type as [`Limit`]s.
pub fn defaults_for(source_type: &str) -> Vec<Limit> {
    defaults()
        .into_iter()
        .filter(|d| d.source_type == source_type)
        .filter_map(|d| {
            Some(Limit {
                limit: Fixed::parse(&d.limit)?,
                ref_o2: match &d.ref_o2 {
                    Some(r) => Some(Fixed::parse(r)?),
                    None => None,
                },
                averaging: Averaging::parse(&d.averaging).ok()?,
                from: None,
                to: None,
                standard: d.standard,
                clause: d.clause,
                code: d.code,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_table_reads_whole() {
        let all = defaults();
        assert!(all.len() >= 30, "{}", all.len());
        for d in &all {
            assert!(Fixed::parse(&d.limit).is_some(), "{d:?}");
            assert!(
                d.ref_o2
                    .as_deref()
                    .is_none_or(|r| Fixed::parse(r).is_some()),
                "{d:?}"
            );
            assert!(Averaging::parse(&d.averaging).is_ok(), "{d:?}");
            assert!(matches!(d.tag.as_str(), "V" | "M"), "{d:?}");
        }
        let gas = defaults_for("gas-boiler");
        let nox = gas.iter().find(|l| l.code == "a21002").unwrap();
        assert_eq!(
            (nox.limit, nox.ref_o2),
            (Fixed::new(30, 0), Some(Fixed::new(35, 1)))
        );
        assert!(defaults_for("catering")[0].ref_o2.is_none());
        assert!(defaults_for("no-such-type").is_empty());
    }
}
