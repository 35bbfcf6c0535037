//! The dashboard's figures, kept ready in memory as typed views: a
//! [`Snapshot`] is built from an [`Assessment`] of what was stored (by
//! `jobs::figures`, which follows the commit feed) and swapped in whole;
//! API calls read it and never wait on the database. The same view structs
//! are the JSON of the API and the rows of its CSV and Excel exports.
//!
//! Readings written down here:
//! - "Now" is the latest hour any station reported; each station shows its
//!   own latest hour, with its time, so a silent station is visible as old.
//! - The county's hourly AQI is the real-time report of the mean of the
//!   assessed stations' hourly concentrations (background sites excluded),
//!   as the national real-time release computes a city's.
//! - The period evaluated is the year to date: 1 January to the latest data
//!   day (validity scaled as `validity::period_rule` says for a part of a
//!   year), beside the same days of the previous year when data exist — the
//!   cumulative (累计) figures counties are ranked by during a year.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{Datelike, NaiveDate};
use lantian_assess::review::{DataMode, Mark, ReviewSettings};
use lantian_assess::{Assessment, HourReport, Periods, Request, Rose, TownshipRank};
use lantian_standards::Decimal;
use lantian_standards::aqi::{AqiResult, Standard};
use lantian_standards::evaluate::{DayRecord, Evaluation, Settings, StationHours};
use lantian_standards::level::Level;
use lantian_standards::pollutant::Pollutant;
use lantian_standards::targets::{TargetStatus, Targets};
use lantian_store::Site;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::export::{Cell, Table};

/// Pollutant names as the API and the pages use them.
pub fn pollutant_name(p: Pollutant) -> &'static str {
    match p {
        Pollutant::So2 => "SO2",
        Pollutant::No2 => "NO2",
        Pollutant::Co => "CO",
        Pollutant::O3 => "O3",
        Pollutant::Pm10 => "PM10",
        Pollutant::Pm25 => "PM2.5",
    }
}

/// The six published concentrations (µg/m³; CO mg/m³).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Values {
    #[serde(rename = "SO2")]
    pub so2: Option<Decimal>,
    #[serde(rename = "NO2")]
    pub no2: Option<Decimal>,
    #[serde(rename = "CO")]
    pub co: Option<Decimal>,
    #[serde(rename = "O3")]
    pub o3: Option<Decimal>,
    #[serde(rename = "PM10")]
    pub pm10: Option<Decimal>,
    #[serde(rename = "PM2.5")]
    pub pm25: Option<Decimal>,
}

impl Values {
    fn of(v: &[Option<Decimal>; 6]) -> Self {
        let at = |p: Pollutant| v[p.index()];
        Values {
            so2: at(Pollutant::So2),
            no2: at(Pollutant::No2),
            co: at(Pollutant::Co),
            o3: at(Pollutant::O3),
            pm10: at(Pollutant::Pm10),
            pm25: at(Pollutant::Pm25),
        }
    }

    /// In the exports' column order: PM2.5, PM10, SO2, NO2, CO, O3.
    fn cells(&self) -> [Cell; 6] {
        [self.pm25, self.pm10, self.so2, self.no2, self.co, self.o3].map(Cell::from)
    }
}

/// The columns of [`Values::cells`].
const VALUE_COLUMNS: [&str; 6] = ["PM2.5", "PM10", "SO2", "NO2", "CO", "O3"];

/// An AQI with its level (HJ 633): the level's official colour, names,
/// health effect and advice come from the engine.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Aqi {
    pub aqi: Option<u16>,
    pub level: Option<u8>,
    /// `#RRGGBB`, HJ 633 Table 2.
    pub colour: Option<String>,
    /// The text colour that reads on `colour` (dark on light levels).
    pub text_colour: Option<String>,
    pub category_zh: Option<&'static str>,
    pub category_en: Option<&'static str>,
    pub health: Option<&'static str>,
    pub advice: Option<&'static str>,
    /// The rule set: hj633-2012 or hj633-2026.
    pub standard: Option<String>,
    /// Primary pollutants (SO2, NO2, CO, O3, PM10, PM2.5).
    pub primary: Vec<&'static str>,
}

impl Aqi {
    fn of(r: &AqiResult) -> Self {
        Aqi {
            aqi: r.aqi,
            standard: Some(r.standard.to_string()),
            primary: r
                .primary
                .iter()
                .map(|i| pollutant_name(i.pollutant))
                .collect(),
            ..Aqi::level(r.level, r.standard)
        }
    }

