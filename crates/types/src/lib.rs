//! # lantian-types
//!
//! The small types every edge of lantian shares (store, server, CLI): what
//! is passed between them as a type rather than as a string that each side
//! re-parses. Pure: no I/O, no clock.
//!
//! - [`Verdict`]: what became of a received HJ 212 frame.
//! - [`SiteCode`] and the other ids ([`ids`]): identifiers that parse.
//! - [`time`]: Beijing time.

pub mod ids;
pub mod time;
pub mod verdict;

pub use ids::SiteCode;
pub use verdict::Verdict;
