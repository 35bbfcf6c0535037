//! `lantian assess`: per-station and area statistics of hourly data, with
//! validity, days by category, composite index, ranking and target tracking.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chrono::{Datelike, Days, NaiveDate};
use lantian_standards::Decimal;
use lantian_standards::aqi::Standard;
use lantian_standards::evaluate::{
    self, AreaMethod, DayRecord, Evaluation, PollutantEval, Settings, StandardChoice, StationHours,
};
use lantian_standards::level::Level;
use lantian_standards::limits::{Edition, Grade};
use lantian_standards::pollutant::{Pollutant, Unit};
use lantian_standards::stats::{self, CompositeConfig, Order};
use lantian_standards::targets::{self, TargetStatus, Targets};
use serde_json::{Map, Value, json};

use crate::input::{self, Dataset, Format, HourLabel, IssueKind, ReadOptions};

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Series {
    Daily,
    Hourly,
}

/// One evaluated period.
pub struct PeriodResult {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub area: Evaluation,
    pub area_previous: Option<Evaluation>,
    pub stations: Vec<Evaluation>,
    pub stations_previous: Vec<Option<Evaluation>>,
}

/// Everything `assess` computed.
pub struct Assessment {
    pub dataset: Dataset,
    pub names: Vec<String>,
    pub assessed: Vec<bool>,
    pub settings: Settings,
    pub periods: Vec<PeriodResult>,
    pub targets: Option<TargetStatus>,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    /// Daily records per station, and of the area.
    pub records: Vec<Vec<DayRecord>>,
    pub area: Vec<DayRecord>,
    /// Hourly grids per station (for the hourly series).
    pub hours: Vec<StationHours>,
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

fn matches_station(name: &str, pattern: &str) -> bool {
    name.eq_ignore_ascii_case(pattern)
        || name
            .split_whitespace()
            .any(|t| t.eq_ignore_ascii_case(pattern))
}

/// Reads, aggregates and evaluates (the work of `assess` without printing).
pub fn assess(args: &Args) -> Result<Assessment> {
    let co_unit: Unit = args.co_unit.parse()?;
    let settings = settings_of(args)?;
    let targets_cfg = load_targets(&args.targets)?;
    let (dataset, source) = match (&args.input, &args.database) {
        (Some(path), _) => (
            input::read(
                path,
                &ReadOptions {
                    format: args.format,
                    uci_hours: args.uci_hours,
                    long_co_unit: co_unit,
                    progress: !args.quiet,
                },
            )?,
            path.display().to_string(),
        ),
        (None, Some(url)) => {
            let (ds, derived) = crate::cmd::serve::runtime()?.block_on(async {
                let store = lantian_store::Store::connect(url).await?;
                let codes = ["a21026", "a21004", "a21005", "a05024", "a34002", "a34004"];
                let mut reader = input::StoreReader::default();
                store
                    .each_ambient_value(2061, &codes, &["Avg"], &mut |r| reader.hourly(r))
                    .await?;
                store
                    .each_ambient_value(2011, &codes, &["Rtd"], &mut |r| reader.realtime(r))
                    .await?;
                anyhow::Ok(reader.finish())
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
    let Some((_, hours)) = dataset.to_hours() else {
        print_issues(&dataset, args.show_issues);
        bail!("nothing usable was read from {source}");
    };
    for pattern in &args.exclude {
        if !dataset
            .stations
            .iter()
            .any(|s| matches_station(&s.name, pattern))
        {
            eprintln!("warning: --exclude {pattern}: no such station");
        }
    }
    let names: Vec<String> = dataset.stations.iter().map(|s| s.name.clone()).collect();
    let assessed: Vec<bool> = dataset
        .stations
        .iter()
        .map(|s| !s.background && !args.exclude.iter().any(|p| matches_station(&s.name, p)))
        .collect();

    let records = station_records(&hours, &settings);
    let area = area_records(&hours, &records, &assessed, &settings);
    let first_day = area.first().map(|r| r.date).unwrap_or_default();
    let last_day = last_data_day(&area).unwrap_or(first_day);

    let periods: Vec<(NaiveDate, NaiveDate)> = match (args.year, args.from, args.to) {
        (Some(y), _, _) => vec![year_bounds(y)?],
        (None, Some(f), Some(t)) => {
            if t < f {
                bail!("--to {t} is before --from {f}");
            }
            vec![(f, t)]
        }
        _ => (first_day.year()..=last_day.year())
            .map(year_bounds)
            .collect::<Result<_>>()?,
    };

    let periods: Vec<PeriodResult> = periods
        .into_iter()
        .map(|(from, to)| {
            let prev = previous_year(from, to).filter(|(_, pt)| *pt >= first_day);
            let eval_prev = |recs: &[DayRecord]| {
                prev.map(|(pf, pt)| evaluate::evaluate(recs, pf, pt, &settings))
            };
            PeriodResult {
                from,
                to,
                area: evaluate::evaluate(&area, from, to, &settings),
                area_previous: eval_prev(&area),
                stations: records
                    .iter()
                    .map(|r| evaluate::evaluate(r, from, to, &settings))
                    .collect(),
                stations_previous: records.iter().map(|r| eval_prev(r)).collect(),
            }
        })
        .collect();

    let targets = periods.last().map(|p| {
        let as_of = p.to.min(last_day);
        targets::track(&area, p.to.year(), as_of, &targets_cfg, settings.standard)
    });

    Ok(Assessment {
        dataset,
        names,
        assessed,
        settings,
        periods,
        targets,
        first_day,
        last_day,
        records,
        area,
        hours,
    })
}

fn station_records(hours: &[StationHours], settings: &Settings) -> Vec<Vec<DayRecord>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .max(1);
    let chunk = hours.len().div_ceil(workers).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = hours
            .chunks(chunk)
            .map(|c| {
                s.spawn(move || {
                    c.iter()
                        .map(|h| evaluate::daily_records(h, settings))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

fn area_records(
    hours: &[StationHours],
    records: &[Vec<DayRecord>],
    assessed: &[bool],
    settings: &Settings,
) -> Vec<DayRecord> {
    match settings.area_method {
        AreaMethod::StationDaily => {
            let chosen: Vec<&[DayRecord]> = records
                .iter()
                .zip(assessed)
                .filter(|(_, a)| **a)
                .map(|(r, _)| r.as_slice())
                .collect();
            evaluate::area_records(&chosen, settings)
        }
        AreaMethod::AreaHourly => {
            let chosen: Vec<&StationHours> = hours
                .iter()
                .zip(assessed)
                .filter(|(_, a)| **a)
                .map(|(h, _)| h)
                .collect();
            evaluate::area_hours(&chosen)
                .map(|h| evaluate::daily_records(&h, settings))
                .unwrap_or_default()
        }
    }
}

fn last_data_day(records: &[DayRecord]) -> Option<NaiveDate> {
    records
        .iter()
        .rev()
        .find(|r| r.daily.iter().any(|d| d.n > 0))
        .map(|r| r.date)
}

fn year_bounds(y: i32) -> Result<(NaiveDate, NaiveDate)> {
    let f = NaiveDate::from_ymd_opt(y, 1, 1).with_context(|| format!("no year {y}"))?;
    let t = NaiveDate::from_ymd_opt(y, 12, 31).with_context(|| format!("no year {y}"))?;
    Ok((f, t))
}

fn previous_year(from: NaiveDate, to: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let back = |d: NaiveDate| {
        d.with_year(d.year() - 1).or_else(|| {
            d.checked_sub_days(Days::new(1))
                .and_then(|x| x.with_year(d.year() - 1))
        })
    };
    Some((back(from)?, back(to)?))
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

// ---------------------------------------------------------------- JSON

fn pollutant_key(p: Pollutant) -> &'static str {
    if p == Pollutant::O3 {
        "O3_8h"
    } else {
        p.code()
    }
}

fn pollutant_json(e: &PollutantEval) -> Value {
    let mut m = Map::new();
    m.insert("mean".into(), json!(e.mean));
    m.insert(format!("p{}", e.percentile), json!(e.percentile_value));
    m.insert("valid_days".into(), json!(e.valid_days));
    m.insert("days".into(), json!(e.days));
    m.insert("required_days".into(), json!(e.required_days));
    m.insert("valid".into(), json!(e.valid));
    m.insert(
        "invalid_reason".into(),
        json!(e.invalid.map(|i| i.to_string())),
    );
    m.insert("short_months".into(), json!(e.short_months));
    m.insert(
        "limit".into(),
        json!({"annual": e.limit.annual, "daily": e.limit.daily}),
    );
    m.insert("exceedance_days".into(), json!(e.exceedance_days));
    m.insert("mean_exceedance".into(), json!(e.mean_exceedance));
    m.insert(
        "percentile_exceedance".into(),
        json!(e.percentile_exceedance),
    );
    m.insert("compliant".into(), json!(e.compliant));
    Value::Object(m)
}

fn evaluation_json(e: &Evaluation, previous: Option<&Evaluation>) -> Value {
    let pollutants: Map<String, Value> = e
        .pollutants
        .iter()
        .map(|p| (pollutant_key(p.pollutant).to_string(), pollutant_json(p)))
        .collect();
    let by_category: Map<String, Value> = Level::ALL
        .iter()
        .map(|l| {
            (
                l.category_zh().to_string(),
                json!(e.days.by_level[l.number() as usize - 1]),
            )
        })
        .collect();
    let prev_ci = previous.and_then(|p| p.composite_index);
    json!({
        "from": e.from,
        "to": e.to,
        "limits": e.edition.code(),
        "pollutants": pollutants,
        "days": {
            "total": e.days.days,
            "valid": e.days.valid,
            "good": e.days.good,
            "heavy_or_worse": e.days.heavy_or_worse,
            "severe": e.days.severe,
            "by_category": by_category,
        },
        "good_ratio": e.good_ratio,
        "heavy_ratio": e.heavy_ratio,
        "composite_index": e.composite_index,
        "composite_index_previous_year": prev_ci,
        "composite_change_pct": e.composite_index.zip(prev_ci).and_then(|(a, b)| stats::change_rate(a, b)),
        "compliant": e.compliant,
    })
}

fn rankings(p: &PeriodResult, assessed: &[bool]) -> [Vec<Option<usize>>; 3] {
    let idx: Vec<usize> = (0..p.stations.len()).filter(|i| assessed[*i]).collect();
    let key = |f: &dyn Fn(&Evaluation) -> Option<Decimal>| -> Vec<Option<Decimal>> {
        idx.iter().map(|&i| f(&p.stations[i])).collect()
    };
    // Stations without a value get no rank (they would share the last).
    let spread = |keys: Vec<Option<Decimal>>, order: Order| {
        let ranks = stats::rank(&keys, order);
        let mut out = vec![None; p.stations.len()];
        for (k, &i) in idx.iter().enumerate() {
            out[i] = keys[k].map(|_| ranks[k]);
        }
        out
    };
    let pm = |e: &Evaluation| {
        let x = e.pollutant(Pollutant::Pm25);
        if x.valid { x.mean } else { None }
    };
    [
        spread(key(&|e| e.composite_index), Order::Ascending),
        spread(key(&pm), Order::Ascending),
        spread(key(&|e| e.good_ratio), Order::Descending),
    ]
}

fn period_json(a: &Assessment, p: &PeriodResult) -> Value {
    let [by_ci, by_pm, by_good] = rankings(p, &a.assessed);
    let stations: Vec<Value> = p
        .stations
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut v = evaluation_json(e, p.stations_previous[i].as_ref());
            if let Value::Object(m) = &mut v {
                m.insert("station".into(), json!(a.names[i]));
                m.insert("assessment".into(), json!(a.assessed[i]));
                m.insert("background".into(), json!(a.dataset.stations[i].background));
                m.insert(
                    "rank".into(),
                    json!({"composite_index": by_ci[i], "pm25": by_pm[i], "good_ratio": by_good[i]}),
                );
            }
            v
        })
        .collect();
    json!({
        "period": {"from": p.from, "to": p.to},
        "area": evaluation_json(&p.area, p.area_previous.as_ref()),
        "stations": stations,
        "invalid": invalid_list(a, p),
    })
}

fn invalid_list(a: &Assessment, p: &PeriodResult) -> Vec<Value> {
    let mut out = Vec::new();
    for (i, e) in p.stations.iter().enumerate() {
        for pe in e.pollutants.iter().filter(|x| !x.valid) {
            out.push(json!({
                "station": a.names[i],
                "pollutant": pollutant_key(pe.pollutant),
                "valid_days": pe.valid_days,
                "required_days": pe.required_days,
                "reason": pe.invalid.map(|x| x.to_string()),
            }));
        }
    }
    out
}

fn skipped_json(ds: &Dataset, show: usize) -> Value {
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for i in &ds.issues {
        *counts.entry(i.kind.to_string()).or_default() += 1;
    }
    json!({
        "total": ds.issues.len(),
        "by_reason": counts,
        "examples": ds.issues.iter().take(show).map(|i| i.to_string()).collect::<Vec<_>>(),
    })
}

pub fn to_json(a: &Assessment, show: usize) -> Value {
    let last = a.periods.last();
    let mut top = match last {
        Some(p) => period_json(a, p),
        None => json!({}),
    };
    if let Value::Object(m) = &mut top {
        m.insert(
            "input".into(),
            json!({
                "files": a.dataset.files,
                "rows": a.dataset.rows,
                "stations": a.names.len(),
                "values": a.dataset.values(),
                "hours_from_realtime": a.dataset.hours_from_realtime,
                "first_day": a.first_day,
                "last_day": a.last_day,
                "skipped": skipped_json(&a.dataset, show),
            }),
        );
        m.insert("settings".into(), json!(a.settings));
        m.insert("targets".into(), json!(a.targets));
        if a.periods.len() > 1 {
            m.insert(
                "years".into(),
                Value::Array(a.periods.iter().map(|p| period_json(a, p)).collect()),
            );
        }
    }
    top
}

// ---------------------------------------------------------------- text

fn fmt_opt(v: Option<Decimal>) -> String {
    v.map_or_else(|| "—".to_string(), |d| d.to_string())
}

fn fmt_pct(v: Option<Decimal>) -> String {
    v.map_or_else(|| "—".to_string(), |d| format!("{d}%"))
}

fn evaluation_text(out: &mut String, e: &Evaluation, prev: Option<&Evaluation>) {
    out.push_str(&format!(
        "  {:<7} {:>7} {:>9} {:>10} {:>9}  {}\n",
        "污染物", "均值mean", "百分位pct", "有效日valid", "标准limit", "达标 compliant"
    ));
    for p in &e.pollutants {
        let comp = match (p.valid, p.compliant) {
            (false, _) => format!(
                "无效 invalid: {}",
                p.invalid.map(|i| i.to_string()).unwrap_or_default()
            ),
            (true, Some(true)) => "达标 yes".to_string(),
            (true, _) => {
                let mut s = "超标 no".to_string();
                if let Some(x) = p.mean_exceedance {
                    s.push_str(&format!(" (均值超标 {x} 倍)"));
                }
                if let Some(x) = p.percentile_exceedance {
                    s.push_str(&format!(" (百分位超标 {x} 倍)"));
                }
                s
            }
        };
        let limit = match p.limit.annual {
            Some(a) => format!("{a}/{}", p.limit.daily),
            None => format!("-/{}", p.limit.daily),
        };
        out.push_str(&format!(
            "  {:<7} {:>7} {:>9} {:>10} {:>9}  {}\n",
            pollutant_key(p.pollutant),
            fmt_opt(p.mean),
            format!("p{}={}", p.percentile, fmt_opt(p.percentile_value)),
            format!("{}/{}", p.valid_days, p.days),
            limit,
            comp
        ));
    }
    let cats: Vec<String> = Level::ALL
        .iter()
        .map(|l| {
            format!(
                "{} {}",
                l.category_zh(),
                e.days.by_level[l.number() as usize - 1]
            )
        })
        .collect();
    out.push_str(&format!(
        "  有效天数 valid days {}/{}: {}\n",
        e.days.valid,
        e.days.days,
        cats.join(", ")
    ));
    out.push_str(&format!(
        "  优良天数比例 good-day ratio {}   重污染及以上 heavy-or-worse {} ({} days)\n",
        fmt_pct(e.good_ratio),
        fmt_pct(e.heavy_ratio),
        e.days.heavy_or_worse
    ));
    let prev_ci = prev.and_then(|p| p.composite_index);
    let change = e
        .composite_index
        .zip(prev_ci)
        .and_then(|(a, b)| stats::change_rate(a, b))
        .map(|c| format!("  同比 year-on-year {c}% (上年 {})", fmt_opt(prev_ci)))
        .unwrap_or_default();
    out.push_str(&format!(
        "  综合指数 composite index {}{}   限值 limits {}\n",
        fmt_opt(e.composite_index),
        change,
        e.edition.code()
    ));
}

pub fn to_text(a: &Assessment) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "读入 read: {} files, {} rows, {} stations, {} values, {} … {}\n",
        a.dataset.files,
        a.dataset.rows,
        a.names.len(),
        a.dataset.values(),
        a.first_day,
        a.last_day
    ));
    let assessed: Vec<&str> = a
        .names
        .iter()
        .zip(&a.assessed)
        .filter(|(_, x)| **x)
        .map(|(n, _)| n.as_str())
        .collect();
    let excluded: Vec<&str> = a
        .names
        .iter()
        .zip(&a.assessed)
        .filter(|(_, x)| !**x)
        .map(|(n, _)| n.as_str())
        .collect();
    out.push_str(&format!(
        "评价点位 assessment stations ({}): {}\n",
        assessed.len(),
        assessed.join(", ")
    ));
    if !excluded.is_empty() {
        out.push_str(&format!(
            "不参与区域均值 excluded from the area: {}\n",
            excluded.join(", ")
        ));
    }
    for p in &a.periods {
        out.push_str(&format!("\n══ {} … {} ══\n", p.from, p.to));
        out.push_str("区域 area:\n");
        evaluation_text(&mut out, &p.area, p.area_previous.as_ref());
        let [by_ci, by_pm, by_good] = rankings(p, &a.assessed);
        out.push_str(&format!(
            "\n  {:<16} {:>8} {:>6} {:>10} {:>6} {:>8} {:>6}\n",
            "点位 station", "PM2.5", "排名", "综合指数CI", "排名", "优良率", "排名"
        ));
        let mut order: Vec<usize> = (0..p.stations.len()).collect();
        order.sort_by_key(|&i| (by_ci[i].unwrap_or(usize::MAX), i));
        for i in order {
            let e = &p.stations[i];
            let pm = e.pollutant(Pollutant::Pm25);
            let r = |x: Option<usize>| x.map_or("—".to_string(), |v| v.to_string());
            out.push_str(&format!(
                "  {:<16} {:>8} {:>6} {:>10} {:>6} {:>8} {:>6}{}\n",
                a.names[i],
                if pm.valid {
                    fmt_opt(pm.mean)
                } else {
                    format!("({})", fmt_opt(pm.mean))
                },
                r(by_pm[i]),
                fmt_opt(e.composite_index),
                r(by_ci[i]),
                fmt_pct(e.good_ratio),
                r(by_good[i]),
                if a.assessed[i] {
                    ""
                } else {
                    "  (不参评 excluded)"
                }
            ));
        }
        let invalid: Vec<String> = p
            .stations
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let short: Vec<String> = e
                    .pollutants
                    .iter()
                    .filter(|x| !x.valid)
                    .map(|x| format!("{} {}", pollutant_key(x.pollutant), x.valid_days))
                    .collect();
                (!short.is_empty()).then(|| format!("{} ({})", a.names[i], short.join(", ")))
            })
            .collect();
        if !invalid.is_empty() {
            let required = p
                .stations
                .first()
                .map_or(0, |e| e.pollutants[0].required_days);
            out.push_str(&format!(
                "  有效天数不足 {required} 天、不作评价 short of the {required} valid days: {}\n",
                invalid.join("; ")
            ));
        }
    }
    if let Some(t) = &a.targets {
        let ended = t.days_remaining == 0;
        let yn = |b: bool| match (ended, b) {
            (false, true) => "可达 reachable",
            (false, false) => "已无法达成 out of reach",
            (true, true) => "已达成 met",
            (true, false) => "未达成 missed",
        };
        out.push_str(&format!(
            "\n══ 目标进度 targets {} (截至 as of {}, 已过 {} 天, 余 {} 天) ══\n",
            t.year, t.as_of, t.days_elapsed, t.days_remaining
        ));
        let rest = match t.pm25.allowed_rest_mean {
            Some(x) => format!("; 余下日均值须 ≤ rest of year may average at most {x} µg/m³"),
            None => String::new(),
        };
        out.push_str(&format!(
            "  PM2.5 < {}: 累计均值 mean to date {} ({} valid days){rest} — {}\n",
            t.pm25.target_below,
            fmt_opt(t.pm25.mean_to_date),
            t.pm25.valid_days,
            yn(t.pm25.reachable)
        ));
        out.push_str(&format!(
            "  优良天数比例 ≥ {}%: {} 优良/{} 有效 ({}); 全年需 {} 天, 余下还需 still needed {} 天 — {}\n",
            t.good_days.target_at_least,
            t.good_days.good_days,
            t.good_days.valid_days,
            fmt_pct(t.good_days.ratio_to_date),
            t.good_days.needed_total,
            t.good_days.still_needed,
            yn(t.good_days.reachable)
        ));
        out.push_str(&format!(
            "  重污染及以上 ≤ {}%: 已有 {} 天; 全年最多 {} 天, 余下还允许 still allowed {} 天 — {}\n",
            t.heavy_days.target_at_most,
            t.heavy_days.heavy_days,
            t.heavy_days.allowed_total,
            t.heavy_days.still_allowed,
            yn(t.heavy_days.reachable)
        ));
    }
    out
}

/// The AQI series as CSV on stdout (times are Beijing time; an hourly value
/// is labelled by the end of its hour).
fn print_series(a: &Assessment, series: Series, from: NaiveDate, to: NaiveDate) -> Result<()> {
    use lantian_standards::aqi::{self, AqiOptions, Inputs, Reading, Report};
    use lantian_standards::pollutant::{Indicator, Period};
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
            let assessed: Vec<&StationHours> = a
                .hours
                .iter()
                .zip(&a.assessed)
                .filter(|(_, x)| **x)
                .map(|(h, _)| h)
                .collect();
            let area = evaluate::area_hours(&assessed);
            let all: Vec<&StationHours> = a.hours.iter().chain(area.as_ref()).collect();
            for (i, h) in all.iter().enumerate() {
                for k in 0..h.hours[0].len() {
                    let day = h.start + Days::new((k / 24) as u64);
                    if day < from || day > to {
                        continue;
                    }
                    let vals: Vec<Option<Decimal>> = Pollutant::ALL
                        .iter()
                        .map(|p| h.hours[p.index()][k])
                        .collect();
                    if vals.iter().all(Option::is_none) {
                        continue;
                    }
                    let std = a.settings.standard.for_day(day);
                    let mut inputs = Inputs::new();
                    for (p, v) in Pollutant::ALL.iter().zip(&vals) {
                        let r = v.map_or(Reading::Missing, |v| {
                            Reading::Value(lantian_standards::rounding::gbt8170(v, p.report_dp()))
                        });
                        inputs.set(Indicator::new(*p, Period::Hour1), r);
                    }
                    let opts = AqiOptions {
                        pre_round: true,
                        ..AqiOptions::for_standard(std)
                    };
                    let res = aqi::compute_with(std, Report::Hourly, &inputs, &opts);
                    let (aqi, level, cat, prim) = row_tail(&res);
                    let end = day
                        .and_hms_opt((k % 24) as u32, 0, 0)
                        .map(|t| t + chrono::Duration::hours(1));
                    let t = end.map_or(String::new(), |t| {
                        t.format("%Y-%m-%dT%H:%M+08:00").to_string()
                    });
                    let v: Vec<String> = vals
                        .iter()
                        .zip(Pollutant::ALL)
                        .map(|(v, p)| {
                            fmt(v.map(|d| lantian_standards::rounding::gbt8170(d, p.report_dp())))
                        })
                        .collect();
                    writeln!(
                        w,
                        "{},{t},{std},{aqi},{level},{cat},{prim},{}",
                        name_of(i),
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
