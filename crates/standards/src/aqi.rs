//! IAQI and AQI per HJ 633-2012 and HJ 633-2026, in exact arithmetic.
//!
//! Choices the texts leave open, and how this module settles them:
//! - **Version by date**: data on or after 2026-03-01 use HJ 633-2026
//!   ([`Standard::for_date`]); either version can be named explicitly.
//! - **Concentration rounding before the lookup**: 2026 §4.2.2/§4.2.3 ask for
//!   GB/T 8170 to integers (CO: 1 decimal). 2012 is silent; we take the value
//!   as given (reference case I002: PM2.5 0.1 → IAQI 1). Both are settings
//!   ([`AqiOptions::pre_round`]); the assessment pipeline publishes rounded
//!   daily concentrations first, so it feeds both versions rounded values.
//! - **Above the top breakpoint** (e.g. PM2.5 > 500): the standards define no
//!   IAQI; we cap at 500 and add a note.
//! - **2012 real-time PM**: the text lists 1-h and 24-h-moving PM but the
//!   table has only 24-h PM limits. Both keys are accepted, both on the 24-h
//!   table; CNEMC's 2012 releases use the 1-h values (137/137 official AQI of
//!   the CNEMC sample reproduce that way).
//! - **2012 SO2 1-h > 800 without a 24-h value** (case I033): SO2 counts as
//!   missing, with a note.
//! - **Negative concentration**: treated as missing/invalid (the QA rules of
//!   HJ 817/818 deal with it), with a note.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::level::Level;
use crate::pollutant::{Indicator, Period, Pollutant, UnknownName};
use crate::rounding::{ceil_div, gbt8170};

/// The AQI rule set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Standard {
    /// HJ 633-2012 环境空气质量指数（AQI）技术规定（试行）
    #[serde(rename = "hj633-2012")]
    Hj633_2012,
    /// HJ 633-2026 环境空气质量指数（AQI）技术规定, in force from 2026-03-01
    #[serde(rename = "hj633-2026")]
    Hj633_2026,
}

impl Standard {
    /// The first day on which HJ 633-2026 applies.
    pub const SWITCH_2026: NaiveDate = match NaiveDate::from_ymd_opt(2026, 3, 1) {
        Some(d) => d,
        None => panic!("valid date"),
    };

    /// The version in force on `day` (data before 2026-03-01 keep the 2012 rules).
    pub fn for_date(day: NaiveDate) -> Standard {
        if day < Self::SWITCH_2026 {
            Standard::Hj633_2012
        } else {
            Standard::Hj633_2026
        }
    }

    pub const fn code(self) -> &'static str {
        match self {
            Standard::Hj633_2012 => "hj633-2012",
            Standard::Hj633_2026 => "hj633-2026",
        }
    }
}

impl fmt::Display for Standard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Standard {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '_'], "-")
            .as_str()
        {
            "hj633-2012" | "2012" => Ok(Standard::Hj633_2012),
            "hj633-2026" | "2026" => Ok(Standard::Hj633_2026),
            _ => Err(UnknownName {
                what: "standard (hj633-2012 or hj633-2026)",
                name: s.to_string(),
            }),
        }
    }
}

/// Daily report (日报) or real-time hourly report (实时报).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Report {
    #[serde(rename = "daily")]
    Daily,
    #[serde(rename = "hourly")]
    Hourly,
}

impl FromStr for Report {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "daily" | "day" | "日报" => Ok(Report::Daily),
            "hourly" | "hour" | "realtime" | "real-time" | "实时报" => Ok(Report::Hourly),
            _ => Err(UnknownName {
                what: "report (daily or hourly)",
                name: s.to_string(),
            }),
        }
    }
}

/// IAQI levels that the breakpoints map to.
const LEVELS: [u16; 8] = [0, 50, 100, 150, 200, 300, 400, 500];

