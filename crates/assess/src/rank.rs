//! Rankings of a period: stations by composite index, PM2.5 and good-day
//! ratio; townships (乡镇) by the same, each township's daily values being
//! the mean of its assessed stations' (the area rule).

use std::collections::BTreeMap;

use lantian_standards::Decimal;
use lantian_standards::evaluate::{self, DayRecord, Evaluation};
use lantian_standards::pollutant::Pollutant;
use lantian_standards::stats::{self, Order};

use crate::{Assessment, PeriodResult, previous_year};

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

/// A township's place in a period.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TownshipRank {
    pub township: String,
    /// Assessed stations in it.
    pub stations: usize,
    /// By composite index (lower is better); `None` without one.
    pub rank: Option<usize>,
    pub composite: Option<Decimal>,
    pub composite_prev: Option<Decimal>,
    pub pm25: Option<Decimal>,
    pub pm25_prev: Option<Decimal>,
    pub good_ratio: Option<Decimal>,
    pub good_ratio_prev: Option<Decimal>,
}

/// Townships ranked by composite index over `p` (each township's daily
/// values are the mean of its assessed stations' daily values, then
/// evaluated as a station is, beside the same days of last year); those
/// without a composite index come last. `township_of` names the township
/// of a station (by name); stations without one are left out.
pub fn townships(
    a: &Assessment,
    p: &PeriodResult,
    township_of: &dyn Fn(&str) -> Option<String>,
) -> Vec<TownshipRank> {
    let mut by_town: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, name) in a.names.iter().enumerate() {
        if let (Some(t), true) = (township_of(name), a.assessed[i]) {
            by_town.entry(t).or_default().push(i);
        }
    }
    let prev = previous_year(p.from, p.to).filter(|(_, pt)| *pt >= a.first_day);
    let evals: Vec<(String, usize, Evaluation, Option<Evaluation>)> = by_town
        .into_iter()
        .map(|(town, idx)| {
            let chosen: Vec<&[DayRecord]> = idx.iter().map(|&i| a.records[i].as_slice()).collect();
            let recs = evaluate::area_records(&chosen, &a.settings);
            let mut e = evaluate::evaluate(&recs, p.from, p.to, &a.settings);
            let mut before = prev.map(|(f, t)| evaluate::evaluate(&recs, f, t, &a.settings));
            // The review's dust-kept day counts (`Assessment::day_counts`).
            if let Some(k) = &a.day_counts {
                let kept: Vec<&[DayRecord]> = idx
                    .iter()
                    .filter_map(|&i| k.names.iter().position(|n| *n == a.names[i]))
                    .map(|j| k.records[j].as_slice())
                    .collect();
                let krecs = evaluate::area_records(&kept, &k.settings);
                crate::review::take_days(
                    &mut e,
                    &evaluate::evaluate(&krecs, p.from, p.to, &k.settings),
                );
                if let (Some(b), Some((f, t))) = (before.as_mut(), prev) {
                    crate::review::take_days(b, &evaluate::evaluate(&krecs, f, t, &k.settings));
                }
            }
            (town, idx.len(), e, before)
        })
        .collect();
    let keys: Vec<Option<Decimal>> = evals.iter().map(|x| x.2.composite_index).collect();
    let ranks = stats::rank(&keys, Order::Ascending);
    let mut rows: Vec<TownshipRank> = evals
        .into_iter()
        .enumerate()
        .map(|(k, (township, stations, e, before))| {
            let prev = before.as_ref();
            TownshipRank {
                township,
                stations,
                rank: keys[k].map(|_| ranks[k]),
                composite: e.composite_index,
                composite_prev: prev.and_then(|x| x.composite_index),
                pm25: e.pollutant(Pollutant::Pm25).mean,
                pm25_prev: prev.and_then(|x| x.pollutant(Pollutant::Pm25).mean),
                good_ratio: e.good_ratio,
                good_ratio_prev: prev.and_then(|x| x.good_ratio),
            }
        })
        .collect();
    rows.sort_by_key(|r| (r.rank.is_none(), r.rank));
    rows
}
