//! The assessment pipeline behind `lantian assess` and the dashboard's
//! statistics: station data in (files through [`input`], or what `lantian
//! serve` stored through [`load_store`]), per-station and area daily
//! records, evaluated periods, targets, rankings, and their JSON and text.
//! It reads files and the database but prints nothing; every rule it applies
//! is in `lantian-standards`.

pub mod input;

use chrono::{Datelike, Days, NaiveDate};
use lantian_standards::Decimal;
use lantian_standards::evaluate::{
    self, AreaMethod, DayRecord, Evaluation, PollutantEval, Settings, StationHours,
};
use lantian_standards::level::Level;
use lantian_standards::pollutant::Pollutant;
use lantian_standards::stats::{self, Order};
use lantian_standards::targets::{self, TargetStatus, Targets};
use serde_json::{Map, Value, json};

use crate::input::Dataset;

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
    /// What the caller should hear about (an --exclude that matched nothing).
    pub warnings: Vec<String>,
}

fn matches_station(name: &str, pattern: &str) -> bool {
    name.eq_ignore_ascii_case(pattern)
        || name
            .split_whitespace()
            .any(|t| t.eq_ignore_ascii_case(pattern))
}

/// Which periods to evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Periods {
    /// One calendar year.
    Year(i32),
    /// From a day to a day, both included.
    Range(NaiveDate, NaiveDate),
    /// Every calendar year in the data.
    EveryYear,
}

/// What to evaluate and how.
#[derive(Debug, Clone)]
pub struct Request {
    pub settings: Settings,
    pub targets: Targets,
    /// Stations left out of the area value (matched by name or a word of it).
    pub exclude: Vec<String>,
    pub periods: Periods,
}

/// Nothing in the dataset could be used; the dataset comes back so its
/// issues can be shown.
pub struct Unusable(pub Box<Dataset>);

/// The hourly ambient values `lantian serve` stored, as a dataset: 2061
/// `Avg` first, then 2011 `Rtd` samples for hours with no hourly value
/// (see [`input::StoreReader`]). Also how many station-pollutant hours
/// came from real-time samples.
pub async fn load_store(
    store: &lantian_store::Store,
) -> Result<(Dataset, usize), lantian_store::Error> {
    let mut reader = input::StoreReader::default();
    read_store(store, &mut reader, None).await?;
    Ok(reader.finish())
}

/// Feeds `reader` the stored ambient values (of uploads received in
/// `from..until`, Unix ms, when given): hourly ones first, then real-time
/// samples. Returns how many values were read.
pub async fn read_store(
    store: &lantian_store::Store,
    reader: &mut input::StoreReader,
    received: Option<(i64, i64)>,
) -> Result<u64, lantian_store::Error> {
    let codes = ["a21026", "a21004", "a21005", "a05024", "a34002", "a34004"];
    let hourly = store
        .each_ambient_value(2061, &codes, &["Avg"], received, &mut |r| reader.hourly(r))
        .await?;
    let realtime = store
        .each_ambient_value(2011, &codes, &["Rtd"], received, &mut |r| {
            reader.realtime(r)
        })
        .await?;
    Ok(hourly + realtime)
}

