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

pub mod classify;
pub mod compliance;
pub mod forecast;
pub mod lifecycle;
pub mod measures;

pub use classify::{Classification, Level, Rules};
pub use forecast::{Bound, Cause, Day};
