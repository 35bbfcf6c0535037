//! `lantian serve` as a process: replaying station data through the
//! simulator gives the same statistics as assessing the files; a SIGKILL
//! under load loses nothing that was acknowledged. SQLite always; PostgreSQL
//! with `LANTIAN_TEST_PG` (mandatory when `CI=true`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_lantian")
}

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/beijing-2016")
}

fn run(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .output()
        .expect("run lantian")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lantian-serve-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Fresh database URLs: SQLite in `dir`, and PostgreSQL when configured.
fn databases(dir: &Path, name: &str) -> Vec<String> {
    let mut urls = vec![format!("sqlite://{}", dir.join("lantian.db").display())];
    match std::env::var("LANTIAN_TEST_PG") {
        Ok(admin) => {
            let db = format!("lantian_c_{name}");
            let psql = |sql: &str| {
                Command::new("psql")
                    .args([admin.as_str(), "-q", "-c", sql])
                    .output()
                    .expect("psql")
            };
            psql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
            let out = psql(&format!("CREATE DATABASE {db}"));
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let base = admin.rsplit_once('/').unwrap().0;
            urls.push(format!("{base}/{db}"));
        }
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true: LANTIAN_TEST_PG must point at the CI machine's PostgreSQL")
        }
        Err(_) => eprintln!("SKIPPED: PostgreSQL variant of `{name}` (set LANTIAN_TEST_PG)"),
    }
    urls
}

/// `lantian import` of the Beijing fixture, then `assess --database`,
/// gives exactly what `assess --input` gives on the files; a second import
/// stores nothing; a CNEMC hour's stations are registered by their codes.
#[test]
fn import_then_assess_equals_assessing_the_files() {
    let dir = tempdir("import");
    let files = fixture();
    let files = files.to_str().unwrap();
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("input");
        v
    };
    let want = strip(
        serde_json::from_str(&ok(&run(&[
            "assess",
            "--input",
            files,
            "--exclude",
            "Dingling",
            "--year",
            "2016",
            "--json",
            "--quiet",
        ])))
        .unwrap(),
    );
    for db in databases(&dir, "import") {
        let out = ok(&run(&["import", "--database", &db, files, "--quiet"]));
        assert!(
            out.contains("registered 2 new stations as ambient sites: Dingling, Dongsi"),
            "{out}"
        );
        // 2 stations × 8,784 hours × 6 pollutants, less the hours missing.
        let stored = |out: &str| -> u64 {
            out.split("stored ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        assert!(stored(&out) > 100_000, "{out}");
        let got = strip(
            serde_json::from_str(&ok(&run(&[
                "assess",
                "--database",
                &db,
                "--exclude",
                "Dingling",
                "--year",
                "2016",
                "--json",
            ])))
            .unwrap(),
        );
        assert_eq!(got, want, "{db}");
        let again = ok(&run(&["import", "--database", &db, files, "--quiet"]));
        assert_eq!(stored(&again), 0, "{again}");
        assert!(
            again.contains(&format!("duplicates {} (already stored)", stored(&out))),
            "{again}"
        );
        assert!(!again.contains("registered"), "{again}");
        // A day of Dongsi marked invalid: one valid day fewer for every
        // pollutant, 24 × 6 values left out; `--raw` is the files' figures.
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let store = lantian_store::Store::connect(&db).await.unwrap();
            let from_s = 1_456_761_600; // 2016-03-01 00:00 +08:00
            let mark = lantian_store::reviews::NewReview {
                site_code: "Dongsi".into(),
                code: None,
                from_s,
                to_s: from_s + 86_400,
                reason: "fault".into(),
                note: "采样故障".into(),
                evidence: String::new(),
            };
            store.mark_review(&mark, "test").await.unwrap();
        });
        let assess = |extra: &[&str]| -> Value {
            let mut args = vec![
                "assess",
                "--database",
                &db,
                "--exclude",
                "Dingling",
                "--year",
                "2016",
                "--json",
            ];
            args.extend_from_slice(extra);
            serde_json::from_str(&ok(&run(&args))).unwrap()
        };
        let reviewed = assess(&[]);
        assert_eq!(
            reviewed["input"]["reviewed_out"], 144,
            "{}",
            reviewed["input"]
        );
        let days = |v: &Value, p: &str| v["area"]["pollutants"][p]["valid_days"].as_u64().unwrap();
        for p in ["PM2.5", "PM10", "SO2", "NO2", "CO"] {
            assert_eq!(days(&reviewed, p) + 1, days(&want, p), "{p}");
        }
        assert_eq!(strip(assess(&["--raw"])), want, "{db}");
        // A CNEMC hour: stations by code (1002A 定陵(对照点) is site 1002A),
        // background sites kept out of the area.
        let cnemc = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../standards/tests/fixtures/cnemc-2022-01-01T00.csv");
        let o = run(&[
            "import",
            "--database",
            &db,
            cnemc.to_str().unwrap(),
            "--quiet",
        ]);
        let out = ok(&o);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(out.contains("1002A"), "{out}");
        assert!(!err.contains("refused station"), "{err}");
    }
}

