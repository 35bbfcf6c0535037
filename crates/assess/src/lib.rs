//! The assessment pipeline behind `lantian assess` and the dashboard's
//! statistics: station data in (files through [`input`], or what `lantian
//! serve` stored through [`load_store`]), per-station and area daily
//! records, evaluated periods, targets, rankings (stations and townships),
//! the pollution rose, and their JSON and text.
//! It reads files and the database but prints nothing; every rule it applies
//! is in `lantian-standards`.

pub mod input;
mod output;
mod rank;
mod report;
pub mod review;
mod rose;

pub use output::{period_json, to_json, to_text};
pub use rank::{TownshipRank, rankings, townships};
pub use report::{HourReport, area_hours, hourly_report};
pub use rose::{Rose, RoseBin, rose};

use chrono::{Datelike, Days, NaiveDate};
use lantian_standards::evaluate::{
    self, AreaMethod, DayRecord, Evaluation, Settings, StationHours,
};
use lantian_standards::targets::{self, TargetStatus, Targets};

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
    /// The same data with sand-dust hours kept, whose day counts, ratios
    /// and day targets every period of this assessment takes (the CNEMC
    /// variant of the review, `review::ReviewSettings::dust_in_day_counts`);
    /// `None`: the day counts are this data's own.
    pub day_counts: Option<Box<Assessment>>,
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
/// `Avg` values, and for an hour without one the mean of its 2011 `Rtd`
/// samples (see [`input::StoreReader`]). Also how many station-pollutant
/// hours came from real-time samples.
pub async fn load_store(
    store: &lantian_store::Store,
) -> Result<(Dataset, usize), lantian_store::Error> {
    let mut reader = input::StoreReader::default();
    read_store(store, &mut reader).await?;
    Ok(reader.finish())
}

/// The active review marks in the store, as the figures apply them.
pub async fn review_marks(
    store: &lantian_store::Store,
) -> Result<Vec<review::Mark>, lantian_store::Error> {
    Ok(marks_of(&store.reviews(None, true).await?))
}

/// Review rows as marks (a row naming a code that is not one of the six
/// pollutants marks nothing the figures use and is left out).
pub fn marks_of(rows: &[lantian_store::reviews::ReviewRow]) -> Vec<review::Mark> {
    let slot = |s: i64| (s + 8 * 3600).div_euclid(3600);
    rows.iter()
        .filter(|r| r.restored_ms.is_none())
        .filter_map(|r| {
            let pollutant = match r.code.as_deref() {
                None => None,
                Some(c) => Some(input::pollutant_of_code(c)?),
            };
            Some(review::Mark {
                station: r.site_code.clone(),
                pollutant,
                from: slot(r.from_s),
                to: slot(r.to_s),
                reason: r.reason.parse().ok()?,
            })
        })
        .collect()
}

/// Feeds `reader` every stored upload of the ambient devices (2061 and
/// 2011), one row per upload. Returns how many uploads were read.
pub async fn read_store(
    store: &lantian_store::Store,
    reader: &mut input::StoreReader,
) -> Result<u64, lantian_store::Error> {
    let devices: std::collections::HashMap<i64, lantian_store::Device> = store
        .devices_bulk()
        .await?
        .into_iter()
        .filter(|d| d.spec.kind == lantian_types::DeviceKind::Ambient)
        .map(|d| (d.id, d))
        .collect();
    store
        .each_upload("ambient", &[2061, 2011], &mut |u| {
            if let Some(d) = devices.get(&u.device_id) {
                reader.upload(site_of(d), &u);
            }
        })
        .await
}

/// How the store reader sees a device's site.
pub fn site_of(d: &lantian_store::Device) -> input::SiteOf<'_> {
    input::SiteOf {
        code: d.spec.site.code.as_str(),
        assessment: d.spec.site.assessment,
        unit_overrides: &d.spec.unit_overrides,
    }
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
        day_counts: None,
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
        let mut p = evaluate_period(
            &self.records,
            &self.area,
            &self.settings,
            self.first_day,
            (from, to),
            stop,
        )?;
        if let Some(k) = &self.day_counts {
            let kp = k.period_until(from, to, stop)?;
            review::take_day_counts(&mut p, &self.names, &kp, &k.names);
        }
        Some(p)
    }

    /// The area's evaluation of `from..=to` (its day counts from
    /// [`Assessment::day_counts`] when the review keeps dust in them).
    pub fn area_evaluation(&self, from: NaiveDate, to: NaiveDate) -> evaluate::Evaluation {
        let mut e = evaluate::evaluate(&self.area, from, to, &self.settings);
        if let Some(k) = &self.day_counts {
            review::take_days(&mut e, &evaluate::evaluate(&k.area, from, to, &k.settings));
        }
        e
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
