//! Straw and open-burning fire points (秸秆/露天焚烧火点), pure: township
//! areas and point-in-polygon ([`areas`]), the deduction rules and merge
//! settings as a versioned rule file ([`rules`], `rules/fires-2026-1.tsv`:
//! the plan's (十六) 500,000 CNY per straw fire point and 100,000 per other
//! open-burning point), and the ledger per township and month
//! ([`ledger`]). No I/O: texts in, figures out. `lantian fires ledger` is
//! its command.

pub mod areas;
pub mod ledger;
pub mod rules;

pub use areas::{Areas, Place};
pub use ledger::{FirePoint, Kind, Ledger, Totals, ledger, ledger_placed, read_points};
pub use rules::Rules;