/// Starts `lantian serve` on free ports; returns the child and the HJ 212 address.
fn serve(db: &str) -> (Child, String) {
    let (child, hj, _) = serve_with(db, "127.0.0.1:0", None);
    (child, hj)
}

/// Starts `lantian serve` with its HJ 212 listener on `hj212` and an
/// optional config file; returns the child and its HJ 212 and HTTP addresses.
fn serve_with(db: &str, hj212: &str, config: Option<&Path>) -> (Child, String, String) {
    let mut args = vec![
        "serve".to_string(),
        "--database".into(),
        db.into(),
        "--hj212".into(),
        hj212.into(),
        "--http".into(),
        "127.0.0.1:0".into(),
    ];
    if let Some(c) = config {
        args.push("--config".into());
        args.push(c.display().to_string());
    }
    let mut child = Command::new(bin())
        .args(&args)
        .env("LANTIAN_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let (hj, http) = loop {
        let line = lines.next().expect("serve printed its addresses").unwrap();
        if let Some(rest) = line.strip_prefix("lantian serve: HJ 212 on ") {
            let (hj, rest) = rest.split_once(',').unwrap();
            let http = rest
                .trim()
                .strip_prefix("HTTP on ")
                .unwrap()
                .split(' ')
                .next()
                .unwrap();
            break (hj.to_string(), http.to_string());
        }
    };
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, hj, http)
}

/// A plain HTTP GET (no client crate): the body.
fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return String::new();
    };
    let _ = write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    );
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default()
}

/// A metric's value for one label set, e.g. `lantian_forward_backlog{target="city"}`.
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
}

fn register(dir: &Path, db: &str, devices: &str) {
    let csv = dir.join("devices.csv");
    let f = fixture();
    ok(&run(&[
        "simulate",
        "--from",
        f.to_str().unwrap(),
        "--devices",
        devices,
        "--write-devices",
        csv.to_str().unwrap(),
    ]));
    let out = ok(&run(&[
        "device",
        "import",
        "--database",
        db,
        csv.to_str().unwrap(),
    ]));
    assert!(
        out.contains(&format!("imported {devices} devices")),
        "{out}"
    );
}

fn stop(mut child: Child) {
    unsafe_kill(child.id(), "TERM");
    let _ = child.wait();
}

fn unsafe_kill(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status();
}

