//! The assessment as JSON (`assess --json`, `/api/v1/assessment`) and as
//! text (`assess`).

use lantian_standards::Decimal;
use lantian_standards::evaluate::{Evaluation, PollutantEval};
use lantian_standards::level::Level;
use lantian_standards::pollutant::Pollutant;
use lantian_standards::stats;
use serde_json::{Map, Value, json};

use crate::input::Dataset;
use crate::{Assessment, PeriodResult, rankings};

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
                "reviewed_out": a.dataset.reviewed_out,
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
    if a.dataset.reviewed_out > 0 {
        out.push_str(&format!(
            "审核 review: {} station-pollutant hours marked invalid are left out (--raw keeps them)\n",
            a.dataset.reviewed_out
        ));
    }
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
