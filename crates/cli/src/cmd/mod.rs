//! One module per subcommand: argument parsing and printing only; the work is
//! in `lantian-standards` (pure) and `lantian-assess` (files, the pipeline).
pub mod alert;
pub mod aqi;
pub mod assess;
pub mod demo;
pub mod enterprise;
pub mod fires;
pub mod hj212;
pub mod import;
pub mod plan;
pub mod report;
pub mod review;
pub mod serve;
pub mod simulate;
pub mod sources;
pub mod user;
