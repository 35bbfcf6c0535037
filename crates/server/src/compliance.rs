//! Firms' compliance during an alert, from what the store holds: each
//! firm's measure at each level the alert went through (its grade by the
//! versioned templates, the white list applied), its hourly load over the
//! baseline and the alert, judged by `lantian_alerts::compliance`.
//!
//! Choices the texts leave open, written down here:
//! - **The load.** A firm with production meters (产污 用电, their
//!   device's ST=44 samples) is judged on their summed power, kW; one
//!   without, on its outlets' CEMS: concentration × standard dry flow
//!   (`a00000`: m³/s as HJ 212 Table B.2 has it, or m³/h where a county's
//!   devices send that: setting `compliance_flow_unit`) → kg/h, of the first of NOx
//!   (`a21002`), SO2 (`a21026`) and PM (`a34013`) its outlets report with a
//!   flow. A firm with neither is "no data" for every hour.
//! - **An hour's value** is the device's hourly upload (2061 `-Avg`) when
//!   there is one, else the mean of its real-time samples (2011 `-Rtd`);
//!   only values flagged N (or unflagged) count, and a value flagged F
//!   (停运: the source stopped) counts as 0 — a stopped kiln is a cut, not
//!   missing data. A firm's hour needs every
//!   meter (or every outlet reporting the pollutant) to have it; a partial
//!   sum is not a load.
//! - **Exactness.** Values are read as decimals from their text; the
//!   load is rounded once, half away from zero, to milli-units (W, g/h);
//!   every comparison after that is in integers.
//! - **The alert's hours** are the whole hours from the first hour that
//!   starts at or after the alert's start to the last that ends at or
//!   before its end (or now). A raise or cut of the level applies from the
//!   first whole hour after the step; the hour it falls in is judged under
//!   the level before.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use chrono::NaiveDate;
use lantian_alerts::classify::Level;
use lantian_alerts::compliance::{self, Settings, Span, Verdict};
use lantian_alerts::measures::{Action, Templates, White, with_white};
use lantian_sources::power::MeterRole;
use lantian_sources::register::Firm;
use lantian_store::Store;
use lantian_store::alerts::{AlertRow, AlertStep};
use lantian_types::time::beijing_ms;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

const HOUR: i64 = 3_600_000;

/// The pollutants a CEMS load may be of, in the order they are chosen.
pub const CEMS_CODES: [&str; 3] = ["a21002", "a21026", "a34013"];
/// Standard dry flue-gas flow.
pub const FLOW: &str = "a00000";

/// A firm's measure at one level, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measure {
    pub action: Action,
    /// The grade's template, or the white list's entry.
    pub basis: String,
}

/// A firm's measure at `level` on `day`: its grade by the short-board rule
/// (a firm never graded counts as its industry's lowest) through the
/// templates, then the white list's entry in force that day.
pub fn measure_of(f: &Firm, level: Level, day: NaiveDate, t: &Templates) -> Measure {
    let grade = f.grade_on(day);
    let white = f
        .whitelist
        .iter()
        .find(|w| w.valid_from.is_none_or(|d| day >= d) && w.valid_to.is_none_or(|d| day <= d));
    let g = grade.map_or("none", |g| g.as_str());
    let by_grade = t.measure(g, level);
    let w = white.map(|w| White {
        max_load: w.max_load_pct.and_then(|p| {
            p.to_string()
                .split('.')
                .next()
                .and_then(|x| x.parse::<u8>().ok())
        }),
        // A ceiling that does not read as a level exempts at none.
        ceiling: Level::parse(&w.level_ceiling).unwrap_or(Level::None),
    });
    let action = with_white(by_grade, w, level);
    let basis = if action != by_grade {
        format!("白名单：{}", white.map_or("", |w| w.category.as_str()))
    } else {
        format!("绩效分级 {g}（模板 {}）", t.version)
    };
    Measure { action, basis }
}

/// A stretch of an alert at one level: its first hour (ms), its hours.
pub type LevelSpan = (i64, usize, Level);