    fn level(level: Option<Level>, standard: Standard) -> Self {
        match level {
            None => Aqi::default(),
            Some(l) => Aqi {
                level: Some(l.number()),
                colour: Some(l.rgb().hex()),
                text_colour: Some(l.text_rgb().hex()),
                category_zh: Some(l.category_zh()),
                category_en: Some(l.category_en()),
                health: Some(l.health_effect(standard)),
                advice: Some(l.advice(standard)),
                ..Aqi::default()
            },
        }
    }
}

/// One hour's real-time report (the hour labelled by its end, +08:00).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct HourView {
    /// `YYYY-MM-DDTHH:MM+08:00`, the end of the hour.
    pub time: Option<String>,
    #[serde(flatten)]
    pub aqi: Aqi,
    pub values: Values,
}

impl HourView {
    pub fn of(r: &HourReport) -> Self {
        HourView {
            time: Some(r.end.format("%Y-%m-%dT%H:%M+08:00").to_string()),
            aqi: Aqi::of(&r.result),
            values: Values::of(&r.values),
        }
    }
}

impl Table for HourView {
    fn columns() -> Vec<&'static str> {
        let mut c = vec!["time", "aqi", "category_zh", "primary"];
        c.extend(VALUE_COLUMNS);
        c
    }
    fn cells(&self) -> Vec<Cell> {
        let mut c = vec![
            Cell::from(self.time.clone()),
            Cell::from(self.aqi.aqi),
            Cell::from(self.aqi.category_zh),
            Cell::text(self.aqi.primary.join("+")),
        ];
        c.extend(self.values.cells());
        c
    }
}

/// One day's record: its AQI and published daily values (O3 = max 8-h).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayView {
    /// `YYYY-MM-DD`.
    pub date: String,
    #[serde(flatten)]
    pub aqi: Aqi,
    pub values: Values,
}

impl DayView {
    pub fn of(r: &DayRecord, settings: &Settings) -> Self {
        let values: [Option<Decimal>; 6] = std::array::from_fn(|i| r.value(Pollutant::ALL[i]));
        DayView {
            date: r.date.to_string(),
            aqi: Aqi::of(&r.aqi(settings.standard.for_day(r.date))),
            values: Values::of(&values),
        }
    }
}

impl Table for DayView {
    fn columns() -> Vec<&'static str> {
        let mut c = vec!["date", "aqi", "category_zh", "primary"];
        c.extend(VALUE_COLUMNS);
        c
    }
    fn cells(&self) -> Vec<Cell> {
        let mut c = vec![
            Cell::text(self.date.clone()),
            Cell::from(self.aqi.aqi),
            Cell::from(self.aqi.category_zh),
            Cell::text(self.aqi.primary.join("+")),
        ];
        c.extend(self.values.cells());
        c
    }
}

/// A site as the pages show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteFields {
    pub code: String,
    pub name: String,
    pub township: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

/// A station and its latest hour.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StationNow {
    #[serde(flatten)]
    pub site: SiteFields,
    /// The station's latest hour (`time`), null when it has none.
    pub as_of: Option<String>,
    #[serde(flatten)]
    pub hour: HourView,
}

/// The latest hour of the area and of every station.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Now {
    /// The area's latest hour, `YYYY-MM-DD HH:00` (end of the hour).
    pub as_of: Option<String>,
    pub area: Option<HourView>,
    pub stations: Vec<StationNow>,
}

/// The six AQI bands (the calendar's legend).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LevelView {
    pub level: u8,
    pub min: u16,
    pub max: u16,
    pub colour: String,
    pub text_colour: String,
    pub category_zh: &'static str,
    pub category_en: &'static str,
}

/// The six levels with their bounds, colours and names.
pub fn levels() -> Vec<LevelView> {
    const BOUNDS: [(u16, u16); 6] = [
        (0, 50),
        (51, 100),
        (101, 150),
        (151, 200),
        (201, 300),
        (301, 500),
    ];
    Level::ALL
        .iter()
        .zip(BOUNDS)
        .map(|(l, (min, max))| LevelView {
            level: l.number(),
            min,
            max,
            colour: l.rgb().hex(),
            text_colour: l.text_rgb().hex(),
            category_zh: l.category_zh(),
            category_en: l.category_en(),
        })
        .collect()
}