/// Concentration breakpoints of an indicator (µg/m³; CO mg/m³), aligned with
/// [`LEVELS`]. HJ 633-2012 Table 1, HJ 633-2026 Table 3; the two differ only
/// in the IAQI-100 breakpoints of PM10 (150 → 120) and PM2.5 (75 → 60).
/// Real-time PM (`PM*_1h`) uses the daily table (2026 eq. 1 note).
pub fn breakpoints(standard: Standard, ind: Indicator) -> &'static [u32] {
    use Period::*;
    use Pollutant::*;
    let is2026 = standard == Standard::Hj633_2026;
    match (ind.pollutant, ind.period) {
        (So2, Hour24) => &[0, 50, 150, 475, 800, 1600, 2100, 2620],
        (So2, _) => &[0, 150, 500, 650, 800],
        (No2, Hour24) => &[0, 40, 80, 180, 280, 565, 750, 940],
        (No2, _) => &[0, 100, 200, 700, 1200, 2340, 3090, 3840],
        (Co, Hour24) => &[0, 2, 4, 14, 24, 36, 48, 60],
        (Co, _) => &[0, 5, 10, 35, 60, 90, 120, 150],
        (O3, Hour8) => &[0, 100, 160, 215, 265, 800],
        (O3, _) => &[0, 160, 200, 300, 400, 800, 1000, 1200],
        (Pm10, _) if is2026 => &[0, 50, 120, 250, 350, 420, 500, 600],
        (Pm10, _) => &[0, 50, 150, 250, 350, 420, 500, 600],
        (Pm25, _) if is2026 => &[0, 35, 60, 115, 150, 250, 350, 500],
        (Pm25, _) => &[0, 35, 75, 115, 150, 250, 350, 500],
    }
}

const POW10: [i128; 29] = {
    let mut t = [1i128; 29];
    let mut i = 1;
    while i < 29 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// Result of eq. (1) on one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// `IAQI_Lo + ceil((IAQI_Hi − IAQI_Lo)·(C − BP_Lo)/(BP_Hi − BP_Lo))`.
    Index(u16),
    /// Above the last breakpoint of the table.
    AboveTable,
    /// Negative concentration.
    Negative,
}

/// Eq. (1) with the ceiling of HJ 633 (2012 §6.2, 2026 §4.2.6), exact: the
/// concentration is `m / 10^s` and everything is done in `i128`.
pub fn lookup(table: &[u32], c: Decimal) -> Lookup {
    if c.is_sign_negative() && !c.is_zero() {
        return Lookup::Negative;
    }
    let m = c.mantissa();
    let scale = POW10[c.scale() as usize];
    for i in 0..table.len() - 1 {
        let hi = table[i + 1] as i128 * scale;
        if m <= hi {
            let lo = table[i] as i128 * scale;
            let num = (LEVELS[i + 1] - LEVELS[i]) as i128 * (m - lo);
            let den = hi - lo;
            return Lookup::Index(LEVELS[i] + ceil_div(num, den) as u16);
        }
    }
    Lookup::AboveTable
}

/// A value given for an indicator: a concentration or an explicit "missing".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    Value(Decimal),
    /// Missing or invalid (e.g. failed validity).
    Missing,
}

/// The concentrations given to one AQI computation, by indicator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inputs {
    entries: [Option<Reading>; 12],
}

impl Inputs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets an indicator. Panics only for an indicator without a table, which
    /// `Indicator::from_str` never produces.
    pub fn set(&mut self, ind: Indicator, reading: Reading) -> &mut Self {
        let i = ind.index().expect("indicator without a breakpoint table");
        self.entries[i] = Some(reading);
        self
    }

    pub fn with(mut self, ind: Indicator, reading: Reading) -> Self {
        self.set(ind, reading);
        self
    }

    pub fn get(&self, ind: Indicator) -> Option<Reading> {
        ind.index().and_then(|i| self.entries[i])
    }

    fn value(&self, ind: Indicator) -> Option<Decimal> {
        match self.get(ind) {
            Some(Reading::Value(v)) => Some(v),
            _ => None,
        }
    }

    /// The indicators that were given (valued or missing), in table order.
    pub fn given(&self) -> impl Iterator<Item = (Indicator, Reading)> + '_ {
        Indicator::ALL
            .iter()
            .zip(self.entries.iter())
            .filter_map(|(i, e)| e.map(|r| (*i, r)))
    }
}

/// What to do when an indicator is missing or invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MissingRule {
    /// HJ 633-2012 §5.1.1: report the missing indicators as NA, compute the
    /// AQI from the others.
    ReportRest,
    /// HJ 633-2026 §5.3.1: compute from the others; publish the AQI only if
    /// it is above 100, otherwise AQI, level, category and primary are NA.
    NaUnlessAbove100,
}

