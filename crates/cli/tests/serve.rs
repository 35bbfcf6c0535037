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

/// The model of a report as the golden files hold it: when and from which
/// database it was made left out.
fn report_model(db: &str, args: &[&str], dir: &Path) -> Value {
    let out = dir.join("model.json");
    let mut a = vec!["report"];
    a.extend_from_slice(args);
    a.extend(["--database", db, "--out", out.to_str().unwrap()]);
    ok(&run(&a));
    let mut v: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let meta = v["meta"].as_object_mut().unwrap();
    meta.remove("made_at");
    meta.remove("source");
    v
}

/// Reports from a fixed database: each model equals its committed golden
/// JSON (`LANTIAN_BLESS=1` rewrites them), its figures are `assess
/// --database`'s for the same period, the PDF's text holds the month's
/// county PM2.5, and the workbook's cells are the model's. SQLite and
/// PostgreSQL give the same models.
#[test]
fn reports_are_the_assessment_rendered() {
    let dir = tempdir("reports");
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reports");
    let cases: [(&str, &[&str]); 3] = [
        (
            "monthly-2016-05",
            &["monthly", "--month", "2016-05", "--format", "json"],
        ),
        (
            "daily-2016-05-03",
            &["daily", "--date", "2016-05-03", "--format", "json"],
        ),
        (
            "annual-2016",
            &["annual", "--year", "2016", "--format", "json"],
        ),
    ];
    let files = fixture();
    let mut first: Option<Vec<Value>> = None;
    for db in databases(&dir, "reports") {
        ok(&run(&[
            "import",
            "--database",
            &db,
            files.to_str().unwrap(),
            "--quiet",
        ]));
        let models: Vec<Value> = cases
            .iter()
            .map(|(name, args)| {
                let got = report_model(&db, args, &dir);
                let path = golden.join(format!("{name}.json"));
                if std::env::var("LANTIAN_BLESS").is_ok() && db.starts_with("sqlite") {
                    std::fs::write(&path, serde_json::to_string_pretty(&got).unwrap() + "\n")
                        .unwrap();
                }
                let want: Value = serde_json::from_slice(&std::fs::read(&path).unwrap())
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(got, want, "{db}: {name} differs from {}", path.display());
                got
            })
            .collect();
        // The figures are assess's for the same period.
        let assess: Value = serde_json::from_str(&ok(&run(&[
            "assess",
            "--database",
            &db,
            "--from",
            "2016-05-01",
            "--to",
            "2016-05-31",
            "--json",
        ])))
        .unwrap();
        let m = &models[0];
        assert_eq!(m["area"]["stats"][0]["pollutant"], "PM2.5");
        assert_eq!(
            m["area"]["stats"][0]["value"],
            assess["area"]["pollutants"]["PM2.5"]["mean"]
        );
        assert_eq!(m["area"]["stats"][0]["value"], 56);
        assert_eq!(
            m["area"]["days"]["good_ratio"],
            assess["area"]["good_ratio"]
        );
        assert_eq!(m["area"]["composite"], assess["area"]["composite_index"]);
        assert_eq!(
            m["area"]["days"]["by_level"],
            serde_json::json!([1, 16, 6, 4, 3, 0])
        );
        // The month's calendar is the county's daily series.
        let series = ok(&run(&[
            "assess",
            "--database",
            &db,
            "--series",
            "daily",
            "--from",
            "2016-05-01",
            "--to",
            "2016-05-31",
        ]));
        let area_days: Vec<&str> = series.lines().filter(|l| l.starts_with("area,")).collect();
        assert_eq!(m["calendar"].as_array().unwrap().len(), area_days.len());
        for (day, line) in m["calendar"].as_array().unwrap().iter().zip(&area_days) {
            let aqi = line.split(',').nth(3).unwrap();
            assert_eq!(day["aqi"].to_string().replace("null", "NA"), aqi, "{line}");
        }
        // The brief's county AQI of 3 May is the series' (59, 良).
        assert_eq!(models[1]["county"]["aqi"], 59);
        assert_eq!(models[1]["county"]["category"], "良");
        match &first {
            None => first = Some(models.clone()),
            Some(f) => assert_eq!(f, &models, "{db} made other models than SQLite"),
        }
        if !db.starts_with("sqlite") {
            continue;
        }
        // The PDF: its text holds the month's county PM2.5 as assess has it.
        let pdf = dir.join("m.pdf");
        let out = ok(&run(&[
            "report",
            "monthly",
            "--database",
            &db,
            "--month",
            "2016-05",
            "--out",
            pdf.to_str().unwrap(),
        ]));
        assert!(out.contains("wrote"), "{out}");
        let bytes = std::fs::read(&pdf).unwrap();
        assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
        match Command::new("pdftotext")
            .args([pdf.to_str().unwrap(), "-"])
            .output()
        {
            Ok(t) if t.status.success() => {
                let text = String::from_utf8_lossy(&t.stdout);
                assert!(text.contains("PM2.5 月均浓度 56 µg/m³"), "{text}");
                assert!(text.contains("泌阳县环境空气质量月报"), "{text}");
                assert!(text.contains("第 1 页") || text.contains("第1页"), "{text}");
            }
            _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("CI=true: pdftotext (poppler-utils) must be installed")
            }
            _ => eprintln!("SKIPPED: the PDF's text (install poppler-utils)"),
        }
        // The workbook: the 站点 sheet's cells are the model's stations.
        let xlsx = dir.join("m.xlsx");
        ok(&run(&[
            "report",
            "monthly",
            "--database",
            &db,
            "--month",
            "2016-05",
            "--out",
            xlsx.to_str().unwrap(),
        ]));
        use calamine::{Data, Reader};
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
        let names = wb.sheet_names().to_vec();
        assert_eq!(&names[..3], ["全县", "天数", "站点"], "{names:?}");
        let sheet = wb.worksheet_range("站点").unwrap();
        assert_eq!(sheet.get((1, 1)), Some(&Data::String("站点".into())));
        assert_eq!(
            sheet.get((1, 4)),
            Some(&Data::String("PM2.5(µg/m³)".into()))
        );
        let stations = m["stations"].as_array().unwrap();
        assert_eq!(sheet.height(), 2 + stations.len());
        for (i, s) in stations.iter().enumerate() {
            let row = 2 + i;
            assert_eq!(
                sheet.get((row, 1)),
                Some(&Data::String(s["name"].as_str().unwrap().into()))
            );
            let num = |c: usize| match sheet.get((row, c)) {
                Some(Data::Float(f)) => serde_json::json!(f),
                other => panic!("{row},{c}: {other:?}"),
            };
            assert_eq!(num(4).as_f64(), s["pm25"].as_f64(), "{s}");
            assert_eq!(num(10).as_f64(), s["composite"].as_f64(), "{s}");
        }
        let county = wb.worksheet_range("全县").unwrap();
        assert_eq!(county.get((2, 0)), Some(&Data::String("PM2.5".into())));
        assert_eq!(county.get((2, 3)), Some(&Data::Float(56.0)));
    }
    // With sand-dust marked and the CNEMC variant (dust kept in the day
    // counts), the month's day counts and the year's day targets are still
    // assess's.
    let db = format!("sqlite://{}", dir.join("lantian.db").display());
    ok(&run(&[
        "review",
        "mark",
        "--database",
        &db,
        "--station",
        "Dongsi",
        "--from",
        "2016-05-10",
        "--to",
        "2016-05-13",
        "--reason",
        "sand_dust",
        "--note",
        "沙尘",
    ]));
    let cfg = dir.join("dust.toml");
    std::fs::write(&cfg, "review_dust_in_day_counts = true\n").unwrap();
    for (config, flag) in [(None, None), (Some(&cfg), Some("--dust-in-day-counts"))] {
        let mut a = vec!["monthly", "--month", "2016-05", "--format", "json"];
        if let Some(c) = config {
            a.extend(["--config", c.to_str().unwrap()]);
        }
        let m = report_model(&db, &a, &dir);
        let mut q = vec![
            "assess",
            "--database",
            &db,
            "--from",
            "2016-05-01",
            "--to",
            "2016-05-31",
            "--json",
        ];
        q.extend(flag);
        let want: Value = serde_json::from_str(&ok(&run(&q))).unwrap();
        let days = &want["area"]["days"];
        assert_eq!(m["area"]["days"]["valid"], days["valid"], "{flag:?}");
        assert_eq!(m["area"]["days"]["good"], days["good"], "{flag:?}");
        assert_eq!(
            m["area"]["days"]["good_ratio"], want["area"]["good_ratio"],
            "{flag:?}"
        );
        assert_eq!(
            m["area"]["stats"][0]["value"], want["area"]["pollutants"]["PM2.5"]["mean"],
            "{flag:?}"
        );
        assert!(m["meta"]["reviewed_out"].as_u64().unwrap() > 0);
        // The calendar's levels are the days the counts take.
        let good = m["calendar"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["level"].as_u64().is_some_and(|l| l <= 2))
            .count();
        assert_eq!(Some(good as u64), days["good"].as_u64(), "{flag:?}");
    }
    // A period without data is refused with the data's span.
    let out = run(&[
        "report",
        "monthly",
        "--database",
        &db,
        "--month",
        "2019-01",
        "--out",
        "/dev/null",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no data in 2019-01-01..2019-01-31") && err.contains("2016-01-01"),
        "{err}"
    );
    // A report without its period names the flag it needs.
    let out = run(&["report", "annual", "--database", &db, "--out", "/dev/null"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --year"));
}
