//! Observations pushed over HTTP: good rows stored, bad rows named by
//! number and reason, a second push stores nothing, an integration writes
//! only the stations it is bound to, and what was pushed reaches the
//! figures through the commit feed.

use std::time::Duration;

use crate::common::*;

fn rows(v: serde_json::Value) -> String {
    v.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_rows_are_stored_once_and_bad_ones_named() {
    for url in databases("push").await {
        let (srv, store) = start_with(&url, |c| {
            c.analysis_every_s = 1;
            c.registry_refresh_s = 1;
            c.push_max_rows = 50;
        })
        .await;
        for (mn, code) in [("MN100", "DS"), ("MN101", "HY")] {
            let mut dev = device(mn, "123456", "hj212");
            dev.site.code = lantian_types::SiteCode::parse(code).unwrap();
            store.add_device(&dev, "test").await.unwrap();
        }
        let boss = user_with_token(&store, "chen", "bureau", None).await;
        let feed = user_with_token(&store, "cnemc", "integration", Some("DS")).await;
        let town = user_with_token(&store, "zhao", "township", Some("泌水街道")).await;
        let a = srv.http_addr;
        let push = rows(serde_json::json!([
            {"station": "DS", "time": "2025-01-01 09:00", "pollutant": "PM2.5", "value": 75},
            {"station": "DS", "time": "2025-01-01 09:00", "pollutant": "PM10", "value": "50"},
            {"station": "XX", "time": "2025-01-01 09:00", "pollutant": "PM10", "value": 1},
            {"station": "DS", "time": "2025-01-01 9h", "pollutant": "PM10", "value": 1},
            {"station": "DS", "time": "2025-01-01 09:00", "pollutant": "SO2", "value": "abc"},
            {"station": "DS", "time": "2025-01-01 09:00", "pollutant": "NO2", "value": 3, "flag": "Q"},
            {"station": "HY", "time": "2025-01-01 09:00", "code": "a21005", "value": 0.5},
            {"station": "DS", "time": "2025-01-01 09:00", "pollutant": "PM2.5", "value": 80},
            {"station": "DS"}
        ]));
        let (st, r) = call(a, "POST", "/api/v1/observations", &boss, &push).await;
        assert_eq!(st, 200, "{r}");
        assert_eq!(
            (r["stored"].as_u64(), r["duplicates"].as_u64()),
            (Some(3), Some(1)),
            "{r}"
        );
        let refused: Vec<(u64, String)> = r["refused"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["row"].as_u64().unwrap(),
                    x["reason"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            refused.iter().map(|x| x.0).collect::<Vec<_>>(),
            [3, 4, 5, 6, 9],
            "{r}"
        );
        assert_eq!(refused[0].1, "unknown station `XX`");
        assert!(refused[1].1.starts_with("bad time `2025-01-01 9h`"), "{r}");
        assert_eq!(refused[2].1, "bad value `abc`");
        assert!(refused[3].1.starts_with("unknown flag `Q`"), "{r}");
        assert!(refused[4].1.starts_with("bad row"), "{r}");
        // The same push again stores nothing and names the same rows.
        let (st, again) = call(a, "POST", "/api/v1/observations", &boss, &push).await;
        assert_eq!(st, 200);
        assert_eq!(
            (again["stored"].as_u64(), again["duplicates"].as_u64()),
            (Some(0), Some(4))
        );
        assert_eq!(again["refused"], r["refused"]);

        // An integration writes its own station, as JSON or CSV…
        let so2 = rows(serde_json::json!([
            {"station": "DS", "time": "2025-01-01 09:00", "pollutant": "SO2", "value": 10}
        ]));
        let hy = rows(serde_json::json!([
            {"station": "DS", "time": "2025-01-01 10:00", "pollutant": "SO2", "value": 11},
            {"station": "HY", "time": "2025-01-01 10:00", "pollutant": "SO2", "value": 12}
        ]));
        // …not its neighbour's: the call naming HY is refused whole.
        let (st, e) = call(a, "POST", "/api/v1/observations", &feed, &hy).await;
        assert_eq!(st, 403, "{e}");
        assert!(
            e["error"].as_str().unwrap().contains("not of stations:DS"),
            "{e}"
        );
        let (st, r) = call(a, "POST", "/api/v1/observations", &feed, &so2).await;
        assert_eq!((st, r["stored"].as_u64()), (200, Some(1)), "{r}");
        let auth = format!("Bearer {feed}");
        let csv = "station,time,pollutant,value,flag\nDS,2025-01-01 10:00,SO2,11,\nDS,2025-01-01 10:00,PM2.5,40,N\n";
        let raw = http(
            a,
            "POST",
            "/api/v1/observations",
            &[
                ("Authorization", auth.as_str()),
                ("Content-Type", "text/csv"),
            ],
            csv,
        )
        .await;
        assert_eq!(status(&raw), 200, "{raw}");
        assert_eq!(json_body(&raw)["stored"], 2, "{raw}");
        // Neither a township nor a wrong type nor too many rows.
        let (st, _) = call(a, "POST", "/api/v1/observations", &town, &so2).await;
        assert_eq!(st, 403);
        let raw = http(
            a,
            "POST",
            "/api/v1/observations",
            &[
                ("Authorization", auth.as_str()),
                ("Content-Type", "application/xml"),
            ],
            "<x/>",
        )
        .await;
        assert_eq!(status(&raw), 415, "{raw}");
        let many: Vec<serde_json::Value> = (0..51)
            .map(|_| serde_json::json!({"station": "DS", "time": "2025-01-01 09:00", "pollutant": "CO", "value": 1}))
            .collect();
        let (st, e) = call(
            a,
            "POST",
            "/api/v1/observations",
            &boss,
            &serde_json::Value::from(many).to_string(),
        )
        .await;
        assert_eq!(st, 413, "{e}");
        assert!(e["error"].as_str().unwrap().contains("at most 50"), "{e}");

        // Stored where the assessment reads: DS 08:00–09:00 PM2.5 75,
        // PM10 50, SO2 10; 09:00–10:00 SO2 11, PM2.5 40; HY CO 0.5.
        let (ds, _) = lantian_assess::load_store(&store).await.unwrap();
        let slot = |h: u32| {
            lantian_assess::input::hour_slot(
                chrono::NaiveDate::from_ymd_opt(2025, 1, 1)
                    .unwrap()
                    .and_hms_opt(h, 0, 0)
                    .unwrap(),
            )
        };
        let grid = |name: &str| &ds.stations.iter().find(|s| s.name == name).unwrap().grid;
        use lantian_standards::pollutant::Pollutant as P;
        let d = |s: &str| s.parse::<lantian_standards::Decimal>().unwrap();
        assert_eq!(grid("DS").get(slot(8), P::Pm25), Some(d("75")));
        assert_eq!(grid("DS").get(slot(8), P::Pm10), Some(d("50")));
        assert_eq!(grid("DS").get(slot(8), P::So2), Some(d("10")));
        assert_eq!(grid("DS").get(slot(9), P::So2), Some(d("11")));
        assert_eq!(grid("DS").get(slot(9), P::Pm25), Some(d("40")));
        assert_eq!(grid("HY").get(slot(8), P::Co), Some(d("0.5")));
        assert_eq!(
            grid("HY").get(slot(9), P::So2),
            None,
            "the refused call stored nothing"
        );
        // The figures follow the feed: the latest hour is the pushed 10:00.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let r = http_get(a, "/api/v1/public/now", None).await;
            if status(&r) == 200 && json_body(&r)["area"]["time"] == "2025-01-01T10:00+08:00" {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no pushed hour in the figures: {r}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // Counted beside the frames; the intake device is refused over TCP.
        let m = http_get(a, "/metrics", None).await;
        assert!(m.contains("lantian_push_values_stored_total 6"), "{m}");
        assert!(m.contains("lantian_push_rows_refused_total 10"), "{m}");
        let devs = store.devices().await.unwrap();
        let intake: Vec<_> = devs.iter().filter(|d| d.intake).collect();
        assert_eq!(intake.len(), 2);
        assert!(intake.iter().all(|d| !d.enabled));
        assert!(
            !store
                .set_enabled(intake[0].spec.mn.as_str(), true, "test")
                .await
                .unwrap()
        );
        // The 设备 page tells them apart from the TCP devices.
        let (_, all) = call(a, "GET", "/api/v1/devices", &boss, "").await;
        let flags: Vec<(String, bool)> = all
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["mn"].as_str().unwrap().to_string(), d["intake"] == true))
            .collect();
        assert_eq!(flags.iter().filter(|(_, i)| *i).count(), 2, "{all}");
        assert!(
            flags.iter().all(|(mn, i)| *i == mn.starts_with("LTIN")),
            "{all}"
        );
        srv.shutdown().await.unwrap();
    }
}