/// Settings of one AQI computation; [`AqiOptions::for_standard`] gives each
/// version's reading of its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AqiOptions {
    /// Round concentrations per GB/T 8170 (integers; CO 1 decimal) first.
    pub pre_round: bool,
    pub missing_rule: MissingRule,
}

impl AqiOptions {
    pub const fn for_standard(standard: Standard) -> Self {
        match standard {
            Standard::Hj633_2012 => AqiOptions {
                pre_round: false,
                missing_rule: MissingRule::ReportRest,
            },
            Standard::Hj633_2026 => AqiOptions {
                pre_round: true,
                missing_rule: MissingRule::NaUnlessAbove100,
            },
        }
    }
}

/// A remark about how a result was reached (special rules, rounding, NA).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// The indicator is missing or invalid: its IAQI is NA.
    Missing(Indicator),
    /// Given, but not an indicator of this report under this version.
    NotAnIndicator(Indicator),
    /// Rounded per GB/T 8170 before the lookup.
    Rounded {
        indicator: Indicator,
        raw: Decimal,
        rounded: Decimal,
    },
    /// Above the top breakpoint: IAQI capped at 500.
    BeyondTable {
        indicator: Indicator,
        value: Decimal,
    },
    /// Negative concentration, treated as invalid.
    Negative {
        indicator: Indicator,
        value: Decimal,
    },
    /// 2026: SO2 1-h > 800 counts as IAQI 200.
    So2HourAbove800Fixed,
    /// 2012: SO2 1-h > 800, IAQI taken from the 24-h mean.
    So2HourAbove800From24h { value: Decimal },
    /// 2012: SO2 1-h > 800 and no 24-h mean was given: SO2 is missing.
    So2HourAbove800No24h,
    /// 2026: O3 8-h > 800 counts as IAQI 300.
    O3EightHourAbove800Fixed,
    /// 2012: O3 8-h > 800, O3 reported through its 1-h IAQI.
    O3EightHourAbove800UseHour,
    /// 2026 §5.3.1: pollutants missing and AQI ≤ 100: AQI is NA.
    NaBecauseMissing,
    /// 2026 §5.3.1: pollutants missing but AQI > 100: published.
    PublishedDespiteMissing,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Missing(i) => write!(f, "{i} 缺测或无效，记为 NA (missing or invalid)"),
            Note::NotAnIndicator(i) => write!(
                f,
                "{i} 不是本报告的评价指标，未参与计算 (not an indicator of this report; ignored)"
            ),
            Note::Rounded {
                indicator,
                raw,
                rounded,
            } => write!(
                f,
                "{indicator}={raw} 按 GB/T 8170 修约为 {rounded} (rounded half-even before the lookup)"
            ),
            Note::BeyondTable { indicator, value } => write!(
                f,
                "{indicator}={value} 超出分指数表上限，IAQI 按 500 计 (above the top breakpoint; IAQI capped at 500)"
            ),
            Note::Negative { indicator, value } => {
                write!(
                    f,
                    "{indicator}={value} 为负值，按无效处理 (negative: invalid)"
                )
            }
            Note::So2HourAbove800Fixed => {
                write!(f, "SO2_1h > 800，IAQI 按 200 计 (HJ 633-2026 表3注)")
            }
            Note::So2HourAbove800From24h { value } => write!(
                f,
                "SO2_1h > 800，按 24 小时平均 {value} 计算 SO2 分指数 (HJ 633-2012 表1注2)"
            ),
            Note::So2HourAbove800No24h => write!(
                f,
                "SO2_1h > 800 且无 24 小时平均浓度，SO2 分指数无法计算，记为缺测 (HJ 633-2012 表1注2; give SO2_24h)"
            ),
            Note::O3EightHourAbove800Fixed => {
                write!(f, "O3_8h > 800，IAQI 按 300 计 (HJ 633-2026 表3注)")
            }
            Note::O3EightHourAbove800UseHour => write!(
                f,
                "O3_8h > 800，不计算 8 小时分指数，按 1 小时平均计算 O3 分指数 (HJ 633-2012 表1注3)"
            ),
            Note::NaBecauseMissing => write!(
                f,
                "有污染物缺测且 AQI ≤ 100：AQI、级别、类别、首要污染物记为 NA (HJ 633-2026 §5.3.1)"
            ),
            Note::PublishedDespiteMissing => {
                write!(f, "有污染物缺测但 AQI > 100：照常发布 (HJ 633-2026 §5.3.1)")
            }
        }
    }
}

