//! Alerts on both backends: forecasts kept as issued batches (the newest
//! issue of a day counts), one open alert at a time, and two concurrent
//! steps that keep the state (adjusts) end with one winner.

use lantian_store::Store;
use lantian_store::alerts::{AlertMove, NewAlert, NewForecastDay};

const T0: i64 = 1_793_462_400_000;

fn day(d: &str, aqi: i64) -> NewForecastDay {
    NewForecastDay {
        day: d.into(),
        aqi,
        range: None,
        primary: "PM2.5".into(),
        cause: "none".into(),
    }
}

fn new_alert() -> NewAlert {
    NewAlert {
        level: "yellow".into(),
        origin: "classifier".into(),
        notice_doc: None,
        notice_level: None,
        basis_level: "yellow".into(),
        forecast_batch: None,
        sample: false,
    }
}

fn step(id: i64, version: i64, from: &str, step: &str, to: &str, level: &str) -> AlertMove {
    AlertMove {
        id,
        version,
        from: from.into(),
        step: step.into(),
        to: to.into(),
        level: level.into(),
        ..AlertMove::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forecasts_history_and_one_open_alert_and_one_winner() {
    for url in lantian_store::testing::databases("alerts_store").await {
        let store = Store::connect(&url).await.unwrap();
        let b1 = store
            .add_forecast(
                &[day("2026-12-01", 160), day("2026-12-02", 170)],
                "city",
                T0,
                "b",
                T0,
            )
            .await
            .unwrap();
        let b2 = store
            .add_forecast(
                &[day("2026-12-02", 230), day("2026-12-03", 240)],
                "consult",
                T0 + 1000,
                "b",
                T0 + 1000,
            )
            .await
            .unwrap();
        assert_ne!(b1, b2);
        let latest = store.latest_forecast("2026-12-01").await.unwrap();
        let got: Vec<(String, i64, i64)> = latest
            .iter()
            .map(|r| (r.day.clone(), r.aqi, r.batch))
            .collect();
        assert_eq!(
            got,
            vec![
                ("2026-12-01".into(), 160, b1),
                ("2026-12-02".into(), 230, b2),
                ("2026-12-03".into(), 240, b2)
            ]
        );
        assert_eq!(
            store.forecast_history("2026-12-02").await.unwrap().len(),
            2,
            "the older issue is kept"
        );

        let id = store
            .propose_alert(&new_alert(), "b", "", T0)
            .await
            .unwrap();
        assert!(matches!(
            store.propose_alert(&new_alert(), "b", "", T0).await,
            Err(lantian_store::Error::Conflict(_))
        ));
        store
            .move_alert(
                &step(id, 1, "proposed", "approve", "approved", "yellow"),
                "b",
                "",
                T0,
            )
            .await
            .unwrap();
        let mut issue = step(id, 2, "approved", "issue", "issued", "yellow");
        issue.starts = true;
        store.move_alert(&issue, "b", "", T0).await.unwrap();
        // Two adjusts read at version 3: one wins.
        let (s1, s2) = (store.clone(), store.clone());
        let (a, b) = (
            step(id, 3, "issued", "adjust", "issued", "orange"),
            step(id, 3, "issued", "adjust", "issued", "red"),
        );
        let (r1, r2) = tokio::join!(
            tokio::spawn(async move { s1.move_alert(&a, "b", "x", T0).await }),
            tokio::spawn(async move { s2.move_alert(&b, "b", "x", T0).await })
        );
        let (r1, r2) = (r1.unwrap(), r2.unwrap());
        assert!(r1.is_ok() != r2.is_ok(), "{url}: one winner: {r1:?} {r2:?}");
        let row = store.alert(id).await.unwrap().unwrap();
        assert_eq!(row.version, 4);
        assert_eq!(
            store
                .alert_history(id)
                .await
                .unwrap()
                .iter()
                .filter(|h| h.step == "adjust")
                .count(),
            1
        );
        // Lifted: the open slot is free again.
        let mut lift = step(id, 4, "issued", "lift", "lifted", &row.level);
        lift.ends = true;
        store.move_alert(&lift, "b", "x", T0).await.unwrap();
        assert!(store.propose_alert(&new_alert(), "b", "", T0).await.is_ok());
    }
}
