//! The dashboard's figures, kept ready in memory: a background task reads
//! what the ingest stored (through `lantian-assess`, the same pipeline as
//! `lantian assess --database`) whenever uploads were added, evaluates the
//! data's latest year against the previous one, and swaps in a new
//! [`Snapshot`]. API calls read the snapshot and never wait on the
//! database, so their latency does not grow with the years stored.
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
use lantian_assess::{Assessment, HourReport, Periods, Request};
use lantian_standards::Decimal;
use lantian_standards::aqi::{AqiResult, Standard};
use lantian_standards::evaluate::{DayRecord, Evaluation, Settings, StationHours};
use lantian_standards::level::Level;
use lantian_standards::pollutant::Pollutant;
use lantian_standards::targets::Targets;
use lantian_store::{Site, Store};
use serde_json::{Value, json};

/// What the dashboard shows, computed at `built_ms`.
pub struct Snapshot {
    pub built_ms: i64,
    /// Values read from the store so far.
    pub values: u64,
    /// Sites of ambient stations by code.
    pub sites: HashMap<String, Site>,
    pub assessment: Option<Assessment>,
    /// The area's hourly grid (mean of assessed stations).
    pub area_hours: Option<StationHours>,
    /// Wind direction (a01008, degrees) by site code and local hour slot.
    pub wind: HashMap<String, std::collections::BTreeMap<i64, Decimal>>,
    /// What every caller of the same snapshot gets, made once: the latest
    /// hour of the area and stations, the area's last 24 hours, targets,
    /// rankings (townships are evaluated here, not per request).
    pub now: Value,
    pub last24: Value,
    pub targets: Value,
    pub rankings: Value,
}

/// The shared, swappable snapshot.
pub type Shared = Arc<RwLock<Option<Arc<Snapshot>>>>;

pub fn current(shared: &Shared) -> Option<Arc<Snapshot>> {
    match shared.read() {
        Ok(g) => g.clone(),
        Err(p) => p.into_inner().clone(),
    }
}

/// Uploads are read once they are this old (Unix ms), so that a commit
/// still in flight when an upload was received is not skipped.
const SETTLE_MS: i64 = 10_000;
/// Everything is read again this often, to take anything that committed
/// later than [`SETTLE_MS`] after it was received.
const FULL_READ_MS: i64 = 3_600_000;

/// The reading side of the snapshot: what has been read from the store so
/// far. Each [`Analyst::refresh`] reads only the uploads received since the
/// previous read (up to [`SETTLE_MS`] ago), and evaluates again if anything
/// came; once an hour it starts over from the whole store.
#[derive(Default)]
pub struct Analyst {
    reader: lantian_assess::input::StoreReader,
    wind: HashMap<String, std::collections::BTreeMap<i64, Decimal>>,
    /// Uploads received before this (Unix ms) have been read.
    read_until_ms: Option<i64>,
    last_full_ms: i64,
}