/// An AQI with everything HJ 633 publishes beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AqiResult {
    pub standard: Standard,
    pub report: Report,
    /// The published AQI; `None` is NA.
    pub aqi: Option<u16>,
    /// The maximum IAQI of the indicators that were available, even when the
    /// published AQI is NA (useful to decide a day's validity).
    pub max_iaqi: Option<u16>,
    pub level: Option<Level>,
    /// 首要污染物: only when AQI > 50; every indicator tied at the maximum.
    pub primary: Vec<Indicator>,
    /// IAQI of each indicator of this report that was given or is required.
    pub iaqi: Vec<(Indicator, Option<u16>)>,
    /// 2012 超标污染物: indicators with IAQI > 100 (empty under 2026).
    pub exceeding: Vec<Indicator>,
    /// 2026 Table 2: pollutants with IAQI > 100 whose sensitive groups apply.
    pub sensitive: Vec<Pollutant>,
    /// Indicators required by the report that were missing or invalid.
    pub missing: Vec<Indicator>,
    pub notes: Vec<Note>,
}

impl AqiResult {
    pub fn iaqi_of(&self, ind: Indicator) -> Option<u16> {
        self.iaqi
            .iter()
            .find(|(i, _)| *i == ind)
            .and_then(|(_, v)| *v)
    }
}

const fn ind(p: Pollutant, per: Period) -> Indicator {
    Indicator::new(p, per)
}

const SO2_1H: Indicator = ind(Pollutant::So2, Period::Hour1);
const SO2_24H: Indicator = ind(Pollutant::So2, Period::Hour24);
const NO2_1H: Indicator = ind(Pollutant::No2, Period::Hour1);
const NO2_24H: Indicator = ind(Pollutant::No2, Period::Hour24);
const CO_1H: Indicator = ind(Pollutant::Co, Period::Hour1);
const CO_24H: Indicator = ind(Pollutant::Co, Period::Hour24);
const O3_1H: Indicator = ind(Pollutant::O3, Period::Hour1);
const O3_8H: Indicator = ind(Pollutant::O3, Period::Hour8);
const PM10_1H: Indicator = ind(Pollutant::Pm10, Period::Hour1);
const PM10_24H: Indicator = ind(Pollutant::Pm10, Period::Hour24);
const PM25_1H: Indicator = ind(Pollutant::Pm25, Period::Hour1);
const PM25_24H: Indicator = ind(Pollutant::Pm25, Period::Hour24);

/// The indicators of a report, and the groups of them that are required
/// (any one of a group satisfies it).
struct ReportSpec {
    indicators: &'static [Indicator],
    required: &'static [&'static [Indicator]],
}

/// HJ 633-2012 §5.1.2: 7 daily indicators (O3 1-h max and MDA8 both count).
const DAILY_2012: ReportSpec = ReportSpec {
    indicators: &[SO2_24H, NO2_24H, CO_24H, O3_1H, O3_8H, PM10_24H, PM25_24H],
    required: &[
        &[SO2_24H],
        &[NO2_24H],
        &[CO_24H],
        &[O3_1H],
        &[O3_8H],
        &[PM10_24H],
        &[PM25_24H],
    ],
};
/// HJ 633-2012 §5.1.3: 1-h values, O3 8-h moving, PM 1-h or 24-h moving
/// (both on the 24-h table). SO2_24h is accepted only as the > 800 fallback.
const HOURLY_2012: ReportSpec = ReportSpec {
    indicators: &[
        SO2_1H, NO2_1H, CO_1H, O3_1H, O3_8H, PM10_1H, PM10_24H, PM25_1H, PM25_24H,
    ],
    required: &[
        &[SO2_1H],
        &[NO2_1H],
        &[CO_1H],
        &[O3_1H],
        &[PM10_1H, PM10_24H],
        &[PM25_1H, PM25_24H],
    ],
};
/// HJ 633-2026 §4.2.2: 6 daily indicators (no O3 1-h).
const DAILY_2026: ReportSpec = ReportSpec {
    indicators: &[SO2_24H, NO2_24H, CO_24H, O3_8H, PM10_24H, PM25_24H],
    required: &[
        &[SO2_24H],
        &[NO2_24H],
        &[CO_24H],
        &[O3_8H],
        &[PM10_24H],
        &[PM25_24H],
    ],
};
/// HJ 633-2026 §4.2.3: the 1-h means of the six pollutants.
const HOURLY_2026: ReportSpec = ReportSpec {
    indicators: &[SO2_1H, NO2_1H, CO_1H, O3_1H, PM10_1H, PM25_1H],
    required: &[
        &[SO2_1H],
        &[NO2_1H],
        &[CO_1H],
        &[O3_1H],
        &[PM10_1H],
        &[PM25_1H],
    ],
};

