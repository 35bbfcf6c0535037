//! The demo's heavy-pollution episode: the city's forecast of two days
//! above 150 starts a yellow alert (proposed, approved, issued yesterday),
//! and the consultation's new forecast of two days above 200 raises it to
//! orange. Every row is a sample. Six sample firms' production meters
//! carry hourly loads around it (`LOADS`), so the 应急 page shows firms
//! that complied, did not, and raised their load the day before.

use anyhow::Result;
use chrono::Days;
use lantian_store::alerts::{AlertMove, NewAlert, NewForecastDay};
use lantian_store::{Batch, Store, UploadRec, ValueRec};

const H: i64 = 3_600_000;

fn days(from: chrono::NaiveDate, aqis: &[(i64, Option<(i64, i64)>)]) -> Vec<NewForecastDay> {
    aqis.iter()
        .enumerate()
        .map(|(i, (aqi, range))| NewForecastDay {
            day: (from + Days::new(i as u64)).to_string(),
            aqi: *aqi,
            range: *range,
            primary: "PM2.5".into(),
            cause: "none".into(),
        })
        .collect()
}

/// Seeds the episode; the alert's id.
pub async fn seed(store: &Store, now: i64) -> Result<i64> {
    let today = lantian_types::time::now_beijing().date();
    let yesterday = today - Days::new(1);
    let b1 = store
        .add_forecast(
            &days(
                yesterday,
                &[
                    (165, Some((140, 165))),
                    (178, None),
                    (172, None),
                    (120, None),
                ],
            ),
            "city",
            now - 30 * H,
            "bureau",
            now - 30 * H,
        )
        .await?;
    let id = store
        .propose_alert(
            &NewAlert {
                level: "yellow".into(),
                origin: "classifier".into(),
                notice_doc: None,
                notice_level: None,
                basis_level: "yellow".into(),
                forecast_batch: Some(b1),
                sample: true,
            },
            "bureau",
            "城市预报连续 3 日 AQI>150（示例）",
            now - 29 * H,
        )
        .await?;
    let step =
        |from: &str, step: &str, to: &str, level: &str, batch: i64, version: i64| AlertMove {
            id,
            version,
            from: from.into(),
            step: step.into(),
            to: to.into(),
            level: level.into(),
            forecast_batch: Some(batch),
            ..AlertMove::default()
        };
    store
        .move_alert(
            &step("proposed", "approve", "approved", "yellow", b1, 1),
            "bureau",
            "",
            now - 28 * H,
        )
        .await?;
    let mut issue = step("approved", "issue", "issued", "yellow", b1, 2);
    issue.document_no = Some("泌环攻坚〔2026〕示例1号".into());
    issue.scope = Some("全县".into());
    issue.starts = true;
    issue.no_basis = Some(false);
    store.move_alert(&issue, "bureau", "", now - 24 * H).await?;
    let b2 = store
        .add_forecast(
            &days(today, &[(215, Some((185, 215))), (236, None), (190, None)]),
            "consult",
            now - 3 * H,
            "bureau",
            now - 3 * H,
        )
        .await?;
    let mut adjust = step("issued", "adjust", "issued", "orange", b2, 3);
    adjust.no_basis = Some(false);
    store
        .move_alert(
            &adjust,
            "bureau",
            "会商预报未来两日 AQI>200，升级为橙色（示例）",
            now - 2 * H,
        )
        .await?;
    Ok(id)
}

/// The sample firms' reduction list from the templates, each line with
/// synthetic normal emissions, and a sample county inventory to check the
/// list's cuts against.
pub async fn seed_reduction(store: &Store) -> Result<usize> {
    use rust_decimal::Decimal;
    let firms = store.firms().await?;
    let t = lantian_alerts::measures::Templates::default();
    let day = lantian_types::time::now_beijing().date();
    let mut rows = Vec::new();
    for (i, sf) in firms.iter().enumerate() {
        let n = |k: u64, lo: i64, span: i64| {
            let x = super::sources::noise(i as u64 * 13 + 5, k);
            Decimal::new(lo + (x * span as f64) as i64, 3)
        };
        let normal = [
            n(1, 300, 1200),
            n(2, 500, 2000),
            n(3, 200, 800),
            n(4, 100, 1500),
        ];
        rows.extend(lantian_server::http::routes::reduction::template_rows(
            &sf.firm,
            &std::collections::HashMap::new(),
            &normal,
            day,
            &t,
        ));
    }
    let now = chrono::Utc::now().timestamp_millis();
    let n = store.put_reduction(&rows, "demo", now).await?;
    let inv = |p: &str, t: &str| {
        (
            p.to_string(),
            t.to_string(),
            Some(2025),
            "泌阳县大气污染源排放清单（示例数据）".to_string(),
        )
    };
    store
        .put_inventory(
            &[
                inv("SO2", "40"),
                inv("NOx", "95"),
                inv("PM", "30"),
                inv("VOCs", "60"),
            ],
            "demo",
            now,
        )
        .await?;
    Ok(n)
}

