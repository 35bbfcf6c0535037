//! The emergency reduction list (应急减排清单) as rules: a line's expected
//! cuts at a level from its normal emissions and its measure, and the
//! county's check — the list's expected cuts against the county's
//! whole-society emissions, at least the share the level asks
//! (`rules/county_cuts.tsv`: 10/20/30 % for yellow/orange/red, policy.md
//! §1.2 [V]) for each of SO2, NOx, PM and VOCs, the shortfall named.
//!
//! Exact decimals throughout: t/d with three decimals, rounded half away
//! from zero once; percentages with one decimal.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::classify::Level;
use crate::compliance::required_cut_percent;
use crate::measures::Action;

/// The four pollutants of the list, in their order.
pub const POLLUTANTS: [&str; 4] = ["SO2", "NOx", "PM", "VOCs"];

/// Four amounts, t/d, in the order of [`POLLUTANTS`].
pub type Amounts = [Decimal; 4];

/// What a line's measure is measured by.
pub const BASES: [(&str, &str); 4] = [
    ("output", "产量"),
    ("feed", "投料"),
    ("kilns", "窑（炉）数"),
    ("electricity", "用电负荷"),
];

/// The basis' Chinese name, or `None` for an unknown key.
pub fn basis_zh(key: &str) -> Option<&'static str> {
    BASES.iter().find(|b| b.0 == key).map(|b| b.1)
}

fn t_per_day(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(3, RoundingStrategy::MidpointAwayFromZero)
}

/// The cuts a measure expects of a line with these normal emissions: each
/// times the share of the baseline the measure removes (a stop all of
/// it, a limit its percentage, a maximum load what lies above it; none and
/// voluntary nothing).
pub fn expected_cuts(action: Action, normal: &Amounts) -> Amounts {
    let share = Decimal::from(required_cut_percent(action)) / Decimal::from(100);
    normal.map(|x| t_per_day(x * share))
}

/// The required shares by level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountyRules {
    pub version: String,
    /// (level, percent of the county's emissions).
    pub required: Vec<(Level, u8)>,
}

pub const SHIPPED: &str = include_str!("../rules/county_cuts.tsv");

impl Default for CountyRules {
    fn default() -> Self {
        CountyRules::parse(SHIPPED).unwrap_or_else(|e| panic!("the shipped county cuts: {e}"))
    }
}

impl CountyRules {
    /// Reads `level<TAB>percent` lines (and `version<TAB>…`); `#` comments.
    pub fn parse(text: &str) -> Result<CountyRules, String> {
        let mut r = CountyRules {
            version: String::new(),
            required: Vec::new(),
        };
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let f: Vec<&str> = line.split('\t').map(str::trim).collect();
            if f[0] == "version" {
                r.version = f.get(1).unwrap_or(&"").to_string();
                continue;
            }
            let level = Level::parse(f[0])
                .filter(|l| l.is_coloured())
                .ok_or_else(|| format!("line {}: level `{}`", i + 1, f[0]))?;
            let p = f
                .get(1)
                .and_then(|p| p.parse::<u8>().ok())
                .filter(|p| *p <= 100)
                .ok_or_else(|| format!("line {}: a percent from 0 to 100", i + 1))?;
            r.required.push((level, p));
        }
        if r.version.is_empty() {
            return Err("no version line".into());
        }
        Ok(r)
    }

    /// The share `level` asks, percent (none for a level without a line).
    pub fn of(&self, level: Level) -> Option<u8> {
        self.required.iter().find(|x| x.0 == level).map(|x| x.1)
    }
}

/// One pollutant of the county's check.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckRow {
    pub pollutant: &'static str,
    /// The county's whole-society emissions, t/d (none: not entered).
    pub inventory: Option<Decimal>,
    /// The list's expected cuts at the level, t/d.
    pub expected: Decimal,
    /// expected / inventory, percent with one decimal.
    pub percent: Option<Decimal>,
    pub required_percent: u8,
    /// inventory × required − expected when short, t/d; zero when met.
    pub shortfall: Option<Decimal>,
    pub met: Option<bool>,
}

/// The county's check at one level: the summed expected cuts of the list's
/// lines at that level against the inventory.
pub fn county_check(
    expected: &Amounts,
    inventory: &[Option<Decimal>; 4],
    required: u8,
) -> Vec<CheckRow> {
    (0..4)
        .map(|i| {
            let inv = inventory[i].filter(|x| *x > Decimal::ZERO);
            let need = inv.map(|v| v * Decimal::from(required) / Decimal::from(100));
            CheckRow {
                pollutant: POLLUTANTS[i],
                inventory: inventory[i],
                expected: expected[i],
                percent: inv.map(|v| {
                    let mut p = (expected[i] * Decimal::from(100) / v)
                        .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
                    p.rescale(1);
                    p
                }),
                required_percent: required,
                shortfall: need.map(|n| t_per_day((n - expected[i]).max(Decimal::ZERO))),
                met: need.map(|n| expected[i] >= n),
            }
        })
        .collect()
}

/// Sums amounts.
pub fn total<'a>(rows: impl IntoIterator<Item = &'a Amounts>) -> Amounts {
    let mut t = [Decimal::ZERO; 4];
    for r in rows {
        for i in 0..4 {
            t[i] += r[i];
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn expected_cuts_follow_the_measure() {
        let normal = [d("1.2"), d("2.5"), d("0.8"), d("0.333")];
        assert_eq!(expected_cuts(Action::Stop, &normal), normal);
        assert_eq!(
            expected_cuts(Action::Limit(30), &normal),
            [d("0.36"), d("0.75"), d("0.24"), d("0.1")],
            "0.333 × 0.3 = 0.0999 → 0.100"
        );
        assert_eq!(
            expected_cuts(Action::MaxLoad(60), &normal),
            [d("0.48"), d("1"), d("0.32"), d("0.133")]
        );
        assert_eq!(
            expected_cuts(Action::Voluntary, &normal),
            [Decimal::ZERO; 4]
        );
    }

    /// Orange asks 20 %: SO2 met exactly at the bound, NOx short by
    /// 0.5 t/d, PM over, VOCs without an inventory.
    #[test]
    fn the_county_check_names_the_shortfall() {
        let rules = CountyRules::default();
        assert_eq!(
            (
                rules.of(Level::Yellow),
                rules.of(Level::Orange),
                rules.of(Level::Red)
            ),
            (Some(10), Some(20), Some(30))
        );
        let rows = county_check(
            &[d("2"), d("1.5"), d("3"), d("1")],
            &[Some(d("10")), Some(d("10")), Some(d("10")), None],
            20,
        );
        let view: Vec<(Option<Decimal>, Option<Decimal>, Option<bool>)> = rows
            .iter()
            .map(|r| (r.percent, r.shortfall, r.met))
            .collect();
        assert_eq!(
            view,
            [
                (Some(d("20.0")), Some(d("0")), Some(true)),
                (Some(d("15.0")), Some(d("0.5")), Some(false)),
                (Some(d("30.0")), Some(d("0")), Some(true)),
                (None, None, None),
            ]
        );
        assert_eq!(rows[1].pollutant, "NOx");
    }

    #[test]
    fn bad_county_rules_are_named() {
        assert!(
            CountyRules::parse("version\t1\nblue\t10\n")
                .unwrap_err()
                .contains("line 2")
        );
        assert!(
            CountyRules::parse("version\t1\nred\t130\n")
                .unwrap_err()
                .contains("percent")
        );
        assert!(
            CountyRules::parse("red\t30\n")
                .unwrap_err()
                .contains("version")
        );
    }
}
