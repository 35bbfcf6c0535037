//! The real server on random ports, driven over real sockets, on SQLite and
//! on PostgreSQL. PostgreSQL tests need `LANTIAN_TEST_PG` (an admin URL such
//! as `postgres://root@127.0.0.1:5432/test`; each test creates its own
//! database). With `CI=true` they are mandatory; elsewhere they say they were
//! skipped.

use std::time::Duration;

use lantian_hj212::build::{self, SegmentBuilder};
use lantian_hj212::frame::{Event, Framer, FramerConfig};
use lantian_hj212::segment::Packet;
use lantian_server::Config;
use lantian_store::{DeviceSpec, Site, Store};
use sqlx::Connection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A fresh database URL per test for each backend that is available.
async fn databases(test: &str) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("lantian-test-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut urls = vec![format!("sqlite://{}", dir.join("t.db").display())];
    match std::env::var("LANTIAN_TEST_PG") {
        Ok(admin) => {
            let name = format!("lantian_t_{}_{}", std::process::id(), test);
            let mut c = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to LANTIAN_TEST_PG");
            // Databases this test left behind in earlier runs.
            let old: Vec<(String,)> =
                sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE $1")
                    .bind(format!("lantian_t_%_{test}"))
                    .fetch_all(&mut c)
                    .await
                    .unwrap_or_default();
            for (db,) in old {
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
                )))
                .execute(&mut c)
                .await;
            }
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name}"
            )))
            .execute(&mut c)
            .await;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut c)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
            urls.push(format!("{base}/{name}"));
        }
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true: LANTIAN_TEST_PG must point at the PostgreSQL of the CI machine")
        }
        Err(_) => {
            eprintln!("SKIPPED: PostgreSQL tests of `{test}` (set LANTIAN_TEST_PG to run them)")
        }
    }
    urls
}

fn site(code: &str) -> Site {
    Site {
        code: code.into(),
        name: code.into(),
        kind: "ambient".into(),
        township: None,
        lon: None,
        lat: None,
        assessment: true,
    }
}

fn device(mn: &str, pw: &str, crc: &str) -> DeviceSpec {
    DeviceSpec {
        mn: mn.into(),
        password: pw.into(),
        site: site(&format!("S-{mn}")),
        kind: "ambient".into(),
        protocol: "auto".into(),
        crc: crc.into(),
        unit_overrides: String::new(),
        rtd_interval_s: None,
        min_interval_min: None,
        sm4_key_sealed: None,
    }
}

async fn start(url: &str) -> (lantian_server::Running, Store) {
    start_with(url, |_| {}).await
}

/// Starts a server on `url` with two devices (MN001 hj212, MN002 modbus),
/// test timings, and whatever `tweak` changes.
async fn start_with(
    url: &str,
    tweak: impl FnOnce(&mut Config),
) -> (lantian_server::Running, Store) {
    let store = Store::connect(url).await.unwrap();
    store
        .add_device(&device("MN001", "123456", "hj212"))
        .await
        .unwrap();
    store
        .add_device(&device("MN002", "654321", "modbus"))
        .await
        .unwrap();
    let cfg = Config {
        database: url.into(),
        hj212: "127.0.0.1:0".into(),
        http: "127.0.0.1:0".into(),
        node: "test".into(),
        idle_timeout_s: 2,
        max_segment: 2048,
        max_garbage_bytes: 4096,
        writers: 2,
        ..Config::default()
    };
    let mut cfg = cfg;
    tweak(&mut cfg);
    (lantian_server::start(cfg).await.unwrap(), store)
}

fn upload(qn: &str, mn: &str, pw: &str, cn: &str, flag: u8, data_time: &str, cp: &str) -> Vec<u8> {
    let seg = SegmentBuilder::new()
        .qn(qn)
        .st("22")
        .cn(cn)
        .pw(pw)
        .mn(mn)
        .flag(flag)
        .cp("DataTime", data_time)
        .cp_raw(cp)
        .build();
    build::frame(&seg).unwrap()
}

/// Reads the frames that arrive within `wait`.
async fn replies(s: &mut TcpStream, wait: Duration) -> Vec<String> {
    let mut framer = Framer::new(FramerConfig::strict());
    let mut buf = [0u8; 4096];
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => framer.push(&buf[..n]),
            _ => break,
        }
        while let Some(Event::Frame(f)) = framer.next_event() {
            assert!(
                f.is_ok(),
                "a reply must be a valid strict frame: {:?}",
                f.error
            );
            out.push(String::from_utf8_lossy(f.segment).to_string());
        }
    }
    out
}

