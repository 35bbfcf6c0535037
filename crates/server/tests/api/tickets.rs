//! The closed loop end to end, on both backends: a public report becomes a
//! ticket, is assigned to a township, verified, answered with a photo,
//! returned, answered again and accepted; the tracking page says closed;
//! another township neither sees nor acts on it; the phone number is in no
//! database file in clear. Open311 round-trips onto the same reports; bad
//! reports, uploads and codes get clear 4xx answers and change nothing;
//! the ladder fires once per step; an alarm escalates to a ticket.

use crate::common::*;

const PHONE: &str = "13912345678";
const MASTER: &str = "00112233445566778899AABBCCDDEEFF";

async fn public(
    a: std::net::SocketAddr,
    method: &str,
    path: &str,
    ctype: &str,
    body: &str,
) -> (u16, serde_json::Value) {
    let r = http(a, method, path, &[("Content-Type", ctype)], body).await;
    let v = r
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(serde_json::Value::Null);
    (status(&r), v)
}

fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    b.extend_from_slice(&[0u8; 64]);
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_report_runs_the_loop_to_closed() {
    for url in databases("tickets_e2e").await {
        let (srv, store) = start_with(&url, |c| {
            c.master_key = MASTER.into();
            c.public_reports_per_hour = 50;
        })
        .await;
        let a = srv.http_addr;
        let boss = user_with_token(&store, "chen", "bureau", None).await;
        let town = user_with_token(&store, "zhao", "township", Some("泌水街道")).await;
        let other = user_with_token(&store, "li", "township", Some("花园街道")).await;
        let dept = user_with_token(&store, "wang", "department", Some("住建局")).await;

        // The public reports, with a contact.
        let body = serde_json::json!({
            "category": "dust",
            "description": "工地渣土未覆盖，风一吹满天灰",
            "lon": 113.32, "lat": 32.72, "address": "泌阳县泌水街道建设路",
            "contact": {"name": "张三", "phone": PHONE}
        })
        .to_string();
        let (st, r) = public(
            a,
            "POST",
            "/api/v1/public/reports",
            "application/json",
            &body,
        )
        .await;
        assert_eq!(st, 201, "{r}");
        let code = r["tracking_code"].as_str().unwrap().to_string();
        assert_eq!(code.len(), 10);
        assert_eq!(r["state"], "new");
        let (st, r) = public(a, "GET", &format!("/api/v1/public/reports/{code}"), "", "").await;
        assert_eq!((st, r["state"].as_str()), (200, Some("new")), "{r}");
        assert!(!r.to_string().contains(PHONE));
        // A photo from the reporter.
        let r = http_bytes(
            a,
            "POST",
            &format!("/api/v1/public/reports/{code}/photos?name=site.png"),
            &[("Content-Type", "application/octet-stream")],
            &png(),
        )
        .await;
        assert_eq!(status(&String::from_utf8_lossy(&r)), 201);

        // The bureau finds it as a new ticket, with the contact opened for it alone.
        let (st, list) = call(
            a,
            "GET",
            "/api/v1/tickets?state=new&source=public_report",
            &boss,
            "",
        )
        .await;
        assert_eq!(st, 200, "{list}");
        assert_eq!(list["counts"]["new"], 1);
        let id = list["tickets"][0]["id"].as_i64().unwrap();
        let (_, t) = call(a, "GET", &format!("/api/v1/tickets/{id}"), &boss, "").await;
        assert_eq!(t["contact"]["phone"], PHONE, "{t}");
        assert_eq!(t["tracking_code"], code.as_str());
        assert_eq!(t["actions"], serde_json::json!(["assign", "comment"]));
        assert_eq!(t["history"][0]["action"], "create");
        assert_eq!(t["history"][0]["by"], "public");
        // Nobody else yet: unassigned.
        let (st, _) = call(a, "GET", &format!("/api/v1/tickets/{id}"), &town, "").await;
        assert_eq!(st, 403);

        let act = |token: String, body: serde_json::Value| {
            let path = format!("/api/v1/tickets/{id}/actions");
            async move { call(a, "POST", &path, &token, &body.to_string()).await }
        };
        // The township may not assign; the bureau assigns it to the township.
        let (st, r) = act(
            town.clone(),
            serde_json::json!({"action": "assign", "to": "township:泌水街道"}),
        )
        .await;
        assert_eq!(st, 403, "{r}");
        let (st, r) = act(
            boss.clone(),
            serde_json::json!({"action": "assign", "to": "township:泌水街道", "due": "2099-01-31"}),
        )
        .await;
        assert_eq!((st, r["state"].as_str()), (200, Some("assigned")), "{r}");
        assert_eq!(r["due"], "2099-01-31 23:59:00+08:00");
        assert_eq!(r["township"], "泌水街道");
        assert!(r["contact"].is_object());

        // The township sees it (without the contact), its inbox says so; the
        // neighbour neither sees nor acts; the department neither.
        let (st, t) = call(a, "GET", &format!("/api/v1/tickets/{id}"), &town, "").await;
        assert_eq!(st, 200, "{t}");
        assert!(
            t["contact"].is_null() && t["tracking_code"].is_null(),
            "{t}"
        );
        assert!(!t.to_string().contains(PHONE));
        assert_eq!(t["actions"], serde_json::json!(["verify", "comment"]));
        let (_, inbox) = call(a, "GET", "/api/v1/inbox?unread=true", &town, "").await;
        assert_eq!(inbox["unread"], 1, "{inbox}");
        assert_eq!(inbox["items"][0]["kind"], "assigned");
        // Another user's inbox entries cannot be marked read.
        let (_, theirs) = call(a, "GET", "/api/v1/inbox", &boss, "").await;
        let their_id = theirs["items"][0]["id"].as_i64().unwrap();
        let (st, r) = call(
            a,
            "POST",
            "/api/v1/inbox/read",
            &town,
            &format!("{{\"ids\":[{their_id}]}}"),
        )
        .await;
        assert_eq!((st, r["marked"].as_i64()), (200, Some(0)), "{r}");
        let (_, still) = call(a, "GET", "/api/v1/inbox?unread=true", &boss, "").await;
        assert_eq!(still["unread"], theirs["unread"]);
        for who in [&other, &dept] {
            let (st, _) = call(a, "GET", &format!("/api/v1/tickets/{id}"), who, "").await;
            assert_eq!(st, 403);
            let (st, _) = act(
                who.clone(),
                serde_json::json!({"action": "verify", "result": "real", "note": "x"}),
            )
            .await;
            assert_eq!(st, 403);
            let (_, l) = call(a, "GET", "/api/v1/tickets", who, "").await;
            assert_eq!(l["tickets"].as_array().unwrap().len(), 0, "{l}");
            let (st, _) = upload_bytes(
                a,
                &format!("/api/v1/tickets/{id}/attachments?name=x.png"),
                who,
                &png(),
            )
            .await;
            assert_eq!(st, 403);
        }
        let (_, l) = call(a, "GET", "/api/v1/tickets", &town, "").await;
        assert_eq!(l["tickets"].as_array().unwrap().len(), 1);

        // Verify → rectifying; feedback with a photo → reviewing.
        let (st, r) = act(
            town.clone(),
            serde_json::json!({"action": "verify", "result": "real", "note": "现场属实"}),
        )
        .await;
        assert_eq!((st, r["state"].as_str()), (200, Some("rectifying")), "{r}");
        let (st, f) = upload_bytes(
            a,
            &format!("/api/v1/tickets/{id}/attachments?name=after.png&kind=after"),
            &town,
            &png(),
        )
        .await;
        assert_eq!(st, 200, "{f}");
        let file_id = f["id"].as_i64().unwrap();
        let (st, r) = act(
            town.clone(),
            serde_json::json!({"action": "feedback", "text": "已覆盖防尘网"}),
        )
        .await;
        assert_eq!((st, r["state"].as_str()), (200, Some("reviewing")), "{r}");
        // The bureau returns it; the township answers again; the bureau accepts.
        let (st, r) = act(
            boss.clone(),
            serde_json::json!({"action": "return", "reason": "照片看不清覆盖范围"}),
        )
        .await;
        assert_eq!((st, r["state"].as_str()), (200, Some("rectifying")), "{r}");
        let (_, inbox) = call(a, "GET", "/api/v1/inbox?unread=true", &town, "").await;
        assert_eq!(inbox["items"][0]["kind"], "returned", "{inbox}");
        let (st, r) = act(
            town.clone(),
            serde_json::json!({"action": "feedback", "note": "补充全景照片"}),
        )
        .await;
        assert_eq!((st, r["state"].as_str()), (200, Some("reviewing")), "{r}");
        // From reviewing the assignee cannot feed back again (409), nor accept (403).
        let (st, _) = act(
            town.clone(),
            serde_json::json!({"action": "feedback", "note": "再次"}),
        )
        .await;
        assert_eq!(st, 409);
        let (st, _) = act(town.clone(), serde_json::json!({"action": "accept"})).await;
        assert_eq!(st, 403);
        // A stale version is refused.
        let (st, _) = act(
            boss.clone(),
            serde_json::json!({"action": "accept", "version": 1}),
        )
        .await;
        assert_eq!(st, 409);
        let (st, r) = act(
            boss.clone(),
            serde_json::json!({"action": "accept", "note": "经复核，已整改到位"}),
        )
        .await;
        assert_eq!((st, r["state"].as_str()), (200, Some("closed")), "{r}");
        let steps: Vec<String> = r["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                format!(
                    "{}:{}>{}",
                    h["action"].as_str().unwrap(),
                    h["from"].as_str().unwrap_or("-"),
                    h["to"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(
            steps,
            [
                "create:->new",
                "assign:new>assigned",
                "verify:assigned>rectifying",
                "feedback:rectifying>reviewing",
                "return:reviewing>rectifying",
                "feedback:rectifying>reviewing",
                "accept:reviewing>closed"
            ]
        );
        assert_eq!(r["history"][1]["by"], "chen");
        assert_eq!(r["attachments"].as_array().unwrap().len(), 2);

        // The file is served to the township and the bureau, not the neighbour.
        let path = format!("/api/v1/tickets/attachments/{file_id}");
        let got = http_get(a, &path, Some(&town)).await;
        assert_eq!(status(&got), 200);
        assert!(header(&got, "content-type").is_some_and(|c| c == "image/png"));
        assert_eq!(status(&http_get(a, &path, Some(&other)).await), 403);

        // The tracking page says closed, with the answer and no contact or names.
        let (_, r) = public(
            a,
            "GET",
            &format!("/api/v1/public/reports/{}", code.to_lowercase()),
            "",
            "",
        )
        .await;
        assert_eq!(r["state"], "closed", "{r}");
        assert_eq!(r["state_zh"], "已销号");
        assert_eq!(r["answer"], "经复核，已整改到位");
        let states: Vec<&str> = r["updates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["state"].as_str().unwrap())
            .collect();
        assert_eq!(
            states,
            [
                "new",
                "assigned",
                "rectifying",
                "reviewing",
                "rectifying",
                "reviewing",
                "closed"
            ]
        );
        let text = r.to_string();
        assert!(
            !text.contains(PHONE)
                && !text.contains("张三")
                && !text.contains("zhao")
                && !text.contains("chen"),
            "{text}"
        );
        // Open311 sees the same report, closed.
        let (st, o) = public(
            a,
            "GET",
            &format!("/open311/v2/requests/{code}.json"),
            "",
            "",
        )
        .await;
        assert_eq!(st, 200, "{o}");
        assert_eq!(o[0]["status"], "closed");
        assert_eq!(o[0]["status_notes"], "经复核，已整改到位");
        assert_eq!(o[0]["agency_responsible"], "泌水街道");

        // The SLA figures: the township's ticket closed before its due time.
        let (_, sla) = call(a, "GET", "/api/v1/tickets/sla", &town, "").await;
        assert_eq!(sla.as_array().unwrap().len(), 2, "{sla}");
        let closed: i64 = sla
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["closed"].as_i64().unwrap())
            .sum();
        assert_eq!(closed, 1);
        assert!(sla.as_array().unwrap().iter().any(|m| m["returns"] == 1));
        let (_, sla) = call(a, "GET", "/api/v1/tickets/sla", &other, "").await;
        assert_eq!(sla, serde_json::json!([]));

        srv.shutdown().await.unwrap();
        // The phone number is in no database file in clear.
        if let Some(path) = url.strip_prefix("sqlite://") {
            let dir = std::path::Path::new(path).parent().unwrap();
            for f in std::fs::read_dir(dir).unwrap() {
                let bytes = std::fs::read(f.unwrap().path()).unwrap();
                assert!(
                    !bytes.windows(PHONE.len()).any(|w| w == PHONE.as_bytes()),
                    "the phone in clear"
                );
                assert!(
                    !bytes.windows("张三".len()).any(|w| w == "张三".as_bytes()),
                    "the name in clear"
                );
            }
        } else {
            let sealed = store.reporter_contact(id).await.unwrap().unwrap();
            assert!(sealed.starts_with("v1:") && !sealed.contains(PHONE));
            let all = store.audit_log(500).await.unwrap();
            assert!(
                all.iter()
                    .all(|e| !e.detail.clone().unwrap_or_default().contains(PHONE))
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open311_round_trips_and_bad_input_changes_nothing() {
    let url = databases("tickets_open311").await.remove(0);
    let (srv, store) = start_with(&url, |c| {
        c.public_reports_per_hour = 3;
    })
    .await;
    let a = srv.http_addr;
    let boss = user_with_token(&store, "chen", "bureau", None).await;
    let (st, services) = public(a, "GET", "/open311/v2/services.json", "", "").await;
    assert_eq!(st, 200);
    assert!(
        services
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["service_code"] == "straw_burning" && s["service_name"] == "秸秆焚烧")
    );
    let form = "service_code=straw_burning&lat=32.70&long=113.30&address_string=%E7%BE%8A%E5%86%8C%E9%95%87&description=%E7%94%B0%E9%87%8C%E7%83%A7%E7%A7%B8%E7%A7%86%E5%86%92%E7%83%9F";
    let (st, r) = public(
        a,
        "POST",
        "/open311/v2/requests.json",
        "application/x-www-form-urlencoded",
        form,
    )
    .await;
    assert_eq!(st, 201, "{r}");
    let id = r[0]["service_request_id"].as_str().unwrap().to_string();
    let (_, got) = public(a, "GET", &format!("/open311/v2/requests/{id}.json"), "", "").await;
    assert_eq!(got[0]["status"], "open");
    assert_eq!(got[0]["service_code"], "straw_burning");
    assert_eq!(got[0]["description"], "田里烧秸秆冒烟");
    assert_eq!(got[0]["address"], "羊册镇");
    assert_eq!(got[0]["lat"], 32.7);
    // The list carries the request by its public number, without its
    // tracking code, description or place; read by that number it shows
    // its status only.
    let (_, list) = public(a, "GET", "/open311/v2/requests.json?status=open", "", "").await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert!(list[0]["description"].is_null() && list[0]["lat"].is_null());
    let public_id = list[0]["service_request_id"].as_str().unwrap().to_string();
    assert!(public_id.starts_with("LT") && public_id != id, "{list}");
    assert!(
        !list.to_string().contains(&id),
        "no tracking code in the list"
    );
    let (st, one) = public(
        a,
        "GET",
        &format!("/open311/v2/requests/{public_id}.json"),
        "",
        "",
    )
    .await;
    assert_eq!(
        (st, one[0]["status"].as_str()),
        (200, Some("open")),
        "{one}"
    );
    assert!(one[0]["description"].is_null() && one[0]["address"].is_null());
    let r = http_bytes(
        a,
        "POST",
        &format!("/api/v1/public/reports/{public_id}/photos"),
        &[("Content-Type", "application/octet-stream")],
        &png(),
    )
    .await;
    assert_eq!(
        status(&String::from_utf8_lossy(&r)),
        404,
        "photos need the tracking code"
    );
    let (_, list) = public(a, "GET", "/open311/v2/requests.json?status=closed", "", "").await;
    assert_eq!(list.as_array().unwrap().len(), 0);
    let (_, tl) = call(a, "GET", "/api/v1/tickets?source=public_report", &boss, "").await;
    assert_eq!(tl["tickets"][0]["category"], "straw_burning", "{tl}");

    // Bad input: each a clear 4xx, nothing stored.
    let before = store.tickets(&Default::default()).await.unwrap().len();
    for (body, status_, says) in [
        (
            r#"{"category":"ufo","description":"有飞碟","lon":113.3,"lat":32.7}"#,
            400,
            "category `ufo`",
        ),
        (
            r#"{"category":"dust","description":"灰","lon":113.3,"lat":32.7}"#,
            400,
            "at least 5",
        ),
        (
            r#"{"category":"dust","description":"工地扬尘很大","lon":213.3,"lat":32.7}"#,
            400,
            "longitude",
        ),
        (
            r#"{"category":"dust","description":"工地扬尘很大"}"#,
            400,
            "or an address",
        ),
        (
            r#"{"category":"dust","description":"工地扬尘很大","address":"x","contact":{"phone":"call me"}}"#,
            400,
            "contact.phone",
        ),
        // No master key here: a contact cannot be kept sealed, so it is refused.
        (
            r#"{"category":"dust","description":"工地扬尘很大","address":"x","contact":{"phone":"13800138000"}}"#,
            400,
            "anonymous reports only",
        ),
        (
            r#"{"category":"dust","description":"工地扬尘很大","address":"x","secret":1}"#,
            400,
            "unknown field",
        ),
        ("not json", 400, "request body"),
        (
            r#"{"category":"dust","description":"工地扬尘 \u202egnp.exe","address":"x"}"#,
            400,
            "U+202E",
        ),
        (
            r#"{"category":"dust","description":"工地扬尘很大","address":"建设路\u202e"}"#,
            400,
            "U+202E",
        ),
        (
            r#"{"category":"dust","description":"工地扬尘很大","address":"x","contact":{"name":"\u202e管理员"}}"#,
            400,
            "U+202E",
        ),
    ] {
        let (st, r) = public(
            a,
            "POST",
            "/api/v1/public/reports",
            "application/json",
            body,
        )
        .await;
        assert_eq!(st, status_, "{body}: {r}");
        assert!(r["error"].as_str().unwrap().contains(says), "{body}: {r}");
    }
    let (st, _) = public(a, "POST", "/api/v1/public/reports", "text/plain", "{}").await;
    assert_eq!(st, 415);
    let (st, r) = public(
        a,
        "POST",
        "/open311/v2/requests.json",
        "application/x-www-form-urlencoded",
        "description=x",
    )
    .await;
    assert_eq!(st, 400, "{r}");
    assert!(r["error"].as_str().unwrap().contains("service_code"));
    // Unknown codes.
    for path in [
        "/api/v1/public/reports/ZZZZZZZZZZ",
        "/api/v1/public/reports/..%2F..%2Fetc",
        "/open311/v2/requests/ZZZZZZZZZZ.json",
        "/open311/v2/requests/ZZZZZZZZZZ",
    ] {
        let (st, r) = public(a, "GET", path, "", "").await;
        assert_eq!(st, 404, "{path}: {r}");
        assert!(r["error"].as_str().is_some(), "{path}");
    }
    // Uploads: mislabelled (HTML named .png), empty, a PDF as a photo, oversize.
    let photo = format!("/api/v1/public/reports/{id}/photos?name=x.png");
    for (body, want) in [
        (b"<html><script>alert(1)</script>".to_vec(), 400),
        (Vec::new(), 400),
        (b"%PDF-1.7\n".to_vec(), 400),
        (
            {
                let mut b = png();
                b.resize(2_100_000, 0);
                b
            },
            413,
        ),
    ] {
        let r = http_bytes(
            a,
            "POST",
            &photo,
            &[("Content-Type", "application/octet-stream")],
            &body,
        )
        .await;
        let r = String::from_utf8_lossy(&r).into_owned();
        assert_eq!(status(&r), want, "{r}");
    }
    let t = store.ticket_by_code(&id).await.unwrap().unwrap();
    assert!(store.ticket_files(t.id).await.unwrap().is_empty());
    assert_eq!(
        store.tickets(&Default::default()).await.unwrap().len(),
        before
    );
    // The limit per address: three an hour here (one Open311 request was
    // counted). A description of several lines is taken as written.
    let ok = r#"{"category":"odour","description":"化工厂异味刺鼻\r\n\t夜间尤甚","address":"泌阳县产业集聚区"}"#;
    for _ in 0..2 {
        let (st, r) = public(a, "POST", "/api/v1/public/reports", "application/json", ok).await;
        assert_eq!(st, 201, "{r}");
    }
    let r = http(
        a,
        "POST",
        "/api/v1/public/reports",
        &[("Content-Type", "application/json")],
        ok,
    )
    .await;
    assert_eq!(status(&r), 429, "{r}");
    assert!(header(&r, "retry-after").is_some());
    srv.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bureau_opens_assigns_extends_and_the_ladder_fires_once() {
    let url = databases("tickets_ladder").await.remove(0);
    let (srv, store) = start(&url).await;
    let a = srv.http_addr;
    let boss = user_with_token(&store, "chen", "bureau", None).await;
    let dept = user_with_token(&store, "wang", "department", Some("住建局")).await;
    let body = serde_json::json!({
        "title": "建设路工地未落实六个百分百",
        "description": "巡查发现",
        "severity": "urgent",
        "assign": {"to": "department:住建局"}
    });
    let (st, t) = call(a, "POST", "/api/v1/tickets", &boss, &body.to_string()).await;
    assert_eq!(st, 201, "{t}");
    assert_eq!(t["state"], "assigned");
    let id = t["id"].as_i64().unwrap();
    let row = store.ticket(id).await.unwrap().unwrap();
    // Urgent: due 24 h after it was opened (the shipped rules).
    assert_eq!(row.due_ms.unwrap() - row.created_ms, 24 * 3_600_000);
    let (_, inbox) = call(a, "GET", "/api/v1/inbox", &dept, "").await;
    assert_eq!(
        inbox["items"][0]["text"]
            .as_str()
            .unwrap()
            .split('：')
            .next()
            .unwrap(),
        format!("工单 #{id} 已交办")
    );

    // The ladder: nothing yet; at 19 h a reminder; overdue: 催办; +24 h yellow; +72 h red; each once.
    let rules = lantian_tickets::rules::Rules::default();
    let (c, due) = (row.clock_ms.unwrap(), row.due_ms.unwrap());
    let h = 3_600_000;
    use lantian_server::jobs::tickets::check;
    assert_eq!(check(&store, &rules, c + h).await.unwrap(), 0);
    assert_eq!(check(&store, &rules, c + 19 * h).await.unwrap(), 1);
    assert_eq!(check(&store, &rules, c + 19 * h).await.unwrap(), 0);
    assert_eq!(check(&store, &rules, due).await.unwrap(), 1);
    assert_eq!(check(&store, &rules, due + 24 * h).await.unwrap(), 1);
    assert_eq!(check(&store, &rules, due + 72 * h).await.unwrap(), 1);
    assert_eq!(check(&store, &rules, due + 500 * h).await.unwrap(), 0);
    let (_, t) = call(a, "GET", &format!("/api/v1/tickets/{id}"), &boss, "").await;
    assert_eq!(t["escalation"], "red");
    assert_eq!(t["escalation_zh"], "红牌督办");
    let ladder: Vec<&str> = t["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["by"] == "system")
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(ladder, ["remind", "urge", "yellow", "red"]);
    let (_, inbox) = call(a, "GET", "/api/v1/inbox", &dept, "").await;
    let kinds: Vec<&str> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["red", "yellow", "urge", "remind", "assigned"]);
    let (_, inbox) = call(a, "GET", "/api/v1/inbox", &boss, "").await;
    assert_eq!(inbox["unread"], 2, "the cards reach the bureau: {inbox}");

    // Extend: once, at most 30 days, with a reason; the ladder starts again.
    let act = |body: serde_json::Value| {
        let (boss, path) = (boss.clone(), format!("/api/v1/tickets/{id}/actions"));
        async move { call(a, "POST", &path, &boss, &body.to_string()).await }
    };
    let (st, r) = act(serde_json::json!({"action": "extend", "due": "2099-01-01"})).await;
    assert_eq!(st, 400, "a reason is needed: {r}");
    let too_far = lantian_types::time::beijing_ms(due + 40 * 86_400_000)
        .unwrap()
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let (st, r) =
        act(serde_json::json!({"action": "extend", "due": too_far, "reason": "工期"})).await;
    assert_eq!(st, 409, "{r}");
    assert!(r["error"].as_str().unwrap().contains("at most 30 days"));
    let ok = lantian_types::time::beijing_ms(due + 20 * 86_400_000)
        .unwrap()
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let (st, r) =
        act(serde_json::json!({"action": "extend", "due": ok, "reason": "需协调渣土车辆"})).await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["extensions"], 1);
    assert!(r["escalation"].is_null(), "{r}");
    let (st, r) =
        act(serde_json::json!({"action": "extend", "due": "2099-01-01", "reason": "again"})).await;
    assert_eq!(st, 409, "{r}");
    // Bad actions.
    for (body, want) in [
        (serde_json::json!({"action": "fly"}), 400),
        (serde_json::json!({"action": "reassign"}), 400),
        (
            serde_json::json!({"action": "reassign", "to": "planet:mars"}),
            400,
        ),
        (
            serde_json::json!({"action": "verify", "result": "real", "note": "x"}),
            403,
        ),
        (serde_json::json!({"action": "accept"}), 409),
        (
            serde_json::json!({"action": "comment", "note": "x", "extra": 1}),
            400,
        ),
    ] {
        let (st, r) = act(body.clone()).await;
        assert_eq!(st, want, "{body}: {r}");
    }
    // Opening: only the bureau; bad fields named.
    let (st, _) = call(a, "POST", "/api/v1/tickets", &dept, &body.to_string()).await;
    assert_eq!(st, 403);
    for (b, says) in [
        (
            serde_json::json!({"title": "", "description": "x"}),
            "title",
        ),
        (
            serde_json::json!({"title": "t", "description": "x", "severity": "huge"}),
            "severity",
        ),
        (
            serde_json::json!({"title": "t", "description": "x", "source": "public_report"}),
            "public/reports",
        ),
        (
            serde_json::json!({"title": "t", "description": "x", "assign": {"to": "township:x", "due": "2001-01-01"}}),
            "passed",
        ),
        (
            serde_json::json!({"title": "t", "description": "x", "assign": {"to": "township:x", "due": "soon"}}),
            "due `soon`",
        ),
    ] {
        let (st, r) = call(a, "POST", "/api/v1/tickets", &boss, &b.to_string()).await;
        assert_eq!(st, 400, "{b}: {r}");
        assert!(r["error"].as_str().unwrap().contains(says), "{b}: {r}");
    }
    // The list's filters.
    for (q, n) in [
        ("state=assigned", 1),
        ("overdue=true", 0),
        ("source=manual", 1),
        ("from=2000-01-01&to=2000-01-02", 0),
    ] {
        let (st, l) = call(a, "GET", &format!("/api/v1/tickets?{q}"), &boss, "").await;
        assert_eq!(st, 200, "{q}: {l}");
        assert_eq!(l["tickets"].as_array().unwrap().len(), n, "{q}: {l}");
    }
    for q in ["state=lost", "source=gossip", "from=yesterday", "limit=0"] {
        let (st, _) = call(a, "GET", &format!("/api/v1/tickets?{q}"), &boss, "").await;
        assert_eq!(st, 400, "{q}");
    }
    // Errors axum gives itself are JSON too, with their status.
    for (method, path, body, want) in [
        ("GET", "/api/v1/tickets/abc", String::new(), 400),
        (
            "GET",
            "/api/v1/tickets/99999999999999999999",
            String::new(),
            400,
        ),
        ("DELETE", "/api/v1/tickets", String::new(), 405),
        ("GET", "/api/v1/no-such-thing", String::new(), 404),
        (
            "POST",
            "/api/v1/tickets",
            format!("{{\"title\":\"{}\"}}", "x".repeat(3_000_000)),
            413,
        ),
    ] {
        let auth = format!("Bearer {boss}");
        let r = http(
            a,
            method,
            path,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            &body,
        )
        .await;
        assert_eq!(
            status(&r),
            want,
            "{method} {path}: {}",
            &r[..r.len().min(300)]
        );
        assert!(
            json_body(&r)["error"]
                .as_str()
                .is_some_and(|e| !e.is_empty()),
            "{method} {path}: {}",
            &r[..r.len().min(300)]
        );
    }
    let csv = http_get(a, "/api/v1/tickets?format=csv", Some(&boss)).await;
    assert_eq!(status(&csv), 200);
    assert!(csv.contains("建设路工地未落实六个百分百"));
    srv.shutdown().await.unwrap();
}

/// A receiver on a local port: answers each POST with the next status of
/// `answers` and hands over (headers, body).
async fn receiver(
    answers: Vec<u16>,
) -> (
    std::net::SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<(String, String)>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        for code in answers {
            let (mut c, _) = l.accept().await.unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                let n = c.read(&mut chunk).await.unwrap();
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    if body.len() >= len || n == 0 {
                        tx.send((head.to_string(), body.to_string())).unwrap();
                        break;
                    }
                }
            }
            let reply =
                format!("HTTP/1.1 {code} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            c.write_all(reply.as_bytes()).await.unwrap();
        }
    });
    (addr, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_is_signed_and_retried_until_answered() {
    use hmac::{KeyInit, Mac};
    let url = databases("tickets_webhook").await.remove(0);
    let (srv, store) = start_with(&url, |c| {
        c.master_key = MASTER.into();
        c.webhooks_every_s = 3600;
    })
    .await;
    let a = srv.http_addr;
    let boss = user_with_token(&store, "chen", "bureau", None).await;
    let dept = user_with_token(&store, "wang", "department", Some("住建局")).await;
    let other = user_with_token(&store, "jt", "department", Some("交通局")).await;
    let (rx_addr, mut got) = receiver(vec![500, 200]).await;
    let secret = "a-shared-secret-of-the-receiver";
    let hook = serde_json::json!({"assignee": "department:住建局", "url": format!("http://{rx_addr}/hook"), "secret": secret}).to_string();
    // The bureau sets it (the server POSTs there); no assignee may.
    for who in [&other, &dept] {
        let (st, _) = call(a, "PUT", "/api/v1/webhooks", who, &hook).await;
        assert_eq!(st, 403);
    }
    let (st, r) = call(a, "PUT", "/api/v1/webhooks", &boss, &hook).await;
    assert_eq!(st, 200, "{r}");
    for (bad, says) in [
        (
            serde_json::json!({"assignee": "department:住建局", "url": "https://x/h", "secret": secret}),
            "http://",
        ),
        (
            serde_json::json!({"assignee": "department:住建局", "url": "http://x/h", "secret": "short"}),
            "secret",
        ),
        (
            serde_json::json!({"assignee": "nobody", "url": "http://x/h", "secret": secret}),
            "assignee",
        ),
    ] {
        let (st, r) = call(a, "PUT", "/api/v1/webhooks", &boss, &bad.to_string()).await;
        assert_eq!(st, 400, "{r}");
        assert!(r["error"].as_str().unwrap().contains(says), "{r}");
    }
    let sealed = store.webhooks().await.unwrap()[0].secret_sealed.clone();
    assert!(!sealed.contains(secret));

    let body = serde_json::json!({"title": "渣土车未密闭", "description": "巡查", "assign": {"to": "department:住建局"}});
    let (st, t) = call(a, "POST", "/api/v1/tickets", &boss, &body.to_string()).await;
    assert_eq!(st, 201, "{t}");
    let master = lantian_server::keys::parse_key(MASTER).unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    use lantian_server::jobs::tickets::deliver;
    // First try: the receiver answers 500; the next waits 30 s.
    assert_eq!(deliver(&store, Some(&master), now).await.unwrap(), 0);
    let (head1, body1) = got.recv().await.unwrap();
    assert_eq!(
        deliver(&store, Some(&master), now + 1000).await.unwrap(),
        0,
        "not before its wait"
    );
    assert_eq!(
        deliver(&store, Some(&master), now + 61_000).await.unwrap(),
        1
    );
    let (head2, body2) = got.recv().await.unwrap();
    assert_eq!(body1, body2, "the same delivery again");
    let v: serde_json::Value = serde_json::from_str(&body2).unwrap();
    assert_eq!(v["kind"], "assigned");
    assert_eq!(v["ticket_id"], t["id"]);
    // The signature checks with the receiver's secret.
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(body2.as_bytes());
    let want: String = m
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let sig = head2
        .lines()
        .find_map(|l| l.strip_prefix("x-lantian-signature: "))
        .unwrap();
    assert_eq!(sig, format!("sha256={want}"));
    assert!(head1.contains("x-lantian-delivery: "));
    // Delivered once: nothing more to send.
    assert_eq!(
        deliver(&store, Some(&master), now + 10_000_000)
            .await
            .unwrap(),
        0
    );
    let (_, hooks) = call(a, "GET", "/api/v1/webhooks", &dept, "").await;
    assert_eq!(
        (hooks[0]["delivered"].as_i64(), hooks[0]["pending"].as_i64()),
        (Some(1), Some(0)),
        "{hooks}"
    );
    let (_, hooks) = call(a, "GET", "/api/v1/webhooks", &other, "").await;
    assert_eq!(hooks, serde_json::json!([]));
    let del = "/api/v1/webhooks?assignee=department:%E4%BD%8F%E5%BB%BA%E5%B1%80";
    let r = http(
        a,
        "DELETE",
        del,
        &[("Authorization", &format!("Bearer {dept}"))],
        "",
    )
    .await;
    assert_eq!(status(&r), 403, "{r}");
    let r = http(
        a,
        "DELETE",
        del,
        &[("Authorization", &format!("Bearer {boss}"))],
        "",
    )
    .await;
    assert_eq!(status(&r), 204, "{r}");
    srv.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_escalates_to_a_ticket_that_links_back() {
    for url in databases("tickets_from_alarm").await {
        let (srv, store) = start(&url).await;
        let a = srv.http_addr;
        let boss = user_with_token(&store, "chen", "bureau", None).await;
        let credit = lantian_types::CreditCode::complete("91411726MA4000001")
            .unwrap()
            .to_string();
        let firm = lantian_sources::register::Firm {
            credit_code: credit.clone(),
            name: "示例砖厂".into(),
            township: "羊册镇".into(),
            industry: "C3031".into(),
            sample: true,
            ..Default::default()
        };
        store.put_firm(&firm, None, "test").await.unwrap();
        store
            .raise_alarms(&[lantian_store::alarms::NewAlarm {
                key: "exceedance:DA001:a21026:2026-01-05 08".into(),
                credit_code: credit.clone(),
                township: "羊册镇".into(),
                outlet: "DA001".into(),
                rule: "exceedance".into(),
                rule_version: "sources-1".into(),
                code: "a21026".into(),
                start_label: "2026-01-05 08".into(),
                end_label: "2026-01-05 11".into(),
                hours: 4,
                minutes: 0,
                max_value: Some("412".into()),
                limit_value: Some("200".into()),
                settings: "{}".into(),
                evidence: "[]".into(),
                sample: true,
            }])
            .await
            .unwrap();
        let alarm = store.alarms(&Default::default()).await.unwrap()[0].id;
        let path = format!("/api/v1/alarms/{alarm}/act");
        let (st, r) = call(
            a,
            "POST",
            &path,
            &boss,
            r#"{"action":"escalate","note":"连续 4 小时超标，交属地核查"}"#,
        )
        .await;
        assert_eq!(st, 200, "{url}: {r}");
        assert_eq!(r["state"], "escalated");
        let ticket = r["ticket_id"].as_i64().unwrap();
        let (_, t) = call(a, "GET", &format!("/api/v1/tickets/{ticket}"), &boss, "").await;
        assert_eq!(t["source"], "source_alarm");
        assert_eq!(t["source_ref"], format!("alarm:{alarm}"));
        assert_eq!(t["severity"], "serious");
        assert_eq!(t["township"], "羊册镇");
        assert_eq!(t["state"], "new");
        assert!(t["title"].as_str().unwrap().contains("示例砖厂"), "{t}");
        assert_eq!(t["sample"], true);
        // Escalating again: the alarm is no longer open; no second ticket.
        let (st, _) = call(
            a,
            "POST",
            &path,
            &boss,
            r#"{"action":"escalate","note":"again"}"#,
        )
        .await;
        assert_eq!(st, 400);
        assert_eq!(store.tickets(&Default::default()).await.unwrap().len(), 1);
        srv.shutdown().await.unwrap();
    }
}
