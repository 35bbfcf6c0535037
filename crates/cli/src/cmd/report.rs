//! `lantian report daily|monthly|annual|episode`: a report of what a
//! database holds, as PDF, xlsx or its model's JSON — made by the same
//! code as `serve`'s scheduled reports and the 报告 page
//! (`lantian_server::jobs::reports`), from the same assessment as
//! `lantian assess --database`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use lantian_assess::review::DataMode;
use lantian_server::config::{Config, Overrides};
use lantian_server::jobs::reports::{self, Period};
use lantian_types::time::now_beijing;

use crate::cmd::serve::runtime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// 日报: a day's county and station AQI, the worst hours, the year to date.
    Daily,
    /// 月报: the month's statistics, rankings, calendar and management work.
    Monthly,
    /// 年报: the year against the plan's targets, month by month.
    Annual,
    /// 重污染天气应对评估: one alert, forecast against observed.
    Episode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutFormat {
    Pdf,
    Xlsx,
    /// The report's model (what the PDF and the workbook are drawn from).
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(value_enum)]
    pub kind: Kind,
    /// The database (`sqlite://PATH` or `postgres://…`).
    #[arg(long)]
    pub database: String,
    /// The day of a daily brief (YYYY-MM-DD).
    #[arg(long)]
    pub date: Option<NaiveDate>,
    /// The month of a monthly report (YYYY-MM).
    #[arg(long)]
    pub month: Option<String>,
    /// The year of an annual report.
    #[arg(long)]
    pub year: Option<i32>,
    /// The alert (its id) an episode report evaluates.
    #[arg(long)]
    pub episode: Option<i64>,
    /// pdf, xlsx or json (default: from --out's extension, else pdf).
    #[arg(long, value_enum)]
    pub format: Option<OutFormat>,
    /// Where to write it.
    #[arg(long)]
    pub out: PathBuf,
    /// Raw data: the data review's marks not applied (default: reviewed).
    #[arg(long)]
    pub raw: bool,
    /// The `serve` configuration file (county name, targets, review and
    /// ledger settings, the data label); default: the built-in defaults.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

fn period_of(a: &Args) -> Result<Period> {
    let (want, got) = match a.kind {
        Kind::Daily => ("--date", a.date.map(|d| d.to_string())),
        Kind::Monthly => ("--month", a.month.clone()),
        Kind::Annual => ("--year", a.year.map(|y| y.to_string())),
        Kind::Episode => ("--episode", a.episode.map(|id| id.to_string())),
    };
    let kind = match a.kind {
        Kind::Daily => "daily",
        Kind::Monthly => "monthly",
        Kind::Annual => "annual",
        Kind::Episode => "episode",
    };
    let Some(key) = got else {
        bail!("a {kind} report needs {want}");
    };
    reports::period_of(kind, &key)
}

pub fn run(a: Args) -> Result<()> {
    let period = period_of(&a)?;
    let format = a
        .format
        .unwrap_or_else(|| match a.out.extension().and_then(|e| e.to_str()) {
            Some("xlsx") => OutFormat::Xlsx,
            Some("json") => OutFormat::Json,
            _ => OutFormat::Pdf,
        });
    let cfg = Config::load(
        a.config.as_deref(),
        &Overrides {
            database: Some(a.database.clone()),
            ..Overrides::default()
        },
    )?;
    let settings = cfg.report_settings()?;
    let mode = if a.raw {
        DataMode::Raw
    } else {
        DataMode::Reviewed
    };
    let started = std::time::Instant::now();
    let report = runtime()?.block_on(async {
        let store = lantian_store::Store::connect(&a.database)
            .await
            .with_context(|| format!("cannot open database {}", a.database))?;
        reports::gather(&store, &settings, period, mode, now_beijing()).await
    })?;
    let bytes = match format {
        OutFormat::Pdf => reports::pdf(&report)?,
        OutFormat::Xlsx => reports::xlsx(&report)?,
        OutFormat::Json => {
            let mut v = serde_json::to_vec_pretty(&report)?;
            v.push(b'\n');
            v
        }
    };
    std::fs::write(&a.out, &bytes).with_context(|| format!("cannot write {}", a.out.display()))?;
    let m = report.meta();
    println!(
        "{} {}: wrote {} ({} bytes, {:.1} s){}",
        m.title,
        m.period,
        a.out.display(),
        bytes.len(),
        started.elapsed().as_secs_f64(),
        if m.sample.is_some() {
            " — sample data"
        } else {
            ""
        }
    );
    Ok(())
}