const HOUR: &str =
    "a21026-Avg=12,a21026-Flag=N;a34004-Avg=35.5,a34004-Flag=N;a21005-Avg=0.8,a21005-Flag=N";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_retransmissions_and_replies() {
    for url in databases("uploads").await {
        let (srv, store) = start(&url).await;
        let mut s = TcpStream::connect(srv.hj212_addr).await.unwrap();
        // Two uploads in one write, the second one twice (a retransmission).
        let a = upload(
            "20250101090000001",
            "MN001",
            "123456",
            "2061",
            5,
            "20250101080000",
            HOUR,
        );
        let b = upload(
            "20250101100000001",
            "MN001",
            "123456",
            "2061",
            5,
            "20250101090000",
            HOUR,
        );
        let mut both = a.clone();
        both.extend(&b);
        s.write_all(&both).await.unwrap();
        let r = replies(&mut s, Duration::from_millis(500)).await;
        assert_eq!(r.len(), 2, "{url}: {r:?}");
        assert_eq!(
            r[0],
            "QN=20250101090000001;ST=91;CN=9014;PW=123456;MN=MN001;Flag=4;CP=&&&&"
        );
        s.write_all(&b).await.unwrap();
        let r = replies(&mut s, Duration::from_millis(500)).await;
        assert_eq!(r.len(), 1, "{url}: a retransmission is answered again");
        // Flag=4: stored, not answered.
        s.write_all(&upload(
            "20250101110000001",
            "MN001",
            "123456",
            "2061",
            4,
            "20250101100000",
            HOUR,
        ))
        .await
        .unwrap();
        assert!(replies(&mut s, Duration::from_millis(300)).await.is_empty());
        drop(s);
        srv.shutdown().await.unwrap();
        assert_eq!(store.count("uploads").await.unwrap(), 3, "{url}");
        assert_eq!(store.count("vals").await.unwrap(), 9, "{url}: stored once");
        assert_eq!(
            store.count("frames").await.unwrap(),
            4,
            "{url}: every frame journaled"
        );
        // 08:00 Beijing time is 00:00 UTC.
        assert!(store.upload_exists("MN001", 1_735_689_600).await.unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_packets_count_once_complete() {
    for url in databases("split").await {
        let (srv, store) = start(&url).await;
        let mut s = TcpStream::connect(srv.hj212_addr).await.unwrap();
        let part = |qn: &str, pno: u16, cp: &str| {
            let seg = SegmentBuilder::new()
                .qn(qn)
                .st("22")
                .cn("2061")
                .pw("123456")
                .mn("MN001")
                .flag(7)
                .split(2, pno)
                .cp("DataTime", "20250101080000")
                .cp_raw(cp)
                .build();
            build::frame(&seg).unwrap()
        };
        s.write_all(&part("20250101090000534", 1, "a21026-Avg=12,a21026-Flag=N"))
            .await
            .unwrap();
        let r = replies(&mut s, Duration::from_millis(400)).await;
        assert_eq!(r.len(), 1, "{url}: each part with A=1 is answered");
        assert_eq!(
            store.count("uploads").await.unwrap(),
            0,
            "{url}: half a record does not count"
        );
        s.write_all(&part("20250101090000535", 2, "a34004-Avg=35,a34004-Flag=N"))
            .await
            .unwrap();
        let r = replies(&mut s, Duration::from_millis(400)).await;
        assert!(
            r[0].starts_with("QN=20250101090000535;ST=91;CN=9014"),
            "{url}: {r:?}"
        );
        drop(s);
        srv.shutdown().await.unwrap();
        assert_eq!(store.count("uploads").await.unwrap(), 1, "{url}");
        assert_eq!(store.count("vals").await.unwrap(), 2, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_devices_wrong_passwords_and_bad_crcs_are_not_answered() {
    for url in databases("reject").await {
        let (srv, store) = start(&url).await;
        let mut s = TcpStream::connect(srv.hj212_addr).await.unwrap();
        s.write_all(&upload(
            "20250101090000001",
            "NOPE",
            "123456",
            "2061",
            5,
            "20250101080000",
            HOUR,
        ))
        .await
        .unwrap();
        s.write_all(&upload(
            "20250101090000002",
            "MN001",
            "000000",
            "2061",
            5,
            "20250101080000",
            HOUR,
        ))
        .await
        .unwrap();
        let mut bad_crc = upload(
            "20250101090000003",
            "MN001",
            "123456",
            "2061",
            5,
            "20250101080000",
            HOUR,
        );
        let n = bad_crc.len();
        bad_crc[n - 3] = if bad_crc[n - 3] == b'0' { b'1' } else { b'0' };
        s.write_all(&bad_crc).await.unwrap();
        // MODBUS CRC: refused for MN001 (hj212), accepted for MN002 (modbus).
        let seg = SegmentBuilder::new()
            .qn("20250101090000004")
            .st("22")
            .cn("2061")
            .pw("123456")
            .mn("MN001")
            .flag(5)
            .cp("DataTime", "20250101080000")
            .cp_raw(HOUR)
            .build();
        s.write_all(&build::frame_with(&seg, lantian_hj212::crc::CrcVariant::Modbus).unwrap())
            .await
            .unwrap();
        assert!(
            replies(&mut s, Duration::from_millis(500)).await.is_empty(),
            "{url}"
        );
        let seg = SegmentBuilder::new()
            .qn("20250101090000005")
            .st("22")
            .cn("2061")
            .pw("654321")
            .mn("MN002")
            .flag(5)
            .cp("DataTime", "20250101080000")
            .cp_raw(HOUR)
            .build();
        s.write_all(&build::frame_with(&seg, lantian_hj212::crc::CrcVariant::Modbus).unwrap())
            .await
            .unwrap();
        assert_eq!(
            replies(&mut s, Duration::from_millis(500)).await.len(),
            1,
            "{url}: MODBUS device answered"
        );
        drop(s);
        let m = srv.metrics.clone();
        srv.shutdown().await.unwrap();
        assert_eq!(
            store.count("quarantine").await.unwrap(),
            2,
            "{url}: unknown MN and wrong password"
        );
        assert_eq!(store.count("uploads").await.unwrap(), 1, "{url}");
        assert_eq!(store.count("frames").await.unwrap(), 5, "{url}");
        assert_eq!(m.frames(lantian_store::Verdict::Quarantine), 2);
        assert_eq!(m.frames(lantian_store::Verdict::Rejected), 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_oversize_slow_and_silent_peers_are_bounded() {
    for url in databases("hostile").await {
        let (srv, store) = start(&url).await;
        // Garbage only: closed after max_garbage_bytes.
        let mut g = TcpStream::connect(srv.hj212_addr).await.unwrap();
        let _ = g.write_all(&[b'x'; 8192]).await;
        let mut buf = [0u8; 16];
        let closed = tokio::time::timeout(Duration::from_secs(3), g.read(&mut buf)).await;
        assert!(
            matches!(closed, Ok(Ok(0)) | Ok(Err(_))),
            "{url}: garbage connection closed"
        );
        // Oversize declaration (cap 2048), then a good frame on the same line.
        let mut o = TcpStream::connect(srv.hj212_addr).await.unwrap();
        o.write_all(b"##5000").await.unwrap();
        o.write_all(&[b'y'; 3000]).await.unwrap();
        o.write_all(&upload(
            "20250101090000001",
            "MN001",
            "123456",
            "2061",
            5,
            "20250101080000",
            HOUR,
        ))
        .await
        .unwrap();
        assert_eq!(
            replies(&mut o, Duration::from_millis(500)).await.len(),
            1,
            "{url}: recovers after oversize"
        );
        // A slow sender: one frame byte by byte.
        let mut slow = TcpStream::connect(srv.hj212_addr).await.unwrap();
        let f = upload(
            "20250101100000001",
            "MN001",
            "123456",
            "2061",
            5,
            "20250101090000",
            HOUR,
        );
        for b in &f {
            slow.write_all(&[*b]).await.unwrap();
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        assert_eq!(
            replies(&mut slow, Duration::from_millis(500)).await.len(),
            1,
            "{url}: slow sender answered"
        );
        // A silent connection is closed by the idle timeout (2 s here).
        let mut idle = TcpStream::connect(srv.hj212_addr).await.unwrap();
        let r = tokio::time::timeout(Duration::from_secs(5), idle.read(&mut buf)).await;
        assert!(
            matches!(r, Ok(Ok(0)) | Ok(Err(_))),
            "{url}: idle connection closed"
        );
        let m = srv.metrics.clone();
        drop((o, slow));
        srv.shutdown().await.unwrap();
        assert_eq!(store.count("uploads").await.unwrap(), 2, "{url}");
        assert!(
            m.connections_garbage_closed
                .load(std::sync::atomic::Ordering::Relaxed)
                >= 1
        );
        assert!(
            m.connections_idle_closed
                .load(std::sync::atomic::Ordering::Relaxed)
                >= 1
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_health_over_http() {
    for url in databases("http").await {
        let (srv, _store) = start(&url).await;
        let mut s = TcpStream::connect(srv.hj212_addr).await.unwrap();
        s.write_all(&upload(
            "20250101090000001",
            "MN001",
            "123456",
            "2061",
            5,
            "20250101080000",
            HOUR,
        ))
        .await
        .unwrap();
        assert_eq!(replies(&mut s, Duration::from_millis(400)).await.len(), 1);
        let get = |path: &'static str| http_get(srv.http_addr, path, None);
        assert!(get("/healthz").await.contains("200 OK"));
        let m = get("/metrics").await;
        assert!(
            m.contains("lantian_frames_total{verdict=\"stored\"} 1"),
            "{m}"
        );
        assert!(m.contains("lantian_values_stored_total 3"), "{m}");
        assert!(m.contains("lantian_connections_open 1"), "{m}");
        drop(s);
        srv.shutdown().await.unwrap();
    }
}

async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> String {
    let mut c = TcpStream::connect(addr).await.unwrap();
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    c.write_all(
        format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut out = String::new();
    c.read_to_string(&mut out).await.unwrap();
    out
}

async fn http_get(addr: std::net::SocketAddr, path: &str, token: Option<&str>) -> String {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    http(addr, "GET", path, &headers, "").await
}

fn json_body(response: &str) -> serde_json::Value {
    serde_json::from_str(response.split_once("\r\n\r\n").unwrap().1).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_route_but_the_public_ones_answers_401_to_nobody() {
    let url = databases("routes").await.remove(0);
    let (srv, _store) = start(&url).await;
    assert!(lantian_server::http::API_ROUTES.len() >= 4);
    for &(method, path, public) in lantian_server::http::API_ROUTES {
        let r = http(srv.http_addr, &method.to_uppercase(), path, &[], "").await;
        if public {
            assert!(
                !r.starts_with("HTTP/1.1 401"),
                "{method} {path} is public: {r}"
            );
        } else {
            assert!(r.starts_with("HTTP/1.1 401"), "{method} {path}: {r}");
            let t = http(
                srv.http_addr,
                &method.to_uppercase(),
                path,
                &[("Authorization", "Bearer lt_x")],
                "",
            )
            .await;
            assert!(
                t.starts_with("HTTP/1.1 401"),
                "{method} {path} with a bad token: {t}"
            );
        }
    }
    // The OpenAPI description names every route, with the public ones tagged
    // `public` and no other; Swagger UI is served from the binary.
    let doc = http(srv.http_addr, "GET", "/api/openapi.json", &[], "").await;
    assert!(doc.starts_with("HTTP/1.1 200"), "{doc}");
    let doc = json_body(&doc);
    let paths = doc["paths"].as_object().unwrap();
    assert_eq!(paths.len(), lantian_server::http::API_ROUTES.len());
    for &(method, path, public) in lantian_server::http::API_ROUTES {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} missing from openapi.json");
        let tagged = op["tags"].as_array().unwrap().iter().any(|t| t == "public");
        assert_eq!(tagged, public, "{method} {path}: tag public");
    }
    let ui = http(srv.http_addr, "GET", "/api/docs/", &[], "").await;
    assert!(
        ui.starts_with("HTTP/1.1 200") && ui.contains("swagger"),
        "{ui}"
    );
    srv.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_sessions_csrf_login_limits_and_audit() {
    use lantian_server::auth;
    for url in databases("sessions").await {
        let (srv, store) = start(&url).await;
        let hash = auth::hash_password("a long password").unwrap();
        store.add_user("chen", &hash, "bureau", None, "test")
            .await.unwrap();
        store
            .add_user("wang", &hash, "department", Some("住建局"), "test")
            .await
            .unwrap();
        let a = srv.http_addr;
        let login = |u: &'static str, p: &'static str| async move {
            http(
                a,
                "POST",
                "/api/v1/login",
                &[("Content-Type", "application/json")],
                &format!(r#"{{"username":"{u}","password":"{p}"}}"#),
            )
            .await
        };
        let bad = http(a, "POST", "/api/v1/login", &[], "username=chen").await;
        assert!(bad.starts_with("HTTP/1.1 400"), "{bad}");
        let wrong = login("chen", "not it").await;
        assert!(
            wrong.starts_with("HTTP/1.1 401") && !wrong.to_ascii_lowercase().contains("set-cookie"),
            "{wrong}"
        );
        let nobody = login("nobody", "a long password").await;
        assert!(nobody.starts_with("HTTP/1.1 401"), "{nobody}");
        let ok = login("chen", "a long password").await;
        assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
        let set = ok
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
            .unwrap();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict"),
            "{set}"
        );
        let cookie = set
            .split_once(": ")
            .unwrap()
            .1
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let csrf = json_body(&ok)["csrf"].as_str().unwrap().to_string();
        assert_eq!(json_body(&ok)["role"], "bureau");
        let me = http(a, "GET", "/api/v1/me", &[("Cookie", &cookie)], "").await;
        assert!(me.starts_with("HTTP/1.1 200"), "{me}");
        assert_eq!(json_body(&me)["username"], "chen");
        let devs = http(a, "GET", "/api/v1/devices", &[("Cookie", &cookie)], "").await;
        assert!(devs.starts_with("HTTP/1.1 200"), "{devs}");
        // A forged cookie is nobody; a POST without the CSRF token is refused.
        let forged = http(
            a,
            "GET",
            "/api/v1/me",
            &[("Cookie", "lantian_session=lt_00")],
            "",
        )
        .await;
        assert!(forged.starts_with("HTTP/1.1 401"), "{forged}");
        let no_csrf = http(a, "POST", "/api/v1/logout", &[("Cookie", &cookie)], "").await;
        assert!(no_csrf.starts_with("HTTP/1.1 403"), "{no_csrf}");
        let bad_csrf = http(
            a,
            "POST",
            "/api/v1/logout",
            &[("Cookie", &cookie), ("X-CSRF-Token", "lt_1")],
            "",
        )
        .await;
        assert!(bad_csrf.starts_with("HTTP/1.1 403"), "{bad_csrf}");
        let out = http(
            a,
            "POST",
            "/api/v1/logout",
            &[("Cookie", &cookie), ("X-CSRF-Token", &csrf)],
            "",
        )
        .await;
        assert!(out.starts_with("HTTP/1.1 204"), "{out}");
        let after = http(a, "GET", "/api/v1/me", &[("Cookie", &cookie)], "").await;
        assert!(after.starts_with("HTTP/1.1 401"), "{after}");
        // A department user's session may not see the devices.
        let w = login("wang", "a long password").await;
        let wc = w
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
            .unwrap();
        let wc = wc
            .split_once(": ")
            .unwrap()
            .1
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let d = http(a, "GET", "/api/v1/devices", &[("Cookie", &wc)], "").await;
        assert!(d.starts_with("HTTP/1.1 403"), "{d}");
        // Five failures for one name: even the right password waits.
        for _ in 0..5 {
            assert!(login("wang", "guess").await.starts_with("HTTP/1.1 401"));
        }
        let limited = login("wang", "a long password").await;
        assert!(limited.starts_with("HTTP/1.1 429"), "{limited}");
        let actions: Vec<String> = store
            .audit_log(100)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        for want in ["login.failed", "login.ok", "logout", "login.limited"] {
            assert!(actions.iter().any(|x| x == want), "{want} in {actions:?}");
        }
        srv.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_devices_needs_a_token_of_a_role_that_may_see_devices() {
    use lantian_server::auth;
    for url in databases("apitoken").await {
        let (srv, store) = start(&url).await;
        let mut s = TcpStream::connect(srv.hj212_addr).await.unwrap();
        s.write_all(&upload(
            "20250101090000001",
            "MN001",
            "123456",
            "2061",
            5,
            "20250101080000",
            HOUR,
        ))
        .await
        .unwrap();
        assert_eq!(replies(&mut s, Duration::from_millis(400)).await.len(), 1);
        let hash = auth::hash_password("a long password").unwrap();
        store.add_user("chen", &hash, "bureau", None, "test")
            .await.unwrap();
        store
            .add_user("wang", &hash, "department", Some("住建局"), "test")
            .await
            .unwrap();
        let bureau = auth::generate_token().unwrap();
        let dept = auth::generate_token().unwrap();
        store
            .add_token("chen", &auth::token_hash(&bureau), Some("test"), "test")
            .await
            .unwrap();
        store
            .add_token("wang", &auth::token_hash(&dept), None, "test")
            .await
            .unwrap();
        let addr = srv.http_addr;
        let none = http_get(addr, "/api/v1/devices", None).await;
        assert!(none.starts_with("HTTP/1.1 401"), "{none}");
        assert!(!none.contains("MN001"), "{none}");
        let wrong = http_get(addr, "/api/v1/devices", Some("lt_0000")).await;
        assert!(wrong.starts_with("HTTP/1.1 401"), "{wrong}");
        let d = http_get(addr, "/api/v1/devices", Some(&dept)).await;
        assert!(d.starts_with("HTTP/1.1 403"), "{d}");
        assert!(!d.contains("MN001"), "{d}");
        let ok = http_get(addr, "/api/v1/devices", Some(&bureau)).await;
        assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
        let body = ok.split_once("\r\n\r\n").unwrap().1;
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        let dev = v
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["mn"] == "MN001")
            .unwrap();
        assert_eq!(dev["online"], true, "{dev}");
        assert_eq!(dev["enabled"], true, "{dev}");
        assert!(
            dev["last_seen"].as_str().unwrap().ends_with("+08:00"),
            "{dev}"
        );
        drop(s);
        srv.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_postgres_neither_lose_nor_duplicate() {
    let urls = databases("scaleout").await;
    let Some(url) = urls.iter().find(|u| u.starts_with("postgres")) else {
        eprintln!("SKIPPED: scale-out needs PostgreSQL (LANTIAN_TEST_PG)");
        return;
    };
    let (a, store) = start(url).await;
    let (b, _) = start(url).await;
    // 50 devices' worth of hours, each sent to both nodes at once (as a
    // device that reconnects to another node and resends would).
    let mut tasks = tokio::task::JoinSet::new();
    for node in [a.hj212_addr, b.hj212_addr] {
        tasks.spawn(async move {
            let mut s = TcpStream::connect(node).await.unwrap();
            let mut acked = 0;
            for h in 0..50u32 {
                let dt = format!("202501{:02}{:02}0000", 1 + h / 24, h % 24);
                let qn = format!("{dt}001");
                s.write_all(&upload(&qn, "MN001", "123456", "2061", 5, &dt, HOUR))
                    .await
                    .unwrap();
                acked += replies(&mut s, Duration::from_millis(150)).await.len();
            }
            acked
        });
    }
    let mut acked = 0;
    while let Some(n) = tasks.join_next().await {
        acked += n.unwrap();
    }
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
    assert_eq!(acked, 100, "every frame answered by its node");
    assert_eq!(
        store.count("uploads").await.unwrap(),
        50,
        "each hour stored once"
    );
    assert_eq!(store.count("vals").await.unwrap(), 150);
    assert_eq!(
        store.count("frames").await.unwrap(),
        100,
        "both nodes journaled what they received"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_maximum_are_closed_at_once() {
    let url = databases("maxconn").await.remove(0);
    let (srv, _store) = start_with(&url, |c| c.max_connections = 2).await;
    let a = TcpStream::connect(srv.hj212_addr).await.unwrap();
    let b = TcpStream::connect(srv.hj212_addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut c = TcpStream::connect(srv.hj212_addr).await.unwrap();
    let mut buf = [0u8; 8];
    let r = tokio::time::timeout(Duration::from_secs(2), c.read(&mut buf)).await;
    assert!(
        matches!(r, Ok(Ok(0)) | Ok(Err(_))),
        "the third connection is closed"
    );
    // The first two still work.
    let mut a = a;
    a.write_all(&upload(
        "20250101090000001",
        "MN001",
        "123456",
        "2061",
        5,
        "20250101080000",
        HOUR,
    ))
    .await
    .unwrap();
    assert_eq!(replies(&mut a, Duration::from_millis(400)).await.len(), 1);
    assert_eq!(
        srv.metrics
            .connections_refused
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    drop((a, b, c));
    srv.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hj212_2025_heartbeats_and_resent_data() {
    for url in databases("v2025").await {
        let (srv, store) = start(&url).await;
        let mut s = TcpStream::connect(srv.hj212_addr).await.unwrap();
        // A heartbeat that asks for an answer (Flag=9) gets 9013 with Flag=8.
        let hb = SegmentBuilder::new()
            .qn("20250601085857223")
            .st("22")
            .cn("9015")
            .pw("123456")
            .mn("MN001")
            .flag(9)
            .build();
        s.write_all(&build::frame(&hb).unwrap()).await.unwrap();
        let r = replies(&mut s, Duration::from_millis(400)).await;
        assert_eq!(
            r,
            vec![
                "QN=20250601085857223;ST=91;CN=9013;PW=123456;MN=MN001;Flag=8;CP=&&&&".to_string()
            ],
            "{url}"
        );
        // Live data, then the same device re-sending an older hour (RF=1).
        s.write_all(&upload(
            "20250601100000001",
            "MN001",
            "123456",
            "2061",
            9,
            "20250601090000",
            HOUR,
        ))
        .await
        .unwrap();
        let resend = SegmentBuilder::new()
            .qn("20250601100000002")
            .st("22")
            .cn("2061")
            .pw("123456")
            .mn("MN001")
            .flag(9)
            .field("RF", "1")
            .cp("DataTime", "20250601070000")
            .cp_raw(HOUR)
            .build();
        s.write_all(&build::frame(&resend).unwrap()).await.unwrap();
        let r = replies(&mut s, Duration::from_millis(400)).await;
        assert_eq!(r.len(), 2, "{url}");
        assert!(
            r.iter()
                .all(|x| x.contains(";CN=9014;") && x.contains(";Flag=8;")),
            "{url}: {r:?}"
        );
        drop(s);
        srv.shutdown().await.unwrap();
        assert_eq!(store.count("uploads").await.unwrap(), 2, "{url}");
        assert_eq!(
            store.late_uploads().await.unwrap(),
            1,
            "{url}: the re-send is marked late"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_keep_a_device_online_and_silence_turns_it_offline() {
    for url in databases("online").await {
        let (srv, store) = start(&url).await;
        let mn = |devs: &[lantian_store::Device]| {
            devs.iter().find(|d| d.spec.mn == "MN001").cloned().unwrap()
        };
        let now = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as i64
        };
        assert_eq!(
            mn(&store.devices().await.unwrap()).last_seen_ms,
            None,
            "{url}: never heard from"
        );
        let mut s = TcpStream::connect(srv.hj212_addr).await.unwrap();
        // Heartbeats without an answer (Flag=8) every 300 ms keep it online (1 s window).
        for i in 0..4 {
            let hb = SegmentBuilder::new()
                .qn(&format!("2025060108585722{i}"))
                .st("22")
                .cn("9015")
                .pw("123456")
                .mn("MN001")
                .flag(8)
                .build();
            s.write_all(&build::frame(&hb).unwrap()).await.unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
            let d = mn(&store.devices().await.unwrap());
            assert!(
                d.is_online(now(), 1000),
                "{url}: online after heartbeat {i}"
            );
        }
        assert!(
            replies(&mut s, Duration::from_millis(100)).await.is_empty(),
            "{url}: Flag=8 asks for nothing"
        );
        // Silence: offline once the window has passed.
        tokio::time::sleep(Duration::from_millis(1300)).await;
        assert!(
            !mn(&store.devices().await.unwrap()).is_online(now(), 1000),
            "{url}: offline after silence"
        );
        let m = srv.metrics.clone();
        drop(s);
        srv.shutdown().await.unwrap();
        assert_eq!(m.frames(lantian_store::Verdict::Heartbeat), 4);
        assert_eq!(
            store.count("uploads").await.unwrap(),
            0,
            "{url}: heartbeats are not data"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sm4_encrypted_uploads_of_a_device_with_a_key() {
    use lantian_hj212::crypto::{TEST_KEY, WireForm, encrypt_segment};
    use lantian_server::keys;
    let master = keys::parse_key("00112233445566778899AABBCCDDEEFF").unwrap();
    for url in databases("sm4").await {
        let (srv, store) = start_with(&url, |c| {
            c.master_key = "00112233445566778899AABBCCDDEEFF".into()
        })
        .await;
        let mut d = device("MN003", "123456", "hj212");
        d.sm4_key_sealed = Some(keys::seal(&master, &TEST_KEY));
        store.add_device(&d).await.unwrap();
        // The registry reloads every registry_refresh_s; restart to pick it up now.
        srv.shutdown().await.unwrap();
        let (srv, store) = start_with(&url, |c| {
            c.master_key = "00112233445566778899AABBCCDDEEFF".into()
        })
        .await;
        let mut s = TcpStream::connect(srv.hj212_addr).await.unwrap();
        for (i, form) in [WireForm::Text, WireForm::Binary, WireForm::Text]
            .into_iter()
            .enumerate()
        {
            let seg = SegmentBuilder::new()
                .qn(&format!("2025060109000000{i}"))
                .st("22")
                .cn("2061")
                .pw("123456")
                .mn("MN003")
                .flag(9)
                .cp("DataTime", &format!("202506010{}0000", 7 + i))
                .cp_raw(HOUR)
                .build();
            let crc = lantian_hj212::crc::hex4(lantian_hj212::crc::hj212(seg.as_bytes()));
            let enc = encrypt_segment(&TEST_KEY, seg.as_bytes(), form).unwrap();
            // The length field carries the plaintext length, as the standard prints it.
            let mut frame = format!("##{:04}", seg.len()).into_bytes();
            frame.extend(&enc);
            frame.extend(crc);
            frame.extend(b"\r\n");
            s.write_all(&frame).await.unwrap();
            let r = replies(&mut s, Duration::from_millis(400)).await;
            assert_eq!(r.len(), 1, "{url}: frame {i} ({form:?}) answered: {r:?}");
            assert!(
                r[0].contains(";CN=9014;") && r[0].contains(";Flag=8;"),
                "{url}"
            );
        }
        // A device without a key sending ciphertext is not answered.
        let seg = SegmentBuilder::new()
            .qn("20250601090000009")
            .st("22")
            .cn("2061")
            .pw("123456")
            .mn("MN001")
            .flag(9)
            .cp("DataTime", "20250601070000")
            .cp_raw(HOUR)
            .build();
        let crc = lantian_hj212::crc::hex4(lantian_hj212::crc::hj212(seg.as_bytes()));
        let mut frame = format!("##{:04}", seg.len()).into_bytes();
        frame.extend(encrypt_segment(&TEST_KEY, seg.as_bytes(), WireForm::Text).unwrap());
        frame.extend(crc);
        frame.extend(b"\r\n");
        let mut t = TcpStream::connect(srv.hj212_addr).await.unwrap();
        t.write_all(&frame).await.unwrap();
        assert!(
            replies(&mut t, Duration::from_millis(400)).await.is_empty(),
            "{url}"
        );
        drop((s, t));
        srv.shutdown().await.unwrap();
        assert_eq!(
            store.count("uploads").await.unwrap(),
            3,
            "{url}: three decrypted hours"
        );
        assert_eq!(store.count("vals").await.unwrap(), 9, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activation_of_a_new_logger_end_to_end() {
    for url in databases("activation").await {
        let (srv, store) = start_with(&url, |c| c.registry_refresh_s = 1).await;
        let mut s = TcpStream::connect(srv.hj212_addr).await.unwrap();
        let hello = SegmentBuilder::new()
            .qn("20250601085857223")
            .st("22")
            .cn("1001")
            .pw("123456")
            .mn("")
            .flag(9)
            .item(&[("i23005-Info", "6970000000001ABCDEFG1234")])
            .item(&[("i23006-Info", "A800200A8C6D")])
            .build();
        // 1. Unknown logger: answered 9013 (MN empty, Flag=8), recorded as pending.
        s.write_all(&build::frame(&hello).unwrap()).await.unwrap();
        let r = replies(&mut s, Duration::from_millis(400)).await;
        assert_eq!(
            r,
            vec!["QN=20250601085857223;ST=91;CN=9013;PW=123456;MN=;Flag=8;CP=&&&&".to_string()],
            "{url}"
        );
        // Nothing it sends before approval is stored as data.
        s.write_all(&upload(
            "20250601090000001",
            "",
            "123456",
            "2061",
            9,
            "20250601080000",
            HOUR,
        ))
        .await
        .unwrap();
        assert!(
            replies(&mut s, Duration::from_millis(300)).await.is_empty(),
            "{url}"
        );
        let pending = store.pending_loggers().await.unwrap();
        assert_eq!(pending.len(), 1, "{url}");
        assert_eq!(pending[0].cpu_id.as_deref(), Some("A800200A8C6D"));
        assert_eq!(pending[0].approved_mn, None);
        // 2. The operator sees it and approves it as MN005 through the API.
        // (A token needs no password; argon2 here would outlast the 2 s idle timeout.)
        store
            .add_user("chen", "no password", "bureau", None, "test")
            .await
            .unwrap();
        let token = lantian_server::auth::generate_token().unwrap();
        store
            .add_token("chen", &lantian_server::auth::token_hash(&token), None, "test")
            .await
            .unwrap();
        let bearer = format!("Bearer {token}");
        let auth = [("Authorization", bearer.as_str())];
        let listed = http(srv.http_addr, "GET", "/api/v1/loggers", &auth, "").await;
        let listed = json_body(&listed);
        assert_eq!(
            listed[0]["logger_id"], "6970000000001ABCDEFG1234",
            "{listed}"
        );
        assert_eq!(
            listed[0]["approved_mn"],
            serde_json::Value::Null,
            "{listed}"
        );
        let approve = |body: &'static str| {
            http(
                srv.http_addr,
                "POST",
                "/api/v1/loggers/approve",
                &auth,
                body,
            )
        };
        let early = approve(r#"{"logger_id":"6970000000001ABCDEFG1234","mn":"MN005"}"#).await;
        assert!(
            early.starts_with("HTTP/1.1 400") && early.contains("register it first"),
            "{early}"
        );
        let broken = approve(r#"{"logger_id":"#).await;
        assert!(
            broken.starts_with("HTTP/1.1 400") && broken.contains("approve body"),
            "{broken}"
        );
        let unknown = approve(r#"{"logger_id":"nobody","mn":"MN005"}"#).await;
        assert!(unknown.starts_with("HTTP/1.1 400"), "{unknown}");
        store
            .add_device(&device("MN005", "654321", "hj212"))
            .await
            .unwrap();
        let ok = approve(r#"{"logger_id":"6970000000001ABCDEFG1234","mn":"MN005"}"#).await;
        assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
        assert_eq!(
            store.pending_loggers().await.unwrap()[0]
                .approved_mn
                .as_deref(),
            Some("MN005")
        );
        assert_eq!(
            store.audit_log(1).await.unwrap()[0].action,
            "logger.approve"
        );
        tokio::time::sleep(Duration::from_millis(1500)).await;
        // 3. The logger announces itself again: 9013 and then 1002 with its MN.
        s.write_all(&build::frame(&hello).unwrap()).await.unwrap();
        let r = replies(&mut s, Duration::from_millis(400)).await;
        assert_eq!(r.len(), 2, "{url}: {r:?}");
        assert!(r[0].contains(";CN=9013;"));
        let assign = Packet::parse(&r[1]);
        assert_eq!(assign.cn, Some("1002"));
        assert_eq!(assign.mn, Some("MN005"));
        assert_eq!(assign.pw, Some("654321"));
        assert_eq!(
            assign.cp_get("i23005-Info"),
            Some("6970000000001ABCDEFG1234")
        );
        let qn = assign.qn.unwrap().to_string();
        // 4. It answers 9011 and 9012 with the new MN, then sends data.
        let answer = |cn: &str, cp: (&str, &str)| {
            build::frame(
                &SegmentBuilder::new()
                    .qn(&qn)
                    .st("91")
                    .cn(cn)
                    .pw("654321")
                    .mn("MN005")
                    .flag(8)
                    .cp(cp.0, cp.1)
                    .build(),
            )
            .unwrap()
        };
        s.write_all(&answer("9011", ("QnRtn", "1"))).await.unwrap();
        s.write_all(&answer("9012", ("ExeRtn", "1"))).await.unwrap();
        assert!(
            replies(&mut s, Duration::from_millis(300)).await.is_empty(),
            "{url}: answers are not answered"
        );
        s.write_all(&upload(
            "20250601100000001",
            "MN005",
            "654321",
            "2061",
            9,
            "20250601090000",
            HOUR,
        ))
        .await
        .unwrap();
        assert_eq!(
            replies(&mut s, Duration::from_millis(400)).await.len(),
            1,
            "{url}"
        );
        let m = srv.metrics.clone();
        drop(s);
        srv.shutdown().await.unwrap();
        assert_eq!(
            store.count("uploads").await.unwrap(),
            1,
            "{url}: only data after activation"
        );
        assert_eq!(m.frames(lantian_store::Verdict::Activation), 2);
        assert_eq!(m.frames(lantian_store::Verdict::Answer), 2);
        assert_eq!(
            store.pending_loggers().await.unwrap()[0]
                .approved_mn
                .as_deref(),
            Some("MN005")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_exchange_then_uploads_with_the_new_key() {
    use lantian_hj212::crypto::{TEST_KEY, WireForm, decrypt_segment, encrypt_segment};
    use lantian_server::keys;
    const MASTER: &str = "00112233445566778899AABBCCDDEEFF";
    let master = keys::parse_key(MASTER).unwrap();
    for url in databases("keyx").await {
        let store = Store::connect(&url).await.unwrap();
        let mut d = device("MN006", "123456", "hj212");
        d.sm4_key_sealed = Some(keys::seal(&master, &TEST_KEY));
        store.add_device(&d).await.unwrap();
        let (srv, store) = start_with(&url, |c| c.master_key = MASTER.into()).await;
        let mut s = TcpStream::connect(srv.hj212_addr).await.unwrap();
        let send = |cn: &str, qn: &str, cp: &str, key: &[u8; 16]| {
            let seg = SegmentBuilder::new()
                .qn(qn)
                .st("22")
                .cn(cn)
                .pw("123456")
                .mn("MN006")
                .flag(9)
                .cp_raw(cp)
                .build();
            let crc = lantian_hj212::crc::hex4(lantian_hj212::crc::hj212(seg.as_bytes()));
            let mut frame = format!("##{:04}", seg.len()).into_bytes();
            frame.extend(encrypt_segment(key, seg.as_bytes(), WireForm::Text).unwrap());
            frame.extend(crc);
            frame.extend(b"\r\n");
            frame
        };
        // The device asks for a new key (1014, encrypted with the key in use).
        s.write_all(&send(
            "1014",
            "20250601085857223",
            "SKCreateTime=20250601085857223",
            &TEST_KEY,
        ))
        .await
        .unwrap();
        let mut framer = Framer::new(FramerConfig {
            sm4_key: Some(TEST_KEY),
            ..FramerConfig::default()
        });
        let mut buf = [0u8; 4096];
        let mut got = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_millis(800);
        while got.len() < 2 {
            let Ok(Ok(n)) = tokio::time::timeout_at(deadline, s.read(&mut buf)).await else {
                break;
            };
            framer.push(&buf[..n]);
            while let Some(Event::Frame(f)) = framer.next_event() {
                assert!(f.is_ok(), "{url}: {:?}", f.error);
                got.push(String::from_utf8(f.data_segment().to_vec()).unwrap());
            }
        }
        assert_eq!(got.len(), 2, "{url}: 9013 and the new key: {got:?}");
        assert!(got[0].contains(";CN=9013;"), "{url}");
        let offer = Packet::parse(&got[1]);
        assert_eq!(offer.cn, Some("1014"));
        let new_sk = offer.cp_get("NewSK").unwrap();
        assert_eq!(new_sk.len(), 16);
        assert_ne!(new_sk.as_bytes(), &TEST_KEY);
        let new_key: [u8; 16] = new_sk.as_bytes().try_into().unwrap();
        // It was sent encrypted with the old key.
        assert!(decrypt_segment(&TEST_KEY, got[1].as_bytes()).is_ok());
        // The device answers the 1014 (9011, 9012: never encrypted) — these
        // must not make the line fall back to the old key.
        for seg in [
            build::request_answer(&offer, 1),
            build::execution_result(&offer, 1),
        ] {
            s.write_all(&build::frame(&seg).unwrap()).await.unwrap();
        }
        // Uploads with the new key are accepted.
        s.write_all(&send(
            "2061",
            "20250601100000001",
            &format!("DataTime=20250601090000;{HOUR}"),
            &new_key,
        ))
        .await
        .unwrap();
        let r = replies(&mut s, Duration::from_millis(400)).await;
        assert_eq!(r.len(), 1, "{url}: upload with the new key answered");
        drop(s);
        srv.shutdown().await.unwrap();
        assert_eq!(store.count("uploads").await.unwrap(), 1, "{url}");
        // The new key is stored sealed, not in clear.
        let dev = store
            .devices()
            .await
            .unwrap()
            .into_iter()
            .find(|d| d.spec.mn == "MN006")
            .unwrap();
        let sealed = dev.spec.sm4_key_sealed.unwrap();
        assert!(!sealed.contains(new_sk));
        assert_eq!(keys::open(&master, &sealed), Some(new_key), "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn electricity_monitoring_st44_is_stored_as_series() {
    for url in databases("st44").await {
        let store = Store::connect(&url).await.unwrap();
        let mut d = device("MN044", "123456", "hj212");
        d.kind = "electricity".into();
        d.site.kind = "outlet".into();
        store.add_device(&d).await.unwrap();
        let (srv, store) = start(&url).await;
        let mut s = TcpStream::connect(srv.hj212_addr).await.unwrap();
        for (i, t) in ["20250601084500", "20250601084530"].iter().enumerate() {
            let seg = SegmentBuilder::new()
                .qn(&format!("2025060108453000{i}"))
                .st("44")
                .cn("2011")
                .pw("123456")
                .mn("MN044")
                .flag(9)
                .cp("DataTime", t)
                .item(&[("d20105-Rtd", "220.5"), ("d20105-Flag", "N")])
                .item(&[("d30106-Rtd", "12.3"), ("d30106-Flag", "N")])
                .build();
            s.write_all(&build::frame(&seg).unwrap()).await.unwrap();
        }
        assert_eq!(
            replies(&mut s, Duration::from_millis(400)).await.len(),
            2,
            "{url}"
        );
        drop(s);
        srv.shutdown().await.unwrap();
        assert_eq!(store.count("uploads").await.unwrap(), 2, "{url}");
        assert_eq!(
            store.count("vals").await.unwrap(),
            4,
            "{url}: production and treatment series"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connection_then_rf_resends_no_duplicates_no_gaps() {
    for url in databases("rf").await {
        let (srv, store) = start(&url).await;
        let hour = |h: u32, rf: bool| {
            let mut b = SegmentBuilder::new()
                .qn(&format!("202506010{h}0000001"))
                .st("22")
                .cn("2061")
                .pw("123456")
                .mn("MN001")
                .flag(9);
            if rf {
                b = b.field("RF", "1");
            }
            build::frame(
                &b.cp("DataTime", &format!("202506010{h}0000"))
                    .cp_raw(HOUR)
                    .build(),
            )
            .unwrap()
        };
        // Hours 1–3 go through; hour 4 is sent and the line drops before its answer is read.
        let mut s = TcpStream::connect(srv.hj212_addr).await.unwrap();
        for h in 1..=3 {
            s.write_all(&hour(h, false)).await.unwrap();
        }
        assert_eq!(replies(&mut s, Duration::from_millis(400)).await.len(), 3);
        s.write_all(&hour(4, false)).await.unwrap();
        drop(s);
        tokio::time::sleep(Duration::from_millis(200)).await;
        // Reconnected: live hour 6 first, then the re-sends (RF=1) of 3, 4, 5 interleaved.
        let mut s = TcpStream::connect(srv.hj212_addr).await.unwrap();
        for f in [hour(6, false), hour(3, true), hour(4, true), hour(5, true)] {
            s.write_all(&f).await.unwrap();
        }
        assert_eq!(
            replies(&mut s, Duration::from_millis(500)).await.len(),
            4,
            "{url}: every frame answered"
        );
        drop(s);
        srv.shutdown().await.unwrap();
        assert_eq!(
            store.count("uploads").await.unwrap(),
            6,
            "{url}: hours 1–6, none twice, none missing"
        );
        assert_eq!(store.count("vals").await.unwrap(), 18, "{url}");
        for h in 1..=6 {
            // h:00 Beijing time on 2025-06-01 (1_748_736_000 is 00:00 UTC).
            let ts = 1_748_736_000 + (h as i64 - 8) * 3600;
            assert!(
                store.upload_exists("MN001", ts).await.unwrap(),
                "{url}: hour {h}"
            );
        }
        assert_eq!(
            store.late_uploads().await.unwrap(),
            1,
            "{url}: hour 5 arrived only as a re-send"
        );
    }
}

/// The data API over what the ingest stored: the latest hour of the area
/// and the station with its AQI worked out by hand from HJ 633-2012 (the
/// rule in force on 2025-01-01), CSV exports, bounded query parameters,
/// the boundary upload and who may make it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_api_serves_what_was_stored_with_its_aqi() {
    use lantian_server::auth;
    for url in databases("dataapi").await {
        let (srv, store) = start_with(&url, |c| {
            c.analysis_every_s = 1;
            c.registry_refresh_s = 1;
            c.target_pm25_below = "30".into();
        })
        .await;
        let mut dev = device("MN100", "123456", "hj212");
        dev.site.code = "DS".into();
        dev.site.name = "东四".into();
        dev.site.lon = Some(116.4174);
        dev.site.lat = Some(39.9289);
        dev.unit_overrides =
            "a21026=ug/m3;a21004=ug/m3;a05024=ug/m3;a34002=ug/m3;a34004=ug/m3".into();
        store.add_device(&dev).await.unwrap();
        // The registry reloads every second here; wait for MN100 to be known.
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let mut s = TcpStream::connect(srv.hj212_addr).await.unwrap();
        // PM2.5 75 (24-h table: IAQI 100), PM10 50 (50), SO2 10 (3.3),
        // NO2 40 (20), CO 0.5 (5), O3 60 (18.75): AQI 100, 良, primary PM2.5.
        let cp = "a34004-Avg=75,a34004-Flag=N;a34002-Avg=50,a34002-Flag=N;a21026-Avg=10,a21026-Flag=N;\
                  a21004-Avg=40,a21004-Flag=N;a21005-Avg=0.5,a21005-Flag=N;a05024-Avg=60,a05024-Flag=N";
        s.write_all(&upload(
            "20250101090000001",
            "MN100",
            "123456",
            "2061",
            5,
            "20250101080000",
            cp,
        ))
        .await
        .unwrap();
        assert_eq!(replies(&mut s, Duration::from_millis(500)).await.len(), 1);
        let addr = srv.http_addr;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let now = loop {
            let r = http_get(addr, "/api/v1/public/now", None).await;
            if r.starts_with("HTTP/1.1 200") && json_body(&r)["area"].is_object() {
                break json_body(&r);
            }
            assert!(tokio::time::Instant::now() < deadline, "no figures: {r}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert_eq!(now["area"]["aqi"], 100, "{now}");
        assert_eq!(now["area"]["category_zh"], "良");
        assert_eq!(now["area"]["colour"], "#FFFF00");
        assert_eq!(now["area"]["primary"], serde_json::json!(["PM2.5"]));
        assert_eq!(now["area"]["time"], "2025-01-01T09:00+08:00");
        let st = &now["stations"][0];
        assert_eq!(
            (st["code"].as_str(), st["name"].as_str()),
            (Some("DS"), Some("东四"))
        );
        assert_eq!(
            (st["aqi"].as_u64(), st["lon"].as_f64()),
            (Some(100), Some(116.4174))
        );

        let hash = auth::hash_password("a long password").unwrap();
        store.add_user("chen", &hash, "bureau", None, "test")
            .await.unwrap();
        store
            .add_user("wang", &hash, "department", Some("住建局"), "test")
            .await
            .unwrap();
        let (bureau, dept) = (
            auth::generate_token().unwrap(),
            auth::generate_token().unwrap(),
        );
        store
            .add_token("chen", &auth::token_hash(&bureau), None, "test")
            .await
            .unwrap();
        store
            .add_token("wang", &auth::token_hash(&dept), None, "test")
            .await
            .unwrap();

        // Any logged-in role reads the data; series as JSON and CSV.
        let h = http_get(addr, "/api/v1/stations/DS/hourly", Some(&dept)).await;
        assert!(h.starts_with("HTTP/1.1 200"), "{h}");
        let hours = json_body(&h)["hours"].clone();
        assert_eq!(hours.as_array().unwrap().len(), 1, "{hours}");
        assert_eq!(hours[0]["values"]["PM2.5"], 75);
        assert_eq!(hours[0]["values"]["CO"], 0.5);
        let csv = http_get(addr, "/api/v1/stations/DS/hourly?format=csv", Some(&dept)).await;
        assert!(csv.contains("text/csv"), "{csv}");
        let body = csv.split_once("\r\n\r\n").unwrap().1;
        assert_eq!(
            body,
            "time,aqi,category_zh,primary,PM2.5,PM10,SO2,NO2,CO,O3\n2025-01-01T09:00+08:00,100,良,PM2.5,75,50,10,40,0.5,60\n"
        );
        // The same as Excel: a zip holding a worksheet.
        let mut c = TcpStream::connect(addr).await.unwrap();
        let req = format!(
            "GET /api/v1/stations/DS/hourly?format=xlsx HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {dept}\r\nConnection: close\r\n\r\n"
        );
        c.write_all(req.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        c.read_to_end(&mut raw).await.unwrap();
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&raw[..split]);
        assert!(
            head.starts_with("HTTP/1.1 200")
                && head.contains("spreadsheetml")
                && head.contains("DS-hourly.xlsx"),
            "{head}"
        );
        let body = &raw[split + 4..];
        assert!(body.starts_with(b"PK\x03\x04"), "a zip");
        assert!(
            body.windows(24).any(|w| w == b"xl/worksheets/sheet1.xml"),
            "with a worksheet"
        );
        // The area's series and any period's statistics (assess's JSON).
        let area = json_body(&http_get(addr, "/api/v1/area/hourly", Some(&dept)).await);
        assert_eq!(area["hours"][0]["aqi"], 100, "{area}");
        let bad = http_get(addr, "/api/v1/area/weekly", Some(&dept)).await;
        assert!(
            bad.starts_with("HTTP/1.1 400") && bad.contains("weekly"),
            "{bad}"
        );
        let a = json_body(
            &http_get(
                addr,
                "/api/v1/assessment?from=2025-01-01&to=2025-01-31",
                Some(&dept),
            )
            .await,
        );
        assert_eq!(a["period"]["from"], "2025-01-01", "{a}");
        assert_eq!(a["stations"][0]["station"], "DS", "{a}");
        let bad = http_get(
            addr,
            "/api/v1/assessment?from=2025-02-01&to=2025-01-01",
            Some(&dept),
        )
        .await;
        assert!(bad.starts_with("HTTP/1.1 400"), "{bad}");
        let bad = http_get(
            addr,
            "/api/v1/assessment?from=2025-13-01&to=2025-12-31",
            Some(&dept),
        )
        .await;
        assert!(
            bad.starts_with("HTTP/1.1 400") && bad.contains("from=2025-13-01"),
            "{bad}"
        );
        // No wind direction reported: the rose is empty, and says so.
        let rose = json_body(&http_get(addr, "/api/v1/stations/DS/rose", Some(&dept)).await);
        assert_eq!(
            (rose["hours"].as_u64(), rose["code"].as_str()),
            (Some(0), Some("DS")),
            "{rose}"
        );
        // One hour makes no valid day (HJ 663 needs 20): the day has no AQI.
        let d = json_body(&http_get(addr, "/api/v1/stations/DS/daily", Some(&dept)).await);
        assert_eq!(
            (d["year"].as_i64(), d["days"][0]["date"].as_str()),
            (Some(2025), Some("2025-01-01"))
        );
        assert!(d["days"][0]["aqi"].is_null(), "{d}");
        let bad = http_get(addr, "/api/v1/stations/DS/hourly?days=99", Some(&dept)).await;
        assert!(
            bad.starts_with("HTTP/1.1 400") && bad.contains("days=99"),
            "{bad}"
        );
        let bad = http_get(addr, "/api/v1/stations/DS/hourly?format=pdf", Some(&dept)).await;
        assert!(
            bad.starts_with("HTTP/1.1 400") && bad.contains("format=pdf"),
            "{bad}"
        );
        let none = http_get(addr, "/api/v1/stations/XX/hourly", Some(&dept)).await;
        assert!(
            none.starts_with("HTTP/1.1 404") && none.contains("XX"),
            "{none}"
        );
        let t = json_body(&http_get(addr, "/api/v1/targets", Some(&dept)).await);
        assert_eq!(t["year"], 2025, "{t}");
        assert_eq!(t["status"]["pm25_target"], 30, "the configured target: {t}");
        assert_eq!(t["status"]["good_target"], 82.5, "the plan's default: {t}");
        let r = json_body(&http_get(addr, "/api/v1/rankings", Some(&dept)).await);
        assert_eq!(r["stations"][0]["code"], "DS", "{r}");

        // The boundary: bureau may upload, a department may not; bad GeoJSON says where.
        let gj = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"泌阳县"},"geometry":{"type":"Polygon","coordinates":[[[113.3,32.7],[113.5,32.7],[113.5,32.9],[113.3,32.7]]]}}]}"#;
        let auth_d = format!("Bearer {dept}");
        let auth_b = format!("Bearer {bureau}");
        let r = http(
            addr,
            "PUT",
            "/api/v1/boundary",
            &[("Authorization", &auth_d)],
            gj,
        )
        .await;
        assert!(r.starts_with("HTTP/1.1 403"), "{r}");
        let missing = http_get(addr, "/api/v1/public/boundary", None).await;
        assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
        let bad = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}}]}"#;
        let r = http(
            addr,
            "PUT",
            "/api/v1/boundary",
            &[("Authorization", &auth_b)],
            bad,
        )
        .await;
        assert!(
            r.starts_with("HTTP/1.1 400") && r.contains("features[0]: geometry: type Point"),
            "{r}"
        );
        let r = http(
            addr,
            "PUT",
            "/api/v1/boundary",
            &[("Authorization", &auth_b)],
            gj,
        )
        .await;
        assert!(r.starts_with("HTTP/1.1 200"), "{r}");
        let back = http_get(addr, "/api/v1/public/boundary", None).await;
        assert_eq!(back.split_once("\r\n\r\n").unwrap().1, gj);

        // The device page's figures and the raw-frame audit: a wrong
        // password is quarantined and counted against the device. (A new
        // connection: the first one has been idle past the test's 2 s.)
        let mut s = TcpStream::connect(srv.hj212_addr).await.unwrap();
        s.write_all(&upload(
            "20250101100000001",
            "MN100",
            "bad-pw",
            "2061",
            5,
            "20250101090000",
            cp,
        ))
        .await
        .unwrap();
        assert!(replies(&mut s, Duration::from_millis(500)).await.is_empty());
        // A frame without an answer is journaled by the next commit: poll.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let d = loop {
            let all = json_body(&http_get(addr, "/api/v1/devices", Some(&bureau)).await);
            let d = all
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["mn"] == "MN100")
                .unwrap()
                .clone();
            if d["quarantined_24h"] == 1 || tokio::time::Instant::now() > deadline {
                eprintln!(
                    "Q {}",
                    http_get(addr, "/api/v1/quarantine", Some(&bureau)).await
                );
                eprintln!(
                    "F {}",
                    http_get(addr, "/api/v1/frames", Some(&bureau)).await
                );
                break d;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(d["latest_data"], "2025-01-01 08:00:00+08:00", "{d}");
        assert_eq!(
            (d["stored_24h"].as_i64(), d["quarantined_24h"].as_i64()),
            (Some(1), Some(1)),
            "{d}"
        );
        assert_eq!(d["flagged_24h"], 0, "{d}");
        let csv = http_get(addr, "/api/v1/devices?format=csv", Some(&bureau)).await;
        let body = csv.split_once("\r\n\r\n").unwrap().1;
        assert!(body.starts_with("mn,site,site_name,kind,protocol,crc,enabled,online,last_seen,latest_data,stored_24h,"), "{body}");
        assert!(
            body.lines()
                .any(|l| l.starts_with("MN100,DS,东四,ambient,auto,hj212,true,true,")),
            "{body}"
        );
        let q = json_body(&http_get(addr, "/api/v1/quarantine", Some(&bureau)).await);
        assert_eq!(q[0]["mn"], "MN100", "{q}");
        assert!(q[0]["raw"].as_str().unwrap().contains("PW=bad-pw"), "{q}");
        assert!(!q[0]["reason"].as_str().unwrap().is_empty(), "{q}");
        let f = json_body(
            &http_get(
                addr,
                "/api/v1/frames?mn=MN100&verdict=stored",
                Some(&bureau),
            )
            .await,
        );
        assert_eq!(f.as_array().unwrap().len(), 1, "{f}");
        assert_eq!(f[0]["qn"], "20250101090000001");
        let bad = http_get(addr, "/api/v1/frames?verdict=lost", Some(&bureau)).await;
        assert!(
            bad.starts_with("HTTP/1.1 400") && bad.contains("verdict=lost"),
            "{bad}"
        );
        let no = http_get(addr, "/api/v1/frames", Some(&dept)).await;
        assert!(no.starts_with("HTTP/1.1 403"), "{no}");
        drop(s);
        srv.shutdown().await.unwrap();
    }
}

/// A device's `protocol` setting picks the dialect of its answers: a 2025
/// logger re-sending 2016 history (Flag=9 but an old DataTime, which reads
/// as 2017) is answered Flag=8 when set to 2025, Flag=4 on `auto`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_devices_protocol_setting_picks_the_answer_dialect() {
    let url = databases("dialect").await.remove(0);
    let (srv, store) = start_with(&url, |c| c.registry_refresh_s = 1).await;
    let mut dev = device("MN025", "123456", "hj212");
    dev.protocol = "2025".into();
    store.add_device(&dev).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    for (mn, flag) in [("MN025", "Flag=8"), ("MN001", "Flag=4")] {
        let mut s = TcpStream::connect(srv.hj212_addr).await.unwrap();
        s.write_all(&upload(
            "20160101090000001",
            mn,
            "123456",
            "2061",
            9,
            "20160101080000",
            HOUR,
        ))
        .await
        .unwrap();
        let r = replies(&mut s, Duration::from_millis(500)).await;
        assert_eq!(r.len(), 1, "{mn}: {r:?}");
        assert!(
            r[0].contains(";CN=9014;") && r[0].contains(flag),
            "{mn}: {}",
            r[0]
        );
    }
    srv.shutdown().await.unwrap();
}
