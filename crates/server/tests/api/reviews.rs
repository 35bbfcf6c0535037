//! The data review: a day of one station marked invalid changes that
//! station's and the area's statistics as recomputed by hand here, `?data=raw`
//! keeps the raw figures, restoring brings the reviewed ones back; the
//! trail shows both steps; bad marks are refused by name; a township or an
//! integration may not review, and of two restores only one wins.

use std::time::Duration;

use crate::common::*;

/// Three days of PM2.5 (each day's 24 hours alike): A 30, 60, 120; B 40.
fn hours() -> String {
    let mut rows = Vec::new();
    for (station, days) in [("A", [30, 60, 120]), ("B", [40, 40, 40])] {
        for (d, v) in days.into_iter().enumerate() {
            for h in 1..=24 {
                rows.push(serde_json::json!({
                    "station": station,
                    "time": format!("2025-01-0{} {h:02}:00", d + 1),
                    "pollutant": "PM2.5",
                    "value": v,
                }));
            }
        }
    }
    serde_json::Value::from(rows).to_string()
}

/// (A's PM2.5 mean and valid days, the area's PM2.5 mean) from the assessment.
fn pm25(v: &serde_json::Value) -> (String, u64, String) {
    let st = v["stations"]
        .as_array()
        .and_then(|s| s.iter().find(|x| x["station"] == "A"))
        .cloned()
        .unwrap_or_default();
    (
        st["pollutants"]["PM2.5"]["mean"].to_string(),
        st["pollutants"]["PM2.5"]["valid_days"]
            .as_u64()
            .unwrap_or(0),
        v["area"]["pollutants"]["PM2.5"]["mean"].to_string(),
    )
}

