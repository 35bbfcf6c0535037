//! # lantian-standards
//!
//! The Chinese ambient air-quality standards as a pure library: concentrations
//! in, indices and statistics out. No I/O, no clock, no floats in any
//! regulatory figure (exact decimals and integers throughout).
//!
//! - [`pollutant`]: the six pollutants, units (explicit conversion), AQI
//!   indicators (`PM2.5_24h`, `O3_8h`, …).
//! - [`aqi`]: IAQI and AQI per HJ 633-2012 and HJ 633-2026 (by date or named).
//! - [`level`]: levels, categories, colours, health advice, sensitive groups.
//! - [`validity`]: GB 3095 Table 4 / HJ 663 validity, daily means, O3 8-h and
//!   MDA8.
//! - [`limits`]: GB 3095-2012 and GB 3095-2026 (transitional, final) limits.
//! - [`stats`]: HJ 663 percentiles, composite index, ranking.
//! - [`evaluate`]: period evaluation of a station or an area.
//! - [`targets`]: target tracking for the year.
//! - [`rounding`]: GB/T 8170.
//!
//! ```
//! use lantian_standards::aqi::{compute, Inputs, Reading, Report, Standard};
//! let inputs = Inputs::new()
//!     .with("PM2.5_24h".parse().unwrap(), Reading::Value("76".parse().unwrap()))
//!     .with("PM10_24h".parse().unwrap(), Reading::Value("120".parse().unwrap()));
//! let r = compute(Standard::Hj633_2012, Report::Daily, &inputs);
//! assert_eq!(r.max_iaqi, Some(102));
//! ```

pub mod aqi;
pub mod evaluate;
pub mod level;
pub mod limits;
pub mod pollutant;
pub mod rounding;
pub mod stats;
pub mod targets;
pub mod validity;

pub use rust_decimal::Decimal;
