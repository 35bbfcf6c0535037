//! Helpers of the binary's process tests: `lantian demo` as a process, and
//! plain HTTP over loopback without a client library.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};

/// GET over loopback without a client library: (status, body).
pub fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out.split_once("\r\n\r\n").map_or("", |x| x.1).to_string();
    // Bodies here are small and not chunked (axum sends Content-Length).
    (status, body)
}

pub struct Demo {
    pub child: Child,
    pub addr: String,
    pub hj212: String,
    pub password: String,
    pub db: String,
    /// The other logins the demo printed: (user, password).
    pub staff: Vec<(String, String)>,
}

impl Demo {
    /// The printed password of `user`.
    pub fn password_of(&self, user: &str) -> &str {
        self.staff
            .iter()
            .find(|(u, _)| u == user)
            .map(|(_, p)| p.as_str())
            .unwrap_or_else(|| panic!("the demo printed no login for {user}"))
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `lantian demo` on free ports with a database in `dir` and the
/// extra `args`; returns once it has printed its addresses and login.
pub fn start_demo_with(dir: &std::path::Path, args: &[&str]) -> Demo {
    let db = format!("sqlite://{}", dir.join("demo.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_lantian"))
        .args([
            "demo",
            "--database",
            &db,
            "--http",
            "127.0.0.1:0",
            "--hj212",
            "127.0.0.1:0",
        ])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start lantian demo");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut addr, mut password, mut hj212) = (String::new(), String::new(), String::new());
    let mut staff = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.trim().strip_prefix("dashboard:") {
            addr = rest
                .trim()
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .to_string();
        }
        if let Some(rest) = line.trim().strip_prefix("login:") {
            password = rest.split_whitespace().nth(2).unwrap().to_string();
        }
        // The staff's lines under the login: `user / password   (role…)`.
        if !password.is_empty()
            && let [user, "/", pw, ..] = line.split_whitespace().collect::<Vec<_>>()[..]
            && user != "login:"
        {
            staff.push((user.to_string(), pw.to_string()));
        }
        if let Some(rest) = line.trim().strip_prefix("HJ 212:") {
            hj212 = rest.split_whitespace().next().unwrap().to_string();
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    assert!(
        !addr.is_empty() && !password.is_empty(),
        "demo printed no address or login"
    );
    Demo {
        child,
        addr,
        hj212,
        password,
        db,
        staff,
    }
}

/// The browser test's demo: a week preloaded, then every station's next
/// hour each second.
pub fn start_demo(dir: &std::path::Path) -> Demo {
    start_demo_with(dir, &["--live-from", "2015-01-08", "--every", "1"])
}

/// A request over loopback: (status, the raw head, body). The connection
/// times out after `timeout`, which counts as status 0.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
    timeout: std::time::Duration,
) -> (u16, String, String) {
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return (0, String::new(), String::new());
    };
    let _ = s.set_read_timeout(Some(timeout));
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let _ = write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut out = String::new();
    if s.read_to_string(&mut out).is_err() || out.len() < 12 {
        return (0, String::new(), out);
    }
    let status = out[9..12].parse().unwrap_or(0);
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    (status, head.to_string(), body.to_string())
}

/// Logs in; the session cookie.
pub fn login(addr: &str, user: &str, password: &str) -> String {
    let body = format!(r#"{{"username":"{user}","password":"{password}"}}"#);
    let (status, head, body) = request(
        addr,
        "POST",
        "/api/v1/login",
        &[("Content-Type", "application/json")],
        &body,
        std::time::Duration::from_secs(30),
    );
    assert_eq!(status, 200, "login: {head}\n{body}");
    head.lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .and_then(|l| l.split_once(": "))
        .and_then(|(_, v)| v.split(';').next())
        .expect("a session cookie")
        .to_string()
}

/// A counter or gauge of `/metrics`.
pub fn metric(addr: &str, name: &str) -> u64 {
    let (_, body) = get(addr, "/metrics");
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or(0)
}