/// How a sample firm ran around the alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Stopped (5 % of its load left: standby).
    Stops,
    /// Ran on at full load.
    RunsOn,
    /// Cut its load by a quarter.
    CutsQuarter,
    /// Raised its load 30 % the day before, then cut a quarter of that.
    RaisesBefore,
    /// Ran at 45 % (a white-listed firm allowed 50 %).
    RunsAt45,
}

/// The firms (by index in the sample register) whose production meters
/// are played, and how they ran: 示例化工有限公司 (D) stops; 示例石灰厂 (D)
/// runs on (应限不限 while yellow, 应停未停 at orange); 示例玻璃制品厂 (C)
/// cuts a quarter; 示例铸造厂 (C) raised its load the day before;
/// 示例陶瓷有限公司 (B: nothing at yellow, −10 % at orange) runs on;
/// 示例制药股份公司 (white-listed, at most 50 %) runs at 45 %.
pub const LOADS: [(usize, Behaviour); 6] = [
    (11, Behaviour::Stops),
    (18, Behaviour::RunsOn),
    (5, Behaviour::CutsQuarter),
    (13, Behaviour::RaisesBefore),
    (3, Behaviour::RunsOn),
    (6, Behaviour::RunsAt45),
];

/// The load of firm `i` in the hour starting `h` (ms), kW: about 400
/// with a little noise, shaped by its behaviour around `start`.
fn load(i: usize, b: Behaviour, h: i64, start: i64) -> f64 {
    let base = 400.0 * (0.96 + 0.08 * super::sources::noise(i as u64 * 31 + 7, (h / H) as u64));
    let during = h >= start;
    let day_before = (start - 24 * H..start).contains(&h);
    match (b, during) {
        (Behaviour::Stops, true) => base * 0.05,
        (Behaviour::CutsQuarter, true) => base * 0.75,
        (Behaviour::RaisesBefore, true) => base * 0.75,
        (Behaviour::RaisesBefore, false) if day_before => base * 1.3,
        (Behaviour::RunsAt45, true) => base * 0.45,
        _ => base,
    }
}

/// Stores the played firms' hourly loads from eight days before the
/// alert's start (`start`, ms) to the last whole hour before `now`; the
/// uploads stored.
pub async fn seed_loads(store: &Store, start: i64, now: i64) -> Result<usize> {
    let devices: std::collections::HashMap<String, i64> = store
        .devices()
        .await?
        .into_iter()
        .map(|d| (d.spec.mn.to_string(), d.id))
        .collect();
    let first = start.div_euclid(H) * H - 8 * 24 * H;
    let last = now.div_euclid(H) * H;
    let mut batch = Batch::default();
    for (i, b) in LOADS {
        let mn = super::sources::load_meter_mn(i);
        let Some(id) = devices.get(&mn) else { continue };
        let mut h = first;
        while h < last {
            let kw = format!("{:.1}", load(i, b, h, start));
            batch.uploads.push(UploadRec {
                device_id: *id,
                mn: mn.clone(),
                cn: 2061,
                data_time: h / 1000,
                qn: None,
                received_ms: now,
                late: false,
                values: vec![ValueRec {
                    code: "d20001".into(),
                    field: "Avg".into(),
                    num: kw.parse().ok(),
                    raw: kw,
                    flag: Some("N".into()),
                }],
            });
            h += H;
        }
    }
    let n = batch.uploads.len();
    store.write_batch(&batch, "demo").await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lantian_alerts::classify::Level;
    use lantian_alerts::compliance::{Series, Settings, Span, judge_spans};

    /// The played firms show what the module says: judged over a day at
    /// yellow and two hours at orange, with the shipped templates.
    #[test]
    fn the_played_firms_comply_or_not_as_written() {
        let firms = super::super::sources::firms();
        let start = 1_800_000_000_000i64.div_euclid(H) * H;
        let from = start - 8 * 24 * H;
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let t = lantian_alerts::measures::Templates::default();
        let mut got = Vec::new();
        for (i, b) in LOADS {
            let f = &firms[i];
            let loads = (0..8 * 24 + 24)
                .map(|k| {
                    let kw = format!("{:.1}", load(i, b, from + k * H, start));
                    Some((kw.parse::<f64>().unwrap() * 1000.0).round() as i64)
                })
                .collect();
            let s = Series {
                start_ms: from,
                loads,
            };
            let m = |l| lantian_server::compliance::measure_of(f, l, day, &t).action;
            let spans = [
                Span {
                    from_ms: start,
                    hours: 22,
                    action: m(Level::Yellow),
                },
                Span {
                    from_ms: start + 22 * H,
                    hours: 2,
                    action: m(Level::Orange),
                },
            ];
            let o = judge_spans(&s, start, &spans, &Settings::default());
            got.push((i, o.violations, o.complied, o.raised_before));
        }
        assert_eq!(
            got,
            [
                (11, 0, 24, false),
                (18, 24, 0, false),
                (5, 0, 24, false),
                (13, 0, 24, true),
                (3, 2, 22, false),
                (6, 0, 24, false),
            ]
        );
    }
}
