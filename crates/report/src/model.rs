//! The reports as typed models: what a report says, built from an
//! [`Assessment`] (the same evaluation `lantian assess` and the API make
//! for the same period) and from the management sections the caller
//! gathered. A model is plain data: its JSON is the golden file of the
//! tests, and the PDF and xlsx are drawn from it and from nothing else.
//!
//! Readings written down here:
//! - A pollutant's headline figure is the one its annual assessment uses
//!   (HJ 663): the mean for SO2, NO2, PM10 and PM2.5; the 95th percentile
//!   of daily values for CO; the 90th percentile of the daily maximum 8-h
//!   mean for O3. Its change against last year is `stats::change_rate`'s
//!   (percent, GB/T 8170 to 2 decimals), as `assess` reports it.
//! - The month's pollution rose is that of the station with the highest
//!   PM2.5 mean in the month (the one a bureau asks "where does it come
//!   from" about); none when no station reports wind.
//! - The daily brief's worst hours are the three hours of the day with the
//!   highest county real-time AQI (ties: the earlier first).
//! - A management section (alarms, tickets, fire points, ledger, alerts) is
//!   present only when the caller gathered it; a missing one is named in
//!   `meta.left_out`, never filled with zeros.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use lantian_assess::{Assessment, PeriodResult, TownshipRank};
use lantian_standards::Decimal;
use lantian_standards::evaluate::{DayCounts, Evaluation};
use lantian_standards::level::Level;
use lantian_standards::pollutant::Pollutant;
use lantian_standards::stats;
use lantian_standards::targets::{self, Targets};
use serde::{Deserialize, Serialize};

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Daily,
    Monthly,
    Annual,
    Episode,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Daily, Kind::Monthly, Kind::Annual, Kind::Episode];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Daily => "daily",
            Kind::Monthly => "monthly",
            Kind::Annual => "annual",
            Kind::Episode => "episode",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Kind::Daily => "环境空气质量日报",
            Kind::Monthly => "环境空气质量月报",
            Kind::Annual => "环境空气质量年报",
            Kind::Episode => "重污染天气应对评估报告",
        }
    }

    /// The short name the archive lists it by.
    pub fn short_zh(self) -> &'static str {
        match self {
            Kind::Daily => "日报",
            Kind::Monthly => "月报",
            Kind::Annual => "年报",
            Kind::Episode => "应对评估",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// What every report says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub kind: Kind,
    pub title: String,
    pub county: String,
    /// The period in words (`2016年5月`).
    pub period: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The data label printed on every page (the demo's sample label);
    /// `None` for real data.
    pub sample: Option<String>,
    /// 审核数据 or 原始数据, and where the data came from.
    pub basis: String,
    pub source: String,
    /// Stations in the data, and how many count toward the county.
    pub stations: usize,
    pub assessed: usize,
    /// Station-pollutant hours the data review left out.
    pub reviewed_out: usize,
    /// When it was made (Beijing time) and by which version.
    pub made_at: String,
    pub version: String,
    /// Sections left out because their data do not exist here.
    pub left_out: Vec<String>,
    /// The public copy: without the management sections.
    #[serde(default)]
    pub public: bool,
}

/// One pollutant's statistics over a period, beside last year's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    /// `PM2.5`, `PM10`, `SO2`, `NO2`, `CO`, `O3`.
    pub pollutant: String,
    /// The headline figure's name (`月均值`, `日均值第95百分位数`, …).
    pub indicator: String,
    /// µg/m³, or mg/m³ for CO.
    pub unit: String,
    pub mean: Option<Decimal>,
    /// The HJ 663 percentile (98, 95 or 90) and its value.
    pub percentile: u32,
    pub percentile_value: Option<Decimal>,
    pub value: Option<Decimal>,
    pub previous: Option<Decimal>,
    pub change_pct: Option<Decimal>,
    pub valid_days: u32,
    pub exceedance_days: u32,
}

/// Days by category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Days {
    pub total: u32,
    pub valid: u32,
    /// 优, 良, 轻度, 中度, 重度, 严重.
    pub by_level: [u32; 6],
    pub good: u32,
    pub heavy_or_worse: u32,
    pub good_ratio: Option<Decimal>,
    pub heavy_ratio: Option<Decimal>,
}

