//! The task ledger end to end, on both backends: a plan imported (a bad
//! one named by line), each department and township sees only its own
//! tasks and reports only on them (a neighbour: 403), evidence files kept
//! and read by the owner and the bureau only, the 台账 as xlsx, 红 tasks
//! escalated to one ticket each however many nodes try at once, and a
//! month's scores equal to the hand-worked ones.

use std::collections::HashMap;

use chrono::NaiveDate;
use lantian_server::http::routes::ledger::{LedgerSettings, month_scores};
use lantian_store::ledger::NewReport;
use lantian_store::tickets::NewTicket;

use crate::common::*;

/// Two measures: (三) by 住建局 (lead) and 交通运输局 (partner), (十六) by
/// 农业农村局; every township carries both.
const PLAN: &str = r#"
[plan]
name = "测试行动计划"
county = "测试县"
local = "各乡镇政府（街道办事处）"

[[measure]]
clause = 3
title = "扬尘治理"
text = "（县住建局牵头，县交通运输局配合）"
lead = ["住建局"]
partners = ["交通运输局"]
responsible = ["住建局", "交通运输局"]

[[measure]]
clause = 16
title = "秸秆禁烧"
text = "（县农业农村局负责）"
lead = []
partners = []
responsible = ["农业农村局"]
"#;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDRevidence";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn ms(y: i32, m: u32, day: u32) -> i64 {
    lantian_types::time::utc_seconds(d(y, m, day).and_hms_opt(10, 0, 0).unwrap()) * 1000
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_owner_reports_on_its_own_tasks_and_is_scored() {
    for url in databases("ledger").await {
        let (srv, store) = start_with(&url, |c| c.ledger_every_s = 0).await;
        let a = srv.http_addr;
        let bureau = user_with_token(&store, "chen", "bureau", None).await;
        let zhujian = user_with_token(&store, "zj", "department", Some("住建局")).await;
        let jiaotong = user_with_token(&store, "jt", "department", Some("交通运输局")).await;
        let yangce = user_with_token(&store, "yc", "township", Some("羊册镇")).await;
        let towns =
            r#"[{"name":"羊册镇","code":"411726102"},{"name":"泌水街道","code":"411726002"}]"#;
        assert_eq!(
            call(a, "PUT", "/api/v1/townships", &bureau, towns).await.0,
            200
        );

        // A broken plan is refused with its line and field.
        let bad = PLAN.replace("responsible = [\"农业农村局\"]", "responsible = []");
        let (st, v) = call(a, "PUT", "/api/v1/plan?file=p.toml", &bureau, &bad).await;
        assert_eq!(st, 400, "{url}: {v}");
        assert!(v["error"].as_str().unwrap().starts_with("p.toml:"), "{v}");
        assert!(
            v["error"]
                .as_str()
                .unwrap()
                .ends_with("responsible: no department"),
            "{v}"
        );
        let (st, v) = call(a, "PUT", "/api/v1/plan?from=2026-01-01", &zhujian, PLAN).await;
        assert_eq!(st, 403, "{url}: {v}");
        let (st, v) = call(
            a,
            "PUT",
            "/api/v1/plan?from=2026-01-01&file=p.toml",
            &bureau,
            PLAN,
        )
        .await;
        assert_eq!(
            (st, &v["measures"]),
            (200, &serde_json::json!(2)),
            "{url}: {v}"
        );

        // The bureau sees all seven tasks; 住建局 its one; 羊册镇 its two.
        let (_, all) = call(
            a,
            "GET",
            "/api/v1/ledger/tasks?today=2026-04-30",
            &bureau,
            "",
        )
        .await;
        let keys = |v: &serde_json::Value| -> Vec<String> {
            v["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["key"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            keys(&all),
            [
                "3/department:住建局",
                "3/department:交通运输局",
                "3/township:泌水街道",
                "3/township:羊册镇",
                "16/department:农业农村局",
                "16/township:泌水街道",
                "16/township:羊册镇"
            ],
            "{url}: {all}"
        );
        let (_, own) = call(a, "GET", "/api/v1/ledger/tasks", &zhujian, "").await;
        assert_eq!(keys(&own), ["3/department:住建局"]);
        let (_, own) = call(a, "GET", "/api/v1/ledger/tasks", &yangce, "").await;
        assert_eq!(keys(&own), ["3/township:羊册镇", "16/township:羊册镇"]);
        let q = "/api/v1/ledger/tasks?owner=department:%E4%BD%8F%E5%BB%BA%E5%B1%80";
        assert_eq!(call(a, "GET", q, &jiaotong, "").await.0, 403, "{url}");

        // Reports: the owner only.
        let report = |task: &str, month: &str, progress: i64| {
            serde_json::json!({"task": task, "month": month, "progress": progress, "text": "已落实", "figures": "3 处"}).to_string()
        };
        let (st, v) = call(
            a,
            "POST",
            "/api/v1/ledger/reports",
            &zhujian,
            &report("3/department:住建局", "2026-01", 10),
        )
        .await;
        assert_eq!(st, 201, "{url}: {v}");
        let rid = v["id"].as_i64().unwrap();
        for (who, task) in [
            (&jiaotong, "3/department:住建局"),
            (&zhujian, "3/department:交通运输局"),
            (&yangce, "3/township:泌水街道"),
            (&bureau, "3/department:住建局"),
        ] {
            let (st, v) = call(
                a,
                "POST",
                "/api/v1/ledger/reports",
                who,
                &report(task, "2026-01", 10),
            )
            .await;
            assert_eq!(st, 403, "{url}: {task}: {v}");
            assert!(v["error"].as_str().unwrap().contains("bureau"), "{v}");
        }
        for (body, why) in [
            (report("3/department:住建局", "2099-01", 10), "month"),
            (report("3/department:住建局", "2026-13", 10), "month"),
            (report("3/department:住建局", "2026-01", 101), "progress"),
            (report("9/department:住建局", "2026-01", 10), "no task"),
        ] {
            let (st, v) = call(a, "POST", "/api/v1/ledger/reports", &zhujian, &body).await;
            assert!(st == 400 || st == 404, "{url}: {body}: {st} {v}");
            assert!(v["error"].as_str().unwrap().contains(why), "{why}: {v}");
        }
        // Evidence: the owner attaches; the owner and the bureau read it;
        // a neighbour department does not.
        let (st, f) = upload_bytes(
            a,
            &format!("/api/v1/ledger/reports/{rid}/files?name=a.png"),
            &zhujian,
            PNG,
        )
        .await;
        assert_eq!(st, 200, "{url}: {f}");
        let fid = f["id"].as_i64().unwrap();
        let (st, _) = upload_bytes(
            a,
            &format!("/api/v1/ledger/reports/{rid}/files?name=a.png"),
            &jiaotong,
            PNG,
        )
        .await;
        assert_eq!(st, 403);
        let (st, _) = upload_bytes(
            a,
            &format!("/api/v1/ledger/reports/{rid}/files?name=a.txt"),
            &zhujian,
            b"plain text",
        )
        .await;
        assert_eq!(st, 400);
        let path = format!("/api/v1/ledger/files/{fid}");
        assert!(
            http_get(a, &path, Some(&zhujian))
                .await
                .ends_with("evidence")
        );
        assert!(
            http_get(a, &path, Some(&bureau))
                .await
                .ends_with("evidence")
        );
        assert_eq!(status(&http_get(a, &path, Some(&jiaotong)).await), 403);
        let (_, rs) = call(
            a,
            "GET",
            "/api/v1/ledger/reports?task=3/department:%E4%BD%8F%E5%BB%BA%E5%B1%80",
            &bureau,
            "",
        )
        .await;
        assert_eq!(rs[0]["files"][0]["name"], "a.png", "{rs}");
        assert_eq!(rs[0]["progress"], 10);

        // The 台账 as xlsx: the usual columns.
        let r = http_bytes(
            a,
            "GET",
            "/api/v1/ledger/tasks?format=xlsx",
            &[("Authorization", format!("Bearer {bureau}").as_str())],
            b"",
        )
        .await;
        let at = r.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let book = lantian_sources::workbook::read_xlsx(&r[at..]).unwrap();
        let sheet = &book[0];
        assert_eq!(
            sheet.header,
            [
                "序号",
                "任务",
                "牵头单位",
                "配合单位",
                "完成时限",
                "进展情况",
                "佐证材料",
                "状态"
            ]
        );
        assert_eq!(sheet.rows.len(), 7, "{url}");
        let first = &sheet.rows[0].1;
        assert_eq!(
            (first[2].as_str(), first[3].as_str()),
            ("住建局", "交通运输局")
        );
        assert_eq!(first[6], "1 个附件");
        assert!(
            first[1].starts_with("（三）扬尘治理") && first[1].ends_with("（住建局）"),
            "{first:?}"
        );

        // 红 tasks escalate once, however many check at once: on 2026-04-10
        // every task has its reports missing (住建局's January report was
        // handed in today, after that day, so it does not count then).
        let settings = LedgerSettings::default();
        let rules = lantian_tickets::rules::Rules::default();
        let now = chrono::Utc::now().timestamp_millis();
        let (x, y) = tokio::join!(
            lantian_server::jobs::ledger::check(&store, &settings, &rules, d(2026, 4, 10), now),
            lantian_server::jobs::ledger::check(&store, &settings, &rules, d(2026, 4, 10), now),
        );
        assert_eq!(x.unwrap() + y.unwrap(), 7, "{url}");
        let again =
            lantian_server::jobs::ledger::check(&store, &settings, &rules, d(2026, 4, 10), now)
                .await;
        assert_eq!(again.unwrap(), 0);
        let (_, tk) = call(a, "GET", "/api/v1/tickets?source=ledger_task", &bureau, "").await;
        let list = tk["tickets"].as_array().unwrap_or_else(|| panic!("{tk}"));
        assert_eq!(list.len(), 7, "{url}: {tk}");
        assert!(
            list.iter().any(|t| t["assignee"] == "township:羊册镇"),
            "{tk}"
        );
        let (_, own) = call(
            a,
            "GET",
            "/api/v1/ledger/tasks?today=2026-04-10",
            &bureau,
            "",
        )
        .await;
        assert!(
            own["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["ticket_id"].is_i64()),
            "{own}"
        );

        // A new version of the same plan keeps the ledger: the reports
        // and the escalations move to it; nothing is escalated twice.
        let (st, v) = call(
            a,
            "PUT",
            "/api/v1/plan?from=2026-01-01&file=p2.toml",
            &bureau,
            PLAN,
        )
        .await;
        assert_eq!(st, 200, "{url}: {v}");
        let again =
            lantian_server::jobs::ledger::check(&store, &settings, &rules, d(2026, 4, 10), now)
                .await;
        assert_eq!(again.unwrap(), 0, "{url}: re-imported");
        let (_, rs) = call(
            a,
            "GET",
            "/api/v1/ledger/reports?task=3/department:%E4%BD%8F%E5%BB%BA%E5%B1%80",
            &bureau,
            "",
        )
        .await;
        assert_eq!(rs.as_array().map(Vec::len), Some(1), "{url}: {rs}");
        // No scores before the ledger starts.
        let (st, _) = call(a, "GET", "/api/v1/ledger/scores?month=2025-12", &bureau, "").await;
        assert_eq!(st, 400);

        drop(srv);
        scores_worked_by_hand(&store).await;
    }
}

/// April 2026, taken on the 30th (report day 5; 100 less red 5, yellow
/// 1, late report 2, overdue ticket 3, straw fire 10, rank 1 per place).
async fn scores_worked_by_hand(store: &lantian_store::Store) {
    let plan = store.plan().await.unwrap().unwrap();
    let rep = |task: &str, m: u32, at: i64| NewReport {
        plan_id: plan.id,
        task_key: task.into(),
        owner: task.split_once('/').unwrap().1.into(),
        month: d(2026, m, 1).to_string(),
        progress: 30,
        text: "t".into(),
        figures: String::new(),
        submitted_by: "x".into(),
        submitted_ms: at,
        sample: false,
    };
    let mut rs = Vec::new();
    // 住建局: January (above) and February, March on time → 绿, 100 − the
    // overdue ticket below = 97.
    rs.push(rep("3/department:住建局", 2, ms(2026, 3, 3)));
    rs.push(rep("3/department:住建局", 3, ms(2026, 4, 3)));
    // 泌水街道: both tasks reported; March's in on 10 April, late → −2 × 2 = 96.
    for t in ["3/township:泌水街道", "16/township:泌水街道"] {
        rs.push(rep(t, 1, ms(2026, 2, 3)));
        rs.push(rep(t, 2, ms(2026, 3, 3)));
        rs.push(rep(t, 3, ms(2026, 4, 10)));
    }
    // 农业农村局: March only, on time → 绿 (the latest due report is in),
    // nothing lost: 100.
    rs.push(rep("16/department:农业农村局", 3, ms(2026, 4, 2)));
    store.add_ledger_reports(&rs, "test").await.unwrap();
    // A ticket of 住建局 due 15 April, never answered.
    store
        .create_ticket(
            &NewTicket {
                title: "工地扬尘".into(),
                source: "manual".into(),
                severity: "ordinary".into(),
                assign: Some(("department:住建局".into(), ms(2026, 4, 15))),
                ..NewTicket::default()
            },
            "chen",
            ms(2026, 4, 1),
            &[],
        )
        .await
        .unwrap();
    // A straw fire point of 羊册镇 on 10 April, verified.
    store
        .add_fire_points(
            &[lantian_store::fires::NewFire {
                source: "satellite".into(),
                ext_id: "Y1".into(),
                detected_s: ms(2026, 4, 10) / 1000,
                lon: 113.1,
                lat: 32.1,
                township: Some("羊册镇".into()),
                boundary_id: None,
                kind: "unknown".into(),
                sample: false,
            }],
            "test",
        )
        .await
        .unwrap();
    let fid = store.fire_points(None, 0, i64::MAX / 2).await.unwrap()[0].id;
    assert!(
        store
            .verify_fire(fid, "straw", "现场核实", "chen")
            .await
            .unwrap()
    );
    let ranks: HashMap<String, (usize, usize)> = [
        ("泌水街道".to_string(), (1, 2)),
        ("羊册镇".to_string(), (2, 2)),
    ]
    .into();
    let (_, scores) = month_scores(
        store,
        &LedgerSettings::default(),
        d(2026, 4, 1),
        d(2026, 6, 1),
        Some(&ranks),
    )
    .await
    .unwrap();
    let got: Vec<(&str, i64, usize)> = scores
        .iter()
        .map(|s| (s.owner.as_str(), s.score, s.rank))
        .collect();
    // 交通运输局: no report → 红 (−5), March's late (−2) = 93.
    // 羊册镇: two 红 (−10), two late (−4), the straw point (−10), 2nd of
    // 2 (−1) = 75.
    assert_eq!(
        got,
        [
            ("department:农业农村局", 100, 1),
            ("department:住建局", 97, 2),
            ("department:交通运输局", 93, 3),
            ("township:泌水街道", 96, 1),
            ("township:羊册镇", 75, 2)
        ]
    );
    let yc = scores
        .iter()
        .find(|s| s.owner == "township:羊册镇")
        .unwrap();
    let fire = yc
        .deductions
        .iter()
        .find(|x| x.rule == "straw_fire")
        .unwrap();
    assert_eq!(
        (fire.points, fire.evidence.clone()),
        (10, vec!["Y1".to_string()])
    );
}