fn report_spec(standard: Standard, report: Report) -> &'static ReportSpec {
    match (standard, report) {
        (Standard::Hj633_2012, Report::Daily) => &DAILY_2012,
        (Standard::Hj633_2012, Report::Hourly) => &HOURLY_2012,
        (Standard::Hj633_2026, Report::Daily) => &DAILY_2026,
        (Standard::Hj633_2026, Report::Hourly) => &HOURLY_2026,
    }
}

/// The IAQI of one indicator with the special rules of each version.
/// `inputs` supplies the fallbacks of 2012 (SO2 24-h, O3 1-h).
fn indicator_iaqi(
    standard: Standard,
    indicator: Indicator,
    c: Decimal,
    inputs: &Inputs,
    opts: &AqiOptions,
    notes: &mut Vec<Note>,
) -> Option<u16> {
    let c = round_if(indicator, c, opts, notes);
    let table = breakpoints(standard, indicator);
    match lookup(table, c) {
        Lookup::Index(v) => Some(v),
        Lookup::Negative => {
            notes.push(Note::Negative {
                indicator,
                value: c,
            });
            None
        }
        Lookup::AboveTable => {
            let so2_1h = indicator == SO2_1H;
            let o3_8h = indicator == O3_8H;
            match standard {
                Standard::Hj633_2026 if so2_1h => {
                    notes.push(Note::So2HourAbove800Fixed);
                    Some(200)
                }
                Standard::Hj633_2026 if o3_8h => {
                    notes.push(Note::O3EightHourAbove800Fixed);
                    Some(300)
                }
                Standard::Hj633_2012 if so2_1h => {
                    let day = SO2_24H;
                    match inputs.value(day) {
                        Some(v) => {
                            let v = round_if(day, v, opts, notes);
                            notes.push(Note::So2HourAbove800From24h { value: v });
                            capped(breakpoints(standard, day), day, v, notes)
                        }
                        None => {
                            notes.push(Note::So2HourAbove800No24h);
                            None
                        }
                    }
                }
                Standard::Hj633_2012 if o3_8h => {
                    notes.push(Note::O3EightHourAbove800UseHour);
                    None
                }
                _ => {
                    notes.push(Note::BeyondTable {
                        indicator,
                        value: c,
                    });
                    Some(500)
                }
            }
        }
    }
}

fn capped(table: &[u32], indicator: Indicator, c: Decimal, notes: &mut Vec<Note>) -> Option<u16> {
    match lookup(table, c) {
        Lookup::Index(v) => Some(v),
        Lookup::Negative => None,
        Lookup::AboveTable => {
            notes.push(Note::BeyondTable {
                indicator,
                value: c,
            });
            Some(500)
        }
    }
}

fn round_if(indicator: Indicator, c: Decimal, opts: &AqiOptions, notes: &mut Vec<Note>) -> Decimal {
    if !opts.pre_round {
        return c;
    }
    let r = gbt8170(c, indicator.pollutant.report_dp());
    if r != c {
        notes.push(Note::Rounded {
            indicator,
            raw: c,
            rounded: r,
        });
    }
    r
}

/// Computes the AQI of one set of concentrations with the version's own
/// options ([`AqiOptions::for_standard`]).
pub fn compute(standard: Standard, report: Report, inputs: &Inputs) -> AqiResult {
    compute_with(
        standard,
        report,
        inputs,
        &AqiOptions::for_standard(standard),
    )
}