impl Days {
    fn of(e: &Evaluation) -> Days {
        let d: &DayCounts = &e.days;
        Days {
            total: d.days,
            valid: d.valid,
            by_level: d.by_level,
            good: d.good,
            heavy_or_worse: d.heavy_or_worse,
            good_ratio: e.good_ratio,
            heavy_ratio: e.heavy_ratio,
        }
    }
}

/// The county's figures over a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Area {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub stats: Vec<Stat>,
    pub days: Days,
    pub days_previous: Option<Days>,
    pub composite: Option<Decimal>,
    pub composite_previous: Option<Decimal>,
    pub composite_change_pct: Option<Decimal>,
}

/// A station's row of the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StationRow {
    pub rank: Option<usize>,
    pub name: String,
    pub township: Option<String>,
    /// Counts toward the county (a background site does not).
    pub assessed: bool,
    pub pm25: Option<Decimal>,
    pub pm10: Option<Decimal>,
    pub no2: Option<Decimal>,
    pub so2: Option<Decimal>,
    pub co: Option<Decimal>,
    pub o3: Option<Decimal>,
    pub composite: Option<Decimal>,
    pub composite_previous: Option<Decimal>,
    pub good_ratio: Option<Decimal>,
    pub valid_days: u32,
}

/// A township's row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TownshipRow {
    pub rank: Option<usize>,
    pub township: String,
    pub stations: usize,
    pub composite: Option<Decimal>,
    pub composite_previous: Option<Decimal>,
    pub pm25: Option<Decimal>,
    pub pm25_previous: Option<Decimal>,
    pub good_ratio: Option<Decimal>,
}

impl TownshipRow {
    fn of(t: TownshipRank) -> TownshipRow {
        TownshipRow {
            rank: t.rank,
            township: t.township,
            stations: t.stations,
            composite: t.composite,
            composite_previous: t.composite_prev,
            pm25: t.pm25,
            pm25_previous: t.pm25_prev,
            good_ratio: t.good_ratio,
        }
    }
}

/// A day of the county (the calendar).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayRow {
    pub date: NaiveDate,
    pub aqi: Option<u16>,
    pub level: Option<u8>,
    pub category: Option<String>,
    /// The level's official colour (`#RRGGBB`).
    pub colour: Option<String>,
    /// Primary pollutants joined by `+` (empty at AQI ≤ 50).
    pub primary: String,
    pub pm25: Option<Decimal>,
}

/// An hour of the county's real-time report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HourRow {
    /// The end of the hour, Beijing time (`2016-05-03 08:00`).
    pub time: String,
    pub aqi: Option<u16>,
    pub category: Option<String>,
    pub primary: String,
    pub pm25: Option<Decimal>,
}

/// A month of a year beside the same month of the year before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthRow {
    pub month: u32,
    pub pm25: Option<Decimal>,
    pub pm25_previous: Option<Decimal>,
    pub good_days: Option<u32>,
    pub good_days_previous: Option<u32>,
    pub valid_days: u32,
    pub composite: Option<Decimal>,
}

/// One target of the year and where the year to date stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetRow {
    /// `PM2.5 年均浓度`, `优良天数比例`, `重污染天数比例`.
    pub target: String,
    /// The target in words (`< 35 µg/m³`).
    pub goal: String,
    pub actual: Option<Decimal>,
    pub on_track: Option<bool>,
    /// What the rest of the year must do.
    pub remaining: String,
}

/// A station's pollution rose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoseModel {
    pub station: String,
    pub hours: u32,
    /// Compass point, hours, PM2.5 mean, colour.
    pub bins: Vec<(String, u32, Option<Decimal>, Option<String>)>,
}

/// Source supervision over the period: exceedances and anomalies by firm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourcesSection {
    pub firms: Vec<FirmAlarms>,
    pub exceedances: u32,
    pub anomalies: u32,
    pub open: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FirmAlarms {
    pub firm: String,
    pub township: String,
    pub sample: bool,
    pub exceedances: u32,
    pub anomalies: u32,
    /// Of them, still open (not closed) at the report's making.
    pub open: u32,
}

