//! Reviewed data (审核数据): the monitoring staff's marks applied to a
//! dataset before anything is computed from it. Pure: the marks come in as
//! values (the store keeps them; `lantian serve` and `assess --database`
//! read them).
//!
//! Readings written down here (HJ 663-2026 lists 例外事件 without saying
//! which statistic drops them; `reference/hj663-2026.md` §4):
//! - A mark of calibration, fault or other makes its hours invalid data:
//!   no statistic uses them, as if the values had never arrived (the day
//!   then needs its 20 valid hours without them, GB 3095 Table 4).
//! - Sand-dust is an exceptional event deducted "during data review" (环办
//!   监测〔2016〕120号), and the deducted series is the basis of
//!   evaluation, 考核 and ranking: by default its hours are dropped from
//!   every statistic. CNEMC's monthly reports of 2019–2021 instead keep dust
//!   in the good-day and heavy-pollution ratios while deducting it from
//!   PM10, PM2.5 and the composite index: [`ReviewSettings::dust_in_day_counts`]
//!   chooses that variant (the day counts, their ratios and the good-day
//!   and heavy-day targets then come from the series with dust kept: of
//!   the evaluated periods, of any period asked later — the API's
//!   `from`/`to`, the targets' month-by-month view — through
//!   `Assessment::day_counts`).
//! - Fireworks: before 2026 only sand-dust was deducted, so a fireworks
//!   mark is kept in every statistic unless
//!   [`ReviewSettings::deduct_fireworks`] says otherwise (the mark still
//!   shows on the station's trail).
//! - A mark names one pollutant or all of them; its hours are `[from, to)`
//!   in local hour slots. Marks that overlap simply overlap.
//! - Raw figures (`?data=raw`, `assess --raw`) apply no mark at all.

use lantian_standards::pollutant::Pollutant;
use lantian_types::ReviewReason;

use crate::input::Dataset;
use crate::{Assessment, Request, Unusable};

/// One active review mark, as the figures need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// The station's name in the dataset (the site code for stored data).
    pub station: String,
    /// One pollutant, or `None`: all six.
    pub pollutant: Option<Pollutant>,
    /// Local hour slots `[from, to)` (hours since 1970-01-01 00:00 Beijing).
    pub from: i64,
    pub to: i64,
    pub reason: ReviewReason,
}

/// How marks become figures (the `[review]` table of the server's
/// settings; `assess` flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReviewSettings {
    /// Keep sand-dust hours in the day counts (CNEMC monthly-report
    /// variant); default false: dust dropped everywhere (考核 and ranking).
    pub dust_in_day_counts: bool,
    /// Drop fireworks hours like sand-dust; default false (kept).
    pub deduct_fireworks: bool,
}

/// Raw data, or data with the review applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum DataMode {
    /// 审核数据: the marks applied (the default of every figure).
    #[default]
    Reviewed,
    /// 原始数据: as received.
    Raw,
}

impl ReviewSettings {
    /// Whether hours with this reason are dropped when `dust_kept` says
    /// the sand-dust hours stay (the day-count series of the CNEMC variant).
    fn drops(&self, reason: ReviewReason, dust_kept: bool) -> bool {
        match reason {
            ReviewReason::SandDust => !dust_kept,
            ReviewReason::Fireworks => self.deduct_fireworks,
            ReviewReason::Calibration | ReviewReason::Fault | ReviewReason::Other => true,
        }
    }
}

/// Drops the marked hours from `ds`; returns how many station-pollutant
/// values were dropped (also added to `ds.reviewed_out`).
fn drop_marked(
    ds: &mut Dataset,
    marks: &[Mark],
    settings: &ReviewSettings,
    dust_kept: bool,
) -> usize {
    let mut dropped = 0;
    for m in marks.iter().filter(|m| settings.drops(m.reason, dust_kept)) {
        let Some(st) = ds.stations.iter_mut().find(|s| s.name == m.station) else {
            continue;
        };
        let pollutants: &[Pollutant] = match &m.pollutant {
            Some(p) => std::slice::from_ref(p),
            None => &Pollutant::ALL,
        };
        for slot in m.from..m.to {
            for &p in pollutants {
                if st.grid.clear(slot, p) {
                    st.values = st.values.saturating_sub(1);
                    dropped += 1;
                }
            }
        }
    }
    ds.reviewed_out += dropped;
    dropped
}

/// Applies the marks to `ds` (dropping what the settings drop).
pub fn apply(ds: &mut Dataset, marks: &[Mark], settings: &ReviewSettings) -> usize {
    drop_marked(ds, marks, settings, false)
}