/// The alert's hours: the first hour judged and the stretches under one
/// level. `None` before the alert was issued.
pub fn spans_of(a: &AlertRow, steps: &[AlertStep], now_ms: i64) -> Option<(i64, Vec<LevelSpan>)> {
    let start = a.start_ms?;
    let first = start.div_euclid(HOUR) * HOUR + if start.rem_euclid(HOUR) == 0 { 0 } else { HOUR };
    let end = a.end_ms.unwrap_or(now_ms).min(now_ms).div_euclid(HOUR) * HOUR;
    // The level it was issued at, then each adjustment.
    let mut changes: Vec<(i64, Level)> = Vec::new();
    let issued = steps
        .iter()
        .find(|s| s.step == "issue")
        .and_then(|s| Level::parse(&s.level))
        .or_else(|| Level::parse(&a.level))
        .unwrap_or(Level::None);
    changes.push((first, issued));
    for s in steps.iter().filter(|s| s.step == "adjust") {
        if let Some(l) = Level::parse(&s.level) {
            let from = s.at_ms.div_euclid(HOUR) * HOUR + HOUR;
            changes.push((from.max(first), l));
        }
    }
    changes.sort_by_key(|c| c.0);
    let mut spans: Vec<LevelSpan> = Vec::new();
    let mut h = first;
    while h < end {
        let level = changes
            .iter()
            .rev()
            .find(|c| c.0 <= h)
            .map_or(issued, |c| c.1);
        match spans.last_mut() {
            Some(last) if last.2 == level => last.1 += 1,
            _ => spans.push((h, 1, level)),
        }
        h += HOUR;
    }
    Some((first, spans))
}

/// One device's hours of one code: hour start (ms) → the hourly value, or
/// the real-time samples' sum and count.
#[derive(Debug, Default)]
struct Acc {
    hourly: Option<Decimal>,
    sum: Decimal,
    n: u32,
}

impl Acc {
    fn value(&self) -> Option<Decimal> {
        self.hourly
            .or_else(|| (self.n > 0).then(|| self.sum / Decimal::from(self.n)))
    }
}

type Hours = HashMap<(i64, String), BTreeMap<i64, Acc>>;

fn milli(d: Decimal) -> Option<i64> {
    (d * Decimal::from(1000))
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
}

/// Milli-units as text (`150.2`).
pub fn units(m: i64) -> String {
    Decimal::new(m, 3).normalize().to_string()
}

/// A firm's load and what it rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Load {
    /// electricity, cems:a21002, …, none
    pub basis: String,
    /// kW or kg/h
    pub unit: &'static str,
    pub series: compliance::Series,
}

/// Where each firm's load comes from: (device id, code) pairs to read.
fn wanted(f: &Firm, devices: &HashMap<String, i64>) -> (Vec<(i64, String)>, Vec<i64>) {
    let meters: Vec<(i64, String)> = f
        .meters
        .iter()
        .filter(|m| m.role == MeterRole::Production)
        .filter_map(|m| Some((*devices.get(m.mn.as_deref()?)?, m.factor.clone())))
        .collect();
    let outlets: Vec<i64> = f
        .outlets
        .iter()
        .filter_map(|o| devices.get(o.mn.as_deref()?).copied())
        .collect();
    (meters, outlets)
}

fn load_of(
    f: &Firm,
    devices: &HashMap<String, i64>,
    hours: &Hours,
    (from, count): (i64, usize),
    flow_per_hour: i64,
) -> Load {
    let (meters, outlets) = wanted(f, devices);
    let at = |dev: i64, code: &str, h: i64| {
        hours
            .get(&(dev, code.to_string()))
            .and_then(|m| m.get(&h))
            .and_then(Acc::value)
    };
    let hours_of = |each: &dyn Fn(i64) -> Option<Decimal>| -> Vec<Option<i64>> {
        (0..count as i64)
            .map(|i| each(from + i * HOUR).and_then(milli))
            .collect()
    };
    if !meters.is_empty() {
        let loads = hours_of(&|h| {
            meters
                .iter()
                .map(|(d, code)| at(*d, code, h))
                .sum::<Option<Decimal>>()
        });
        return Load {
            basis: "electricity".into(),
            unit: "kW",
            series: compliance::Series {
                start_ms: from,
                loads,
            },
        };
    }
    for code in CEMS_CODES {
        let reporting: Vec<i64> = outlets
            .iter()
            .copied()
            .filter(|d| {
                hours
                    .get(&(*d, code.to_string()))
                    .is_some_and(|m| !m.is_empty())
                    && hours
                        .get(&(*d, FLOW.to_string()))
                        .is_some_and(|m| !m.is_empty())
            })
            .collect();
        if reporting.is_empty() {
            continue;
        }
        // mg/m³ × m³/h = mg/h; / 10⁶ → kg/h.
        let per_hour = Decimal::from(flow_per_hour);
        let loads = hours_of(&|h| {
            reporting
                .iter()
                .map(|d| {
                    Some(at(*d, code, h)? * at(*d, FLOW, h)? * per_hour / Decimal::from(1_000_000))
                })
                .sum::<Option<Decimal>>()
        });
        return Load {
            basis: format!("cems:{code}"),
            unit: "kg/h",
            series: compliance::Series {
                start_ms: from,
                loads,
            },
        };
    }
    Load {
        basis: "none".into(),
        unit: "",
        series: compliance::Series {
            start_ms: from,
            loads: vec![None; count],
        },
    }
}