impl Analyst {
    /// Reads what arrived and evaluates; `None` when nothing new arrived
    /// (and a snapshot exists).
    pub async fn refresh(
        &mut self,
        store: &Store,
        have_snapshot: bool,
        targets: Targets,
    ) -> Result<Option<Snapshot>, lantian_store::Error> {
        let now = chrono::Utc::now().timestamp_millis();
        if now - self.last_full_ms >= FULL_READ_MS {
            *self = Analyst {
                last_full_ms: now,
                ..Analyst::default()
            };
        }
        let from = self.read_until_ms.unwrap_or(i64::MIN);
        // The first read takes everything (a new server has nothing in
        // flight worth waiting for, and pages want figures at once); later
        // ones stop SETTLE_MS short of now.
        let until = if from == i64::MIN {
            now
        } else {
            (now - SETTLE_MS).max(from)
        };
        // The first read takes every row (no join on received times).
        let range = (from != i64::MIN).then_some((from, until));
        let mut new = lantian_assess::read_store(store, &mut self.reader, range).await?;
        let wind = &mut self.wind;
        new += store
            .each_ambient_value(2061, &["a01008"], &["Avg"], range, &mut |r| {
                if let Ok(deg) = r.raw.trim().parse::<Decimal>() {
                    let slot = (r.ts + 8 * 3600).div_euclid(3600);
                    wind.entry(r.site_code.to_string())
                        .or_default()
                        .insert(slot, deg);
                }
            })
            .await?;
        self.read_until_ms = Some(until);
        if new == 0 && have_snapshot && from != i64::MIN {
            return Ok(None);
        }
        let sites: HashMap<String, Site> = store
            .devices_bulk()
            .await?
            .into_iter()
            .filter(|d| d.spec.kind == "ambient")
            .map(|d| (d.spec.site.code.clone(), d.spec.site))
            .collect();
        let (dataset, _) = self.reader.dataset();
        let wind = self.wind.clone();
        let values = self.reader.rows();
        // The evaluation is CPU work; keep it off the async workers.
        let built = tokio::task::spawn_blocking(move || {
            let assessment = evaluate(dataset, targets);
            let area_hours = assessment.as_ref().and_then(lantian_assess::area_hours);
            let mut snap = Snapshot {
                built_ms: chrono::Utc::now().timestamp_millis(),
                values,
                sites,
                assessment,
                area_hours,
                wind,
                now: Value::Null,
                last24: Value::Null,
                targets: Value::Null,
                rankings: Value::Null,
            };
            snap.now = snap.now_json();
            snap.last24 = Value::Array(snap.area_last_hours(24));
            snap.targets = snap.targets_json();
            snap.rankings = snap.rankings_json();
            snap
        })
        .await;
        match built {
            Ok(snap) => Ok(Some(snap)),
            Err(e) => {
                tracing::error!(error = %e, "evaluating the dashboard's figures failed; the last ones stay");
                Ok(None)
            }
        }
    }
}