/// Polls the assessment (reviewed or raw) until it says `want`.
async fn wait_for(a: std::net::SocketAddr, token: &str, path: &str, want: (&str, u64, &str)) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (st, v) = call(a, "GET", path, token, "").await;
        let got = pm25(&v);
        if st == 200 && (got.0.as_str(), got.1, got.2.as_str()) == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{path}: want {want:?}, got {got:?} in {}",
            &v.to_string()[..v.to_string().len().min(1500)]
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_marked_invalid_changes_the_figures_and_restoring_brings_them_back() {
    for url in databases("review").await {
        let (srv, store) = start_with(&url, |c| {
            c.analysis_every_s = 1;
            c.registry_refresh_s = 1;
        })
        .await;
        for (mn, code) in [("MN200", "A"), ("MN201", "B")] {
            let mut dev = device(mn, "123456", "hj212");
            dev.site.code = lantian_types::SiteCode::parse(code).unwrap();
            store.add_device(&dev, "test").await.unwrap();
        }
        let boss = user_with_token(&store, "chen", "bureau", None).await;
        let reviewer = user_with_token(&store, "li", "reviewer", None).await;
        let town = user_with_token(&store, "zhao", "township", Some("泌水街道")).await;
        let feed = user_with_token(&store, "cnemc", "integration", Some("A")).await;
        let a = srv.http_addr;
        let (st, r) = call(a, "POST", "/api/v1/observations", &boss, &hours()).await;
        assert_eq!((st, r["stored"].as_u64()), (200, Some(144)), "{r}");

        // By hand. A: (30 + 60 + 120) / 3 = 70. Area (mean of the stations'
        // daily values): 35, 50, 80 → 55.
        let reviewed = "/api/v1/assessment";
        let raw = "/api/v1/assessment?data=raw";
        wait_for(a, &boss, reviewed, ("70", 3, "55")).await;

        // Bad marks are refused by name and mark nothing.
        let mark = |station: &str, from: &str, to: &str, reason: &str, note: &str| {
            serde_json::json!({"station": station, "from": from, "to": to,
                "reason": reason, "note": note, "evidence": "校准记录 2025-001"})
            .to_string()
        };
        for (body, says) in [
            (
                mark("X", "2025-01-02", "2025-01-03", "fault", "x"),
                "no station X",
            ),
            (
                mark("A", "2025-01-02 00:30", "2025-01-03", "fault", "x"),
                "from",
            ),
            (mark("A", "2025-01-03", "2025-01-02", "fault", "x"), "after"),
            (
                mark("A", "2025-01-02", "2025-01-03", "dust", "x"),
                "sand_dust",
            ),
            (mark("A", "2025-01-02", "2025-01-03", "fault", " "), "note"),
            (
                mark("A", "yesterday", "2025-01-03", "fault", "x"),
                "bad time",
            ),
        ] {
            let (st, e) = call(a, "POST", "/api/v1/reviews", &boss, &body).await;
            assert_eq!(st, 400, "{body}: {e}");
            assert!(e["error"].as_str().unwrap().contains(says), "{body}: {e}");
        }
        // Only reviewers, the bureau and admins mark.
        let day2 = mark(
            "A",
            "2025-01-02 00:00",
            "2025-01-03 00:00",
            "故障",
            "采样泵故障",
        );
        for t in [&town, &feed] {
            let (st, e) = call(a, "POST", "/api/v1/reviews", t, &day2).await;
            assert_eq!(st, 403, "{e}");
        }
        let (st, m) = call(a, "POST", "/api/v1/reviews", &reviewer, &day2).await;
        assert_eq!(st, 201, "{m}");
        assert_eq!(
            (
                m["reason"].as_str(),
                m["hours"].as_i64(),
                m["invalid"].as_bool()
            ),
            (Some("fault"), Some(24), Some(true)),
            "{m}"
        );
        let id = m["id"].as_i64().unwrap();

        // Reviewed: A (30 + 120) / 2 = 75 on 2 days; area 35, 40 (B alone),
        // 80 → 51.67 → 52. Raw: as before.
        wait_for(a, &boss, reviewed, ("75", 2, "52")).await;
        wait_for(a, &boss, raw, ("70", 3, "55")).await;
        // The station's daily series follows too (day 2 gone from A's PM2.5).
        let (_, daily) = call(a, "GET", "/api/v1/stations/A/daily", &boss, "").await;
        assert!(daily.to_string().contains("120"), "{daily}");

        // The trail, for the station page; the public and integrations do not read it.
        let (st, trail) = call(a, "GET", "/api/v1/reviews?station=A", &town, "").await;
        assert_eq!(st, 200, "{trail}");
        assert_eq!(trail["reviews"][0]["marked_by"], "li", "{trail}");
        assert_eq!(trail["reviews"][0]["from"], "2025-01-02 00:00", "{trail}");
        let (st, _) = call(a, "GET", "/api/v1/reviews", &feed, "").await;
        assert_eq!(st, 403);

        // Restored: the figures come back. Two restores at once: one wins.
        let path = format!("/api/v1/reviews/{id}/restore");
        let body = serde_json::json!({"note": "复核后数据有效"}).to_string();
        let (r1, r2) = tokio::join!(
            call(a, "POST", &path, &reviewer, &body),
            call(a, "POST", &path, &boss, &body)
        );
        let mut codes = [r1.0, r2.0];
        codes.sort();
        assert_eq!(codes, [200, 409], "{r1:?} {r2:?}");
        wait_for(a, &boss, reviewed, ("70", 3, "55")).await;
        let (st, _) = call(a, "POST", "/api/v1/reviews/999999/restore", &boss, &body).await;
        assert_eq!(st, 404);
        let (_, trail) = call(a, "GET", "/api/v1/reviews?station=A", &boss, "").await;
        let t = &trail["reviews"][0];
        assert_eq!(
            (t["active"].as_bool(), t["restore_note"].as_str()),
            (Some(false), Some("复核后数据有效")),
            "{trail}"
        );
        let (_, active) = call(a, "GET", "/api/v1/reviews?active=true", &boss, "").await;
        assert_eq!(active["reviews"].as_array().map(Vec::len), Some(0));

        // Audited: who marked and who restored.
        let log = store.audit_log(20).await.unwrap();
        let whats: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert!(
            whats.contains(&"review.mark") && whats.contains(&"review.restore"),
            "{whats:?}"
        );
        srv.shutdown().await.unwrap();
    }
}