/// The closed loop over the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketsSection {
    pub opened: u32,
    pub closed: u32,
    /// Due in the period and not finished by their due time.
    pub overdue: u32,
    /// Open at the end of the period.
    pub open_at_end: u32,
    pub sample: bool,
}

/// Fire points over the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FiresSection {
    pub points: u32,
    /// By township: points, of which confirmed straw burning, deduction.
    pub townships: Vec<(String, u32, u32, Decimal)>,
    pub sample: bool,
}

/// The task ledger at the period's end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerSection {
    pub plan: String,
    pub tasks: u32,
    pub done: u32,
    pub green: u32,
    pub yellow: u32,
    pub red: u32,
    pub sample: bool,
}

/// An alert of the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRow {
    pub id: i64,
    pub level: String,
    pub state: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub document_no: Option<String>,
    pub no_basis: bool,
    pub sample: bool,
}

/// What the caller gathered from the management data; `None` where that
/// part does not exist here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Management {
    pub sources: Option<SourcesSection>,
    pub tickets: Option<TicketsSection>,
    pub fires: Option<FiresSection>,
    pub ledger: Option<LedgerSection>,
    pub alerts: Option<Vec<AlertRow>>,
    /// Active source alarms at the report's making (the daily brief).
    pub open_alarms: Option<u32>,
}

impl Management {
    fn left_out(&self) -> Vec<String> {
        let mut v = Vec::new();
        let mut miss = |present: bool, name: &str| {
            if !present {
                v.push(name.to_string());
            }
        };
        miss(self.sources.is_some(), "污染源报警");
        miss(self.tickets.is_some(), "问题工单");
        miss(self.fires.is_some(), "火点");
        miss(self.ledger.is_some(), "任务台账");
        miss(self.alerts.is_some(), "重污染天气预警");
        v
    }
}

/// The daily brief (日报).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Daily {
    pub meta: Meta,
    pub county: Option<DayRow>,
    pub stations: Vec<(String, Option<DayRow>)>,
    pub worst_hours: Vec<HourRow>,
    /// The year to date (1 January to the day).
    pub year_to_date: Area,
    pub targets: Vec<TargetRow>,
    pub management: Management,
}

/// The monthly report (月报).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Monthly {
    pub meta: Meta,
    pub area: Area,
    pub stations: Vec<StationRow>,
    pub townships: Vec<TownshipRow>,
    pub calendar: Vec<DayRow>,
    /// January to the month, beside last year.
    pub months: Vec<MonthRow>,
    pub year_to_date: Area,
    pub targets: Vec<TargetRow>,
    pub rose: Option<RoseModel>,
    pub management: Management,
}

/// The annual report (年报).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Annual {
    pub meta: Meta,
    pub area: Area,
    pub months: Vec<MonthRow>,
    pub stations: Vec<StationRow>,
    pub townships: Vec<TownshipRow>,
    pub targets: Vec<TargetRow>,
    pub calendar: Vec<DayRow>,
    pub management: Management,
}

/// A step of an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRow {
    pub at: String,
    pub step: String,
    pub level: String,
    pub actor: String,
    pub note: String,
}

/// A day of an episode: the forecast beside what was observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeDay {
    pub date: NaiveDate,
    pub forecast_aqi: Option<i64>,
    pub forecast_primary: Option<String>,
    pub observed: Option<DayRow>,
    /// Observed minus forecast.
    pub error: Option<i64>,
}

/// A firm over the episode: its measures, hours complied and violated, the
/// cut asked and achieved (as the compliance API gives them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FirmRow {
    pub credit_code: String,
    pub name: String,
    pub township: String,
    /// 生产用电 (kW), CEMS a21002 (kg/h), 无
    pub basis: String,
    /// Each level's measure (`黄色：限产 10%；橙色：停产`).
    pub measures: String,
    pub complied: usize,
    pub violations: usize,
    pub not_stopped: usize,
    pub not_limited: usize,
    pub no_data: usize,
    pub compliance_rate: Option<String>,
    pub required_cut_percent: u8,
    pub achieved_cut_percent: Option<String>,
    pub raised_before: bool,
    pub verdict_zh: String,
    pub sample: bool,
}

