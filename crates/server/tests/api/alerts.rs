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

/// Compliance from the stored data, on both backends: an alert issued
/// yellow 10 hours ago, raised to orange 4 h 10 min later and lifted after
/// 8 hours; seven firms — one whose CEMS load fell to 4 % (complied with
/// the stop), one whose meter ran on (应限不限 in the yellow hours, 应停未停
/// in the orange), one that cut 25 %, one that raised its load the day
/// before, one offline, one without devices, one whose kiln's CEMS ran on — judged hour by hour against the
/// same hours of the week before, the evidence kept; a township sees its
/// own firms only, a firm itself, and a reviewer none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compliance_is_judged_from_the_stored_loads() {
    use lantian_sources::power::MeterRole;
    use lantian_sources::register::{Firm, GradeEntry, Meter, Outlet};
    use lantian_store::alerts::{AlertMove, NewAlert};
    use lantian_store::{Batch, UploadRec, ValueRec};
    const H: i64 = 3_600_000;
    for url in databases("alerts_compliance").await {
        let (srv, store) = start(&url).await;
        let a = srv.http_addr;
        let now = chrono::Utc::now().timestamp_millis();
        let t0 = now.div_euclid(H) * H - 10 * H;
        let code = |n: u32| {
            lantian_types::CreditCode::complete(&format!("91411726MA40001{n:02}"))
                .unwrap()
                .to_string()
        };
        let mut ids = Vec::new();
        for i in 1..=7 {
            let mut d = device(&format!("LTCOMP000000{i}"), "123456", "hj212");
            d.kind = "cems".parse().unwrap();
            d.site.kind = "outlet".parse().unwrap();
            d.site.assessment = false;
            ids.push(store.add_device(&d, "test").await.unwrap());
        }
        let firm = |n: u32, grade: &str, township: &str, dev: Option<usize>, meter: bool| Firm {
            credit_code: code(n),
            name: format!("示例企业{n}"),
            township: township.into(),
            industry: "C3011".into(),
            key_industry: "水泥".into(),
            grades: vec![GradeEntry {
                industry: "水泥".into(),
                grade: lantian_sources::grade::Grade::parse(grade).unwrap(),
                valid_from: None,
                valid_to: None,
                document: "豫环文〔2026〕1号".into(),
            }],
            outlets: match dev {
                Some(i) if !meter => vec![Outlet {
                    code: "DA001".into(),
                    name: "窑炉".into(),
                    mn: Some(format!("LTCOMP000000{i}")),
                    height_m: None,
                    source_type: String::new(),
                    line: String::new(),
                }],
                _ => Vec::new(),
            },
            meters: match dev {
                Some(i) if meter => vec![Meter {
                    code: "M1".into(),
                    name: "生产线".into(),
                    role: MeterRole::Production,
                    rated_kw: lantian_sources::num::Fixed::parse("300").unwrap(),
                    mn: Some(format!("LTCOMP000000{i}")),
                    factor: "d20001".into(),
                    of: String::new(),
                }],
                _ => Vec::new(),
            },
            sample: true,
            ..Firm::default()
        };
        for f in [
            firm(1, "D", "羊册镇", Some(1), false),
            firm(2, "D", "羊册镇", Some(2), true),
            firm(3, "C", "羊册镇", Some(3), true),
            firm(4, "C", "羊册镇", Some(4), true),
            firm(5, "D", "羊册镇", Some(5), true),
            firm(6, "C", "泌水街道", None, true),
            firm(7, "D", "羊册镇", Some(7), false),
        ] {
            store.put_firm(&f, None, "t").await.unwrap();
        }
        // Eight days of baseline, the day before and the eight alert hours.
        let mut batch = Batch::default();
        let up = |dev: usize, cn: i64, ms: i64, vals: &[(&str, &str, String)]| UploadRec {
            device_id: ids[dev - 1],
            mn: format!("LTCOMP000000{dev}"),
            cn,
            data_time: ms / 1000,
            qn: None,
            received_ms: now,
            late: false,
            values: vals
                .iter()
                .map(|(c, f, v)| ValueRec {
                    code: c.to_string(),
                    field: f.to_string(),
                    num: v.parse().ok(),
                    raw: v.clone(),
                    flag: Some("N".into()),
                })
                .collect(),
        };
        for k in -(8 * 24)..8i64 {
            let h = t0 + k * H;
            let during = k >= 0;
            let day_before = (-24..0).contains(&k);
            // 1: NOx 100 mg/m³ at 12.5 m³/s (4.5 kg/h), then 0.5 m³/s,
            // its first two alert hours sent as 停运 (F: a load of 0).
            let flow = if during { "0.5" } else { "12.5" };
            batch.uploads.push(up(
                1,
                2061,
                h,
                &[
                    ("a21002", "Avg", "100".into()),
                    ("a00000", "Avg", flow.into()),
                ],
            ));
            if (k == 0 || k == 1)
                && let Some(last) = batch.uploads.last_mut()
            {
                for v in &mut last.values {
                    v.flag = Some("F".into());
                }
            }
            // 2: 200 kW throughout, as real-time samples every 15 minutes.
            for q in 0..4 {
                batch.uploads.push(up(
                    2,
                    2011,
                    h + q * 900_000,
                    &[("d20001", "Rtd", "200.0".into())],
                ));
            }
            // 3: 200 kW, then 150 (a 25 % cut).
            let v = if during { "150" } else { "200" };
            batch
                .uploads
                .push(up(3, 2061, h, &[("d20001", "Avg", v.into())]));
            // 4: 200 kW, 260 the day before, then 160.
            let v = if during {
                "160"
            } else if day_before {
                "260"
            } else {
                "200"
            };
            batch
                .uploads
                .push(up(4, 2061, h, &[("d20001", "Avg", v.into())]));
            // 7: NOx 100 mg/m³ at 12.5 m³/s throughout: its kiln ran on.
            batch.uploads.push(up(
                7,
                2061,
                h,
                &[
                    ("a21002", "Avg", "100".into()),
                    ("a00000", "Avg", "12.5".into()),
                ],
            ));
            // 5: 200 kW until the alert, then silent.
            if !during {
                batch
                    .uploads
                    .push(up(5, 2061, h, &[("d20001", "Avg", "200".into())]));
            }
        }
        store.write_batch(&batch, "test").await.unwrap();
        // The alert: issued yellow at t0, orange at t0 + 4 h 10 min, lifted at t0 + 8 h.
        let id = store
            .propose_alert(
                &NewAlert {
                    level: "yellow".into(),
                    origin: "classifier".into(),
                    basis_level: "yellow".into(),
                    notice_doc: None,
                    notice_level: None,
                    forecast_batch: None,
                    sample: true,
                },
                "chen",
                "",
                t0 - 2 * H,
            )
            .await
            .unwrap();
        let mv = |version: i64, from: &str, step: &str, to: &str, level: &str| AlertMove {
            id,
            version,
            from: from.into(),
            step: step.into(),
            to: to.into(),
            level: level.into(),
            ..AlertMove::default()
        };
        store
            .move_alert(
                &mv(1, "proposed", "approve", "approved", "yellow"),
                "chen",
                "",
                t0 - H,
            )
            .await
            .unwrap();
        let mut issue = mv(2, "approved", "issue", "issued", "yellow");
        issue.document_no = Some("泌环攻坚〔2026〕9号".into());
        issue.starts = true;
        store.move_alert(&issue, "chen", "", t0).await.unwrap();
        store
            .move_alert(
                &mv(3, "issued", "adjust", "issued", "orange"),
                "chen",
                "升级",
                t0 + 4 * H + 600_000,
            )
            .await
            .unwrap();
        let mut lift = mv(4, "issued", "lift", "lifted", "orange");
        lift.ends = true;
        store
            .move_alert(&lift, "chen", "解除", t0 + 8 * H)
            .await
            .unwrap();

        let boss = user_with_token(&store, "chen", "bureau", None).await;
        let path = format!("/api/v1/alerts/{id}/compliance");
        let (st, c) = call(a, "GET", &path, &boss, "").await;
        assert_eq!(st, 200, "{url}: {c}");
        assert_eq!(
            (c["hours"].as_u64(), c["lifted"].as_bool()),
            (Some(8), Some(true)),
            "{c}"
        );
        let row = |n: u32| {
            c["firms"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["credit_code"] == code(n))
                .cloned()
                .unwrap_or_else(|| panic!("firm {n} in {c}"))
        };
        let f1 = row(1);
        assert_eq!(
            (
                f1["basis"].as_str(),
                f1["unit"].as_str(),
                f1["verdict"].as_str()
            ),
            (Some("cems:a21002"), Some("kg/h"), Some("complied")),
            "{f1}"
        );
        assert_eq!(
            (f1["complied"].as_u64(), f1["compliance_rate"].as_str()),
            (Some(8), Some("100.0"))
        );
        assert_eq!(
            (f1["baseline_mean"].as_str(), f1["during_mean"].as_str()),
            (Some("4.5"), Some("0.135"))
        );
        assert_eq!(
            (
                f1["achieved_cut_percent"].as_str(),
                f1["required_cut_percent"].as_u64()
            ),
            (Some("97.0"), Some(100))
        );
        let spans: Vec<String> = f1["spans"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                format!(
                    "{}:{}:{}",
                    s["level"].as_str().unwrap(),
                    s["action"].as_str().unwrap(),
                    s["hours"]
                )
            })
            .collect();
        assert_eq!(spans, ["yellow:limit:5", "orange:stop:3"]);
        let f2 = row(2);
        assert_eq!(
            (
                f2["basis"].as_str(),
                f2["verdict"].as_str(),
                f2["violations"].as_u64()
            ),
            (Some("electricity"), Some("violated"), Some(8)),
            "{f2}"
        );
        assert_eq!(
            (f2["not_limited"].as_u64(), f2["not_stopped"].as_u64()),
            (Some(5), Some(3))
        );
        assert_eq!(
            (
                f2["hours"][0]["load"].as_str(),
                f2["hours"][0]["baseline"].as_str(),
                f2["hours"][0]["verdict"].as_str()
            ),
            (Some("200"), Some("200"), Some("not_limited"))
        );
        assert_eq!(f2["hours"][5]["verdict"], "not_stopped");
        assert_eq!(
            (
                f2["compliance_rate"].as_str(),
                f2["achieved_cut_percent"].as_str()
            ),
            (Some("0.0"), Some("0.0"))
        );
        let f3 = row(3);
        assert_eq!(
            (
                f3["verdict"].as_str(),
                f3["achieved_cut_percent"].as_str(),
                f3["required_cut_percent"].as_u64()
            ),
            (Some("complied"), Some("25.0"), Some(20)),
            "{f3}"
        );
        let f7 = row(7);
        assert_eq!(
            (
                f7["basis"].as_str(),
                f7["verdict"].as_str(),
                f7["not_limited"].as_u64(),
                f7["not_stopped"].as_u64(),
                f7["hours"][7]["load"].as_str()
            ),
            (
                Some("cems:a21002"),
                Some("violated"),
                Some(5),
                Some(3),
                Some("4.5")
            ),
            "{f7}"
        );
        let f4 = row(4);
        assert_eq!(
            (
                f4["verdict"].as_str(),
                f4["raised_before"].as_bool(),
                f4["before_mean"].as_str()
            ),
            (Some("raised_before"), Some(true), Some("260")),
            "{f4}"
        );
        assert_eq!(
            f4["complied"], 8,
            "judged against the week before, not the raised day"
        );
        let f5 = row(5);
        assert_eq!(
            (
                f5["verdict"].as_str(),
                f5["no_data"].as_u64(),
                f5["compliance_rate"].is_null()
            ),
            (Some("no_data"), Some(8), true),
            "{f5}"
        );
        assert_eq!(row(6)["basis"], "none");
        let s = &c["summary"];
        assert_eq!(
            (
                s["firms"].as_u64(),
                s["complied"].as_u64(),
                s["violated"].as_u64(),
                s["raised_before"].as_u64(),
                s["no_data"].as_u64(),
                s["compliance_rate"].as_str()
            ),
            (Some(7), Some(2), Some(2), Some(1), Some(2), Some("60.0")),
            "{s}"
        );
        // Scopes: the township its five, a firm itself, a reviewer none.
        let town = user_with_token(&store, "yangce", "township", Some("羊册镇")).await;
        let (_, t) = call(a, "GET", &path, &town, "").await;
        assert_eq!(t["firms"].as_array().unwrap().len(), 6, "{t}");
        let neighbour = user_with_token(&store, "mishui", "township", Some("泌水街道")).await;
        let (_, t) = call(a, "GET", &path, &neighbour, "").await;
        let names: Vec<&str> = t["firms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["示例企业6"]);
        let own = user_with_token(&store, "qiye2", "enterprise", Some(&code(2))).await;
        let (_, t) = call(a, "GET", &path, &own, "").await;
        assert_eq!(t["firms"].as_array().unwrap().len(), 1);
        assert_eq!(t["firms"][0]["verdict"], "violated");
        let rev = user_with_token(&store, "shen", "reviewer", None).await;
        assert_eq!(call(a, "GET", &path, &rev, "").await.0, 403);
        assert_eq!(
            call(a, "GET", "/api/v1/alerts/999/compliance", &boss, "")
                .await
                .0,
            404
        );
        // The job opens one ticket per violating firm (and the one that
        // raised its load), assigned to its township: two nodes at once
        // open each once, and a later pass none more.
        let rules = lantian_tickets::rules::Rules::default();
        let set = lantian_alerts::compliance::Settings::default();
        let later = t0 + 9 * H;
        let (x, y) = tokio::join!(
            lantian_server::jobs::alerts::check(&store, &set, &rules, later),
            lantian_server::jobs::alerts::check(&store, &set, &rules, later)
        );
        assert_eq!(
            x.unwrap() + y.unwrap(),
            3,
            "{url}: two nodes at once open each once"
        );
        let n = lantian_server::jobs::alerts::check(&store, &set, &rules, later)
            .await
            .unwrap();
        assert_eq!(n, 0, "{url}");
        let tickets = store
            .tickets(&lantian_store::tickets::TicketFilter {
                source: Some("alert_violation".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        let mut got: Vec<(String, String, String)> = tickets
            .iter()
            .map(|t| {
                (
                    t.title.clone(),
                    t.assignee.clone().unwrap_or_default(),
                    t.severity.clone(),
                )
            })
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                (
                    "预警前抬高负荷：示例企业4".to_string(),
                    "township:羊册镇".to_string(),
                    "urgent".to_string()
                ),
                (
                    "预警期间未落实减排措施：示例企业2".to_string(),
                    "township:羊册镇".to_string(),
                    "urgent".to_string()
                ),
                (
                    "预警期间未落实减排措施：示例企业7".to_string(),
                    "township:羊册镇".to_string(),
                    "urgent".to_string()
                ),
            ]
        );
        // The kiln that ran on: its CEMS load is the evidence.
        let d7 = &tickets
            .iter()
            .find(|t| t.title.ends_with("示例企业7"))
            .unwrap()
            .description;
        assert!(
            d7.contains("违规 8 小时")
                && d7.contains("负荷 4.5 kg/h，基准 4.5 kg/h")
                && d7.contains("CEMS a21002"),
            "{d7}"
        );
        let d = &tickets
            .iter()
            .find(|t| t.title.ends_with("示例企业2"))
            .unwrap()
            .description;
        assert!(
            d.contains("应停未停 3") && d.contains("负荷 200 kW，基准 200 kW"),
            "{d}"
        );
        srv.shutdown().await.unwrap();
    }
}