/// Reads the firms' loads from `from` for `count` hours (one read of the
/// store for all their devices); a flow times `flow_per_hour` is m³/h.
pub async fn loads(
    store: &Store,
    firms: &[&Firm],
    from: i64,
    count: usize,
    flow_per_hour: i64,
) -> Result<Vec<Load>, lantian_store::Error> {
    let devices: HashMap<String, i64> = store
        .devices()
        .await?
        .into_iter()
        .map(|d| (d.spec.mn.to_string(), d.id))
        .collect();
    let mut codes: HashMap<i64, Vec<String>> = HashMap::new();
    for f in firms {
        let (meters, outlets) = wanted(f, &devices);
        for (d, c) in meters {
            codes.entry(d).or_default().push(c);
        }
        for d in outlets {
            let e = codes.entry(d).or_default();
            e.extend(CEMS_CODES.iter().map(|c| c.to_string()));
            e.push(FLOW.into());
        }
    }
    let ids: Vec<i64> = codes.keys().copied().collect();
    let mut hours: Hours = HashMap::new();
    let to = from + count as i64 * HOUR;
    store
        .each_upload_of(
            &ids,
            &[2011, 2061],
            from.div_euclid(1000),
            to.div_euclid(1000),
            &mut |u| {
                let Some(want) = codes.get(&u.device_id) else {
                    return;
                };
                let h = (u.data_time * 1000).div_euclid(HOUR) * HOUR;
                for v in &u.values {
                    let field_ok = match u.cn {
                        2061 => v.field == "Avg",
                        _ => v.field == "Rtd",
                    };
                    let stopped = v.flag == Some("F");
                    if !field_ok
                        || !(stopped || matches!(v.flag, None | Some("N")))
                        || !want.iter().any(|c| c == v.code)
                    {
                        continue;
                    }
                    let x = if stopped {
                        Decimal::ZERO
                    } else {
                        let Ok(x) = Decimal::from_str(v.raw) else {
                            continue;
                        };
                        x
                    };
                    let acc = hours
                        .entry((u.device_id, v.code.to_string()))
                        .or_default()
                        .entry(h)
                        .or_default();
                    if u.cn == 2061 {
                        acc.hourly = Some(x);
                    } else {
                        acc.sum += x;
                        acc.n += 1;
                    }
                }
            },
        )
        .await?;
    Ok(firms
        .iter()
        .map(|f| load_of(f, &devices, &hours, (from, count), flow_per_hour))
        .collect())
}

/// A stretch of the alert under one measure, for one firm.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SpanView {
    /// The first hour's start, Beijing time.
    pub from: String,
    pub hours: usize,
    pub level: String,
    pub level_zh: String,
    /// none, voluntary, limit, stop, max_load
    pub action: String,
    pub action_zh: String,
    pub basis: String,
    /// The cut it asks of the baseline, percent.
    pub required_cut_percent: u8,
}

/// One hour of a firm's alert: the evidence of its verdict.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct HourView {
    /// The hour's start, Beijing time (`2026-12-03 14:00`).
    pub hour: String,
    pub load: Option<String>,
    /// The mean of the same hour over the baseline days.
    pub baseline: Option<String>,
    /// complied, not_stopped, not_limited, no_data, no_baseline
    pub verdict: String,
}

/// A firm over an alert (the evaluation's row once the alert is lifted).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FirmCompliance {
    pub credit_code: String,
    pub name: String,
    pub township: String,
    pub sample: bool,
    /// electricity (production meters, kW), cems:a21002 (kg/h), none
    pub basis: String,
    pub unit: String,
    pub spans: Vec<SpanView>,
    pub complied: usize,
    /// Hours 应停未停 or 应限不限.
    pub violations: usize,
    pub not_stopped: usize,
    pub not_limited: usize,
    pub no_data: usize,
    /// Complied hours of the hours judged (complied + violations), percent
    /// with one decimal; none when no hour could be judged.
    pub compliance_rate: Option<String>,
    pub baseline_mean: Option<String>,
    /// The 24 h before the alert.
    pub before_mean: Option<String>,
    pub during_mean: Option<String>,
    /// Raised its load before the alert (above the baseline by more than
    /// the margin).
    pub raised_before: bool,
    /// The largest cut its measures asked, percent.
    pub required_cut_percent: u8,
    /// 1 − Σ load / Σ baseline over the alert's hours with both (each hour
    /// against its own hour of the day), percent with one decimal.
    pub achieved_cut_percent: Option<String>,
    /// complied, violated, raised_before, no_data
    pub verdict: String,
    pub verdict_zh: String,
    pub hours: Vec<HourView>,
}