/// The year to date of the latest data day, beside the same days of the year before.
fn evaluate(dataset: lantian_assess::input::Dataset, targets: Targets) -> Option<Assessment> {
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
    lantian_assess::assess(dataset, &req).ok()
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

fn level_json(level: Option<Level>, standard: Standard) -> Value {
    match level {
        Some(l) => {
            json!({"level": l.number(), "colour": l.rgb().hex(), "category_zh": l.category_zh(),
                          "category_en": l.category_en(), "health": l.health_effect(standard),
                          "advice": l.advice(standard)})
        }
        None => json!({"level": null, "colour": null, "category_zh": null, "category_en": null,
                       "health": null, "advice": null}),
    }
}

fn aqi_json(r: &AqiResult) -> Value {
    let mut v = level_json(r.level, r.standard);
    v["aqi"] = json!(r.aqi);
    v["standard"] = json!(r.standard.to_string());
    v["primary"] = json!(
        r.primary
            .iter()
            .map(|i| pollutant_name(i.pollutant))
            .collect::<Vec<_>>()
    );
    v
}

fn values_json(values: &[Option<lantian_standards::Decimal>; 6]) -> Value {
    let mut m = serde_json::Map::new();
    for (p, v) in Pollutant::ALL.iter().zip(values) {
        m.insert(pollutant_name(*p).into(), json!(v));
    }
    Value::Object(m)
}

/// An hour's report as JSON: time (end of the hour, Asia/Shanghai), values, AQI.
pub fn hour_json(r: &HourReport) -> Value {
    let mut v = aqi_json(&r.result);
    v["time"] = json!(r.end.format("%Y-%m-%dT%H:%M+08:00").to_string());
    v["values"] = values_json(&r.values);
    v
}

/// A day's record as JSON: date, published daily values (O3 as 8-h max), AQI.
pub fn day_json(r: &DayRecord, settings: &Settings) -> Value {
    let mut v = aqi_json(&r.aqi(settings.standard.for_day(r.date)));
    v["date"] = json!(r.date.to_string());
    let values: [Option<lantian_standards::Decimal>; 6] =
        std::array::from_fn(|i| r.value(Pollutant::ALL[i]));
    v["values"] = values_json(&values);
    v
}

/// The six AQI levels: bounds, colours, names (the calendar's legend).
pub fn levels_json() -> Value {
    let bounds = [
        (0, 50),
        (51, 100),
        (101, 150),
        (151, 200),
        (201, 300),
        (301, 500),
    ];
    Level::ALL
        .iter()
        .zip(bounds)
        .map(|(l, (min, max))| {
            json!({"level": l.number(), "min": min, "max": max, "colour": l.rgb().hex(),
                   "category_zh": l.category_zh(), "category_en": l.category_en()})
        })
        .collect()
}

impl Snapshot {
    /// Index of a station (site code) in the assessment.
    pub fn station(&self, code: &str) -> Option<usize> {
        self.assessment
            .as_ref()?
            .names
            .iter()
            .position(|n| n == code)
    }

    fn site_fields(&self, code: &str) -> Value {
        let s = self.sites.get(code);
        json!({"code": code, "name": s.map_or(code, |s| s.name.as_str()),
               "township": s.and_then(|s| s.township.clone()),
               "lon": s.and_then(|s| s.lon), "lat": s.and_then(|s| s.lat)})
    }

    /// Every station with its latest hour; and the area's latest hour.
    fn now_json(&self) -> Value {
        let Some(a) = &self.assessment else {
            return json!({"as_of": null, "area": null, "stations": []});
        };
        let stations: Vec<Value> = a
            .names
            .iter()
            .zip(&a.hours)
            .map(|(code, h)| {
                let mut v = self.site_fields(code);
                let rep =
                    last_hour(h).and_then(|k| lantian_assess::hourly_report(h, k, &a.settings));
                match rep {
                    Some(r) => {
                        let hj = hour_json(&r);
                        for (k, x) in hj.as_object().into_iter().flatten() {
                            v[k] = x.clone();
                        }
                        v["as_of"] = hj["time"].clone();
                    }
                    None => {
                        v["aqi"] = json!(null);
                        v["as_of"] = json!(null);
                        v["colour"] = json!(null);
                        v["primary"] = json!([]);
                    }
                }
                v
            })
            .collect();
        let area = self.area_hours.as_ref().and_then(|h| {
            last_hour(h).and_then(|k| lantian_assess::hourly_report(h, k, &a.settings))
        });
        json!({"as_of": area.as_ref().map(|r| r.end.format("%Y-%m-%d %H:00").to_string()),
               "area": area.as_ref().map(hour_json), "stations": stations})
    }

    /// The area's hourly reports over the `n` hours up to its latest.
    pub fn area_last_hours(&self, n: usize) -> Vec<Value> {
        self.last_hours(self.area_hours.as_ref(), n)
    }

    /// A station's hourly reports over the last `days` days of its data.
    pub fn station_hours(&self, i: usize, days: usize) -> Vec<Value> {
        let h = self.assessment.as_ref().map(|a| &a.hours[i]);
        self.last_hours(h, days * 24)
    }

    /// The hourly reports of a grid over the `n` hours up to its latest.
    fn last_hours(&self, h: Option<&StationHours>, n: usize) -> Vec<Value> {
        let (Some(a), Some(h)) = (&self.assessment, h) else {
            return Vec::new();
        };
        let Some(last) = last_hour(h) else {
            return Vec::new();
        };
        (last.saturating_sub(n.max(1) - 1)..=last)
            .filter_map(|k| lantian_assess::hourly_report(h, k, &a.settings))
            .map(|r| hour_json(&r))
            .collect()
    }

    /// A station's (or, with `None`, the area's) daily records in `year`.
    pub fn daily(&self, i: Option<usize>, year: i32) -> Vec<Value> {
        let Some(a) = &self.assessment else {
            return Vec::new();
        };
        let recs = i.map_or(&a.area, |i| &a.records[i]);
        recs.iter()
            .filter(|r| r.date.year() == year)
            .map(|r| day_json(r, &a.settings))
            .collect()
    }

    /// The pollution rose of station `i` over the period evaluated: PM2.5
    /// hours binned by the wind direction reported the same hour (16 points
    /// of 22.5°, N centred on 0°), with each bin's share of the hours and its
    /// mean concentration (GB/T 8170 to an integer). No calm class: every
    /// hour with a direction counts, whatever its speed.
    pub fn rose_json(&self, i: usize) -> Value {
        const POINTS: [&str; 16] = [
            "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW",
            "NW", "NNW",
        ];
        let (Some(a), Some(p)) = (
            &self.assessment,
            self.assessment.as_ref().and_then(|a| a.periods.last()),
        ) else {
            return json!({"bins": [], "hours": 0});
        };
        let code = &a.names[i];
        let h = &a.hours[i];
        let Some(wind) = self.wind.get(code) else {
            return json!({"from": p.from.to_string(), "to": p.to.to_string(), "bins": [], "hours": 0});
        };
        let Some(epoch) = NaiveDate::from_ymd_opt(1970, 1, 1) else {
            return json!({"bins": [], "hours": 0});
        };
        let slot0 = (h.start - epoch).num_days() * 24;
        let mut sums = [(Decimal::ZERO, 0u32); 16];
        let pm = &h.hours[Pollutant::Pm25.index()];
        for (k, v) in pm.iter().enumerate() {
            let day = day_of(h, k);
            let (Some(v), true) = (v, day >= p.from && day <= p.to) else {
                continue;
            };
            let Some(deg) = wind.get(&(slot0 + k as i64)) else {
                continue;
            };
            let bin = ((*deg * Decimal::TWO / Decimal::from(45)).round())
                .to_string()
                .parse::<i64>()
                .map_or(0, |b| b.rem_euclid(16) as usize);
            sums[bin].0 += *v;
            sums[bin].1 += 1;
        }
        let total: u32 = sums.iter().map(|x| x.1).sum();
        let bins: Vec<Value> = POINTS
            .iter()
            .zip(sums)
            .enumerate()
            .map(|(k, (name, (sum, n)))| {
                let mean = (n > 0)
                    .then(|| lantian_standards::rounding::gbt8170(sum / Decimal::from(n), 0));
                // The colour of the AQI level this mean would have as a
                // 24-h PM2.5 concentration, by the rule set of the period's end.
                let colour = mean.and_then(|m| {
                    use lantian_standards::aqi::{Inputs, Reading, Report};
                    use lantian_standards::pollutant::{Indicator, Period};
                    let inputs = Inputs::new()
                        .with(Indicator::new(Pollutant::Pm25, Period::Hour24), Reading::Value(m));
                    let std = a.settings.standard.for_day(p.to);
                    lantian_standards::aqi::compute(std, Report::Daily, &inputs)
                        .level
                        .map(|l| l.rgb().hex())
                });
                json!({"dir": name, "deg": k as f64 * 22.5, "hours": n, "pm25": mean, "colour": colour})
            })
            .collect();
        json!({"from": p.from.to_string(), "to": p.to.to_string(), "pollutant": "PM2.5", "hours": total, "bins": bins})
    }

    /// The year evaluated (of the latest data).
    pub fn year(&self) -> Option<i32> {
        self.assessment
            .as_ref()?
            .periods
            .last()
            .map(|p| p.from.year())
    }

    /// Targets of the year, month by month against last year.
    fn targets_json(&self) -> Value {
        let Some(a) = &self.assessment else {
            return json!({"year": null});
        };
        let Some(st) = &a.targets else {
            return json!({"year": null});
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
            let e: Evaluation =
                lantian_standards::evaluate::evaluate(&a.area, from, to, &a.settings);
            (
                e.pollutant(Pollutant::Pm25).mean,
                (e.days.valid > 0).then_some(e.days.good),
            )
        };
        let months: Vec<Value> = (1..=12)
            .map(|m| {
                let ((pm25, good), (pm25_last, good_last)) = (month(year, m), month(year - 1, m));
                json!({"month": m, "pm25": pm25, "pm25_last": pm25_last,
                       "good_days": good, "good_days_last": good_last})
            })
            .collect();
        let status = json!({
            "pm25_mean": st.pm25.mean_to_date, "pm25_target": st.pm25.target_below,
            "pm25_on_track": st.pm25.on_track, "pm25_remaining_allowed": st.pm25.allowed_rest_mean,
            "good_ratio": st.good_days.ratio_to_date, "good_days": st.good_days.good_days,
            "valid_days": st.good_days.valid_days, "good_target": st.good_days.target_at_least,
            "good_on_track": st.good_days.on_track, "good_days_still_needed": st.good_days.still_needed,
            "heavy_days": st.heavy_days.heavy_days, "heavy_target": st.heavy_days.target_at_most,
            "heavy_on_track": st.heavy_days.on_track, "heavy_days_remaining": st.heavy_days.still_allowed,
        });
        json!({"year": year, "as_of": st.as_of.to_string(), "status": status, "tracking": st, "months": months})
    }

    /// Townships (乡镇) ranked by composite index: each township's daily
    /// values are the mean of its assessed stations' (the area rule), then
    /// evaluated like a station, beside the same days of last year.
    fn townships(&self, a: &Assessment, p: &lantian_assess::PeriodResult) -> Vec<Value> {
        let mut by_town: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
        for (i, code) in a.names.iter().enumerate() {
            let town = self.sites.get(code).and_then(|s| s.township.clone());
            if let (Some(t), true) = (town, a.assessed[i]) {
                by_town.entry(t).or_default().push(i);
            }
        }
        let prev = lantian_assess::previous_year(p.from, p.to);
        let evals: Vec<(String, usize, Evaluation, Option<Evaluation>)> = by_town
            .into_iter()
            .map(|(town, idx)| {
                let chosen: Vec<&[DayRecord]> =
                    idx.iter().map(|&i| a.records[i].as_slice()).collect();
                let recs = lantian_standards::evaluate::area_records(&chosen, &a.settings);
                let e = lantian_standards::evaluate::evaluate(&recs, p.from, p.to, &a.settings);
                let before = prev
                    .map(|(f, t)| lantian_standards::evaluate::evaluate(&recs, f, t, &a.settings));
                (town, idx.len(), e, before)
            })
            .collect();
        let keys: Vec<Option<lantian_standards::Decimal>> =
            evals.iter().map(|x| x.2.composite_index).collect();
        let ranks =
            lantian_standards::stats::rank(&keys, lantian_standards::stats::Order::Ascending);
        let mut rows: Vec<(Option<usize>, Value)> = evals
            .iter()
            .enumerate()
            .map(|(k, (town, n, e, before))| {
                let rank = keys[k].map(|_| ranks[k]);
                let prev = before.as_ref();
                (
                    rank,
                    json!({"township": town, "stations": n, "rank": rank,
                           "composite": e.composite_index, "composite_prev": prev.and_then(|x| x.composite_index),
                           "pm25": e.pollutant(Pollutant::Pm25).mean,
                           "pm25_prev": prev.and_then(|x| x.pollutant(Pollutant::Pm25).mean),
                           "good_ratio": e.good_ratio, "good_ratio_prev": prev.and_then(|x| x.good_ratio)}),
                )
            })
            .collect();
        rows.sort_by_key(|(r, _)| (r.is_none(), *r));
        rows.into_iter().map(|(_, v)| v).collect()
    }

    /// Stations ranked by composite index (lower is better), with PM2.5,
    /// the good-day ratio and last year's figures.
    fn rankings_json(&self) -> Value {
        let Some(a) = &self.assessment else {
            return json!({"year": null});
        };
        let Some(p) = a.periods.last() else {
            return json!({"year": null});
        };
        let [by_composite, by_pm25, by_good] = lantian_assess::rankings(p, &a.assessed);
        let mut rows: Vec<Value> = a
            .names
            .iter()
            .enumerate()
            .map(|(i, code)| {
                let e = &p.stations[i];
                let prev = p.stations_previous[i].as_ref();
                let mut v = self.site_fields(code);
                v["assessed"] = json!(a.assessed[i]);
                v["rank"] = json!(by_composite[i]);
                v["rank_pm25"] = json!(by_pm25[i]);
                v["rank_good_ratio"] = json!(by_good[i]);
                v["composite"] = json!(e.composite_index);
                v["composite_prev"] = json!(prev.and_then(|x| x.composite_index));
                v["pm25"] = json!(e.pollutant(Pollutant::Pm25).mean);
                v["pm25_prev"] = json!(prev.and_then(|x| x.pollutant(Pollutant::Pm25).mean));
                v["good_ratio"] = json!(e.good_ratio);
                v["good_ratio_prev"] = json!(prev.and_then(|x| x.good_ratio));
                v
            })
            .collect();
        // Ranked first by composite index; unranked stations last.
        let order: Vec<usize> = {
            let mut idx: Vec<usize> = (0..rows.len()).collect();
            idx.sort_by_key(|&i| (by_composite[i].is_none(), by_composite[i]));
            idx
        };
        let rows: Vec<Value> = order
            .into_iter()
            .map(|i| std::mem::take(&mut rows[i]))
            .collect();
        json!({"year": p.from.year(), "from": p.from.to_string(), "to": p.to.to_string(),
               "stations": rows, "townships": self.townships(a, p)})
    }
}
