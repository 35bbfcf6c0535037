//! `lantian assess`: per-station and area statistics of hourly data, with
//! validity, days by category, composite index, ranking and target tracking.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chrono::{Days, NaiveDate};
use lantian_standards::Decimal;
use lantian_standards::aqi::Standard;
use lantian_standards::evaluate::{AreaMethod, DayRecord, Settings, StandardChoice, StationHours};
use lantian_standards::limits::{Edition, Grade};
use lantian_standards::pollutant::{Pollutant, Unit};
use lantian_standards::stats::CompositeConfig;
use lantian_standards::targets::Targets;
use serde_json::Value;

use lantian_assess::input::{self, Dataset, Format, HourLabel, IssueKind, ReadOptions};
use lantian_assess::{Assessment, Periods, Request, to_json, to_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AreaMethodArg {
    /// Mean of the stations' daily values (default).
    StationDaily,
    /// Mean of the stations' hourly values, then the daily rules.
    AreaHourly,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A data file, or a folder of .csv files.
    #[arg(
        long,
        required_unless_present = "database",
        conflicts_with = "database"
    )]
    pub input: Option<PathBuf>,
    /// Assess what `lantian serve` stored (hourly 2061 values of ambient devices).
    #[arg(long)]
    pub database: Option<String>,
    /// With --database: raw data, the data review's marks not applied
    /// (default: reviewed data, hours marked invalid left out).
    #[arg(long, requires = "database")]
    pub raw: bool,
    /// With --database: keep sand-dust hours in the day counts and their
    /// ratios (CNEMC monthly-report variant; default: dust deducted from
    /// every statistic, the 考核 and ranking basis).
    #[arg(long, requires = "database")]
    pub dust_in_day_counts: bool,
    /// With --database: drop fireworks-marked hours like sand-dust (default:
    /// kept, as before 2026 only sand-dust was deducted).
    #[arg(long, requires = "database")]
    pub deduct_fireworks: bool,
    #[arg(long, value_enum, default_value = "auto")]
    pub format: Format,
    /// Stations left out of the area value (background/control sites such as
    /// Beijing's Dingling). Sites marked 对照点 by their source are left out too.
    #[arg(long, num_args = 1.., value_name = "STATION")]
    pub exclude: Vec<String>,
    /// Evaluate one calendar year (default: every calendar year in the data).
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub year: Option<i32>,
    /// First day of the period (YYYY-MM-DD).
    #[arg(long, requires = "to")]
    pub from: Option<NaiveDate>,
    /// Last day of the period (YYYY-MM-DD).
    #[arg(long, requires = "from")]
    pub to: Option<NaiveDate>,
    /// AQI rule set: auto (by date; 2026 from 2026-03-01), hj633-2012, hj633-2026.
    #[arg(long, default_value = "auto")]
    pub standard: String,
    /// Targets as JSON: {"pm25_below": 35, "good_ratio_at_least": 82.5, "heavy_ratio_at_most": 0.3}.
    #[arg(long)]
    pub targets: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// What the `hour` (0–23) of UCI PRSA files labels.
    #[arg(long, value_enum, default_value = "start")]
    pub uci_hours: HourLabel,
    /// Unit of CO in long-format files: mg (mg/m³) or ug (µg/m³).
    #[arg(long, default_value = "mg")]
    pub co_unit: String,
    #[arg(long, value_enum, default_value = "station-daily")]
    pub area_method: AreaMethodArg,
    /// Minimum valid stations for an area daily value.
    #[arg(long, default_value_t = 1)]
    pub min_stations: u32,
    /// GB 3095 grade of the zone: 2 (二类区, default) or 1.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub grade: u8,
    /// GB 3095 limits: 2012, 2026-transitional, 2026-final (default: in force at the period's end).
    #[arg(long)]
    pub limits: Option<String>,
    /// S_i of the composite index: 2012 (GB 3095-2012, default) or 2026 (transitional).
    #[arg(long, default_value = "2012")]
    pub composite_limits: String,
    /// A year is valid only if every month also has 27 valid days (February 25).
    #[arg(long)]
    pub annual_requires_months: bool,
    /// How many unreadable rows to list (all are counted).
    #[arg(long, default_value_t = 20)]
    pub show_issues: usize,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Print the AQI series instead (CSV): `daily` (per station and area, per
    /// day) or `hourly` (the real-time report of each hour).
    #[arg(long, value_enum)]
    pub series: Option<Series>,
    /// Print the townships (乡镇) ranked by composite index instead, per
    /// period. Stations' townships come from the database's sites, or from
    /// --station-townships.
    #[arg(long, conflicts_with_all = ["series", "rose"])]
    pub townships: bool,
    /// A CSV of `station,township` (a header first) naming each station's
    /// township, for --townships on files.
    #[arg(long, value_name = "FILE")]
    pub station_townships: Option<PathBuf>,
    /// Print the pollution rose of this station instead (PM2.5 by wind
    /// direction over the last period; UCI `wd` or HJ 212 a01008).
    #[arg(long, value_name = "STATION", conflicts_with = "series")]
    pub rose: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Series {
    Daily,
    Hourly,
}

/// The township of each station: from a `station,township` CSV, or (with
/// `--database`) from the registered sites.
fn township_map(args: &Args) -> Result<std::collections::HashMap<String, String>> {
    let mut map = std::collections::HashMap::new();
    if let Some(path) = &args.station_townships {
        let mut r = csv::Reader::from_path(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        for (i, rec) in r.records().enumerate() {
            let rec = rec.with_context(|| format!("{}:{}", path.display(), i + 2))?;
            match (rec.get(0).map(str::trim), rec.get(1).map(str::trim)) {
                (Some(st), Some(town)) if !st.is_empty() && !town.is_empty() => {
                    map.insert(st.to_string(), town.to_string());
                }
                _ => bail!("{}:{}: expected station,township", path.display(), i + 2),
            }
        }
    } else if let Some(url) = &args.database {
        let devices = crate::cmd::serve::runtime()?.block_on(async {
            let store = lantian_store::Store::connect(url).await?;
            anyhow::Ok(store.devices_bulk().await?)
        })?;
        for d in devices {
            if let Some(t) = d.spec.site.township {
                map.insert(d.spec.site.code.to_string(), t);
            }
        }
    } else {
        bail!("--townships needs the stations' townships: --database, or --station-townships FILE");
    }
    Ok(map)
}

fn print_townships(
    a: &Assessment,
    map: &std::collections::HashMap<String, String>,
    json: bool,
) -> Result<()> {
    let of = |name: &str| map.get(name).cloned();
    if json {
        let periods: Vec<Value> = a
            .periods
            .iter()
            .map(|p| serde_json::json!({"from": p.from, "to": p.to, "townships": lantian_assess::townships(a, p, &of)}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "periods": periods }))?
        );
        return Ok(());
    }
    let opt = |v: Option<Decimal>| v.map_or("—".to_string(), |d| d.to_string());
    for p in &a.periods {
        println!(
            "乡镇排名 townships {} … {} (by composite index, lower is better)",
            p.from, p.to
        );
        println!(
            "{:>4}  {:<16} {:>8} {:>10} {:>8} {:>8} {:>8}",
            "rank", "township", "stations", "composite", "prev", "PM2.5", "good %"
        );
        for t in lantian_assess::townships(a, p, &of) {
            println!(
                "{:>4}  {:<16} {:>8} {:>10} {:>8} {:>8} {:>8}",
                t.rank.map_or("—".to_string(), |r| r.to_string()),
                t.township,
                t.stations,
                opt(t.composite),
                opt(t.composite_prev),
                opt(t.pm25),
                opt(t.good_ratio)
            );
        }
    }
    Ok(())
}

