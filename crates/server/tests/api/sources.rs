//! Source supervision end to end, on both backends: a CEMS device sends
//! hours above its outlet's limit over HJ 212; the judging job raises an
//! alarm; the firm's users and its township's see it, a neighbour's get
//! 403; the firm explains with an attachment typed by its bytes; the
//! bureau closes it; two acting at once have one winner. And an imported
//! workbook's bad rows are named by sheet, row and column while the rest
//! loads.

use std::time::Duration;

use crate::common::*;
use lantian_sources::register::Table;
use lantian_types::CreditCode;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

fn code(prefix17: &str) -> String {
    CreditCode::complete(prefix17).unwrap().to_string()
}

fn cems(mn: &str) -> lantian_store::DeviceSpec {
    let mut d = device(mn, "123456", "hj212");
    d.kind = "cems".parse().unwrap();
    d.site.kind = "outlet".parse().unwrap();
    d.site.assessment = false;
    d
}

fn table(sheet: &str, header: &[&str], rows: &[&[&str]]) -> Table {
    Table {
        sheet: sheet.into(),
        header: header.iter().map(|s| s.to_string()).collect(),
        rows: rows
            .iter()
            .enumerate()
            .map(|(i, r)| (i as u32 + 2, r.iter().map(|s| s.to_string()).collect()))
            .collect(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exceeding_stack_raises_an_alarm_its_firm_answers() {
    for url in databases("sources_alarm").await {
        let (srv, store) = start_with(&url, |c| {
            c.registry_refresh_s = 1;
            c.sources_every_s = 1;
        })
        .await;
        store
            .add_device(&cems("LTCEMS0000001"), "test")
            .await
            .unwrap();
        store
            .add_device(&cems("LTCEMS0000002"), "test")
            .await
            .unwrap();
        let a = srv.http_addr;
        let bureau = user_with_token(&store, "chen", "bureau", None).await;
        let towns =
            r#"[{"name":"羊册镇","code":"411726102"},{"name":"泌水街道","code":"411726002"}]"#;
        assert_eq!(
            call(a, "PUT", "/api/v1/townships", &bureau, towns).await.0,
            200
        );

        // Two firms in two townships, registered by a workbook.
        let (fa, fb) = (code("91411726MA4000001"), code("91411726MA4000002"));
        let firms = table(
            "企业",
            &["统一社会信用代码", "企业名称", "乡镇街道", "重点行业"],
            &[
                &[&fa, "示例石材厂", "羊册镇", ""],
                &[&fb, "示例食品厂", "泌水街道", ""],
                &["91411726MA40000030", "坏码企业", "羊册镇", ""],
                &[&code("91411726MA4000004"), "外乡企业", "火星镇", ""],
            ],
        );
        let outlets = table(
            "排口",
            &["统一社会信用代码", "排口编号", "名称", "设备MN"],
            &[
                &[&fa, "DA001", "窑炉", "LTCEMS0000001"],
                &[&fb, "DA001", "锅炉", "LTCEMS0000002"],
                &[&fb, "DA001", "锅炉又一个", ""],
            ],
        );
        let limits = table(
            "排放限值",
            &["统一社会信用代码", "排口编号", "因子编码", "限值(mg/m3)"],
            &[
                &[&fa, "DA001", "a34013", "30"],
                &[&fb, "DA001", "a34013", "30"],
            ],
        );
        let book = lantian_sources::workbook::write_xlsx(&[firms, outlets, limits]).unwrap();
        let (st, rep) = upload_bytes(a, "/api/v1/enterprises/import", &bureau, &book).await;
        assert_eq!(st, 200, "{url}: {rep}");
        assert_eq!(rep["created"], 2, "{url}: {rep}");
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
                "企业 4 A 统一社会信用代码",
                "企业 5 C 乡镇街道",
                "排口 4 B 排口编号"
            ],
            "{url}: {rep}"
        );

        let own = user_with_token(&store, "qiye_a", "enterprise", Some(&fa)).await;
        let other = user_with_token(&store, "qiye_b", "enterprise", Some(&fb)).await;
        let town = user_with_token(&store, "yangce", "township", Some("羊册镇")).await;
        let neighbour = user_with_token(&store, "mishui", "township", Some("泌水街道")).await;

        // Firm A's kiln: PM 45, 46, 47 mg/m³ against 30, then 20.
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let mut s = TcpStream::connect(srv.hj212_addr).await.unwrap();
        for (i, (h, v)) in [("01", "45"), ("02", "46"), ("03", "47"), ("04", "20")]
            .iter()
            .enumerate()
        {
            let cp = format!("a34013-Avg={v},a34013-Flag=N");
            s.write_all(&upload(
                &format!("202601050{i}00000001"),
                "LTCEMS0000001",
                "123456",
                "2061",
                5,
                &format!("20260105{h}0000"),
                &cp,
            ))
            .await
            .unwrap();
        }
        assert_eq!(replies(&mut s, Duration::from_millis(800)).await.len(), 4);

        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let alarm = loop {
            let (_, v) = call(a, "GET", "/api/v1/alarms?rule=exceedance", &bureau, "").await;
            if let Some(x) = v.as_array().and_then(|l| l.first()) {
                break x.clone();
            }
            assert!(tokio::time::Instant::now() < deadline, "{url}: no alarm");
            tokio::time::sleep(Duration::from_millis(300)).await;
        };
        assert_eq!(alarm["credit_code"], fa.as_str(), "{alarm}");
        assert_eq!(alarm["firm"], "示例石材厂");
        assert_eq!(alarm["rule_zh"], "超标");
        assert_eq!(
            (
                alarm["start"].as_str(),
                alarm["end"].as_str(),
                &alarm["hours"]
            ),
            (
                Some("2026-01-05 02:00"),
                Some("2026-01-05 04:00"),
                &serde_json::json!(3)
            ),
            "{url}: hours ending 02:00–04:00 (the data times 01–03 start them)"
        );
        assert_eq!(
            (alarm["max_value"].as_str(), alarm["limit_value"].as_str()),
            (Some("47"), Some("30"))
        );
        let id = alarm["id"].as_i64().unwrap();
        let path = format!("/api/v1/alarms/{id}");

        // Who sees it.
        assert_eq!(call(a, "GET", &path, &own, "").await.0, 200, "{url}");
        assert_eq!(call(a, "GET", &path, &town, "").await.0, 200, "{url}");
        assert_eq!(call(a, "GET", &path, &other, "").await.0, 403, "{url}");
        assert_eq!(call(a, "GET", &path, &neighbour, "").await.0, 403, "{url}");
        let (_, l) = call(a, "GET", "/api/v1/alarms", &other, "").await;
        assert_eq!(
            l.as_array().unwrap().len(),
            0,
            "{url}: B's list has no A alarm"
        );
        let (st, _) = call(a, "GET", &format!("/api/v1/alarms?firm={fa}"), &other, "").await;
        assert_eq!(st, 403, "{url}: asking for A's alarms by name");
        let yangce = "/api/v1/alarms?township=%E7%BE%8A%E5%86%8C%E9%95%87";
        let (st, _) = call(a, "GET", yangce, &neighbour, "").await;
        assert_eq!(st, 403, "{url}: asking for the neighbour township's alarms");
        let firm_a = format!("/api/v1/enterprises/{fa}");
        assert_eq!(call(a, "GET", &firm_a, &other, "").await.0, 403, "{url}");
        assert_eq!(
            call(a, "GET", &firm_a, &neighbour, "").await.0,
            403,
            "{url}"
        );
        let (st, detail) = call(a, "GET", &firm_a, &own, "").await;
        assert_eq!(st, 200, "{url}");
        let live = &detail["live"]["outlets"][0];
        assert_eq!(live["outlet"], "DA001", "{detail}");
        assert_eq!(
            live["series"]["a34013"].as_array().unwrap().len(),
            4,
            "{detail}"
        );
        let (_, list) = call(a, "GET", "/api/v1/enterprises", &neighbour, "").await;
        let names: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["示例食品厂"], "{url}");

        // The record's history: the firm's township sees it, the neighbour not.
        let changes = format!("/api/v1/enterprises/{fa}/changes");
        assert_eq!(
            call(a, "GET", &changes, &neighbour, "").await.0,
            403,
            "{url}"
        );
        let (st, ch) = call(a, "GET", &changes, &town, "").await;
        assert_eq!(st, 200, "{url}");
        assert_eq!(
            (ch[0]["actor"].as_str(), ch[0]["action"].as_str()),
            (Some("chen"), Some("create")),
            "{ch}"
        );
        // A township's export holds its own firms only.
        let auth = format!("Bearer {town}");
        let raw = http_bytes(
            a,
            "GET",
            "/api/v1/enterprises/export",
            &[("Authorization", auth.as_str())],
            b"",
        )
        .await;
        let at = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let book = lantian_sources::workbook::read_xlsx(&raw[at..]).unwrap();
        let firms_sheet = book.iter().find(|t| t.sheet == "企业").unwrap();
        assert_eq!(firms_sheet.rows.len(), 1, "{url}: 羊册镇's export");
        assert_eq!(firms_sheet.rows[0].1[0], fa);

        // Bad input: each named, nothing changed.
        let act_path = format!("{path}/act");
        for (method, p, body, says) in [
            (
                "GET",
                "/api/v1/alarms?state=bogus".to_string(),
                "",
                "state `bogus`",
            ),
            (
                "GET",
                "/api/v1/alarms?rule=nope".to_string(),
                "",
                "rule `nope`",
            ),
            ("GET", "/api/v1/alarms?limit=0".to_string(), "", "limit"),
            (
                "POST",
                act_path.clone(),
                r#"{"action":"fly"}"#,
                "request body",
            ),
            (
                "POST",
                act_path.clone(),
                r#"{"action":"explain","note":"  "}"#,
                "needs a note",
            ),
            (
                "POST",
                act_path.clone(),
                r#"{"action":"escalate","note":" "}"#,
                "needs a note",
            ),
            (
                "PUT",
                "/api/v1/townships".to_string(),
                r#"[{"name":"x镇","code":"123"}]"#,
                "not 9 or 12 digits",
            ),
            (
                "PUT",
                format!("/api/v1/enterprises/{fb}"),
                &format!(r#"{{"firm":{}}}"#, detail["firm"]),
                "the path names",
            ),
        ] {
            let tok = if p.contains("/act") && body.contains("explain") {
                &own
            } else {
                &bureau
            };
            let (st, v) = call(a, method, &p, tok, body).await;
            assert_eq!(st, 400, "{url}: {method} {p} {body} → {v}");
            let e = v["error"].as_str().unwrap_or("");
            assert!(e.contains(says), "{url}: {method} {p}: {e}");
        }
        let (st, v) =
            upload_bytes(a, "/api/v1/enterprises/import", &bureau, b"not a workbook").await;
        assert_eq!(st, 400, "{url}: {v}");
        assert!(
            v["error"].as_str().unwrap().starts_with("not a readable"),
            "{v}"
        );
        let (st, _) = upload_bytes(a, &format!("{path}/attachments?name=x.png"), &own, b"").await;
        assert_eq!(st, 400, "{url}: an empty file");
        let (_, still) = call(a, "GET", &path, &bureau, "").await;
        assert_eq!(still["state"], "open", "{url}: no bad request moved it");
        assert_eq!(still["history"].as_array().unwrap().len(), 1, "{url}");
        let (_, list) = call(a, "GET", "/api/v1/enterprises", &bureau, "").await;
        assert_eq!(
            list.as_array().unwrap().len(),
            2,
            "{url}: the register as it was"
        );

        // The neighbour firm may not act; the firm explains; the bureau closes.
        let explain = r#"{"action":"explain","note":"布袋除尘器破袋，已更换"}"#;
        assert_eq!(
            call(a, "POST", &format!("{path}/act"), &other, explain)
                .await
                .0,
            403
        );
        let (st, v) = call(
            a,
            "POST",
            &format!("{path}/act"),
            &own,
            r#"{"action":"close","note":"x"}"#,
        )
        .await;
        assert_eq!(st, 400, "{url}: closing is the bureau's: {v}");
        let (st, v) = call(a, "POST", &format!("{path}/act"), &own, explain).await;
        assert_eq!(
            (st, v["state"].as_str()),
            (200, Some("explained")),
            "{url}: {v}"
        );
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        let (st, att) = upload_bytes(
            a,
            &format!("{path}/attachments?name=更换记录.png"),
            &own,
            png,
        )
        .await;
        assert_eq!(
            (st, att["content_type"].as_str()),
            (200, Some("image/png")),
            "{url}: {att}"
        );
        let (st, _) = upload_bytes(
            a,
            &format!("{path}/attachments?name=x.pdf"),
            &own,
            b"<html>",
        )
        .await;
        assert_eq!(st, 400, "{url}: not what its name says");
        let (st, _) = upload_bytes(a, &format!("{path}/attachments?name=x.png"), &other, png).await;
        assert_eq!(st, 403, "{url}");
        let file = format!("/api/v1/alarms/attachments/{}", att["id"]);
        let r = http_get(a, &file, Some(&own)).await;
        assert_eq!(status(&r), 200, "{url}");
        assert_eq!(header(&r, "content-type"), Some("image/png"));
        assert_eq!(
            status(&http_get(a, &file, Some(&other)).await),
            403,
            "{url}"
        );

        // Two bureau users close it at once (a second close is never
        // allowed): one wins.
        let (b1, b2) = (
            bureau.clone(),
            user_with_token(&store, "li", "bureau", None).await,
        );
        let p1 = format!("{path}/act");
        let p2 = p1.clone();
        let t1 = tokio::spawn(async move {
            call(a, "POST", &p1, &b1, r#"{"action":"close","note":"已整改"}"#)
                .await
                .0
        });
        let t2 = tokio::spawn(async move {
            call(a, "POST", &p2, &b2, r#"{"action":"close","note":"已核实"}"#)
                .await
                .0
        });
        let (c1, c2) = (t1.await.unwrap(), t2.await.unwrap());
        assert_eq!(
            [c1, c2].iter().filter(|c| **c == 200).count(),
            1,
            "{url}: {c1} {c2}"
        );
        let (_, d) = call(a, "GET", &path, &bureau, "").await;
        let steps: Vec<&str> = d["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["action"].as_str().unwrap())
            .collect();
        assert_eq!(steps.len(), 3, "{url}: open, explain, and the winner: {d}");
        assert_eq!(steps[..2], ["open", "explain"]);
        drop(s);
        srv.shutdown().await.unwrap();
    }
}

/// An outlet's hours a reviewer marked invalid (calibration) raise no
/// alarm: the kiln's PM 45, 46, 47 mg/m³ against 30 with the first two
/// hours marked leave one exceeding hour (47); restoring the mark judges
/// the three again (an alarm of 3 hours from 02:00; the first stays open
/// for the bureau to close with its reason).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewed_outlet_hours_are_not_judged() {
    for url in databases("sources_reviewed").await {
        let (srv, store) = start_with(&url, |c| {
            c.registry_refresh_s = 1;
            c.sources_every_s = 1;
        })
        .await;
        store
            .add_device(&cems("LTCEMS0000009"), "test")
            .await
            .unwrap();
        let a = srv.http_addr;
        let bureau = user_with_token(&store, "chen", "bureau", None).await;
        let reviewer = user_with_token(&store, "li", "reviewer", None).await;
        let towns = r#"[{"name":"羊册镇","code":"411726102"}]"#;
        assert_eq!(
            call(a, "PUT", "/api/v1/townships", &bureau, towns).await.0,
            200
        );
        let fa = code("91411726MA4000009");
        let book = lantian_sources::workbook::write_xlsx(&[
            table(
                "企业",
                &["统一社会信用代码", "企业名称", "乡镇街道"],
                &[&[&fa, "示例窑厂", "羊册镇"]],
            ),
            table(
                "排口",
                &["统一社会信用代码", "排口编号", "名称", "设备MN"],
                &[&[&fa, "DA001", "窑炉", "LTCEMS0000009"]],
            ),
            table(
                "排放限值",
                &["统一社会信用代码", "排口编号", "因子编码", "限值(mg/m3)"],
                &[&[&fa, "DA001", "a34013", "30"]],
            ),
        ])
        .unwrap();
        let (st, rep) = upload_bytes(a, "/api/v1/enterprises/import", &bureau, &book).await;
        assert_eq!(
            (st, &rep["created"]),
            (200, &serde_json::json!(1)),
            "{url}: {rep}"
        );

        // The calibration of 01:00–03:00 (data times 01 and 02), marked
        // before the data come.
        let mark = serde_json::json!({
            "station": "S-LTCEMS0000009", "pollutant": "a34013",
            "from": "2026-01-05 01:00", "to": "2026-01-05 03:00",
            "reason": "calibration", "note": "季度校准", "evidence": "JZ-2026-01"
        });
        let (st, m) = call(a, "POST", "/api/v1/reviews", &reviewer, &mark.to_string()).await;
        assert_eq!(st, 201, "{url}: {m}");
        let mark_id = m["id"].as_i64().unwrap();

        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let mut s = TcpStream::connect(srv.hj212_addr).await.unwrap();
        for (i, (h, v)) in [("01", "45"), ("02", "46"), ("03", "47"), ("04", "20")]
            .iter()
            .enumerate()
        {
            s.write_all(&upload(
                &format!("202601050{i}00000009"),
                "LTCEMS0000009",
                "123456",
                "2061",
                5,
                &format!("20260105{h}0000"),
                &format!("a34013-Avg={v},a34013-Flag=N"),
            ))
            .await
            .unwrap();
        }
        assert_eq!(replies(&mut s, Duration::from_millis(800)).await.len(), 4);

        let alarm_of = |want_hours: i64| {
            let bureau = bureau.clone();
            let url = url.clone();
            async move {
                let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
                loop {
                    let (_, v) =
                        call(a, "GET", "/api/v1/alarms?rule=exceedance", &bureau, "").await;
                    let l = v.as_array().cloned().unwrap_or_default();
                    if let Some(x) = l.iter().find(|x| x["hours"] == want_hours) {
                        return (x.clone(), l.len());
                    }
                    assert!(
                        tokio::time::Instant::now() < deadline,
                        "{url}: no alarm of {want_hours} hours: {v}"
                    );
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
            }
        };
        let (alarm, n) = alarm_of(1).await;
        assert_eq!(n, 1, "{url}: one alarm");
        assert_eq!(
            (
                alarm["start"].as_str(),
                alarm["end"].as_str(),
                alarm["max_value"].as_str()
            ),
            (
                Some("2026-01-05 04:00"),
                Some("2026-01-05 04:00"),
                Some("47")
            ),
            "{url}: only the hour after the calibration"
        );

        // Restored: the three hours are judged again.
        let (st, r) = call(
            a,
            "POST",
            &format!("/api/v1/reviews/{mark_id}/restore"),
            &reviewer,
            r#"{"note":"校准记录不符"}"#,
        )
        .await;
        assert_eq!(st, 200, "{url}: {r}");
        let (alarm, _) = alarm_of(3).await;
        assert_eq!(
            (alarm["start"].as_str(), alarm["max_value"].as_str()),
            (Some("2026-01-05 02:00"), Some("47")),
            "{url}: {alarm}"
        );
    }
}