/// Aggregates and evaluates a dataset (the work of `lantian assess` without
/// reading or printing).
pub fn assess(dataset: Dataset, req: &Request) -> std::result::Result<Assessment, Unusable> {
    let settings = req.settings;
    let Some((_, hours)) = dataset.to_hours() else {
        return Err(Unusable(Box::new(dataset)));
    };
    let warnings: Vec<String> = req
        .exclude
        .iter()
        .filter(|pattern| {
            !dataset
                .stations
                .iter()
                .any(|s| matches_station(&s.name, pattern))
        })
        .map(|pattern| format!("--exclude {pattern}: no such station"))
        .collect();
    let names: Vec<String> = dataset.stations.iter().map(|s| s.name.clone()).collect();
    let assessed: Vec<bool> = dataset
        .stations
        .iter()
        .map(|s| !s.background && !req.exclude.iter().any(|p| matches_station(&s.name, p)))
        .collect();

    let records = station_records(&hours, &settings);
    let area = area_records(&hours, &records, &assessed, &settings);
    let first_day = area.first().map(|r| r.date).unwrap_or_default();
    let last_day = last_data_day(&area).unwrap_or(first_day);

    let periods: Vec<(NaiveDate, NaiveDate)> = match req.periods {
        Periods::Year(y) => year_bounds(y).into_iter().collect(),
        Periods::Range(f, t) => vec![(f, t.max(f))],
        Periods::EveryYear => (first_day.year()..=last_day.year())
            .filter_map(year_bounds)
            .collect(),
    };

    let periods: Vec<PeriodResult> = periods
        .into_iter()
        .filter_map(|range| {
            evaluate_period(&records, &area, &settings, first_day, range, &|| false)
        })
        .collect();

    let targets = periods.last().map(|p| {
        let as_of = p.to.min(last_day);
        targets::track(&area, p.to.year(), as_of, &req.targets, settings.standard)
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
        warnings,
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

/// The first and last day of a year (`None` outside chrono's range).
pub fn year_bounds(y: i32) -> Option<(NaiveDate, NaiveDate)> {
    Some((
        NaiveDate::from_ymd_opt(y, 1, 1)?,
        NaiveDate::from_ymd_opt(y, 12, 31)?,
    ))
}

/// Evaluates `from..=to` for every station and the area, beside the same
/// days of the year before when the data reach back that far. `stop` is
/// asked between stations: when it says so, the work ends with `None`.
fn evaluate_period(
    records: &[Vec<DayRecord>],
    area: &[DayRecord],
    settings: &Settings,
    first_day: NaiveDate,
    (from, to): (NaiveDate, NaiveDate),
    stop: &dyn Fn() -> bool,
) -> Option<PeriodResult> {
    let prev = previous_year(from, to).filter(|(_, pt)| *pt >= first_day);
    let eval_prev =
        |recs: &[DayRecord]| prev.map(|(pf, pt)| evaluate::evaluate(recs, pf, pt, settings));
    let mut stations = Vec::with_capacity(records.len());
    let mut stations_previous = Vec::with_capacity(records.len());
    for r in records {
        if stop() {
            return None;
        }
        stations.push(evaluate::evaluate(r, from, to, settings));
        stations_previous.push(eval_prev(r));
    }
    Some(PeriodResult {
        from,
        to,
        area: evaluate::evaluate(area, from, to, settings),
        area_previous: eval_prev(area),
        stations,
        stations_previous,
    })
}

impl Assessment {
    /// Another period of the same data (any `from..=to`), evaluated as
    /// `assess --from --to` would.
    pub fn period(&self, from: NaiveDate, to: NaiveDate) -> PeriodResult {
        // `stop` never says yes, so the evaluation always finishes.
        self.period_until(from, to, &|| false)
            .expect("an evaluation that is never stopped finishes")
    }

    /// As [`Assessment::period`], asking `stop` between stations whether
    /// to give up (a request whose client has gone); `None` if it did.
    pub fn period_until(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        stop: &dyn Fn() -> bool,
    ) -> Option<PeriodResult> {
        evaluate_period(
            &self.records,
            &self.area,
            &self.settings,
            self.first_day,
            (from, to),
            stop,
        )
    }
}

/// The same days one year earlier (29 February becomes the 28th).
pub fn previous_year(from: NaiveDate, to: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let back = |d: NaiveDate| {
        d.with_year(d.year() - 1).or_else(|| {
            d.checked_sub_days(Days::new(1))
                .and_then(|x| x.with_year(d.year() - 1))
        })
    };
    Some((back(from)?, back(to)?))
}

/// The real-time (hourly) report of one hour of a grid.
pub struct HourReport {
    pub day: NaiveDate,
    /// The hour's end, local (Beijing) time, as the national release labels it.
    pub end: chrono::NaiveDateTime,
    /// The published 1-h values (GB/T 8170 to each pollutant's report
    /// precision), in `Pollutant::ALL` order.
    pub values: [Option<Decimal>; 6],
    pub result: lantian_standards::aqi::AqiResult,
}

/// The real-time report of hour `k` of `h` (`None` when no pollutant has a
/// value): IAQI from the published 1-h values, with the rule set in force
/// on the day (HJ 633's real-time report; PM on the 24-h table).
pub fn hourly_report(h: &StationHours, k: usize, settings: &Settings) -> Option<HourReport> {
    use lantian_standards::aqi::{self, AqiOptions, Inputs, Reading, Report};
    use lantian_standards::pollutant::{Indicator, Period};
    use lantian_standards::rounding::gbt8170;
    let values: [Option<Decimal>; 6] = std::array::from_fn(|i| {
        let p = Pollutant::ALL[i];
        h.hours[p.index()]
            .get(k)
            .copied()
            .flatten()
            .map(|v| gbt8170(v, p.report_dp()))
    });
    if values.iter().all(Option::is_none) {
        return None;
    }
    let day = h.start.checked_add_days(Days::new((k / 24) as u64))?;
    let end = day.and_hms_opt((k % 24) as u32, 0, 0)? + chrono::Duration::hours(1);
    let standard = settings.standard.for_day(day);
    let mut inputs = Inputs::new();
    for (p, v) in Pollutant::ALL.iter().zip(&values) {
        inputs.set(
            Indicator::new(*p, Period::Hour1),
            v.map_or(Reading::Missing, Reading::Value),
        );
    }
    let opts = AqiOptions {
        pre_round: true,
        ..AqiOptions::for_standard(standard)
    };
    let result = aqi::compute_with(standard, Report::Hourly, &inputs, &opts);
    Some(HourReport {
        day,
        end,
        values,
        result,
    })
}

/// The area's hourly grid: the mean of the assessed stations' hours.
pub fn area_hours(a: &Assessment) -> Option<StationHours> {
    let assessed: Vec<&StationHours> = a
        .hours
        .iter()
        .zip(&a.assessed)
        .filter(|(_, x)| **x)
        .map(|(h, _)| h)
        .collect();
    evaluate::area_hours(&assessed)
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

/// Ranks of the assessed stations in a period by composite index, PM2.5
/// (valid means only) and good-day ratio; ties share a rank, stations
/// without a value or not assessed get none.
pub fn rankings(p: &PeriodResult, assessed: &[bool]) -> [Vec<Option<usize>>; 3] {
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

/// One period's JSON, as `assess --json` prints it: area and stations with
/// their statistics, ranks and last year's, and what is not valid.
pub fn period_json(a: &Assessment, p: &PeriodResult) -> Value {
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