/// ‰ as a percent with one decimal (`333` → `33.3`).
fn percent_1(permille: i64) -> String {
    Decimal::new(permille, 1).to_string()
}

fn hour_label(ms: i64) -> String {
    beijing_ms(ms).map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M").to_string())
}

/// Judges each firm over the alert's `spans` (from [`spans_of`]).
pub fn judge(
    firms: &[&Firm],
    loads: &[Load],
    first: i64,
    spans: &[LevelSpan],
    day: NaiveDate,
    set: &Settings,
) -> Vec<FirmCompliance> {
    let t = Templates::default();
    firms
        .iter()
        .zip(loads)
        .map(|(f, load)| {
            let measures: Vec<(i64, usize, Level, Measure)> = spans
                .iter()
                .map(|(from, n, l)| (*from, *n, *l, measure_of(f, *l, day, &t)))
                .collect();
            let cs: Vec<Span> = measures
                .iter()
                .map(|(from, hours, _, m)| Span {
                    from_ms: *from,
                    hours: *hours,
                    action: m.action,
                })
                .collect();
            let o = compliance::judge_spans(&load.series, first, &cs, set);
            let count = |v: Verdict| o.hours.iter().filter(|h| **h == v).count();
            let judged = o.complied + o.violations;
            let rate = rate(o.complied, judged);
            let required = measures
                .iter()
                .map(|m| compliance::required_cut_percent(m.3.action))
                .max()
                .unwrap_or(0);
            let (verdict, verdict_zh) = if o.violations > 0 {
                ("violated", "未落实措施")
            } else if o.raised_before {
                ("raised_before", "预警前抬高负荷")
            } else if judged == 0 {
                ("no_data", "无数据")
            } else {
                ("complied", "落实")
            };
            let mut hours = Vec::with_capacity(o.hours.len());
            let mut ms = cs
                .iter()
                .flat_map(|s| (0..s.hours as i64).map(move |i| s.from_ms + i * HOUR));
            for ((v, l), b) in o.hours.iter().zip(&o.loads).zip(&o.baselines) {
                hours.push(HourView {
                    hour: ms.next().map(hour_label).unwrap_or_default(),
                    load: l.map(units),
                    baseline: b.map(units),
                    verdict: serde_json::to_value(v)
                        .ok()
                        .and_then(|x| x.as_str().map(str::to_string))
                        .unwrap_or_default(),
                });
            }
            FirmCompliance {
                credit_code: f.credit_code.clone(),
                name: f.name.clone(),
                township: f.township.clone(),
                sample: f.sample,
                basis: load.basis.clone(),
                unit: load.unit.into(),
                spans: measures
                    .iter()
                    .map(|(from, hours, l, m)| SpanView {
                        from: hour_label(*from),
                        hours: *hours,
                        level: l.as_str().into(),
                        level_zh: l.name_zh().into(),
                        action: serde_json::to_value(m.action)
                            .ok()
                            .and_then(|x| {
                                x.get("action").and_then(|a| a.as_str().map(str::to_string))
                            })
                            .unwrap_or_default(),
                        action_zh: m.action.name_zh(),
                        basis: m.basis.clone(),
                        required_cut_percent: compliance::required_cut_percent(m.action),
                    })
                    .collect(),
                complied: o.complied,
                violations: o.violations,
                not_stopped: count(Verdict::NotStopped),
                not_limited: count(Verdict::NotLimited),
                no_data: o.no_data,
                compliance_rate: rate,
                baseline_mean: o.baseline_mean.map(units),
                before_mean: o.before_mean.map(units),
                during_mean: o.during_mean.map(units),
                raised_before: o.raised_before,
                required_cut_percent: required,
                achieved_cut_percent: o.achieved_cut_permille.map(percent_1),
                verdict: verdict.into(),
                verdict_zh: verdict_zh.into(),
                hours,
            }
        })
        .collect()
}