fn print_rose(a: &Assessment, station: &str, json: bool) -> Result<()> {
    let Some(i) = a.names.iter().position(|n| n == station) else {
        bail!(
            "--rose {station}: no such station (stations: {})",
            a.names.join(", ")
        );
    };
    let (from, to) = a
        .periods
        .last()
        .map_or((a.first_day, a.last_day), |p| (p.from, p.to));
    let rose = lantian_assess::rose(a, i, from, to);
    if json {
        println!("{}", serde_json::to_string_pretty(&rose)?);
        return Ok(());
    }
    if rose.bins.is_empty() {
        println!("{station} reports no wind direction: no pollution rose");
        return Ok(());
    }
    println!(
        "污染玫瑰 pollution rose {station} {from} … {to}: PM2.5 by wind direction ({} hours)",
        rose.hours
    );
    println!("{:<4} {:>6} {:>6} {:>8}", "dir", "deg", "hours", "PM2.5");
    for b in &rose.bins {
        println!(
            "{:<4} {:>6} {:>6} {:>8}",
            b.dir,
            b.deg,
            b.hours,
            b.pm25.map_or("—".to_string(), |v| v.to_string())
        );
    }
    Ok(())
}

/// Reads (files or the database), then runs the pipeline of `lantian-assess`.
fn assess(args: &Args) -> Result<Assessment> {
    let co_unit: Unit = args.co_unit.parse()?;
    let settings = settings_of(args)?;
    let targets = load_targets(&args.targets)?;
    // One period asked for: only its hours and those of the same period a
    // year before (the change against last year), two days either side so
    // every rule that looks at neighbouring hours sees them, are read.
    let window = match (args.year, args.from, args.to) {
        (Some(y), _, _) => lantian_assess::year_bounds(y),
        (None, Some(f), Some(t)) if f <= t => Some((f, t)),
        _ => None,
    }
    .and_then(|(from, to)| {
        let first = lantian_assess::previous_year(from, to).map_or(from, |(pf, _)| pf);
        let slot = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(input::hour_slot);
        Some((
            slot(first.checked_sub_days(Days::new(2))?)?,
            slot(to.checked_add_days(Days::new(3))?)?,
        ))
    });
    let mut marks = Vec::new();
    let (dataset, source) = match (&args.input, &args.database) {
        (Some(path), _) => (
            input::read(
                path,
                &ReadOptions {
                    format: args.format,
                    uci_hours: args.uci_hours,
                    long_co_unit: co_unit,
                    progress: !args.quiet,
                    window,
                },
            )?,
            path.display().to_string(),
        ),
        (None, Some(url)) => {
            let (ds, derived) = crate::cmd::serve::runtime()?.block_on(async {
                let store = lantian_store::Store::connect(url).await?;
                if !args.raw {
                    marks = lantian_assess::review_marks(&store).await?;
                }
                anyhow::Ok(lantian_assess::load_store(&store).await?)
            })?;
            if derived > 0 {
                eprintln!(
                    "{derived} station-pollutant hours had no hourly (2061) value and come from real-time (2011) samples covering ≥ {} minutes",
                    input::REALTIME_MINUTES_PER_HOUR
                );
            }
            (ds, url.clone())
        }
        (None, None) => bail!("give --input PATH or --database URL"),
    };
    let periods = match (args.year, args.from, args.to) {
        (Some(y), _, _) => {
            lantian_assess::year_bounds(y).with_context(|| format!("no year {y}"))?;
            Periods::Year(y)
        }
        (None, Some(f), Some(t)) => {
            if t < f {
                bail!("--to {t} is before --from {f}");
            }
            Periods::Range(f, t)
        }
        _ => Periods::EveryYear,
    };
    let req = Request {
        settings,
        targets,
        exclude: args.exclude.clone(),
        periods,
    };
    let review = lantian_assess::review::ReviewSettings {
        dust_in_day_counts: args.dust_in_day_counts,
        deduct_fireworks: args.deduct_fireworks,
    };
    let mode = if args.raw {
        lantian_assess::review::DataMode::Raw
    } else {
        lantian_assess::review::DataMode::Reviewed
    };
    match lantian_assess::review::assess_reviewed(dataset, &marks, &review, mode, &req) {
        Ok(a) => {
            for w in &a.warnings {
                eprintln!("warning: {w}");
            }
            Ok(a)
        }
        Err(lantian_assess::Unusable(dataset)) => {
            print_issues(&dataset, args.show_issues);
            bail!("nothing usable was read from {source}");
        }
    }
}