#[test]
fn replay_through_serve_gives_the_same_statistics_as_the_files() {
    let dir = tempdir("replay");
    for db in databases(&dir, "replay") {
        register(&dir, &db, "2");
        let (child, addr) = serve(&db);
        let acks = dir.join("acks.txt");
        let f = fixture();
        let sim = ok(&run(&[
            "simulate",
            "--target",
            &addr,
            "--from",
            f.to_str().unwrap(),
            "--devices",
            "2",
            "--duration",
            "300",
            "--ack-log",
            acks.to_str().unwrap(),
        ]));
        let summary: Value = serde_json::from_str(sim.trim()).unwrap();
        // Hours of the two files with at least one pollutant (counted apart
        // with Python's csv module): one 2061 upload each.
        assert_eq!(
            summary["acked"], 17176,
            "{db}: every hour with data: {summary}"
        );
        assert_eq!(summary["failed"], 0);
        stop(child);
        let audit: Value = serde_json::from_str(
            ok(&run(&[
                "audit",
                "acks",
                "--database",
                &db,
                acks.to_str().unwrap(),
            ]))
            .trim(),
        )
        .unwrap();
        assert_eq!(audit["missing"], 0, "{db}");
        let from_db: Value = serde_json::from_str(&ok(&run(&[
            "assess",
            "--database",
            &db,
            "--json",
            "--quiet",
        ])))
        .unwrap();
        let from_files: Value = serde_json::from_str(&ok(&run(&[
            "assess",
            "--input",
            f.to_str().unwrap(),
            "--exclude",
            "Dingling",
            "--json",
            "--quiet",
        ])))
        .unwrap();
        assert_eq!(from_db["area"], from_files["area"], "{db}: area statistics");
        assert_eq!(from_db["targets"], from_files["targets"], "{db}");
        for st in from_files["stations"].as_array().unwrap() {
            let name = st["station"].as_str().unwrap();
            let mine = from_db["stations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["station"] == name)
                .unwrap();
            assert_eq!(mine["pollutants"], st["pollutants"], "{db}: {name}");
            assert_eq!(
                mine["composite_index"], st["composite_index"],
                "{db}: {name}"
            );
            assert_eq!(mine["days"], st["days"], "{db}: {name}");
        }
    }
}

#[test]
fn sigkill_under_load_loses_nothing_acknowledged() {
    let dir = tempdir("crash");
    for db in databases(&dir, "crash") {
        register(&dir, &db, "20");
        let (mut child, addr) = serve(&db);
        let acks = dir.join("acks.txt");
        let f = fixture();
        let sim = Command::new(bin())
            .args([
                "simulate",
                "--target",
                &addr,
                "--from",
                f.to_str().unwrap(),
                "--devices",
                "20",
                "--duration",
                "6",
                "--timeout",
                "1",
                "--retries",
                "1",
                "--ack-log",
                acks.to_str().unwrap(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(1500));
        child.kill().unwrap(); // SIGKILL, in the middle of commits
        let _ = child.wait();
        let out = sim.wait_with_output().unwrap();
        let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(
            summary["acked"].as_u64().unwrap() > 100,
            "{db}: load before the kill: {summary}"
        );
        assert!(
            summary["failed"].as_u64().unwrap() > 0,
            "{db}: the kill interrupted the run: {summary}"
        );
        // Restart on the same database: it opens, recovers and serves.
        let (child, _addr) = serve(&db);
        stop(child);
        let audit = run(&["audit", "acks", "--database", &db, acks.to_str().unwrap()]);
        let v: Value = serde_json::from_str(ok(&audit).trim()).unwrap();
        assert_eq!(v["missing"], 0, "{db}: {v}");
        assert_eq!(v["acked"], summary["acked"], "{db}");
    }
}

/// A county `serve` forwards to a city `serve` (another lantian as the
/// upper platform); the city is killed (SIGKILL) in the middle of the
/// county's intake and restarted on the same port and database. Afterwards
/// every frame the county acknowledged to its devices is at the city, with
/// the same values, none twice (`lantian audit acks --against`).
#[test]
fn forwarding_to_a_city_survives_the_city_being_killed() {
    let county_dir = tempdir("fwd-county");
    let city_dir = tempdir("fwd-city");
    let pairs: Vec<(String, String)> = databases(&county_dir, "fwd_county")
        .into_iter()
        .zip(databases(&city_dir, "fwd_city"))
        .collect();
    for (county, city) in pairs {
        register(&county_dir, &county, "5");
        register(&city_dir, &city, "5");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let city_addr = port.to_string();
        let (city_child, _, _) = serve_with(&city, &city_addr, None);
        let config = county_dir.join("county.toml");
        std::fs::write(
            &config,
            format!(
                "[[forward]]\nname = \"city\"\ntarget = \"{city_addr}\"\nprotocol = \"2017\"\ndevices = \"*\"\nwindow = 16\nack_timeout_s = 2\n"
            ),
        )
        .unwrap();
        let (county_child, county_hj, county_http) =
            serve_with(&county, "127.0.0.1:0", Some(&config));
        let acks = county_dir.join("acks.txt");
        let f = fixture();
        let sim = Command::new(bin())
            .args([
                "simulate",
                "--target",
                &county_hj,
                "--from",
                f.to_str().unwrap(),
                "--devices",
                "5",
                "--duration",
                "5",
                "--ack-log",
                acks.to_str().unwrap(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(1500));
        let mut city_child = city_child;
        city_child.kill().unwrap(); // SIGKILL, frames in flight
        let _ = city_child.wait();
        std::thread::sleep(Duration::from_millis(1500));
        let (city_child, _, _) = serve_with(&city, &city_addr, None);
        let out = sim.wait_with_output().unwrap();
        let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
        let sent = summary["acked"].as_u64().unwrap();
        assert!(sent > 200, "{county}: load: {summary}");
        // The county catches up: everything acknowledged by the city.
        let series = |name: &str| format!("{name}{{target=\"city\"}}");
        let deadline = std::time::Instant::now() + Duration::from_secs(90);
        let m = loop {
            let m = http_get(&county_http, "/metrics");
            let backlog = metric(&m, &series("lantian_forward_backlog"));
            let acked = metric(&m, &series("lantian_forward_acked_total")).unwrap_or(0.0);
            if backlog == Some(0.0) && acked >= sent as f64 {
                break m;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{county}: the forwarder did not catch up ({sent} sent by the devices): {m}"
            );
            std::thread::sleep(Duration::from_millis(300));
        };
        // Frames in flight at the kill were sent again (how many depends on
        // the moment; the audit below is what must hold).
        eprintln!(
            "{county}: {sent} frames; re-sent after the kill: {:?}",
            metric(&m, &series("lantian_forward_resent_total"))
        );
        stop(county_child);
        stop(city_child);
        let audit = run(&[
            "audit",
            "acks",
            "--database",
            &city,
            "--against",
            &county,
            acks.to_str().unwrap(),
        ]);
        let v: Value = serde_json::from_str(ok(&audit).trim()).unwrap();
        assert_eq!(
            (
                v["acked"].as_u64(),
                v["missing"].as_u64(),
                v["different"].as_u64()
            ),
            (Some(sent), Some(0), Some(0)),
            "{county} → {city}: {v}"
        );
    }
}