/// Assesses `ds` on reviewed data (or raw: no mark applied). With
/// `dust_in_day_counts` and a sand-dust mark, the day counts, their ratios
/// and the day targets come from a second assessment with dust kept.
pub fn assess_reviewed(
    mut ds: Dataset,
    marks: &[Mark],
    settings: &ReviewSettings,
    mode: DataMode,
    req: &Request,
) -> Result<Assessment, Unusable> {
    if mode == DataMode::Raw || marks.is_empty() {
        return crate::assess(ds, req);
    }
    let kept = (settings.dust_in_day_counts
        && marks.iter().any(|m| m.reason == ReviewReason::SandDust))
    .then(|| {
        let mut k = ds.clone();
        drop_marked(&mut k, marks, settings, true);
        k
    });
    drop_marked(&mut ds, marks, settings, false);
    let mut a = crate::assess(ds, req)?;
    if let Some(k) = kept
        && let Ok(k) = crate::assess(k, req)
    {
        day_counts_from(&mut a, k);
    }
    Ok(a)
}

/// The day counts and their ratios of `k` into `e`.
pub(crate) fn take_days(
    e: &mut lantian_standards::evaluate::Evaluation,
    k: &lantian_standards::evaluate::Evaluation,
) {
    e.days = k.days;
    e.good_ratio = k.good_ratio;
    e.heavy_ratio = k.heavy_ratio;
}

/// The day counts of the period `k` (of the stations `k_names`) into the
/// same period `p` (of the stations `names`), station by station.
pub(crate) fn take_day_counts(
    p: &mut crate::PeriodResult,
    names: &[String],
    k: &crate::PeriodResult,
    k_names: &[String],
) {
    take_days(&mut p.area, &k.area);
    if let (Some(e), Some(x)) = (p.area_previous.as_mut(), k.area_previous.as_ref()) {
        take_days(e, x);
    }
    for (i, name) in names.iter().enumerate() {
        let Some(j) = k_names.iter().position(|n| n == name) else {
            continue;
        };
        if let (Some(e), Some(x)) = (p.stations.get_mut(i), k.stations.get(j)) {
            take_days(e, x);
        }
        if let (Some(Some(e)), Some(Some(x))) =
            (p.stations_previous.get_mut(i), k.stations_previous.get(j))
        {
            take_days(e, x);
        }
    }
}

