//! `lantian import`: back-fill the store from station data files — every
//! format `assess` reads (UCI PRSA, CNEMC, long), through the same reader,
//! so what `assess --input` computes from the files `assess --database`
//! computes from the store. Values go to each station's intake device (see
//! `lantian_store::intake`), idempotent on (station, hour, code): a second
//! run, or a run after an interruption, stores nothing twice.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Result, bail};
use lantian_assess::input::{self, AMBIENT_CODES, Format, HourLabel, IssueKind, ReadOptions};
use lantian_standards::pollutant::Unit;
use lantian_store::Site;
use lantian_store::intake::IntakeValue;
use lantian_types::{SiteCode, SiteKind};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The database (sqlite://PATH or postgres://…).
    #[arg(long)]
    pub database: String,
    /// A data file, or a folder of .csv files.
    pub path: PathBuf,
    #[arg(long, value_enum, default_value = "auto")]
    pub format: Format,
    /// What the `hour` (0–23) of UCI PRSA files labels.
    #[arg(long, value_enum, default_value = "start")]
    pub uci_hours: HourLabel,
    /// Unit of CO in long-format files: mg (mg/m³) or ug (µg/m³).
    #[arg(long, default_value = "mg")]
    pub co_unit: String,
    /// Refuse stations that are not registered instead of registering them
    /// (as ambient sites named by their code).
    #[arg(long)]
    pub no_register: bool,
    /// Values per transaction (an interrupted import keeps what committed).
    #[arg(long, default_value_t = 60_000)]
    pub chunk: usize,
    /// How many refused rows to list (all are counted).
    #[arg(long, default_value_t = 20)]
    pub show_issues: usize,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Summary {
    stored: u64,
    duplicates: u64,
    registered: Vec<String>,
    refused_stations: Vec<(String, String)>,
}

/// The site code and name of a station as the files name it: the name
/// itself when it is a valid code (UCI `Aotizhongxin`, long files), else
/// its first word when that is (CNEMC `1002A 定陵(对照点)`: code 1002A,
/// name 定陵(对照点)).
fn site_of(station: &str) -> Option<(SiteCode, String)> {
    if let Ok(c) = SiteCode::parse(station) {
        return Some((c, station.to_string()));
    }
    let (code, name) = station.split_once(' ')?;
    let name = name.trim();
    Some((
        SiteCode::parse(code).ok()?,
        if name.is_empty() { code } else { name }.to_string(),
    ))
}

pub fn run(args: Args) -> Result<()> {
    let co_unit: Unit = args.co_unit.parse()?;
    let ds = input::read(
        &args.path,
        &ReadOptions {
            format: args.format,
            uci_hours: args.uci_hours,
            long_co_unit: co_unit,
            progress: !args.quiet,
            window: None,
        },
    )?;
    if ds.stations.is_empty() {
        crate::cmd::assess::print_issues(&ds, args.show_issues);
        bail!("nothing usable was read from {}", args.path.display());
    }
    let total: u64 = ds.stations.iter().map(|s| s.values as u64).sum();
    let bar = if !args.quiet && std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "写入 storing {bar:30} {pos}/{len} values {per_sec} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let chunk = args.chunk.max(6);
    let summary = crate::cmd::serve::runtime()?.block_on(async {
        // A larger page cache while the indexes grow (measured: BENCHMARKS.md).
        let store = lantian_store::Store::connect_for_bulk(&args.database, 256 * 1024).await?;
        let mut sum = Summary::default();
        // One batch commits (on the database's thread) while the next is
        // built and serialised here: the two halves of a write overlap.
        let mut pending: Option<tokio::task::JoinHandle<lantian_store::Result<_>>> = None;
        let settle = |out: lantian_store::intake::IntakeOutcome, sum: &mut Summary| {
            sum.stored += out.stored;
            sum.duplicates += out.duplicates;
            bar.inc(out.stored + out.duplicates);
        };
        // The stations' loop; on its error the batch in flight is still
        // awaited, so what it committed is counted and nothing is cut off.
        let looped: anyhow::Result<()> = async {
            for st in &ds.stations {
                bar.set_message(st.name.clone());
                let Some((code, name)) = site_of(&st.name) else {
                    let why = SiteCode::parse(&st.name).err().unwrap_or_default();
                    sum.refused_stations.push((st.name.clone(), why));
                    bar.inc(st.values as u64);
                    continue;
                };
                let register = (!args.no_register).then(|| Site {
                    code: code.clone(),
                    name,
                    kind: SiteKind::Ambient,
                    township: None,
                    lon: None,
                    lat: None,
                    assessment: !st.background,
                });
                let known_before = store.intake_device(code.as_str(), None, "import").await?;
                // (A station of the files named by its code's first word is
                // the store's site of that code.)
                let device = match known_before {
                    Some(d) => d,
                    None => match store
                        .intake_device(code.as_str(), register.as_ref(), "import")
                        .await?
                    {
                        Some(d) => {
                            sum.registered.push(st.name.clone());
                            d
                        }
                        None => {
                            sum.refused_stations
                                .push((st.name.clone(), "not registered (--no-register)".into()));
                            bar.inc(st.values as u64);
                            continue;
                        }
                    },
                };
                // An hour's values go in one transaction (one upload each).
                let mut hours: std::collections::BTreeMap<i64, Vec<IntakeValue>> =
                    std::collections::BTreeMap::new();
                for (slot, p, v) in st.grid.iter() {
                    let code = AMBIENT_CODES
                        .iter()
                        .find(|(q, _)| *q == p)
                        .map_or("", |(_, c)| *c);
                    hours.entry(slot).or_default().push(IntakeValue {
                        device_id: device.device_id,
                        mn: device.mn.clone(),
                        // The slot is the local (Beijing) hour that starts there.
                        data_time: slot * 3600 - 8 * 3600,
                        code: code.to_string(),
                        raw: v.normalize().to_string(),
                        flag: None,
                    });
                }
                let mut batch: Vec<IntakeValue> = Vec::with_capacity(chunk + 6);
                let mut hours = hours.into_values().peekable();
                while let Some(h) = hours.next() {
                    batch.extend(h);
                    if batch.len() >= chunk || hours.peek().is_none() {
                        let prepared =
                            lantian_store::Store::prepare_intake(std::mem::take(&mut batch), true)?;
                        if let Some(h) = pending.take() {
                            settle(h.await??, &mut sum);
                        }
                        let store = store.clone();
                        pending = Some(tokio::spawn(async move {
                            store.commit_intake(prepared, "import", "cli").await
                        }));
                    }
                }
            }
            anyhow::Ok(())
        }
        .await;
        if let Some(h) = pending.take() {
            settle(h.await??, &mut sum);
        }
        looped?;
        anyhow::Ok(sum)
    })?;
    bar.finish_and_clear();
    let refused: Vec<_> = ds
        .issues
        .iter()
        .filter(|i| i.kind != IssueKind::Duplicate)
        .collect();
    for i in refused.iter().take(args.show_issues) {
        eprintln!("refused: {i}");
    }
    if refused.len() > args.show_issues {
        eprintln!("… and {} more", refused.len() - args.show_issues);
    }
    for (name, why) in &summary.refused_stations {
        eprintln!("refused station {name}: {why}");
    }
    if !summary.registered.is_empty() {
        println!(
            "登记 registered {} new stations as ambient sites: {}",
            summary.registered.len(),
            summary.registered.join(", ")
        );
    }
    let in_files: u64 = ds
        .issues
        .iter()
        .filter(|i| i.kind == IssueKind::Duplicate)
        .map(|i| {
            i.detail
                .split_whitespace()
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0)
        })
        .sum();
    println!(
        "导入 imported {} files, {} rows: stored {} values, duplicates {} (already stored) + {} (repeated across files), refused {} rows",
        ds.files,
        ds.rows,
        summary.stored,
        summary.duplicates,
        in_files,
        refused.len()
    );
    Ok(())
}
