//! # lantian-sources
//!
//! Source supervision (污染源监管) as a pure library: what the bureau needs
//! to find, from online data, who exceeds, whose monitor lies and whose
//! treatment plant is switched off. No I/O, no clock: hours, limits,
//! settings and the span judged are parameters; concentrations are exact
//! fixed-point numbers parsed from their text ([`num`]).
//!
//! - [`flags`] — HJ 212 data flags and which make an hour judgeable (one table).
//! - [`num`] — exact values and the O2 correction C × (21 − O2ref)/(21 − O2).
//! - [`limits`] — limits per outlet and factor; the shipped default table.
//! - [`judge`] — the hourly rules: exceedances and data anomalies.
//! - [`power`] — electricity interlocks: production on with treatment off,
//!   a catering fan on with its purifier off.
//! - [`alarm`] — the alarm lifecycle, a table of states × actions × roles.
//! - [`grade`] — performance grades and the short-board rule.
//! - [`check`] — the offline check of a CEMS export (`lantian sources check`).
//! - [`register`] — the enterprise register as data, and reading its sheets
//!   (every bad row named by sheet, row and column).
//! - [`workbook`] — register workbooks as bytes (calamine in, rust_xlsxwriter out).
//!
//! Every number `sources.md` tags [M] is a field of [`judge::Settings`] or
//! [`power::PowerSettings`] with its default documented there.

pub mod alarm;
pub mod check;
pub mod flags;
pub mod freshness;
pub mod grade;
pub mod judge;
pub mod limits;
pub mod num;
pub mod power;
pub mod register;
pub mod workbook;

pub use flags::Flag;
pub use judge::{Event, Hours, Rule, Settings};
pub use limits::{Averaging, Limit};
pub use num::Fixed;
