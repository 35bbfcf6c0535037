//! # lantian-alerts
//!
//! Heavy-pollution alerts as a pure library: no I/O, the time a parameter.
//!
//! - [`forecast`]: forecast days (CSV or JSON; ranges by a bound).
//! - [`classify`]: the level by versioned rule sets (`rules/levels.tsv`:
//!   环大气〔2024〕6号 from 2024-01-23, the 2017 table before), advisory for
//!   O3 and dust episodes, the effective level beside notices, lifting.
//! - [`lifecycle`]: proposed → approved → issued → adjusted → lifted, one table.
//! - [`measures`]: measures by grade and level (`rules/measures.tsv`), white list.
//! - [`compliance`]: firms' hours against their baselines.
//! - [`reduction`]: the reduction list's expected cuts and the county's
//!   10/20/30 % check (`rules/county_cuts.tsv`).

pub mod classify;
pub mod compliance;
pub mod forecast;
pub mod lifecycle;
pub mod measures;
pub mod reduction;

pub use classify::{Classification, Level, Rules};
pub use forecast::{Bound, Cause, Day};

/// What the public page says at a level: (health advice, what the public
/// is asked to do), from `rules/advice.tsv`.
pub fn advice(level: Level) -> Option<(&'static str, &'static str)> {
    const TABLE: &str = include_str!("../rules/advice.tsv");
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let f: Vec<&'static str> = l.split('\t').collect();
            (f.len() == 3 && Level::parse(f[0]) == Some(level)).then(|| (f[1], f[2]))
        })
        .next()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_level_but_none_has_its_advice() {
        use super::Level;
        for l in [Level::Advisory, Level::Yellow, Level::Orange, Level::Red] {
            assert!(
                super::advice(l).is_some_and(|(h, p)| !h.is_empty() && !p.is_empty()),
                "{l}"
            );
        }
        assert!(super::advice(Level::None).is_none());
    }
}