/// The firms' compliance over the episode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FirmsSection {
    /// The hours judged.
    pub hours: usize,
    /// Complied hours of all hours judged, percent.
    pub compliance_rate: Option<String>,
    pub complied: usize,
    pub violated: usize,
    pub raised_before: usize,
    pub no_data: usize,
    /// Who did not comply first.
    pub firms: Vec<FirmRow>,
}

/// The alert evaluation (重污染天气应对评估).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    pub meta: Meta,
    pub alert: AlertRow,
    pub steps: Vec<StepRow>,
    pub days: Vec<EpisodeDay>,
    /// Mean absolute forecast error over the days with both.
    pub forecast_mae: Option<Decimal>,
    /// The episode's county figures.
    pub area: Area,
    /// The firms' compliance (left out when the register is empty).
    #[serde(default)]
    pub firms: Option<FirmsSection>,
}

/// Any report (a value passed once from the gatherer to the renderers:
/// its size does not matter).
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "report", rename_all = "lowercase")]
pub enum Report {
    Daily(Daily),
    Monthly(Monthly),
    Annual(Annual),
    Episode(Episode),
}

/// The management sections' names, as `meta.left_out` lists them.
const MANAGEMENT: [&str; 5] = [
    "污染源报警",
    "问题工单",
    "火点",
    "任务台账",
    "重污染天气预警",
];

impl Report {
    /// The copy the public may read: the air-quality figures without the
    /// management sections (firms' alarms, tickets, fire points, the
    /// ledger and alerts are the county offices' to read).
    pub fn public_copy(&self) -> Report {
        let strip = |meta: &mut Meta, m: &mut Management| {
            *m = Management::default();
            meta.public = true;
            meta.left_out.retain(|x| !MANAGEMENT.contains(&x.as_str()));
        };
        let mut r = self.clone();
        match &mut r {
            Report::Daily(x) => strip(&mut x.meta, &mut x.management),
            Report::Monthly(x) => strip(&mut x.meta, &mut x.management),
            Report::Annual(x) => strip(&mut x.meta, &mut x.management),
            Report::Episode(x) => x.meta.public = true,
        }
        r
    }

    pub fn meta(&self) -> &Meta {
        match self {
            Report::Daily(r) => &r.meta,
            Report::Monthly(r) => &r.meta,
            Report::Annual(r) => &r.meta,
            Report::Episode(r) => &r.meta,
        }
    }
}

/// Who is reporting, on what data, when.
#[derive(Debug, Clone)]
pub struct Context {
    pub county: String,
    pub sample: Option<String>,
    /// 审核数据 / 原始数据.
    pub basis: String,
    pub source: String,
    pub made_at: NaiveDateTime,
    pub targets: Targets,
    /// Station name → township.
    pub townships: HashMap<String, String>,
}

/// Why a report cannot be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ModelError {
    #[error("no data in {0}..{1}: the stored data run from {2} to {3}")]
    NoData(NaiveDate, NaiveDate, NaiveDate, NaiveDate),
    #[error("{0} is not a valid period")]
    BadPeriod(String),
}

fn headline(p: Pollutant, kind: Kind) -> &'static str {
    let span = match kind {
        Kind::Daily => "日",
        Kind::Monthly => "月",
        Kind::Annual => "年",
        Kind::Episode => "期间",
    };
    match (p, span) {
        (Pollutant::Co, _) => "日均值第95百分位数",
        (Pollutant::O3, _) => "日最大8小时平均第90百分位数",
        (_, "月") => "月均值",
        (_, "年") => "年均值",
        _ => "平均值",
    }
}

fn headline_of(p: Pollutant, e: &Evaluation) -> Option<Decimal> {
    let pe = e.pollutant(p);
    match p {
        Pollutant::Co | Pollutant::O3 => pe.percentile_value,
        _ => pe.mean,
    }
}

/// Pollutants in the reports' order.
pub const ORDER: [Pollutant; 6] = [
    Pollutant::Pm25,
    Pollutant::Pm10,
    Pollutant::O3,
    Pollutant::No2,
    Pollutant::So2,
    Pollutant::Co,
];