fn settings_of(args: &Args) -> Result<Settings> {
    let standard = match args.standard.as_str() {
        "auto" => StandardChoice::Auto,
        s => StandardChoice::Fixed(s.parse::<Standard>()?),
    };
    let composite = match args.composite_limits.as_str() {
        "2012" => CompositeConfig::GB3095_2012,
        "2026" | "2026-transitional" => CompositeConfig::GB3095_2026_TRANSITIONAL,
        other => bail!("--composite-limits `{other}`: use 2012 or 2026"),
    };
    Ok(Settings {
        standard,
        grade: if args.grade == 1 { Grade::I } else { Grade::II },
        edition: args
            .limits
            .as_deref()
            .map(str::parse::<Edition>)
            .transpose()?,
        composite,
        area_method: match args.area_method {
            AreaMethodArg::StationDaily => AreaMethod::StationDaily,
            AreaMethodArg::AreaHourly => AreaMethod::AreaHourly,
        },
        min_stations: args.min_stations,
        annual_requires_months: args.annual_requires_months,
    })
}

fn load_targets(path: &Option<PathBuf>) -> Result<Targets> {
    let Some(p) = path else {
        return Ok(Targets::default());
    };
    let text = std::fs::read_to_string(p)
        .with_context(|| format!("cannot read targets {}", p.display()))?;
    let v: Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", p.display()))?;
    let mut t = Targets::default();
    let Some(obj) = v.as_object() else {
        bail!("{}: expected a JSON object", p.display())
    };
    for (k, val) in obj {
        let d: Decimal = val
            .to_string()
            .trim_matches('"')
            .parse()
            .with_context(|| format!("{}: `{k}` must be a number", p.display()))?;
        match k.as_str() {
            "pm25_below" => t.pm25_below = d,
            "good_ratio_at_least" => t.good_ratio_at_least = d,
            "heavy_ratio_at_most" => t.heavy_ratio_at_most = d,
            other => bail!(
                "{}: unknown target `{other}` (pm25_below, good_ratio_at_least, heavy_ratio_at_most)",
                p.display()
            ),
        }
    }
    Ok(t)
}

