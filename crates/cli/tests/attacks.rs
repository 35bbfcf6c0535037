//! What broke the demo when it was attacked, tried again on the binary as a
//! process: many device pages at once on the demo's database must leave
//! ingest acknowledging, and connections beyond the descriptor budget must
//! be refused while health and commits go on.

#[path = "common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{get, login, metric, request, start_demo_with};

fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("lantian-attacks-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Acknowledgements over `secs` seconds.
fn acks_in(addr: &str, secs: u64) -> u64 {
    let before = metric(addr, "lantian_replies_sent_total");
    std::thread::sleep(Duration::from_secs(secs));
    metric(addr, "lantian_replies_sent_total") - before
}

/// The demo's whole database (1.5 years of 12 stations loaded), its
/// stations replaying live; fifty device pages at once (before: each call
/// ran for minutes on the read that ingest needed, the pool ran dry,
/// commits failed and `/healthz` turned 503).
#[test]
fn fifty_device_pages_at_once_leave_ingest_acknowledging() {
    let dir = tempdir("devices");
    let demo = start_demo_with(&dir, &["--every", "0.5"]);
    let addr = demo.addr.clone();
    let cookie = login(&addr, "admin", &demo.password);
    // Ingest's rate before: 12 stations, an hour each every 0.5 s.
    let before = acks_in(&addr, 6);
    assert!(before > 0, "the demo replays nothing");
    let started = Instant::now();
    let calls: Vec<_> = (0..50)
        .map(|_| {
            let (addr, cookie) = (addr.clone(), cookie.clone());
            std::thread::spawn(move || {
                request(
                    &addr,
                    "GET",
                    "/api/v1/devices",
                    &[("Cookie", &cookie)],
                    "",
                    Duration::from_secs(60),
                )
                .0
            })
        })
        .collect();
    let during = acks_in(&addr, 6);
    let (health, _) = get(&addr, "/healthz");
    let codes: Vec<u16> = calls.into_iter().map(|c| c.join().unwrap()).collect();
    let took = started.elapsed();
    assert!(codes.iter().all(|c| *c == 200), "{codes:?} after {took:?}");
    assert_eq!(health, 200, "/healthz during the calls");
    assert!(
        during * 2 >= before,
        "ingest slowed from {before} to {during} acknowledgements in 6 s"
    );
    assert_eq!(metric(&addr, "lantian_commit_errors_total"), 0);
    // The page's figures are right on this database: every station stored
    // its live hours, none is flagged or duplicated.
    let (_, _, body) = request(
        &addr,
        "GET",
        "/api/v1/devices",
        &[("Cookie", &cookie)],
        "",
        Duration::from_secs(30),
    );
    let devices: serde_json::Value = serde_json::from_str(&body).unwrap();
    // 12 stations, and the sample firms' 8 stacks, one 分表计电 meter and
    // the six production meters the alert's compliance is judged on.
    assert_eq!(devices.as_array().unwrap().len(), 27);
    let stations: Vec<&serde_json::Value> = devices
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "ambient")
        .collect();
    assert_eq!(stations.len(), 12);
    for d in stations {
        assert!(d["stored_24h"].as_i64().unwrap() > 0, "{d}");
        assert_eq!(d["duplicates_24h"], 0, "{d}");
        assert!(
            d["latest_data"].as_str().unwrap().starts_with("2016-07"),
            "{d}"
        );
    }
    drop(demo);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `lantian serve` under a descriptor limit of 300 (before: the connection
/// limit was the descriptor limit, so idle connections took every
/// descriptor, SQLite could not open its files and health stopped
/// answering, while nothing was counted as refused).
#[test]
fn connections_beyond_the_descriptor_budget_are_refused_and_health_and_commits_go_on() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::{Command, Stdio};
    let dir = tempdir("fds");
    let db = format!("sqlite://{}", dir.join("fd.db").display());
    let bin = env!("CARGO_BIN_EXE_lantian");
    let add = Command::new(bin)
        .args([
            "device",
            "add",
            "--database",
            &db,
            "--mn",
            "FD001",
            "--password",
            "123456",
            "--site",
            "FD",
        ])
        .output()
        .unwrap();
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let mut child = Command::new("sh")
        .args(["-c", &format!("ulimit -n 300 && exec {bin} serve --database {db} --hj212 127.0.0.1:0 --http 127.0.0.1:0")])
        .env("LANTIAN_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let (mut hj212, mut http, mut budget) = (String::new(), String::new(), String::new());
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.contains("file descriptors") {
            budget = line.clone();
        }
        if let Some(rest) = line.strip_prefix("lantian serve: HJ 212 on ") {
            let (a, b) = rest.split_once(", HTTP on ").unwrap();
            hj212 = a.to_string();
            http = b.split_whitespace().next().unwrap().to_string();
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    // 400 idle connections: more than the budget allows.
    let mut idle: Vec<std::net::TcpStream> = (0..400)
        .filter_map(|_| std::net::TcpStream::connect(&hj212).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let refused = metric(&http, "lantian_connections_refused_total");
    assert!(refused > 0, "nothing refused: {budget}");
    let (health, body) = get(&http, "/healthz");
    assert_eq!(health, 200, "{body}");
    // Free some places; a device's upload is stored and answered.
    drop(idle.drain(..200).collect::<Vec<_>>());
    std::thread::sleep(Duration::from_millis(500));
    let seg = lantian_hj212::build::SegmentBuilder::new()
        .qn("20250101090000001")
        .st("22")
        .cn("2061")
        .pw("123456")
        .mn("FD001")
        .flag(5)
        .cp("DataTime", "20250101080000")
        .cp_raw("a34004-Avg=35,a34004-Flag=N")
        .build();
    let mut dev = std::net::TcpStream::connect(&hj212).unwrap();
    dev.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    dev.write_all(&lantian_hj212::build::frame(&seg).unwrap())
        .unwrap();
    let mut buf = [0u8; 512];
    let n = dev.read(&mut buf).unwrap_or(0);
    let reply = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(reply.contains("CN=9014"), "no answer: {reply:?}");
    assert_eq!(metric(&http, "lantian_commit_errors_total"), 0);
    assert_eq!(get(&http, "/healthz").0, 200);
    assert!(
        budget.contains("nofile=300"),
        "the budget is logged: {budget}"
    );
    drop(idle);
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