fn area_of(p: &PeriodResult, kind: Kind) -> Area {
    let e = &p.area;
    let prev = p.area_previous.as_ref();
    let stats = ORDER
        .iter()
        .map(|&pol| {
            let pe = e.pollutant(pol);
            let value = headline_of(pol, e);
            let previous = prev.and_then(|x| headline_of(pol, x));
            Stat {
                pollutant: pol.code().to_string(),
                indicator: headline(pol, kind).to_string(),
                unit: if pol == Pollutant::Co {
                    "mg/m³"
                } else {
                    "µg/m³"
                }
                .to_string(),
                mean: pe.mean,
                percentile: pe.percentile,
                percentile_value: pe.percentile_value,
                value,
                previous,
                change_pct: value
                    .zip(previous)
                    .and_then(|(a, b)| stats::change_rate(a, b)),
                valid_days: pe.valid_days,
                exceedance_days: pe.exceedance_days,
            }
        })
        .collect();
    let ci_prev = prev.and_then(|x| x.composite_index);
    Area {
        from: p.from,
        to: p.to,
        stats,
        days: Days::of(e),
        days_previous: prev.filter(|x| x.days.valid > 0).map(Days::of),
        composite: e.composite_index,
        composite_previous: ci_prev,
        composite_change_pct: e
            .composite_index
            .zip(ci_prev)
            .and_then(|(a, b)| stats::change_rate(a, b)),
    }
}

fn stations_of(a: &Assessment, p: &PeriodResult, ctx: &Context) -> Vec<StationRow> {
    let [by_ci, _, _] = lantian_assess::rankings(p, &a.assessed);
    let mut rows: Vec<StationRow> = p
        .stations
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let v = |pol: Pollutant| headline_of(pol, e);
            StationRow {
                rank: by_ci[i],
                name: a.names[i].clone(),
                township: ctx.townships.get(&a.names[i]).cloned(),
                assessed: a.assessed[i],
                pm25: v(Pollutant::Pm25),
                pm10: v(Pollutant::Pm10),
                no2: v(Pollutant::No2),
                so2: v(Pollutant::So2),
                co: v(Pollutant::Co),
                o3: v(Pollutant::O3),
                composite: e.composite_index,
                composite_previous: p.stations_previous[i]
                    .as_ref()
                    .and_then(|x| x.composite_index),
                good_ratio: e.good_ratio,
                valid_days: e.days.valid,
            }
        })
        .collect();
    rows.sort_by(|x, y| {
        (x.rank.is_none(), x.rank, &x.name).cmp(&(y.rank.is_none(), y.rank, &y.name))
    });
    rows
}

fn townships_of(a: &Assessment, p: &PeriodResult, ctx: &Context) -> Vec<TownshipRow> {
    lantian_assess::townships(a, p, &|name| ctx.townships.get(name).cloned())
        .into_iter()
        .map(TownshipRow::of)
        .collect()
}

/// The day row of a daily record.
fn day_row(a: &Assessment, r: &lantian_standards::evaluate::DayRecord) -> DayRow {
    let res = r.aqi(a.settings.standard.for_day(r.date));
    DayRow {
        date: r.date,
        aqi: res.aqi,
        level: res.level.map(Level::number),
        category: res.level.map(|l| l.category_zh().to_string()),
        colour: res.level.map(|l| l.rgb().hex()),
        primary: primary_of(&res),
        pm25: r.value(Pollutant::Pm25),
    }
}

fn primary_of(r: &lantian_standards::aqi::AqiResult) -> String {
    let mut v: Vec<&str> = r.primary.iter().map(|i| i.pollutant.code()).collect();
    v.dedup();
    v.join("+")
}

/// The days whose levels the day counts take: with the review keeping
/// sand-dust hours in the day counts (`Assessment::day_counts`), those of
/// the dust-kept data, so the calendar's colours agree with the counts.
fn counted(a: &Assessment) -> &Assessment {
    a.day_counts.as_deref().unwrap_or(a)
}

fn calendar(a: &Assessment, from: NaiveDate, to: NaiveDate) -> Vec<DayRow> {
    let a = counted(a);
    a.area
        .iter()
        .filter(|r| r.date >= from && r.date <= to)
        .map(|r| day_row(a, r))
        .collect()
}