/// Computes the AQI with explicit options.
pub fn compute_with(
    standard: Standard,
    report: Report,
    inputs: &Inputs,
    opts: &AqiOptions,
) -> AqiResult {
    let spec = report_spec(standard, report);
    let (indicators, required) = (spec.indicators, spec.required);
    let mut notes = Vec::new();
    let mut iaqi: Vec<(Indicator, Option<u16>)> = Vec::with_capacity(indicators.len());

    for (given, _) in inputs.given() {
        let auxiliary =
            standard == Standard::Hj633_2012 && report == Report::Hourly && given == SO2_24H;
        if !indicators.contains(&given) && !auxiliary {
            notes.push(Note::NotAnIndicator(given));
        }
    }

    for &indicator in indicators {
        let value = match inputs.get(indicator) {
            None => continue,
            Some(Reading::Missing) => None,
            Some(Reading::Value(c)) => {
                indicator_iaqi(standard, indicator, c, inputs, opts, &mut notes)
            }
        };
        iaqi.push((indicator, value));
    }

    // Required indicators that are missing (not given, given as missing, or
    // without a computable IAQI).
    let mut missing = Vec::new();
    for group in required {
        let ok = group
            .iter()
            .any(|g| iaqi.iter().any(|(i, v)| i == g && v.is_some()));
        if !ok {
            // 2012 daily: an O3_8h above 800 is reported through O3_1h, so it
            // is not "missing" when the 1-h IAQI exists.
            let o3_8h_via_1h = group == &[O3_8H]
                && standard == Standard::Hj633_2012
                && notes.contains(&Note::O3EightHourAbove800UseHour);
            if !o3_8h_via_1h {
                missing.push(group[0]);
                if group.len() == 1 && !iaqi.iter().any(|(i, _)| *i == group[0]) {
                    iaqi.push((group[0], None));
                }
            }
        }
    }
    for m in &missing {
        notes.push(Note::Missing(*m));
    }
    iaqi.sort_by_key(|(i, _)| i.index());

    let max_iaqi = iaqi.iter().filter_map(|(_, v)| *v).max();
    let mut aqi = max_iaqi;
    if !missing.is_empty() && opts.missing_rule == MissingRule::NaUnlessAbove100 {
        if aqi.is_some_and(|a| a > 100) {
            notes.push(Note::PublishedDespiteMissing);
        } else {
            notes.push(Note::NaBecauseMissing);
            aqi = None;
        }
    }

    let level = aqi.map(Level::of_aqi);
    let primary = match aqi {
        Some(a) if a > 50 => iaqi
            .iter()
            .filter(|(_, v)| *v == Some(a))
            .map(|(i, _)| *i)
            .collect(),
        _ => Vec::new(),
    };
    let over100 = |(i, v): &(Indicator, Option<u16>)| v.is_some_and(|v| v > 100).then_some(*i);
    let (exceeding, sensitive) = match standard {
        Standard::Hj633_2012 => (iaqi.iter().filter_map(over100).collect(), Vec::new()),
        Standard::Hj633_2026 => {
            let mut s: Vec<Pollutant> = iaqi
                .iter()
                .filter_map(over100)
                .map(|i| i.pollutant)
                .collect();
            s.dedup();
            (Vec::new(), s)
        }
    };

    AqiResult {
        standard,
        report,
        aqi,
        max_iaqi,
        level,
        primary,
        iaqi,
        exceeding,
        sensitive,
        missing,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn float_traps_are_avoided() {
        let co24 = ind(Pollutant::Co, Period::Hour24);
        let co1 = ind(Pollutant::Co, Period::Hour1);
        assert_eq!(
            lookup(breakpoints(Standard::Hj633_2012, co24), d("2.2")),
            Lookup::Index(55)
        );
        assert_eq!(
            lookup(breakpoints(Standard::Hj633_2012, co1), d("65.4")),
            Lookup::Index(218)
        );
    }

    #[test]
    fn breakpoints_are_increasing() {
        for s in [Standard::Hj633_2012, Standard::Hj633_2026] {
            for i in Indicator::ALL {
                let t = breakpoints(s, i);
                assert!(t.windows(2).all(|w| w[0] < w[1]), "{s} {i}");
            }
        }
    }

    #[test]
    fn version_by_date() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(Standard::for_date(d(2026, 2, 28)), Standard::Hj633_2012);
        assert_eq!(Standard::for_date(d(2026, 3, 1)), Standard::Hj633_2026);
    }
}