/// Where the year stands against the targets (the 目标进度 page).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TargetsStatus {
    pub pm25_mean: Option<Decimal>,
    pub pm25_target: Decimal,
    pub pm25_on_track: Option<bool>,
    pub pm25_remaining_allowed: Option<Decimal>,
    pub good_ratio: Option<Decimal>,
    pub good_days: u32,
    pub valid_days: u32,
    pub good_target: Decimal,
    pub good_on_track: Option<bool>,
    pub good_days_still_needed: u32,
    pub heavy_days: u32,
    pub heavy_target: Decimal,
    pub heavy_on_track: Option<bool>,
    pub heavy_days_remaining: u32,
}

/// A month of the year beside the same month of last year.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonthView {
    pub month: u32,
    pub pm25: Option<Decimal>,
    pub pm25_last: Option<Decimal>,
    pub good_days: Option<u32>,
    pub good_days_last: Option<u32>,
}

/// Target tracking of the year of the latest data.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct TargetsView {
    pub year: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<TargetsStatus>,
    /// The full record of `lantian-standards`' target tracking.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub tracking: Option<TargetStatus>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub months: Vec<MonthView>,
}

/// A station's place in the year to date.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RankRow {
    #[serde(flatten)]
    pub site: SiteFields,
    pub assessed: bool,
    /// By composite index (lower is better).
    pub rank: Option<usize>,
    pub rank_pm25: Option<usize>,
    pub rank_good_ratio: Option<usize>,
    pub composite: Option<Decimal>,
    pub composite_prev: Option<Decimal>,
    pub pm25: Option<Decimal>,
    pub pm25_prev: Option<Decimal>,
    pub good_ratio: Option<Decimal>,
    pub good_ratio_prev: Option<Decimal>,
}

impl Table for RankRow {
    fn columns() -> Vec<&'static str> {
        vec![
            "rank",
            "code",
            "name",
            "township",
            "composite",
            "composite_prev",
            "pm25",
            "pm25_prev",
            "good_ratio",
            "good_ratio_prev",
        ]
    }
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::from(self.rank),
            Cell::text(self.site.code.clone()),
            Cell::text(self.site.name.clone()),
            Cell::from(self.site.township.clone()),
            Cell::from(self.composite),
            Cell::from(self.composite_prev),
            Cell::from(self.pm25),
            Cell::from(self.pm25_prev),
            Cell::from(self.good_ratio),
            Cell::from(self.good_ratio_prev),
        ]
    }
}

/// Stations and townships ranked over the year to date.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Rankings {
    pub year: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stations: Option<Vec<RankRow>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub townships: Option<Vec<TownshipRank>>,
}

/// What the dashboard shows, computed at `built_ms`.
pub struct Snapshot {
    pub built_ms: i64,
    /// Uploads read from the store so far.
    pub values: u64,
    /// Sites of ambient stations by code.
    pub sites: HashMap<String, Site>,
    pub assessment: Option<Assessment>,
    /// The area's hourly grid (mean of assessed stations).
    pub area_hours: Option<StationHours>,
    /// What every caller of the same snapshot gets, made once.
    pub now: Now,
    pub last24: Vec<HourView>,
    pub targets: TargetsView,
    pub rankings: Rankings,
    /// The same figures on raw data, when review marks changed anything
    /// (`None`: raw and reviewed are the same).
    pub raw: Option<Arc<Snapshot>>,
    /// Station-pollutant hours the review left out.
    pub reviewed_out: usize,
}

impl Snapshot {
    /// These figures (reviewed) or their raw twin.
    pub fn of(self: &Arc<Self>, mode: DataMode) -> Arc<Snapshot> {
        match (mode, &self.raw) {
            (DataMode::Raw, Some(raw)) => raw.clone(),
            _ => self.clone(),
        }
    }
}

/// The shared, swappable snapshot.
pub type Shared = Arc<RwLock<Option<Arc<Snapshot>>>>;

pub fn current(shared: &Shared) -> Option<Arc<Snapshot>> {
    match shared.read() {
        Ok(g) => g.clone(),
        Err(p) => p.into_inner().clone(),
    }
}

/// The year to date of the latest data day, beside the same days of the
/// year before, on reviewed data (`marks` applied as `review` says) or raw
/// (`marks` empty). The latest data day is the raw data's, so the reviewed
/// and raw figures cover the same days.
pub fn evaluate(
    dataset: lantian_assess::input::Dataset,
    targets: Targets,
    marks: &[Mark],
    review: &ReviewSettings,
) -> Option<Assessment> {
    let last = dataset.to_hours().and_then(|(_, hours)| {
        hours
            .iter()
            .filter_map(|h| last_hour(h).map(|k| day_of(h, k)))
            .max()
    })?;
    let first = NaiveDate::from_ymd_opt(last.year(), 1, 1)?;
    let req = Request {
        settings: Settings::default(),
        targets,
        exclude: Vec::new(),
        periods: Periods::Range(first, last),
    };
    lantian_assess::review::assess_reviewed(dataset, marks, review, DataMode::Reviewed, &req).ok()
}

