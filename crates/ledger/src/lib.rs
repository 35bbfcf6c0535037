//! The plan as a living ledger (任务清单台账), pure. `plan` holds the
//! plan's measures as a reviewed data file (`plans/biyang.toml` shipped),
//! read with errors naming file, line and field, and drafted from a plan's
//! text; `tasks` splits them per department and township with their
//! 绿/黄/红; `score` is the monthly assessment (考核). No I/O.

pub mod plan;
pub mod rules;
pub mod score;
pub mod tasks;

pub use plan::{Measure, Plan, Target};