/// Day counts, their ratios and the day targets of `kept` into `a`, and
/// `kept` kept in `a` for any other period asked of it later.
fn day_counts_from(a: &mut Assessment, mut kept: Assessment) {
    for p in a.periods.iter_mut() {
        if let Some(kp) = kept
            .periods
            .iter()
            .find(|k| k.from == p.from && k.to == p.to)
        {
            take_day_counts(p, &a.names, kp, &kept.names);
        }
    }
    if let (Some(t), Some(k)) = (a.targets.as_mut(), kept.targets.as_ref()) {
        t.good_days = k.good_days.clone();
        t.heavy_days = k.heavy_days.clone();
    }
    // Only the daily records are read again (periods, months).
    kept.dataset = Dataset::default();
    kept.hours = Vec::new();
    a.day_counts = Some(Box::new(kept));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{Station, hour_slot};
    use crate::{Periods, Request};
    use chrono::NaiveDate;
    use lantian_standards::Decimal;
    use lantian_standards::evaluate::Settings;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, d).unwrap()
    }

    /// One station, three days of every pollutant; day 2 is a dust day
    /// (PM2.5 160, PM10 400: 重度), days 1 and 3 good.
    fn dataset() -> Dataset {
        let mut st = Station {
            name: "S".into(),
            ..Station::default()
        };
        for d in 1..=3 {
            let (pm25, pm10) = if d == 2 { (160, 400) } else { (30, 40) };
            for h in 0..24 {
                let slot = hour_slot(day(d).and_hms_opt(h, 0, 0).unwrap());
                for (p, v) in [
                    (Pollutant::So2, Decimal::from(5)),
                    (Pollutant::No2, Decimal::from(10)),
                    (Pollutant::Co, Decimal::new(5, 1)),
                    (Pollutant::O3, Decimal::from(50)),
                    (Pollutant::Pm10, Decimal::from(pm10)),
                    (Pollutant::Pm25, Decimal::from(pm25)),
                ] {
                    st.grid.set(slot, p, v);
                    st.values += 1;
                }
            }
        }
        Dataset {
            stations: vec![st],
            ..Dataset::default()
        }
    }

    fn request() -> Request {
        Request {
            settings: Settings::default(),
            targets: Default::default(),
            exclude: Vec::new(),
            periods: Periods::Range(day(1), day(3)),
        }
    }

    fn day2(reason: ReviewReason, pollutant: Option<Pollutant>) -> Mark {
        Mark {
            station: "S".into(),
            pollutant,
            from: hour_slot(day(2).and_hms_opt(0, 0, 0).unwrap()),
            to: hour_slot(day(3).and_hms_opt(0, 0, 0).unwrap()),
            reason,
        }
    }

    /// (PM2.5 mean, PM2.5 valid days, valid days, heavy days, good ratio)
    fn figures(a: &Assessment) -> (Decimal, u32, u32, u32, Option<Decimal>) {
        let e = &a.periods[0].stations[0];
        let pm = e.pollutant(Pollutant::Pm25);
        (
            pm.mean.unwrap(),
            pm.valid_days,
            e.days.valid,
            e.days.heavy_or_worse,
            e.good_ratio,
        )
    }

    fn run(marks: &[Mark], settings: ReviewSettings, mode: DataMode) -> Assessment {
        assess_reviewed(dataset(), marks, &settings, mode, &request())
            .ok()
            .unwrap()
    }

    #[test]
    fn marked_hours_leave_every_statistic_and_raw_keeps_them() {
        let d = |v: i64| Decimal::from(v);
        let raw = run(&[], ReviewSettings::default(), DataMode::Reviewed);
        // (30 + 160 + 30) / 3 = 73.3 → 73; the dust day is 重度.
        assert_eq!(
            figures(&raw),
            (d(73), 3, 3, 1, Some("66.7".parse().unwrap()))
        );
        let fault = [day2(ReviewReason::Fault, None)];
        let a = run(&fault, ReviewSettings::default(), DataMode::Reviewed);
        assert_eq!(figures(&a), (d(30), 2, 2, 0, Some(d(100))));
        assert_eq!(a.dataset.reviewed_out, 24 * 6);
        // Asked for raw, the mark is not applied.
        let r = run(&fault, ReviewSettings::default(), DataMode::Raw);
        assert_eq!(figures(&r), figures(&raw));
        // A mark of PM2.5 only leaves PM10 (400) to make the day heavy.
        let pm = [day2(ReviewReason::Calibration, Some(Pollutant::Pm25))];
        let a = run(&pm, ReviewSettings::default(), DataMode::Reviewed);
        assert_eq!(figures(&a).0, d(30));
        assert_eq!(
            a.periods[0].stations[0].pollutant(Pollutant::Pm10).mean,
            Some(d(160))
        );
        assert_eq!(a.dataset.reviewed_out, 24);
    }

    #[test]
    fn sand_dust_is_deducted_and_kept_in_day_counts_when_asked() {
        let d = |v: i64| Decimal::from(v);
        let dust = [day2(ReviewReason::SandDust, None)];
        // Default: deducted from everything (the 考核 and ranking basis).
        let a = run(&dust, ReviewSettings::default(), DataMode::Reviewed);
        assert_eq!(figures(&a), (d(30), 2, 2, 0, Some(d(100))));
        // CNEMC monthly-report variant: PM2.5 deducted, the day counts keep
        // the dust day (3 valid days, 1 heavy, 66.7 % good).
        let keep = ReviewSettings {
            dust_in_day_counts: true,
            ..Default::default()
        };
        let a = run(&dust, keep, DataMode::Reviewed);
        assert_eq!(figures(&a), (d(30), 2, 3, 1, Some("66.7".parse().unwrap())));
        // Any other period asked of it later merges the same way: day 2
        // alone has no PM2.5 (deducted) but counts as a heavy day.
        let p = a.period(day(2), day(2));
        let e = &p.stations[0];
        assert_eq!(e.pollutant(Pollutant::Pm25).valid_days, 0);
        assert_eq!((e.days.valid, e.days.heavy_or_worse), (1, 1));
        assert_eq!((p.area.days.valid, p.area.days.heavy_or_worse), (1, 1));
        let m = a.area_evaluation(day(1), day(3));
        assert_eq!((m.days.valid, m.days.heavy_or_worse), (3, 1));
        assert_eq!(m.pollutant(Pollutant::Pm25).mean, Some(d(30)));
        // Without the variant the same period has no valid day.
        let b = run(&dust, ReviewSettings::default(), DataMode::Reviewed);
        assert_eq!(b.period(day(2), day(2)).stations[0].days.valid, 0);
        assert_eq!(b.area_evaluation(day(1), day(3)).days.valid, 2);
        // Fireworks are kept unless deducted by setting.
        let fw = [day2(ReviewReason::Fireworks, None)];
        let a = run(&fw, ReviewSettings::default(), DataMode::Reviewed);
        assert_eq!(figures(&a).0, d(73));
        let deduct = ReviewSettings {
            deduct_fireworks: true,
            ..Default::default()
        };
        let a = run(&fw, deduct, DataMode::Reviewed);
        assert_eq!(figures(&a).0, d(30));
    }
}
