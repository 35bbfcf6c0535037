//! `lantian-report`: the bureau's reports — the daily brief (日报), the
//! monthly (月报) and annual (年报) reports and the alert evaluation
//! (重污染天气应对评估) — as typed models ([`model`]) built from the same
//! assessment `lantian assess` and the API make, rendered to PDF by typst
//! ([`pdf`], one template in `templates/`) and to xlsx ([`xlsx`], one
//! sheet per table), with SVG charts ([`charts`]) in the official AQI
//! colours. It reads no database and no clock: the caller gathers the
//! data and says when the report is made.

pub mod charts;
pub mod model;
pub mod pdf;
pub mod xlsx;

pub use model::{Context, Kind, Management, Report};