fn day_of(h: &StationHours, k: usize) -> NaiveDate {
    h.start + chrono::Days::new((k / 24) as u64)
}

/// The last hour of a grid with any value.
pub fn last_hour(h: &StationHours) -> Option<usize> {
    (0..h.hours[0].len())
        .rev()
        .find(|&k| h.hours.iter().any(|v| v[k].is_some()))
}

impl Snapshot {
    /// The figures of an assessment (CPU work: call off the async workers).
    pub fn build(
        assessment: Option<Assessment>,
        sites: HashMap<String, Site>,
        values: u64,
    ) -> Snapshot {
        let area_hours = assessment.as_ref().and_then(lantian_assess::area_hours);
        let reviewed_out = assessment.as_ref().map_or(0, |a| a.dataset.reviewed_out);
        let mut snap = Snapshot {
            built_ms: chrono::Utc::now().timestamp_millis(),
            values,
            sites,
            assessment,
            area_hours,
            now: Now::default(),
            last24: Vec::new(),
            targets: TargetsView::default(),
            rankings: Rankings::default(),
            raw: None,
            reviewed_out,
        };
        snap.now = snap.now_view();
        snap.last24 = snap.area_last_hours(24);
        snap.targets = snap.targets_view();
        snap.rankings = snap.rankings_view();
        snap
    }

    /// Index of a station (site code) in the assessment.
    pub fn station(&self, code: &str) -> Option<usize> {
        self.assessment
            .as_ref()?
            .names
            .iter()
            .position(|n| n == code)
    }

    fn site_fields(&self, code: &str) -> SiteFields {
        let s = self.sites.get(code);
        SiteFields {
            code: code.to_string(),
            name: s.map_or(code, |s| s.name.as_str()).to_string(),
            township: s.and_then(|s| s.township.clone()),
            lon: s.and_then(|s| s.lon),
            lat: s.and_then(|s| s.lat),
        }
    }

    fn now_view(&self) -> Now {
        let Some(a) = &self.assessment else {
            return Now::default();
        };
        let stations = a
            .names
            .iter()
            .zip(&a.hours)
            .map(|(code, h)| {
                let hour = last_hour(h)
                    .and_then(|k| lantian_assess::hourly_report(h, k, &a.settings))
                    .map(|r| HourView::of(&r))
                    .unwrap_or_default();
                StationNow {
                    site: self.site_fields(code),
                    as_of: hour.time.clone(),
                    hour,
                }
            })
            .collect();
        let area = self.area_hours.as_ref().and_then(|h| {
            last_hour(h).and_then(|k| lantian_assess::hourly_report(h, k, &a.settings))
        });
        Now {
            as_of: area
                .as_ref()
                .map(|r| r.end.format("%Y-%m-%d %H:00").to_string()),
            area: area.as_ref().map(HourView::of),
            stations,
        }
    }

    /// The area's hourly reports over the `n` hours up to its latest.
    pub fn area_last_hours(&self, n: usize) -> Vec<HourView> {
        self.last_hours(self.area_hours.as_ref(), n)
    }

    /// A station's hourly reports over the last `days` days of its data.
    pub fn station_hours(&self, i: usize, days: usize) -> Vec<HourView> {
        let h = self.assessment.as_ref().and_then(|a| a.hours.get(i));
        self.last_hours(h, days * 24)
    }

    fn last_hours(&self, h: Option<&StationHours>, n: usize) -> Vec<HourView> {
        let (Some(a), Some(h)) = (&self.assessment, h) else {
            return Vec::new();
        };
        let Some(last) = last_hour(h) else {
            return Vec::new();
        };
        (last.saturating_sub(n.max(1) - 1)..=last)
            .filter_map(|k| lantian_assess::hourly_report(h, k, &a.settings))
            .map(|r| HourView::of(&r))
            .collect()
    }

    /// A station's (or, with `None`, the area's) daily records in `year`.
    pub fn daily(&self, i: Option<usize>, year: i32) -> Vec<DayView> {
        let Some(a) = &self.assessment else {
            return Vec::new();
        };
        let recs = match i {
            None => &a.area,
            Some(i) => match a.records.get(i) {
                Some(r) => r,
                None => return Vec::new(),
            },
        };
        recs.iter()
            .filter(|r| r.date.year() == year)
            .map(|r| DayView::of(r, &a.settings))
            .collect()
    }

