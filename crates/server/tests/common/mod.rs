//! Helpers shared by the server's tests: a fresh database per test on each
//! backend, the real server on random ports, HJ 212 frames and a plain
//! HTTP client. PostgreSQL variants need `LANTIAN_TEST_PG` (an admin URL
//! such as `postgres://root@127.0.0.1:5432/test`; each test creates its own
//! database). With `CI=true` they are mandatory; elsewhere they say they
//! were skipped.
#![allow(dead_code)]

use std::time::Duration;

use lantian_hj212::build::{self, SegmentBuilder};
use lantian_hj212::frame::{Event, Framer, FramerConfig};
use lantian_server::Config;
use lantian_store::{DeviceSpec, Site, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub use lantian_store::testing::databases;

pub fn site(code: &str) -> Site {
    Site {
        code: lantian_types::SiteCode::parse(code).unwrap(),
        name: code.into(),
        kind: "ambient".parse().unwrap(),
        township: None,
        lon: None,
        lat: None,
        assessment: true,
    }
}

pub fn device(mn: &str, pw: &str, crc: &str) -> DeviceSpec {
    DeviceSpec {
        mn: lantian_types::Mn::parse(mn).unwrap(),
        password: pw.into(),
        site: site(&format!("S-{mn}")),
        kind: "ambient".parse().unwrap(),
        protocol: "auto".parse().unwrap(),
        crc: crc.parse().unwrap(),
        unit_overrides: String::new(),
        rtd_interval_s: None,
        min_interval_min: None,
        sm4_key_sealed: None,
    }
}

pub async fn start(url: &str) -> (lantian_server::Running, Store) {
    start_with(url, |_| {}).await
}

/// Starts a server on `url` with two devices (MN001 hj212, MN002 modbus),
/// test timings, and whatever `tweak` changes.
pub async fn start_with(
    url: &str,
    tweak: impl FnOnce(&mut Config),
) -> (lantian_server::Running, Store) {
    let store = Store::connect(url).await.unwrap();
    store
        .add_device(&device("MN001", "123456", "hj212"), "test")
        .await
        .unwrap();
    store
        .add_device(&device("MN002", "654321", "modbus"), "test")
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

pub fn upload(
    qn: &str,
    mn: &str,
    pw: &str,
    cn: &str,
    flag: u8,
    data_time: &str,
    cp: &str,
) -> Vec<u8> {
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
pub async fn replies(s: &mut TcpStream, wait: Duration) -> Vec<String> {
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

pub const HOUR: &str =
    "a21026-Avg=12,a21026-Flag=N;a34004-Avg=35.5,a34004-Flag=N;a21005-Avg=0.8,a21005-Flag=N";

pub async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> String {
    String::from_utf8_lossy(&http_bytes(addr, method, path, headers, body.as_bytes()).await)
        .into_owned()
}

/// One request with a body of any bytes; the whole raw answer.
pub async fn http_bytes(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut c = TcpStream::connect(addr).await.unwrap();
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    c.write_all(&req).await.unwrap();
    let mut out = Vec::new();
    c.read_to_end(&mut out).await.unwrap();
    out
}

pub async fn http_get(addr: std::net::SocketAddr, path: &str, token: Option<&str>) -> String {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    http(addr, "GET", path, &headers, "").await
}

pub fn json_body(response: &str) -> serde_json::Value {
    serde_json::from_str(response.split_once("\r\n\r\n").unwrap().1).unwrap()
}

/// The status code of a raw HTTP answer.
pub fn status(response: &str) -> u16 {
    response
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// Adds a user with `role` (and `scope`) whose password is "a long
/// password", and issues it an API token; returns the token.
pub async fn user_with_token(store: &Store, name: &str, role: &str, scope: Option<&str>) -> String {
    use lantian_server::auth;
    let hash = auth::hash_password("a long password").unwrap();
    store
        .add_user(name, &hash, role, scope, "test")
        .await
        .unwrap();
    let token = auth::generate_token().unwrap();
    store
        .add_token(name, &auth::token_hash(&token), None, "test")
        .await
        .unwrap();
    token
}

/// Logs in as `name` with `password` (JSON, as the page does); the raw answer.
pub async fn login_as(
    addr: std::net::SocketAddr,
    name: &str,
    password: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut headers = vec![("Content-Type", "application/json")];
    headers.extend_from_slice(extra);
    let body = serde_json::json!({"username": name, "password": password}).to_string();
    http(addr, "POST", "/api/v1/login", &headers, &body).await
}

/// The session cookie (`lantian_session=…`) a login answer sets.
pub fn session_cookie(response: &str) -> Option<String> {
    let line = response
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))?;
    Some(line.split_once(": ")?.1.split(';').next()?.to_string())
}

/// The value of a header of a raw answer (name in any case).
pub fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    let head = response.split("\r\n\r\n").next()?;
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// A JSON request with a token: (status, JSON body or null).
pub async fn call(
    a: std::net::SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> (u16, serde_json::Value) {
    let auth = format!("Bearer {token}");
    let r = http(
        a,
        method,
        path,
        &[
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
        ],
        body,
    )
    .await;
    let v = r
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(serde_json::Value::Null);
    (status(&r), v)
}

/// A body of bytes POSTed with a token: (status, JSON body or null).
pub async fn upload_bytes(
    a: std::net::SocketAddr,
    path: &str,
    token: &str,
    body: &[u8],
) -> (u16, serde_json::Value) {
    let auth = format!("Bearer {token}");
    let r = http_bytes(
        a,
        "POST",
        path,
        &[
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/octet-stream"),
        ],
        body,
    )
    .await;
    let r = String::from_utf8_lossy(&r).into_owned();
    let v = r
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(serde_json::Value::Null);
    (status(&r), v)
}