/// An alert's compliance: the first hour judged, the level stretches and
/// each firm's row.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub first: i64,
    pub spans: Vec<LevelSpan>,
    pub hours: usize,
    pub firms: Vec<FirmCompliance>,
}

/// Judges `firms` over alert `a` (its `steps` from the store) as of `now`.
pub async fn evaluate(
    store: &Store,
    a: &AlertRow,
    steps: &[AlertStep],
    firms: &[&Firm],
    set: &Settings,
    now: i64,
) -> Result<Evaluation, lantian_store::Error> {
    let (first, spans) = spans_of(a, steps, now).unwrap_or((a.start_ms.unwrap_or(0), Vec::new()));
    let hours: usize = spans.iter().map(|x| x.1).sum();
    let rows = if hours == 0 {
        Vec::new()
    } else {
        let base_from = first - (set.skip_hours + set.baseline_days * 24) * HOUR;
        let count = ((first - base_from) / HOUR) as usize + hours;
        let loads = loads(store, firms, base_from, count, set.flow_per_hour).await?;
        let day = beijing_ms(first)
            .map_or_else(|| lantian_types::time::now_beijing().date(), |t| t.date());
        judge(firms, &loads, first, &spans, day, set)
    };
    Ok(Evaluation {
        first,
        spans,
        hours,
        firms: rows,
    })
}

/// Complied hours of the hours judged, percent with one decimal, rounded
/// half up (counts are never negative).
pub fn rate(complied: usize, judged: usize) -> Option<String> {
    (judged > 0).then(|| {
        let (n, d) = (complied as i64 * 1000, judged as i64);
        percent_1((n * 2 + d) / (2 * d))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(start: i64, end: Option<i64>) -> AlertRow {
        AlertRow {
            id: 1,
            level: "orange".into(),
            state: "issued".into(),
            origin: "classifier".into(),
            notice_doc: None,
            notice_level: None,
            basis_level: "yellow".into(),
            no_basis: 0,
            forecast_batch: None,
            document_no: None,
            scope: None,
            start_ms: Some(start),
            end_ms: end,
            sample: 0,
            created_ms: 0,
            updated_ms: 0,
            version: 1,
        }
    }

    fn step(at: i64, step: &str, level: &str) -> AlertStep {
        AlertStep {
            at_ms: at,
            actor: "bureau".into(),
            step: step.into(),
            from_state: None,
            to_state: "issued".into(),
            level: level.into(),
            forecast_batch: None,
            note: String::new(),
        }
    }

    /// Issued at 10:20 (yellow), raised at 13:05 to orange, now 16:40: the
    /// whole hours 11:00–16:00, yellow 11–13 (the hour of the raise under
    /// the old level), orange 14–15.
    #[test]
    fn the_alert_hours_and_their_levels() {
        let t0 = 1_800_000_000_000 - 1_800_000_000_000 % (24 * HOUR);
        let start = t0 + 10 * HOUR + 20 * 60_000;
        let steps = [
            step(start, "issue", "yellow"),
            step(t0 + 13 * HOUR + 5 * 60_000, "adjust", "orange"),
        ];
        let (first, spans) =
            spans_of(&alert(start, None), &steps, t0 + 16 * HOUR + 40 * 60_000).unwrap();
        assert_eq!(first, t0 + 11 * HOUR);
        assert_eq!(
            spans,
            vec![
                (t0 + 11 * HOUR, 3, Level::Yellow),
                (t0 + 14 * HOUR, 2, Level::Orange)
            ]
        );
        // Lifted at 15:00 sharp: the hours end there.
        let (_, spans) =
            spans_of(&alert(start, Some(t0 + 15 * HOUR)), &steps, t0 + 20 * HOUR).unwrap();
        assert_eq!(spans.iter().map(|s| s.1).sum::<usize>(), 4);
        // Not issued: nothing to judge.
        let mut a = alert(start, None);
        a.start_ms = None;
        assert!(spans_of(&a, &steps, t0 + 20 * HOUR).is_none());
    }

    #[test]
    fn milli_units_round_half_away_and_print_short() {
        assert_eq!(milli(Decimal::from_str("150.2").unwrap()), Some(150_200));
        assert_eq!(milli(Decimal::from_str("0.0005").unwrap()), Some(1));
        assert_eq!(milli(Decimal::from_str("-0.0005").unwrap()), Some(-1));
        assert_eq!(units(150_200), "150.2");
        assert_eq!(units(1), "0.001");
        assert_eq!(percent_1(333), "33.3");
        assert_eq!(percent_1(-200), "-20.0");
        assert_eq!(percent_1(1000), "100.0");
    }
}