    /// The pollution rose of station `i` over the period evaluated.
    pub fn rose(&self, i: usize) -> Option<Rose> {
        let a = self.assessment.as_ref()?;
        let p = a.periods.last()?;
        Some(lantian_assess::rose(a, i, p.from, p.to))
    }

    /// The year evaluated (of the latest data).
    pub fn year(&self) -> Option<i32> {
        self.assessment
            .as_ref()?
            .periods
            .last()
            .map(|p| p.from.year())
    }

    fn targets_view(&self) -> TargetsView {
        let Some(st) = self.assessment.as_ref().and_then(|a| a.targets.as_ref()) else {
            return TargetsView::default();
        };
        let Some(a) = &self.assessment else {
            return TargetsView::default();
        };
        let year = st.year;
        // One evaluation per month gives both its PM2.5 mean and good days.
        let month = |y: i32, m: u32| -> (Option<Decimal>, Option<u32>) {
            let range = NaiveDate::from_ymd_opt(y, m, 1).and_then(|from| {
                Some((
                    from,
                    from.checked_add_months(chrono::Months::new(1))?
                        .pred_opt()?,
                ))
            });
            let Some((from, to)) = range else {
                return (None, None);
            };
            if a.area.iter().all(|r| r.date < from || r.date > to) {
                return (None, None);
            }
            let e: Evaluation = a.area_evaluation(from, to);
            (
                e.pollutant(Pollutant::Pm25).mean,
                (e.days.valid > 0).then_some(e.days.good),
            )
        };
        let months = (1..=12)
            .map(|m| {
                let ((pm25, good_days), (pm25_last, good_days_last)) =
                    (month(year, m), month(year - 1, m));
                MonthView {
                    month: m,
                    pm25,
                    pm25_last,
                    good_days,
                    good_days_last,
                }
            })
            .collect();
        let status = TargetsStatus {
            pm25_mean: st.pm25.mean_to_date,
            pm25_target: st.pm25.target_below,
            pm25_on_track: st.pm25.on_track,
            pm25_remaining_allowed: st.pm25.allowed_rest_mean,
            good_ratio: st.good_days.ratio_to_date,
            good_days: st.good_days.good_days,
            valid_days: st.good_days.valid_days,
            good_target: st.good_days.target_at_least,
            good_on_track: st.good_days.on_track,
            good_days_still_needed: st.good_days.still_needed,
            heavy_days: st.heavy_days.heavy_days,
            heavy_target: st.heavy_days.target_at_most,
            heavy_on_track: st.heavy_days.on_track,
            heavy_days_remaining: st.heavy_days.still_allowed,
        };
        TargetsView {
            year: Some(year),
            as_of: Some(st.as_of.to_string()),
            status: Some(status),
            tracking: Some(st.clone()),
            months,
        }
    }

    fn rankings_view(&self) -> Rankings {
        let Some(a) = &self.assessment else {
            return Rankings::default();
        };
        let Some(p) = a.periods.last() else {
            return Rankings::default();
        };
        let [by_composite, by_pm25, by_good] = lantian_assess::rankings(p, &a.assessed);
        let mut order: Vec<usize> = (0..a.names.len()).collect();
        // Ranked first by composite index; unranked stations last.
        order.sort_by_key(|&i| (by_composite[i].is_none(), by_composite[i]));
        let stations = order
            .into_iter()
            .map(|i| {
                let e = &p.stations[i];
                let prev = p.stations_previous[i].as_ref();
                RankRow {
                    site: self.site_fields(&a.names[i]),
                    assessed: a.assessed[i],
                    rank: by_composite[i],
                    rank_pm25: by_pm25[i],
                    rank_good_ratio: by_good[i],
                    composite: e.composite_index,
                    composite_prev: prev.and_then(|x| x.composite_index),
                    pm25: e.pollutant(Pollutant::Pm25).mean,
                    pm25_prev: prev.and_then(|x| x.pollutant(Pollutant::Pm25).mean),
                    good_ratio: e.good_ratio,
                    good_ratio_prev: prev.and_then(|x| x.good_ratio),
                }
            })
            .collect();
        let township_of = |code: &str| self.sites.get(code).and_then(|s| s.township.clone());
        Rankings {
            year: Some(p.from.year()),
            from: Some(p.from.to_string()),
            to: Some(p.to.to_string()),
            stations: Some(stations),
            townships: Some(lantian_assess::townships(a, p, &township_of)),
        }
    }
}