fn month_range(y: i32, m: u32) -> Option<(NaiveDate, NaiveDate)> {
    let from = NaiveDate::from_ymd_opt(y, m, 1)?;
    let to = from
        .checked_add_months(chrono::Months::new(1))?
        .pred_opt()?;
    Some((from, to))
}

fn months_of(a: &Assessment, year: i32, last: u32) -> Vec<MonthRow> {
    let eval = |y: i32, m: u32| -> Option<Evaluation> {
        let (from, to) = month_range(y, m)?;
        a.area
            .iter()
            .any(|r| r.date >= from && r.date <= to)
            .then(|| a.area_evaluation(from, to))
    };
    (1..=last)
        .map(|m| {
            let (e, prev) = (eval(year, m), eval(year - 1, m));
            let good = |e: &Option<Evaluation>| {
                e.as_ref().filter(|x| x.days.valid > 0).map(|x| x.days.good)
            };
            MonthRow {
                month: m,
                pm25: e.as_ref().and_then(|x| x.pollutant(Pollutant::Pm25).mean),
                pm25_previous: prev
                    .as_ref()
                    .and_then(|x| x.pollutant(Pollutant::Pm25).mean),
                good_days: good(&e),
                good_days_previous: good(&prev),
                valid_days: e.as_ref().map_or(0, |x| x.days.valid),
                composite: e.as_ref().and_then(|x| x.composite_index),
            }
        })
        .collect()
}

fn targets_of(a: &Assessment, year: i32, as_of: NaiveDate, t: &Targets) -> Vec<TargetRow> {
    let mut st = targets::track(&a.area, year, as_of, t, a.settings.standard);
    // The day targets on the days the day counts take (as `assess` does).
    if let Some(k) = a.day_counts.as_deref() {
        let kst = targets::track(&k.area, year, as_of, t, k.settings.standard);
        st.good_days = kst.good_days;
        st.heavy_days = kst.heavy_days;
    }
    vec![
        TargetRow {
            target: "PM2.5 年均浓度".into(),
            goal: format!("< {} µg/m³", st.pm25.target_below),
            actual: st.pm25.mean_to_date,
            on_track: st.pm25.on_track,
            remaining: match st.pm25.allowed_rest_mean {
                Some(m) if st.pm25.reachable => {
                    format!("余下 {} 天均值不超过 {m} µg/m³", st.days_remaining)
                }
                Some(_) => "全年目标已无法完成".into(),
                None => "全年已结束".into(),
            },
        },
        TargetRow {
            target: "优良天数比例".into(),
            goal: format!("≥ {}%", st.good_days.target_at_least),
            actual: st.good_days.ratio_to_date,
            on_track: st.good_days.on_track,
            remaining: if st.good_days.reachable {
                format!(
                    "余下 {} 天中还需 {} 个优良天",
                    st.days_remaining, st.good_days.still_needed
                )
            } else {
                "全年目标已无法完成".into()
            },
        },
        TargetRow {
            target: "重污染天数比例".into(),
            goal: format!("≤ {}%", st.heavy_days.target_at_most),
            actual: st.heavy_days.ratio_to_date,
            on_track: st.heavy_days.on_track,
            remaining: if st.heavy_days.reachable {
                format!(
                    "余下时间至多再有 {} 个重污染天",
                    st.heavy_days.still_allowed
                )
            } else {
                "全年目标已无法完成".into()
            },
        },
    ]
}

fn meta(
    a: &Assessment,
    ctx: &Context,
    kind: Kind,
    period: String,
    (from, to): (NaiveDate, NaiveDate),
    m: &Management,
) -> Meta {
    Meta {
        kind,
        title: format!("{}{}", ctx.county, kind.name_zh()),
        county: ctx.county.clone(),
        period,
        from,
        to,
        sample: ctx.sample.clone(),
        basis: ctx.basis.clone(),
        source: ctx.source.clone(),
        stations: a.names.len(),
        assessed: a.assessed.iter().filter(|x| **x).count(),
        reviewed_out: a.dataset.reviewed_out,
        made_at: format!("{} (北京时间)", ctx.made_at.format("%Y-%m-%d %H:%M")),
        version: format!("lantian {}", env!("CARGO_PKG_VERSION")),
        left_out: m.left_out(),
        public: false,
    }
}

