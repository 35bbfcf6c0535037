//! The demo's heavy-pollution episode: the city's forecast of two days
//! above 150 starts a yellow alert (proposed, approved, issued yesterday),
//! and the consultation's new forecast of two days above 200 raises it to
//! orange. Every row is a sample.

use anyhow::Result;
use chrono::Days;
use lantian_store::Store;
use lantian_store::alerts::{AlertMove, NewAlert, NewForecastDay};

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
