//! Every role against every route, as a table: the policy module answers
//! each (403 with its reason where a role may not), and a Chinese value in
//! a query string reaches its handler decoded.

use std::time::Duration;

use crate::common::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// (method, path, body, who may: admin bureau department township enterprise public reviewer).
const TABLE: &[(&str, &str, &str, &str)] = &[
    ("GET", "/api/v1/me", "", "AAAAAAA"),
    ("GET", "/api/v1/overview", "", "AAAAAAA"),
    ("GET", "/api/v1/stations", "", "AAAAAAA"),
    ("GET", "/api/v1/stations/DS/hourly", "", "AAAAAAA"),
    ("GET", "/api/v1/stations/DS/daily", "", "AAAAAAA"),
    ("GET", "/api/v1/stations/DS/rose", "", "AAAAAAA"),
    ("GET", "/api/v1/area/hourly", "", "AAAAAAA"),
    ("GET", "/api/v1/targets", "", "AAAAAAA"),
    ("GET", "/api/v1/rankings", "", "AAAAAAA"),
    ("GET", "/api/v1/assessment", "", "AAAAAAA"),
    ("GET", "/api/v1/devices", "", "AA----A"),
    ("GET", "/api/v1/devices?format=csv", "", "AA----A"),
    ("GET", "/api/v1/loggers", "", "AA----A"),
    ("GET", "/api/v1/forward", "", "AA----A"),
    ("GET", "/api/v1/frames", "", "AA-----"),
    ("GET", "/api/v1/quarantine", "", "AA-----"),
    (
        "POST",
        "/api/v1/loggers/approve",
        r#"{"logger_id":"nobody","mn":"MN100"}"#,
        "AA-----",
    ),
    (
        "PUT",
        "/api/v1/boundary",
        r#"{"type":"Polygon","coordinates":[[[113.3,32.7],[113.4,32.7],[113.4,32.8],[113.3,32.7]]]}"#,
        "AA-----",
    ),
    ("GET", "/api/v1/enterprises", "", "AAAAA--"),
    ("GET", "/api/v1/enterprises/export", "", "AAAAA--"),
    (
        "GET",
        "/api/v1/enterprises/export?template=true",
        "",
        "AAAAA--",
    ),
    ("GET", "/api/v1/limits/defaults", "", "AAAAA--"),
    ("GET", "/api/v1/townships", "", "AAAAAAA"),
    (
        "PUT",
        "/api/v1/townships",
        r#"[{"name":"泌水街道","code":"411726002"}]"#,
        "AA-----",
    ),
    (
        "POST",
        "/api/v1/enterprises/import?dry_run=true",
        "not a workbook",
        "AA-----",
    ),
    ("GET", "/api/v1/alarms", "", "AAAAA--"),
    (
        "GET",
        "/api/v1/alarms?active=true&format=csv",
        "",
        "AAAAA--",
    ),
    ("GET", "/api/v1/tickets", "", "AAAAA--"),
    ("GET", "/api/v1/tickets?format=xlsx", "", "AAAAA--"),
    ("GET", "/api/v1/tickets/sla", "", "AAAAA--"),
    (
        "POST",
        "/api/v1/tickets",
        r#"{"title":"巡查发现","description":"工地扬尘"}"#,
        "AA-----",
    ),
    ("GET", "/api/v1/inbox", "", "AAAAAAA"),
    ("GET", "/api/v1/webhooks", "", "AAAAA--"),
    ("GET", "/api/v1/forecasts", "", "AAAAA-A"),
    ("GET", "/api/v1/alerts", "", "AAAAA-A"),
    ("GET", "/api/v1/alerts/999/compliance", "", "AAAAA--"),
    ("GET", "/api/v1/reduction-list", "", "AAAAA--"),
    ("GET", "/api/v1/reduction-list?format=xlsx", "", "AAAAA--"),
    ("POST", "/api/v1/reduction-list/generate", "{}", "AA-----"),
    (
        "POST",
        "/api/v1/reduction-list/import",
        "not a workbook",
        "AA-----",
    ),
    ("GET", "/api/v1/emission-inventory", "", "AAA----"),
    ("PUT", "/api/v1/emission-inventory", "[]", "AA-----"),
    (
        "POST",
        "/api/v1/forecasts",
        r#"{"source":"city","csv":"2026-01-01,90"}"#,
        "AA-----",
    ),
    ("POST", "/api/v1/inbox/read", r#"{"ids":[]}"#, "AAAAAAA"),
    ("GET", "/api/v1/reviews", "", "AAAA--A"),
    ("GET", "/api/v1/fires", "", "AAAA---"),
    ("GET", "/api/v1/fires/ledger", "", "AAAA---"),
    ("GET", "/api/v1/townships/boundaries", "", "AAAA---"),
    ("POST", "/api/v1/fires", "[]", "AA-----"),
    (
        "POST",
        "/api/v1/fires/999999/appeal/decide",
        r#"{"upheld":true,"note":"x"}"#,
        "AA-----",
    ),
    ("PUT", "/api/v1/townships/boundaries", "{}", "AA-----"),
    ("GET", "/api/v1/plan", "", "AAAA---"),
    ("PUT", "/api/v1/plan", "not toml", "AA-----"),
    ("GET", "/api/v1/ledger/tasks", "", "AAAA---"),
    (
        "GET",
        "/api/v1/ledger/tasks?owner=department:%E4%BD%8F%E5%BB%BA%E5%B1%80",
        "",
        "AAA----",
    ),
    ("GET", "/api/v1/ledger/scores", "", "AAAA---"),
    ("GET", "/api/v1/reports", "", "AAA----"),
    ("GET", "/api/v1/reports?kind=annual", "", "AAA----"),
    ("GET", "/api/v1/reports/999", "", "AAA----"),
    ("GET", "/api/v1/reports/999/pdf", "", "AAA----"),
    (
        "POST",
        "/api/v1/reports",
        r#"{"kind":"weekly","period":"x"}"#,
        "AA-----",
    ),
    (
        "GET",
        "/api/v1/ledger/reports?task=16/township:%E6%B3%8C%E6%B0%B4%E8%A1%97%E9%81%93",
        "",
        "AA-A---",
    ),
    (
        "POST",
        "/api/v1/ledger/reports",
        r#"{"task":"16/department:住建局","month":"2026-01","progress":5,"text":"x"}"#,
        "--A----",
    ),
    (
        "POST",
        "/api/v1/reviews",
        r#"{"station":"DS","from":"2025-01-01","to":"2025-01-02","reason":"fault","note":"表"}"#,
        "AA----A",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_against_every_route() {
    let url = databases("access").await.remove(0);
    let (srv, store) = start_with(&url, |c| {
        c.analysis_every_s = 1;
        c.registry_refresh_s = 1;
    })
    .await;
    let mut dev = device("MN100", "123456", "hj212");
    dev.site.code = lantian_types::SiteCode::parse("DS").unwrap();
    dev.site.township = Some("东城区".into());
    store.add_device(&dev, "test").await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let mut s = TcpStream::connect(srv.hj212_addr).await.unwrap();
    s.write_all(&upload(
        "20250101090000001",
        "MN100",
        "123456",
        "2061",
        5,
        "20250101080000",
        HOUR,
    ))
    .await
    .unwrap();
    assert_eq!(replies(&mut s, Duration::from_millis(500)).await.len(), 1);
    let roles = [
        ("root", "admin", None),
        ("chen", "bureau", None),
        ("wang", "department", Some("住建局")),
        ("zhao", "township", Some("泌水街道")),
        ("qiye", "enterprise", Some("91411726MA40000001")),
        ("gz", "public", None),
        ("li", "reviewer", None),
    ];
    let mut tokens = Vec::new();
    for (name, role, scope) in roles {
        tokens.push(user_with_token(&store, name, role, scope).await);
    }
    let a = srv.http_addr;
    // The figures exist before the table is walked.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while status(&http_get(a, "/api/v1/overview", Some(&tokens[1])).await) != 200 {
        assert!(tokio::time::Instant::now() < deadline, "no figures");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for (method, path, body, who) in TABLE {
        for ((i, (name, role, _)), allowed) in roles.iter().enumerate().zip(who.chars()) {
            let auth = format!("Bearer {}", tokens[i]);
            let headers = [
                ("Authorization", auth.as_str()),
                ("Content-Type", "application/json"),
            ];
            let r = http(a, method, path, &headers, body).await;
            let code = status(&r);
            if allowed == 'A' {
                assert!(
                    code != 401 && code != 403,
                    "{role} {name}: {method} {path} → {r}"
                );
            } else {
                assert_eq!(code, 403, "{role} {name}: {method} {path} → {r}");
                assert!(
                    json_body(&r)["error"]
                        .as_str()
                        .is_some_and(|e| e.contains("bureau")),
                    "{r}"
                );
            }
        }
    }
    // A Chinese township in a query string, percent-encoded as a browser
    // sends it, reaches the handler decoded.
    let town = "%E4%B8%9C%E5%9F%8E%E5%8C%BA";
    // (The review marked above makes the figures again: wait for them.)
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let r = loop {
        let r = json_body(
            &http_get(
                a,
                &format!("/api/v1/stations?township={town}"),
                Some(&tokens[3]),
            )
            .await,
        );
        if r["stations"].as_array().is_some_and(|s| !s.is_empty())
            || tokio::time::Instant::now() > deadline
        {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(r["stations"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["stations"][0]["township"], "东城区");
    let r = json_body(
        &http_get(
            a,
            "/api/v1/stations?township=%E8%A5%BF%E5%9F%8E%E5%8C%BA",
            Some(&tokens[3]),
        )
        .await,
    );
    assert_eq!(r["stations"].as_array().unwrap().len(), 0, "{r}");
    drop(s);
    srv.shutdown().await.unwrap();
}