fn check(a: &Assessment, from: NaiveDate, to: NaiveDate) -> Result<(), ModelError> {
    if a.area.iter().any(|r| r.date >= from && r.date <= to) {
        Ok(())
    } else {
        Err(ModelError::NoData(from, to, a.first_day, a.last_day))
    }
}

/// The month's report. `month` is any day of it.
pub fn monthly(
    a: &Assessment,
    month: NaiveDate,
    ctx: &Context,
    management: Management,
) -> Result<Monthly, ModelError> {
    let (from, to) = month_range(month.year(), month.month())
        .ok_or_else(|| ModelError::BadPeriod(month.to_string()))?;
    check(a, from, to)?;
    let p = a.period(from, to);
    let jan1 = NaiveDate::from_ymd_opt(from.year(), 1, 1).unwrap_or(from);
    let ytd = a.period(jan1, to);
    let rose = worst_pm25(&p, &a.assessed).and_then(|i| {
        let r = lantian_assess::rose(a, i, from, to);
        (!r.bins.is_empty()).then(|| RoseModel {
            station: a.names[i].clone(),
            hours: r.hours,
            bins: r
                .bins
                .into_iter()
                .map(|b| (b.dir.to_string(), b.hours, b.pm25, b.colour))
                .collect(),
        })
    });
    Ok(Monthly {
        meta: meta(
            a,
            ctx,
            Kind::Monthly,
            format!("{}年{}月", from.year(), from.month()),
            (from, to),
            &management,
        ),
        area: area_of(&p, Kind::Monthly),
        stations: stations_of(a, &p, ctx),
        townships: townships_of(a, &p, ctx),
        calendar: calendar(a, from, to),
        months: months_of(a, from.year(), from.month()),
        year_to_date: area_of(&ytd, Kind::Annual),
        targets: targets_of(a, from.year(), to.min(a.last_day), &ctx.targets),
        rose,
        management,
    })
}

fn worst_pm25(p: &PeriodResult, assessed: &[bool]) -> Option<usize> {
    p.stations
        .iter()
        .enumerate()
        .filter(|(i, _)| assessed.get(*i).copied().unwrap_or(false))
        .filter_map(|(i, e)| e.pollutant(Pollutant::Pm25).mean.map(|m| (m, i)))
        .max_by(|x, y| x.0.cmp(&y.0).then(y.1.cmp(&x.1)))
        .map(|(_, i)| i)
}

/// The year's report.
pub fn annual(
    a: &Assessment,
    year: i32,
    ctx: &Context,
    management: Management,
) -> Result<Annual, ModelError> {
    let (from, to) =
        lantian_assess::year_bounds(year).ok_or_else(|| ModelError::BadPeriod(year.to_string()))?;
    check(a, from, to)?;
    let p = a.period(from, to);
    let last_month = if a.last_day < to {
        a.last_day.month()
    } else {
        12
    };
    let mut meta = meta(
        a,
        ctx,
        Kind::Annual,
        format!("{year}年"),
        (from, to),
        &management,
    );
    // No import of the province's 115-county ranking exists yet.
    meta.left_out
        .push("全省 115 县（市）排名（未导入）".to_string());
    Ok(Annual {
        meta,
        area: area_of(&p, Kind::Annual),
        months: months_of(a, year, last_month),
        stations: stations_of(a, &p, ctx),
        townships: townships_of(a, &p, ctx),
        targets: targets_of(a, year, to.min(a.last_day), &ctx.targets),
        calendar: calendar(a, from, to),
        management,
    })
}

