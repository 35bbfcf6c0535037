//! # lantian-types
//!
//! The small types every edge of lantian shares (store, server, CLI): what
//! is passed between them as a type rather than as a string that each side
//! re-parses. Pure: no I/O, no clock.
//!
//! - [`Verdict`]: what became of a received HJ 212 frame.
//! - [`SiteCode`] and the other ids ([`ids`]): identifiers that parse.
//! - [`Role`] and [`Scope`]: who a user is and which part of the county it speaks for.
//! - [`DeviceKind`], [`SiteKind`], [`Protocol`], [`CrcDialect`], [`Mn`]: a device as types.
//! - [`time`]: Beijing time.
//! - [`text`]: what a typed name may hold; coordinates in range.

pub mod device;
pub mod enterprise;
pub mod ids;
pub mod review;
pub mod role;
pub mod text;
pub mod time;
pub mod verdict;

pub use device::{CrcDialect, DeviceKind, Mn, Protocol, SiteKind};
pub use enterprise::{CreditCode, OutletCode};
pub use ids::SiteCode;
pub use review::ReviewReason;
pub use role::{Role, Scope};
pub use verdict::Verdict;