/// Prints the unreadable rows (the first `show`) and a count by reason.
pub fn print_issues(ds: &Dataset, show: usize) {
    if ds.issues.is_empty() {
        return;
    }
    for i in ds.issues.iter().take(show) {
        eprintln!("skipped: {i}");
    }
    if ds.issues.len() > show {
        eprintln!("… and {} more", ds.issues.len() - show);
    }
    let mut counts: std::collections::BTreeMap<&IssueKind, usize> =
        std::collections::BTreeMap::new();
    for i in &ds.issues {
        *counts.entry(&i.kind).or_default() += 1;
    }
    let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    eprintln!(
        "跳过 skipped {} (by reason: {})",
        ds.issues.len(),
        summary.join(", ")
    );
}

/// The AQI series as CSV on stdout (times are Beijing time; an hourly value
/// is labelled by the end of its hour).
fn print_series(a: &Assessment, series: Series, from: NaiveDate, to: NaiveDate) -> Result<()> {
    use lantian_standards::aqi;
    use std::io::Write;
    let out = std::io::stdout();
    let mut w = std::io::BufWriter::new(out.lock());
    let name_of = |i: usize| {
        if i < a.names.len() {
            a.names[i].as_str()
        } else {
            "area"
        }
    };
    let primary = |r: &aqi::AqiResult| {
        r.primary
            .iter()
            .map(|i| i.key())
            .collect::<Vec<_>>()
            .join("+")
    };
    let row_tail = |r: &aqi::AqiResult| {
        (
            r.aqi.map_or("NA".to_string(), |v| v.to_string()),
            r.level.map_or(String::new(), |l| l.number().to_string()),
            r.level.map_or("NA", |l| l.category_zh()),
            primary(r),
        )
    };
    let fmt = |v: Option<Decimal>| v.map_or(String::new(), |d| d.to_string());
    match series {
        Series::Daily => {
            writeln!(
                w,
                "station,date,standard,aqi,level,category,primary,SO2,NO2,CO,O3_8h,PM10,PM2.5"
            )?;
            let all: Vec<&Vec<DayRecord>> =
                a.records.iter().chain(std::iter::once(&a.area)).collect();
            for (i, recs) in all.iter().enumerate() {
                for r in recs.iter().filter(|r| r.date >= from && r.date <= to) {
                    let std = a.settings.standard.for_day(r.date);
                    let res = r.aqi(std);
                    let (aqi, level, cat, prim) = row_tail(&res);
                    let v: Vec<String> = Pollutant::ALL.iter().map(|p| fmt(r.value(*p))).collect();
                    writeln!(
                        w,
                        "{},{},{std},{aqi},{level},{cat},{prim},{}",
                        name_of(i),
                        r.date,
                        v.join(",")
                    )?;
                }
            }
        }
        Series::Hourly => {
            writeln!(
                w,
                "station,time,standard,aqi,level,category,primary,SO2,NO2,CO,O3,PM10,PM2.5"
            )?;
            let area = lantian_assess::area_hours(a);
            let all: Vec<&StationHours> = a.hours.iter().chain(area.as_ref()).collect();
            for (i, h) in all.iter().enumerate() {
                for k in 0..h.hours[0].len() {
                    let day = h.start + Days::new((k / 24) as u64);
                    if day < from || day > to {
                        continue;
                    }
                    let Some(r) = lantian_assess::hourly_report(h, k, &a.settings) else {
                        continue;
                    };
                    let (aqi, level, cat, prim) = row_tail(&r.result);
                    let t = r.end.format("%Y-%m-%dT%H:%M+08:00");
                    let v: Vec<String> = r.values.iter().map(|v| fmt(*v)).collect();
                    writeln!(
                        w,
                        "{},{t},{},{aqi},{level},{cat},{prim},{}",
                        name_of(i),
                        r.result.standard,
                        v.join(",")
                    )?;
                }
            }
        }
    }
    w.flush()?;
    Ok(())
}

pub fn run(args: Args) -> Result<()> {
    let a = assess(&args)?;
    print_issues(&a.dataset, args.show_issues);
    if args.townships {
        return print_townships(&a, &township_map(&args)?, args.json);
    }
    if let Some(station) = &args.rose {
        return print_rose(&a, station, args.json);
    }
    if let Some(series) = args.series {
        let from = a.periods.first().map_or(a.first_day, |p| p.from);
        let to = a.periods.last().map_or(a.last_day, |p| p.to);
        return print_series(&a, series, from, to);
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&to_json(&a, args.show_issues))?
        );
    } else {
        print!("{}", to_text(&a));
    }
    Ok(())
}
