//! Background work of `serve`: timers and (with the commit feed)
//! subscribers. Each job is one file; `lib.rs` starts them and stops them
//! at shutdown.

pub mod alerts;
pub mod figures;
pub mod forward;
pub mod freshness;
pub mod ledger;
pub mod reports;
pub mod retention;
pub mod sources;
pub mod tickets;
