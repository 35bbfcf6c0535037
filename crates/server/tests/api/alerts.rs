//! Alerts end to end, on both backends: a forecast in → the level the
//! rules give → proposed → approved (by the level's approver) → issued →
//! raised by a new forecast → lifted; the public page shows the level in
//! force; an alert above its forecast is "no basis"; bad input and other
//! roles refused.

use crate::common::*;
use lantian_server::http::routes::alerts::csv_of;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forecast_starts_an_alert_that_is_raised_and_lifted() {
    for url in databases("alerts_e2e").await {
        let (srv, store) = start(&url).await;
        let a = srv.http_addr;
        let boss = user_with_token(&store, "chen", "bureau", None).await;
        let root = user_with_token(&store, "root", "admin", None).await;
        let town = user_with_token(&store, "zhao", "township", Some("泌水街道")).await;
        let today = lantian_types::time::now_beijing().date();
        let post = |token: &str, path: &str, body: serde_json::Value| {
            let (t, p) = (token.to_string(), path.to_string());
            async move { call(a, "POST", &p, &t, &body.to_string()).await }
        };
        // Nothing yet: none; the public page says so.
        let (_, p) = call(a, "GET", "/api/v1/public/alert", "", "").await;
        assert_eq!(p["level"], "none", "{p}");
        // The city's forecast: two days > 150 → yellow.
        let (st, f) = post(
            &boss,
            "/api/v1/forecasts",
            serde_json::json!({"source": "city", "csv": csv_of(today, &[160, 175, 120])}),
        )
        .await;
        assert_eq!(st, 201, "{url}: {f}");
        assert_eq!(f["classification"]["level"], "yellow", "{f}");
        assert_eq!(f["classification"]["rules"], "2024");
        assert_eq!(f["days"].as_array().unwrap().len(), 3);
        // The township reads, but may not enter forecasts or propose.
        let (st, _) = call(a, "GET", "/api/v1/forecasts", &town, "").await;
        assert_eq!(st, 200);
        let (st, _) = post(
            &town,
            "/api/v1/alerts",
            serde_json::json!({"origin": "classifier"}),
        )
        .await;
        assert_eq!(st, 403);
        // Proposed from the classification; approved; issued.
        let (st, al) = post(
            &boss,
            "/api/v1/alerts",
            serde_json::json!({"origin": "classifier", "note": "城市预报连续两日 AQI>150"}),
        )
        .await;
        assert_eq!(st, 201, "{al}");
        assert_eq!(
            (al["level"].as_str(), al["state"].as_str()),
            (Some("yellow"), Some("proposed"))
        );
        let id = al["id"].as_i64().unwrap();
        let steps = format!("/api/v1/alerts/{id}/steps");
        let (st, _) = post(
            &boss,
            "/api/v1/alerts",
            serde_json::json!({"origin": "classifier"}),
        )
        .await;
        assert_eq!(st, 409, "one open alert at a time");
        let (st, r) = post(
            &boss,
            &steps,
            serde_json::json!({"step": "issue", "document_no": "泌环攻坚〔2026〕1号"}),
        )
        .await;
        assert_eq!(st, 409, "not before approval: {r}");
        let (st, r) = post(&boss, &steps, serde_json::json!({"step": "approve"})).await;
        assert_eq!((st, r["state"].as_str()), (200, Some("approved")), "{r}");
        let (st, r) = post(&boss, &steps, serde_json::json!({"step": "issue"})).await;
        assert_eq!(st, 400, "a document number is needed: {r}");
        let (st, r) = post(
            &boss,
            &steps,
            serde_json::json!({"step": "issue", "document_no": "泌环攻坚〔2026〕1号"}),
        )
        .await;
        assert_eq!((st, r["state"].as_str()), (200, Some("issued")), "{r}");
        assert_eq!(r["no_basis"], false);
        assert!(r["start"].is_string());
        // The public page shows yellow and its advice.
        let (_, p) = call(a, "GET", "/api/v1/public/alert", "", "").await;
        assert_eq!(p["level"], "yellow", "{p}");
        assert!(p["health"].as_str().unwrap().contains("儿童"));
        assert_eq!(p["document_no"], "泌环攻坚〔2026〕1号");
        // A new forecast: three days > 200 → orange; raising to orange (the bureau may).
        let (_, f) = post(&boss, "/api/v1/forecasts", serde_json::json!({"source": "consult", "days": [
            {"date": today.to_string(), "aqi": "190-230", "primary": "PM2.5"},
            {"date": (today + chrono::Days::new(1)).to_string(), "aqi": 240, "primary": "PM2.5"},
            {"date": (today + chrono::Days::new(2)).to_string(), "aqi": 180, "primary": "PM2.5"}
        ]})).await;
        assert_eq!(f["classification"]["level"], "orange", "{f}");
        assert_eq!(f["days"][0]["aqi"], 230, "the upper bound counts");
        let (_, l) = call(a, "GET", "/api/v1/alerts", &boss, "").await;
        assert_eq!(l["suggested"], "orange", "{l}");
        let (st, r) = post(
            &boss,
            &steps,
            serde_json::json!({"step": "adjust", "level": "orange"}),
        )
        .await;
        assert_eq!(st, 400, "a reason is needed: {r}");
        let (st, r) = post(
            &boss,
            &steps,
            serde_json::json!({"step": "adjust", "level": "orange", "note": "会商预报升级"}),
        )
        .await;
        assert_eq!((st, r["level"].as_str()), (200, Some("orange")), "{r}");
        assert_eq!(r["no_basis"], false);
        // Raising to red without a forecast for it: the bureau may not (red is the admin's); the admin may, marked no basis.
        let (st, _) = post(
            &boss,
            &steps,
            serde_json::json!({"step": "adjust", "level": "red", "note": "x"}),
        )
        .await;
        assert_eq!(st, 403);
        let (st, r) = post(
            &root,
            &steps,
            serde_json::json!({"step": "adjust", "level": "red", "note": "上级要求"}),
        )
        .await;
        assert_eq!((st, r["no_basis"].as_bool()), (200, Some(true)), "{r}");
        // Lifted; the history holds every step with the forecast it rested on.
        let (st, r) = post(
            &boss,
            &steps,
            serde_json::json!({"step": "lift", "note": "预报未来 36 小时 AQI 低于 150"}),
        )
        .await;
        assert_eq!((st, r["state"].as_str()), (200, Some("lifted")), "{r}");
        let steps_done: Vec<String> = r["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                format!(
                    "{}:{}",
                    h["step"].as_str().unwrap(),
                    h["level"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(
            steps_done,
            [
                "propose:yellow",
                "approve:yellow",
                "issue:yellow",
                "adjust:orange",
                "adjust:red",
                "lift:red"
            ]
        );
        assert!(
            r["history"]
                .as_array()
                .unwrap()
                .iter()
                .all(|h| h["forecast_batch"].is_i64())
        );
        let (st, _) = post(
            &boss,
            &steps,
            serde_json::json!({"step": "adjust", "level": "yellow", "note": "x"}),
        )
        .await;
        assert_eq!(st, 409, "a lifted alert takes no step");
        let (_, p) = call(a, "GET", "/api/v1/public/alert", "", "").await;
        assert_eq!(p["level"], "none");
        // A notice from the city: proposed at its level even without a forecast for it.
        let (st, n) = post(
            &boss,
            "/api/v1/alerts",
            serde_json::json!({"origin": "city", "level": "orange"}),
        )
        .await;
        assert_eq!(st, 400, "a notice needs its document number: {n}");
        let (st, n) = post(&boss, "/api/v1/alerts", serde_json::json!({"origin": "city", "level": "red", "notice_doc": "驻环攻坚〔2026〕9号"})).await;
        assert_eq!(st, 201, "{n}");
        let nid = n["id"].as_i64().unwrap();
        let (st, _) = post(
            &boss,
            &format!("/api/v1/alerts/{nid}/steps"),
            serde_json::json!({"step": "approve"}),
        )
        .await;
        assert_eq!(st, 403, "red is approved by the admin");
        let (st, _) = post(
            &root,
            &format!("/api/v1/alerts/{nid}/steps"),
            serde_json::json!({"step": "approve"}),
        )
        .await;
        assert_eq!(st, 200);
        let (_, r) = post(
            &root,
            &format!("/api/v1/alerts/{nid}/steps"),
            serde_json::json!({"step": "issue", "document_no": "泌环攻坚〔2026〕2号"}),
        )
        .await;
        assert_eq!(r["no_basis"], false, "the city's notice is its basis: {r}");
        // Bad forecasts, each named.
        for (body, says) in [
            (
                serde_json::json!({"source": "moon", "csv": "2026-01-01,100"}),
                "source",
            ),
            (
                serde_json::json!({"source": "city", "csv": "2026-01-01,abc"}),
                "line 1: column aqi",
            ),
            (serde_json::json!({"source": "city"}), "one of them"),
            (
                serde_json::json!({"source": "city", "csv": "2026-01-01,100", "issued_at": "yesterday"}),
                "issued_at",
            ),
        ] {
            let (st, r) = post(&boss, "/api/v1/forecasts", body.clone()).await;
            assert_eq!(st, 400, "{body}: {r}");
            assert!(r["error"].as_str().unwrap().contains(says), "{body}: {r}");
        }
        srv.shutdown().await.unwrap();
    }
}

/// A firm's measures by level: from its grade by the templates, the white
/// list applied within its ceiling; its township and itself may read them,
/// a neighbour's township may not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firm_sees_its_measures_for_each_level() {
    use lantian_sources::register::{Firm, GradeEntry, WhiteEntry};
    let url = databases("alerts_measures").await.remove(0);
    let (srv, store) = start(&url).await;
    let a = srv.http_addr;
    let credit = lantian_types::CreditCode::complete("91411726MA4000003")
        .unwrap()
        .to_string();
    let white = lantian_types::CreditCode::complete("91411726MA4000004")
        .unwrap()
        .to_string();
    let firm = |code: &str, grade: Option<&str>, w: bool| Firm {
        credit_code: code.into(),
        name: format!("示例企业{}", &code[14..]),
        township: "羊册镇".into(),
        industry: "C3011".into(),
        key_industry: "水泥".into(),
        grades: grade
            .map(|g| {
                vec![GradeEntry {
                    industry: "水泥".into(),
                    grade: lantian_sources::grade::Grade::parse(g).unwrap(),
                    valid_from: None,
                    valid_to: None,
                    document: "豫环文〔2026〕1号".into(),
                }]
            })
            .unwrap_or_default(),
        whitelist: if w {
            vec![WhiteEntry {
                category: "民生保障".into(),
                max_load_pct: Some(lantian_sources::num::Fixed::parse("60").unwrap()),
                level_ceiling: "orange".into(),
                valid_from: None,
                valid_to: None,
                document: "泌政〔2026〕3号".into(),
            }]
        } else {
            Vec::new()
        },
        sample: true,
        ..Firm::default()
    };
    store
        .put_firm(&firm(&credit, Some("B"), false), None, "t")
        .await
        .unwrap();
    store
        .put_firm(&firm(&white, None, true), None, "t")
        .await
        .unwrap();
    let boss = user_with_token(&store, "chen", "bureau", None).await;
    let own = user_with_token(&store, "qiye", "enterprise", Some(&credit)).await;
    let town = user_with_token(&store, "zhao", "township", Some("羊册镇")).await;
    let other = user_with_token(&store, "li", "township", Some("花园街道")).await;
    let (st, m) = call(
        a,
        "GET",
        &format!("/api/v1/enterprises/{credit}/measures"),
        &own,
        "",
    )
    .await;
    assert_eq!(st, 200, "{m}");
    assert_eq!(m["grade"], "B");
    let acts: Vec<String> = m["measures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            format!(
                "{}:{}{}",
                x["level"].as_str().unwrap(),
                x["action"].as_str().unwrap(),
                x["percent"]
                    .as_u64()
                    .map(|p| format!(" {p}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(acts, ["yellow:none", "orange:limit 10", "red:limit 10"]);
    // Never graded (a key industry: D) but white-listed up to orange at 60 %.
    let (_, w) = call(
        a,
        "GET",
        &format!("/api/v1/enterprises/{white}/measures"),
        &boss,
        "",
    )
    .await;
    let acts: Vec<String> = w["measures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            format!(
                "{}:{}",
                x["level"].as_str().unwrap(),
                x["action_zh"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        acts,
        ["yellow:限产 30%", "orange:负荷不高于 60%", "red:停产"],
        "{w}"
    );
    // Yellow: the grade's cut (70 % kept) is more lenient than the white
    // list's 60 % load, so it holds; orange: the white list's load.
    assert!(
        w["measures"][1]["basis"]
            .as_str()
            .unwrap()
            .contains("民生保障")
    );
    let (st, _) = call(
        a,
        "GET",
        &format!("/api/v1/enterprises/{credit}/measures"),
        &town,
        "",
    )
    .await;
    assert_eq!(st, 200);
    for who in [&other] {
        let (st, _) = call(
            a,
            "GET",
            &format!("/api/v1/enterprises/{credit}/measures"),
            who,
            "",
        )
        .await;
        assert_eq!(st, 403);
    }
    let (st, _) = call(
        a,
        "GET",
        &format!("/api/v1/enterprises/{white}/measures"),
        &own,
        "",
    )
    .await;
    assert_eq!(st, 403, "another firm's");
    srv.shutdown().await.unwrap();
}