/// The brief of `day` (usually yesterday).
pub fn daily(
    a: &Assessment,
    day: NaiveDate,
    ctx: &Context,
    management: Management,
) -> Result<Daily, ModelError> {
    check(a, day, day)?;
    let county = a.area.iter().find(|r| r.date == day).map(|r| day_row(a, r));
    let stations = a
        .names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let row = a.records[i]
                .iter()
                .find(|r| r.date == day)
                .map(|r| day_row(a, r))
                .filter(|r| r.aqi.is_some());
            (n.clone(), row)
        })
        .collect();
    let mut worst: Vec<HourRow> = Vec::new();
    if let Some(h) = lantian_assess::area_hours(a) {
        let k0 = (day - h.start).num_days().max(0) as usize * 24;
        let mut hours: Vec<lantian_assess::HourReport> = (k0..k0 + 24)
            .filter_map(|k| lantian_assess::hourly_report(&h, k, &a.settings))
            .filter(|r| r.result.aqi.is_some() && r.day == day)
            .collect();
        hours.sort_by(|x, y| y.result.aqi.cmp(&x.result.aqi).then(x.end.cmp(&y.end)));
        worst = hours
            .iter()
            .take(3)
            .map(|r| HourRow {
                time: r.end.format("%Y-%m-%d %H:%M").to_string(),
                aqi: r.result.aqi,
                category: r.result.level.map(|l| l.category_zh().to_string()),
                primary: primary_of(&r.result),
                pm25: r.values[Pollutant::Pm25.index()],
            })
            .collect();
    }
    let jan1 = NaiveDate::from_ymd_opt(day.year(), 1, 1).unwrap_or(day);
    let ytd = a.period(jan1, day);
    Ok(Daily {
        meta: meta(
            a,
            ctx,
            Kind::Daily,
            format!("{}年{}月{}日", day.year(), day.month(), day.day()),
            (day, day),
            &management,
        ),
        county,
        stations,
        worst_hours: worst,
        year_to_date: area_of(&ytd, Kind::Annual),
        targets: targets_of(a, day.year(), day, &ctx.targets),
        management,
    })
}

/// The evaluation of one alert: `alert` with its steps, the forecast of
/// each day (`day → (aqi, primary)`) against what was observed.
pub fn episode(
    a: &Assessment,
    alert: AlertRow,
    steps: Vec<StepRow>,
    (from, to): (NaiveDate, NaiveDate),
    forecast: &HashMap<NaiveDate, (i64, String)>,
    firms: Option<FirmsSection>,
    ctx: &Context,
) -> Result<Episode, ModelError> {
    if to < from {
        return Err(ModelError::BadPeriod(format!("{from}..{to}")));
    }
    check(a, from, to)?;
    let p = a.period(from, to);
    let mut days = Vec::new();
    let mut d = from;
    while d <= to {
        let observed = a.area.iter().find(|r| r.date == d).map(|r| day_row(a, r));
        let f = forecast.get(&d);
        let error = f
            .zip(observed.as_ref().and_then(|o| o.aqi))
            .map(|((fa, _), o)| i64::from(o) - fa);
        days.push(EpisodeDay {
            date: d,
            forecast_aqi: f.map(|x| x.0),
            forecast_primary: f.map(|x| x.1.clone()),
            observed,
            error,
        });
        d = match d.checked_add_days(chrono::Days::new(1)) {
            Some(n) => n,
            None => break,
        };
    }
    let errs: Vec<i64> = days.iter().filter_map(|x| x.error).collect();
    let forecast_mae = (!errs.is_empty()).then(|| {
        let sum: i64 = errs.iter().map(|e| e.abs()).sum();
        lantian_standards::rounding::gbt8170(
            Decimal::from(sum) / Decimal::from(errs.len() as i64),
            1,
        )
    });
    let m = Management {
        alerts: Some(vec![alert.clone()]),
        ..Management::default()
    };
    let mut meta = meta(
        a,
        ctx,
        Kind::Episode,
        format!("{from} 至 {to}"),
        (from, to),
        &m,
    );
    // The episode report has no other management sections to leave out but
    // the firms' compliance, absent when no firm is registered.
    meta.left_out = if firms.as_ref().is_some_and(|f| !f.firms.is_empty()) {
        Vec::new()
    } else {
        vec!["企业应急减排落实情况".to_string()]
    };
    Ok(Episode {
        meta,
        alert,
        steps,
        days,
        forecast_mae,
        area: area_of(&p, Kind::Episode),
        firms: firms.filter(|f| !f.firms.is_empty()),
    })
}