/// The reduction list (应急减排清单), on both backends: made from the
/// register by the templates (D: −30 % yellow, stop at orange and red; B:
/// nothing at yellow), edited with the version read (two edits at once:
/// one wins), kept when made again, exported and imported with its bad
/// rows named, every change in the history, and the county's check
/// against the inventory naming the shortfall; a township sees its own
/// firms' rows and no check, a neighbour's firm is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reduction_list_is_made_edited_imported_and_checked() {
    use lantian_sources::register::{Firm, GradeEntry, Line, Table};
    for url in databases("alerts_reduction").await {
        let (srv, store) = start(&url).await;
        let a = srv.http_addr;
        let code = |n: u32| {
            lantian_types::CreditCode::complete(&format!("91411726MA40002{n:02}"))
                .unwrap()
                .to_string()
        };
        let firm = |n: u32, grade: &str, town: &str, lines: &[&str]| Firm {
            credit_code: code(n),
            name: format!("示例企业{n}"),
            township: town.into(),
            key_industry: "水泥".into(),
            grades: vec![GradeEntry {
                industry: "水泥".into(),
                grade: lantian_sources::grade::Grade::parse(grade).unwrap(),
                valid_from: None,
                valid_to: None,
                document: "示例".into(),
            }],
            lines: lines
                .iter()
                .map(|l| Line {
                    code: l.to_string(),
                    name: format!("{l} 线"),
                    process: String::new(),
                })
                .collect(),
            sample: true,
            ..Firm::default()
        };
        store
            .put_firm(&firm(1, "D", "羊册镇", &["L1", "L2"]), None, "t")
            .await
            .unwrap();
        store
            .put_firm(&firm(2, "B", "羊册镇", &[]), None, "t")
            .await
            .unwrap();
        store
            .put_firm(&firm(3, "C", "泌水街道", &["L1"]), None, "t")
            .await
            .unwrap();
        let boss = user_with_token(&store, "chen", "bureau", None).await;
        let town = user_with_token(&store, "yangce", "township", Some("羊册镇")).await;
        let own3 = user_with_token(&store, "qiye3", "enterprise", Some(&code(3))).await;
        let (st, g) = call(a, "POST", "/api/v1/reduction-list/generate", &boss, "{}").await;
        assert_eq!((st, g["changed"].as_u64()), (200, Some(12)), "{url}: {g}");
        let (_, l) = call(a, "GET", "/api/v1/reduction-list", &boss, "").await;
        let row = |l: &serde_json::Value, n: u32, line: &str, level: &str| {
            l["lines"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["credit_code"] == code(n) && r["line"] == line && r["level"] == level)
                .cloned()
                .unwrap_or_else(|| panic!("{n} {line} {level} in {l}"))
        };
        assert_eq!(l["lines"].as_array().unwrap().len(), 12);
        let r = row(&l, 1, "L1", "yellow");
        assert_eq!(
            (
                r["action"].as_str(),
                r["percent"].as_i64(),
                r["origin"].as_str()
            ),
            (Some("limit"), Some(30), Some("template")),
            "{r}"
        );
        assert_eq!(row(&l, 1, "L2", "orange")["action"], "stop");
        assert_eq!(row(&l, 2, "全厂", "yellow")["action"], "none");
        // No inventory yet: nothing to check against (neither met nor short).
        assert!(l["check"][0]["met"].is_null(), "{l}");
        // A new row's edit must be new; 全厂 is only for a firm without lines.
        let (st, r) = call(
            a,
            "PUT",
            &format!("/api/v1/reduction-list/{}/L1/red", code(3)),
            &boss,
            r#"{"action":"stop","basis":"output","normal":["1","1","1","1"]}"#,
        )
        .await;
        assert_eq!(st, 409, "the row exists: {r}");
        let (st, _) = call(
            a,
            "PUT",
            &format!("/api/v1/reduction-list/{}/全厂/red", code(1)),
            &boss,
            r#"{"action":"stop","basis":"output","normal":["1","1","1","1"]}"#,
        )
        .await;
        assert_eq!(st, 404, "firm 1 has lines");
        // The inventory, then the edits: L1 and L2 stop at orange with their normal emissions.
        let inv = r#"[{"pollutant":"SO2","t_per_day":"10","year":2025,"document":"泌阳县大气污染源排放清单（示例）"},{"pollutant":"NOx","t_per_day":"20"},{"pollutant":"PM","t_per_day":"5"},{"pollutant":"VOCs","t_per_day":"8"}]"#;
        let (st, i) = call(a, "PUT", "/api/v1/emission-inventory", &boss, inv).await;
        assert_eq!((st, i.as_array().map(Vec::len)), (200, Some(4)), "{i}");
        let (st, e) = call(
            a,
            "PUT",
            "/api/v1/emission-inventory",
            &boss,
            r#"[{"pollutant":"CO2","t_per_day":"1"}]"#,
        )
        .await;
        assert_eq!(st, 400, "{e}");
        let edit = |line: &str, normal: [&str; 4], version: i64| {
            serde_json::json!({"action": "stop", "basis": "output", "normal": normal, "version": version, "note": line}).to_string()
        };
        let v1 = row(&l, 1, "L1", "orange")["version"].as_i64().unwrap();
        let path1 = format!("/api/v1/reduction-list/{}/L1/orange", code(1));
        let body1 = edit("L1", ["2", "4", "1", "0.5"], v1);
        let (x, y) = tokio::join!(
            call(a, "PUT", &path1, &boss, &body1),
            call(a, "PUT", &path1, &boss, &body1)
        );
        let mut sts = [x.0, y.0];
        sts.sort();
        assert_eq!(
            sts,
            [200, 409],
            "{url}: two edits of one version: one wins: {} {}",
            x.1,
            y.1
        );
        let won = if x.0 == 200 { &x.1 } else { &y.1 };
        assert_eq!(
            won["expected"],
            serde_json::json!(["2", "4", "1", "0.5"]),
            "{won}"
        );
        assert_eq!(won["origin"], "edited");
        let v2 = row(&l, 1, "L2", "orange")["version"].as_i64().unwrap();
        let (st, _) = call(
            a,
            "PUT",
            &format!("/api/v1/reduction-list/{}/L2/orange", code(1)),
            &boss,
            &edit("L2", ["1", "2", "0.5", "1"], v2),
        )
        .await;
        assert_eq!(st, 200);
        for (body, says) in [
            (
                r#"{"action":"limit","basis":"output","normal":["1","1","1","1"],"version":1}"#,
                "percent",
            ),
            (
                r#"{"action":"stop","basis":"mood","normal":["1","1","1","1"],"version":1}"#,
                "basis",
            ),
            (
                r#"{"action":"stop","basis":"output","normal":["-1","1","1","1"],"version":1}"#,
                "normal SO2",
            ),
            (
                r#"{"action":"stagger","basis":"output","normal":["1","1","1","1"],"version":1}"#,
                "percent",
            ),
        ] {
            let (st, e) = call(
                a,
                "PUT",
                &format!("/api/v1/reduction-list/{}/L2/red", code(1)),
                &boss,
                body,
            )
            .await;
            assert_eq!(st, 400, "{body}: {e}");
            assert!(e["error"].as_str().unwrap().contains(says), "{body}: {e}");
        }
        // 错峰生产: 40 % of the production time stopped cuts 40 %.
        let vr = row(&l, 2, "全厂", "red")["version"].as_i64().unwrap();
        let (st, r) = call(
            a,
            "PUT",
            &format!("/api/v1/reduction-list/{}/全厂/red", code(2)),
            &boss,
            &serde_json::json!({"action": "错峰生产", "percent": 40, "basis": "产量", "normal": ["1", "1", "1", "1"], "version": vr}).to_string(),
        )
        .await;
        assert_eq!(
            (st, r["action"].as_str(), r["action_zh"].as_str()),
            (200, Some("stagger"), Some("错峰生产 40%")),
            "{r}"
        );
        assert_eq!(
            r["expected"],
            serde_json::json!(["0.4", "0.4", "0.4", "0.4"])
        );
        // The county's check at orange: SO2 3/10 = 30 %, NOx 6/20, PM 1.5/5 met;
        // VOCs 1.5/8 = 18.8 % short of 20 % by 0.1 t/d.
        let (_, l) = call(a, "GET", "/api/v1/reduction-list", &boss, "").await;
        let orange = l["check"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["level"] == "orange")
            .unwrap()
            .clone();
        let got: Vec<String> = orange["pollutants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                format!(
                    "{} {} {} {}",
                    p["pollutant"].as_str().unwrap(),
                    p["percent"].as_str().unwrap(),
                    p["shortfall"].as_str().unwrap(),
                    p["met"]
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                "SO2 30.0 0 true",
                "NOx 30.0 0 true",
                "PM 30.0 0 true",
                "VOCs 18.8 0.1 false"
            ],
            "{orange}"
        );
        assert_eq!(orange["met"], false);
        // Made again: the edited rows are kept.
        let (_, g) = call(a, "POST", "/api/v1/reduction-list/generate", &boss, "{}").await;
        assert_eq!(
            (g["changed"].as_u64(), g["kept"].as_u64()),
            (Some(0), Some(3)),
            "{g}"
        );
        // Scopes: the township its two firms, no check; a firm itself; a neighbour's firm refused.
        let (st, t) = call(a, "GET", "/api/v1/reduction-list", &town, "").await;
        assert_eq!(
            (
                st,
                t["lines"].as_array().unwrap().len(),
                t["check"].is_null()
            ),
            (200, 9, true),
            "{t}"
        );
        let (_, t) = call(a, "GET", "/api/v1/reduction-list", &own3, "").await;
        assert_eq!(t["lines"].as_array().unwrap().len(), 3);
        let (st, _) = call(
            a,
            "GET",
            &format!("/api/v1/reduction-list?firm={}", code(3)),
            &town,
            "",
        )
        .await;
        assert_eq!(st, 403, "a neighbour's firm");
        let (st, _) = call(
            a,
            "GET",
            &format!("/api/v1/reduction-list/{}/history", code(1)),
            &own3,
            "",
        )
        .await;
        assert_eq!(st, 403);
        let (st, _) = call(
            a,
            "PUT",
            &path1,
            &town,
            &edit("L1", ["1", "1", "1", "1"], 9),
        )
        .await;
        assert_eq!(st, 403);
        // The history: the generation, then the edit, with who.
        let (_, h) = call(
            a,
            "GET",
            &format!("/api/v1/reduction-list/{}/history", code(1)),
            &boss,
            "",
        )
        .await;
        let h = h.as_array().unwrap();
        assert_eq!(h.len(), 8, "six made, two edited: {h:?}");
        assert_eq!(
            (h[0]["line"].as_str(), h[0]["by"].as_str()),
            (Some("L2"), Some("chen"))
        );
        assert!(
            h[0]["before"].as_str().unwrap().contains("template")
                && h[0]["after"].as_str().unwrap().contains("edited")
        );
        // Exported, and an edited workbook imported: a valid row written, the bad ones named.
        let raw = crate::common::http_bytes(
            a,
            "GET",
            "/api/v1/reduction-list?format=xlsx",
            &[("Authorization", &format!("Bearer {boss}"))],
            b"",
        )
        .await;
        let at = raw
            .windows(4)
            .position(|w| w == b"PK\x03\x04")
            .expect("a workbook");
        let tables = lantian_sources::workbook::read_xlsx(&raw[at..]).unwrap();
        assert_eq!(
            (tables[0].sheet.as_str(), tables[0].rows.len()),
            ("应急减排清单", 12)
        );
        let header = tables[0].header.clone();
        let mk = |cells: &[&str]| -> Vec<String> {
            let mut v: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
            v.resize(header.len(), String::new());
            v
        };
        let book = lantian_sources::workbook::write_xlsx(&[Table {
            sheet: "应急减排清单".into(),
            header: header.clone(),
            rows: vec![
                (
                    2,
                    mk(&[
                        &code(1),
                        "",
                        "L1",
                        "红色",
                        "限产",
                        "50",
                        "产量",
                        "2",
                        "4",
                        "1",
                        "0.5",
                    ]),
                ),
                (3, mk(&["91411726MA4999999X", "", "L1", "红色", "停产"])),
                (4, mk(&[&code(1), "", "L1", "紫色", "停产"])),
                (
                    5,
                    mk(&[&code(1), "", "L1", "红色", "停产", "", "产量", "abc"]),
                ),
                (6, mk(&[&code(1), "", "", "红色", "停产"])),
            ],
        }])
        .unwrap();
        let (st, rep) = upload_bytes(a, "/api/v1/reduction-list/import", &boss, &book).await;
        assert_eq!(
            (st, rep["changed"].as_u64()),
            (200, Some(1)),
            "{url}: {rep}"
        );
        let issues: Vec<String> = rep["issues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                format!(
                    "{} {} {}",
                    i["sheet"].as_str().unwrap(),
                    i["row"],
                    i["column"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(
            issues,
            [
                "应急减排清单 3 A 统一社会信用代码",
                "应急减排清单 4 D 预警级别",
                "应急减排清单 5 H SO2排放(t/d)",
                "应急减排清单 6 C 生产线"
            ],
            "{rep}"
        );
        let (_, l) = call(
            a,
            "GET",
            &format!("/api/v1/reduction-list?firm={}", code(1)),
            &boss,
            "",
        )
        .await;
        let r = row(&l, 1, "L1", "red");
        assert_eq!(
            (
                r["action"].as_str(),
                r["origin"].as_str(),
                r["expected"].clone()
            ),
            (
                Some("limit"),
                Some("imported"),
                serde_json::json!(["1", "2", "0.5", "0.25"])
            ),
            "{r}"
        );
        srv.shutdown().await.unwrap();
    }
}
