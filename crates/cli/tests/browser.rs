//! The dashboard in headless Chromium (Debian's `chromium` and
//! `chromedriver`), against `lantian demo` as a process: the public page
//! without login, logging in, the overview's markers in the official colour
//! of their AQI, the targets page against the API, a station's chart and
//! calendar, rankings, the device page for an admin and its refusal for a
//! department user, a phone-width page without sideways scrolling, and data
//! that moves while the test watches. Screenshots go to
//! `target/tmp/browser-screenshots/` so a failure can be looked at.
//!
//! Skipped (with a message) when `chromedriver` is missing, unless
//! `LANTIAN_TEST_BROWSER=1` (set by `.ci/run`), which makes it mandatory.

#[path = "common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{get, start_demo};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

fn shots() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The official colour of an AQI (HJ 633 Table 2), written out here
/// independently of the engine.
fn official_colour(aqi: u32) -> &'static str {
    match aqi {
        0..=50 => "#00E400",
        51..=100 => "#FFFF00",
        101..=150 => "#FF7E00",
        151..=200 => "#FF0000",
        201..=300 => "#99004C",
        _ => "#7E0023",
    }
}

struct Driver(Child, u16);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn chromedriver() -> Option<Driver> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(Driver(child, port));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// A headless Chromium: a laptop window, or (`phone`) a phone's viewport
/// by Chromium's device emulation (a headless window cannot be that narrow).
async fn browser(port: u16, width: u32, height: u32, phone: bool) -> Client {
    let mut caps = serde_json::Map::new();
    let mut opts = json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                   format!("--window-size={width},{height}"), "--lang=zh-CN"]});
    if phone {
        opts["mobileEmulation"] = json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0, "touch": true}});
    }
    caps.insert("goog:chromeOptions".into(), opts);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("connect to chromedriver")
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(shots().join(format!("{name}.png")), png).unwrap();
}

/// Waits until `css` matches (the page renders asynchronously).
async fn wait_for(c: &Client, css: &str, name: &str) -> fantoccini::elements::Element {
    match c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
    {
        Ok(e) => e,
        Err(e) => {
            shot(c, &format!("{name}-FAILED")).await;
            panic!("{name}: `{css}` never appeared: {e}");
        }
    }
}

/// An attribute of the element `css` (empty when it has none).
async fn attr_of(c: &Client, css: &str, attr: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .attr(attr)
        .await
        .unwrap()
        .unwrap_or_default()
}

/// A screenshot with the element `css` scrolled to the middle of the view.
async fn shot_at(c: &Client, css: &str, name: &str) {
    c.execute(
        &format!("document.querySelector({css:?}).scrollIntoView({{block: 'center'}})"),
        vec![],
    )
    .await
    .unwrap();
    shot(c, name).await;
}

/// JSON from the API through the page (so the session cookie goes along).
async fn page_api(c: &Client, path: &str) -> Value {
    c
        .execute_async(
            "const [p, done] = arguments; fetch(p, {credentials: 'same-origin'}).then(r => r.json()).then(done, e => done({error: String(e)}));",
            vec![json!(path)],
        )
        .await
        .unwrap()
}

async fn login(c: &Client, base: &str, user: &str, password: &str) {
    c.goto(&format!("{base}/#/overview")).await.unwrap();
    let form = wait_for(c, "#login", "login").await;
    form.find(Locator::Css("input[name=username]"))
        .await
        .unwrap()
        .send_keys(user)
        .await
        .unwrap();
    form.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    form.find(Locator::Css("button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Every marker of the map in `sel` has the official colour of its AQI.
async fn markers_in_official_colours(c: &Client, sel: &str, name: &str) -> usize {
    let map = wait_for(c, &format!("{sel}[data-markers]"), name).await;
    let n: usize = map
        .attr("data-markers")
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    let colours = map.attr("data-colours").await.unwrap().unwrap();
    let aqis = map.attr("data-aqis").await.unwrap().unwrap();
    for (colour, aqi) in colours.split(',').zip(aqis.split(',')) {
        let aqi: u32 = aqi
            .parse()
            .unwrap_or_else(|_| panic!("{name}: a marker without AQI"));
        assert_eq!(
            colour.to_uppercase(),
            official_colour(aqi),
            "{name}: marker with AQI {aqi}"
        );
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_in_headless_chromium() {
    let required = std::env::var("LANTIAN_TEST_BROWSER").is_ok_and(|v| v == "1");
    let Some(driver) = chromedriver() else {
        assert!(
            !required,
            "LANTIAN_TEST_BROWSER=1 but chromedriver did not start"
        );
        eprintln!("skipped: no chromedriver (apt install chromium chromium-driver)");
        return;
    };
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let demo = start_demo(&dir);
    let base = format!("http://{}", demo.addr);

    // The first figures are computed in the background.
    let until = Instant::now() + Duration::from_secs(120);
    let first = loop {
        let (status, body) = get(&demo.addr, "/api/v1/public/now");
        if status == 200 {
            let v: Value = serde_json::from_str(&body).unwrap();
            if v["stations"].as_array().is_some_and(|a| a.len() == 12) {
                break v;
            }
        }
        assert!(
            Instant::now() < until,
            "no figures after 120 s: {status} {body}"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(first["stations"].as_array().unwrap().len(), 12);

    // 公众: no login; the map has one marker per station in its AQI's colour.
    let c = browser(driver.1, 1366, 768, false).await;
    c.goto(&format!("{base}/#/public")).await.unwrap();
    let n = markers_in_official_colours(&c, "#map", "public").await;
    assert_eq!(n, 12, "one marker per station");
    let area = wait_for(&c, "#area-aqi", "public")
        .await
        .text()
        .await
        .unwrap();
    assert!(area.parse::<u32>().is_ok(), "area AQI shown: {area}");
    let label = c
        .find(Locator::Css("#label"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        label.contains("示例数据") && label.contains("UCI"),
        "sample labelled: {label}"
    );
    shot(&c, "01-public").await;

    // Log in; the overview.
    login(&c, &base, "admin", &demo.password).await;
    wait_for(&c, "body[data-page=overview]", "overview").await;
    assert_eq!(
        markers_in_official_colours(&c, "#map", "overview").await,
        12
    );
    wait_for(&c, "#h24 canvas", "overview").await;
    shot(&c, "02-overview").await;
    let text = c
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !text.contains("加载中"),
        "the loading line is gone once the page is drawn: {text}"
    );

    // English, and back.
    c.find(Locator::Css("#lang"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, "body[data-page=overview] #map[data-markers]", "english").await;
    let nav = c
        .find(Locator::Css("#nav a[href='#/targets']"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(nav, "Targets");
    shot(&c, "02b-overview-english").await;
    c.find(Locator::Css("#lang"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let nav = c
        .find(Locator::Css("#nav a[href='#/targets']"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(nav, "目标进度");

    // The operator's boundary: uploaded through the API, the map draws it.
    let square = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"示例边界"},"geometry":{"type":"Polygon","coordinates":[[[116.0,39.7],[116.8,39.7],[116.8,40.45],[116.0,40.45],[116.0,39.7]]]}}]}"#;
    let put = c
        .execute_async(
            "const [body, done] = arguments; fetch('/api/v1/boundary', {method: 'PUT', credentials: 'same-origin', \
             headers: {'X-CSRF-Token': sessionStorage.getItem('lantian.csrf')}, body}).then(r => done(r.status), e => done(String(e)));",
            vec![json!(square)],
        )
        .await
        .unwrap();
    assert_eq!(put, json!(200), "boundary upload");
    c.refresh().await.unwrap();
    wait_for(&c, "#map[data-geo='1']", "boundary").await;
    assert_eq!(
        markers_in_official_colours(&c, "#map", "boundary").await,
        12
    );
    shot(&c, "02c-overview-boundary").await;

    // A boundary the map cannot draw (stored before uploads were checked):
    // the pages still show every station, on a plain background.
    let store = lantian_store::Store::connect(&demo.db).await.unwrap();
    store
        .put_document(
            "boundary",
            r#"{"type":"Polygon","coordinates":[1]}"#,
            "test",
            "a broken one",
        )
        .await
        .unwrap();
    c.goto(&format!("{base}/#/public")).await.unwrap();
    c.refresh().await.unwrap();
    wait_for(
        &c,
        "body[data-page=public] #map[data-geo='0'][data-markers]",
        "bad-boundary",
    )
    .await;
    assert_eq!(
        markers_in_official_colours(&c, "#map", "bad-boundary").await,
        12
    );
    let text = c
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains("Cannot read"), "{text}");
    shot(&c, "02d-public-broken-boundary").await;
    store
        .put_document("boundary", square, "test", "the square again")
        .await
        .unwrap();
    c.goto(&format!("{base}/#/overview")).await.unwrap();

    // 目标进度: the page shows the API's figures (retried if the figures moved on in between).
    let mut same = false;
    for _ in 0..5 {
        c.goto(&format!("{base}/#/targets")).await.unwrap();
        c.refresh().await.unwrap();
        let pm = wait_for(&c, "#kpi-pm25 b", "targets")
            .await
            .text()
            .await
            .unwrap();
        let good = c
            .find(Locator::Css("#kpi-good b"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let api = page_api(&c, "/api/v1/targets").await;
        let st = &api["status"];
        let want_pm = format!("{:.0} µg/m³", st["pm25_mean"].as_f64().unwrap());
        let want_good = format!("{:.1}%", st["good_ratio"].as_f64().unwrap());
        if pm == want_pm && good == want_good {
            same = true;
            break;
        }
        eprintln!("targets: page {pm} / {good}, API {want_pm} / {want_good}; again");
    }
    shot(&c, "03-targets").await;
    assert!(same, "the targets page shows the API's figures");

    // 站点: hourly chart and the AQI calendar of Dongsi.
    c.goto(&format!("{base}/#/station/Dongsi")).await.unwrap();
    wait_for(&c, "#hourly canvas", "station").await;
    let cal = wait_for(&c, "#calendar[data-days]", "station").await;
    let days: usize = cal
        .attr("data-days")
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        days >= 7,
        "calendar has the preloaded week at least: {days}"
    );
    let rose = wait_for(&c, "#rose[data-hours]", "station").await;
    let hours: usize = rose
        .attr("data-hours")
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert!(hours >= 100, "the rose counts the hours with wind: {hours}");
    // The data review's trail: the demo's sample calibration mark, in force,
    // with its restore button for an admin.
    let mark = wait_for(&c, "#reviews tr[data-active=true]", "station").await;
    let text = mark.text().await.unwrap();
    assert!(text.contains("校准") && text.contains("shenhe"), "{text}");
    assert!(
        c.find(Locator::Css("#reviews button.restore"))
            .await
            .is_ok()
    );
    assert!(c.find(Locator::Css("#review-form")).await.is_ok());
    // The whole page in the picture.
    c.set_window_size(1366, 1500).await.unwrap();
    shot(&c, "04-station").await;

    // 排名 and 设备 as admin.
    c.goto(&format!("{base}/#/ranking")).await.unwrap();
    let rows = wait_for(&c, "#ranking tbody", "ranking")
        .await
        .find_all(Locator::Css("tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 12);
    let towns = c
        .find_all(Locator::Css("#townships tbody tr"))
        .await
        .unwrap();
    assert_eq!(
        towns.len(),
        8,
        "the demo's 11 assessed stations lie in 8 districts"
    );
    shot(&c, "05-ranking").await;
    c.set_window_size(1366, 768).await.unwrap();
    c.goto(&format!("{base}/#/devices")).await.unwrap();
    let rows = wait_for(&c, "#devices tbody", "devices")
        .await
        .find_all(Locator::Css("tr"))
        .await
        .unwrap();
    assert_eq!(
        rows.len(),
        27,
        "12 stations, 8 sample CEMS stacks, one sample 分表计电 meter and the six production meters the alert's compliance is judged on"
    );
    let text = c
        .find(Locator::Css("#devices"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("在线"), "live devices are online");
    // An admin manages devices here: a disable button per line, the form
    // and the CSV upload.
    let buttons = c
        .find_all(Locator::Css("#devices button[data-toggle]"))
        .await
        .unwrap();
    assert_eq!(buttons.len(), 27, "one disable button per device");
    assert!(c.find(Locator::Css("#device-form")).await.is_ok());
    assert!(c.find(Locator::Css("#device-csv")).await.is_ok());
    // Forwarding up to the demo's sample city platform: connected, acknowledged.
    let mut acked = 0u64;
    for _ in 0..40 {
        c.goto(&format!("{base}/#/devices")).await.unwrap();
        let row = wait_for(&c, "#forward tbody tr", "devices").await;
        let cells = row.find_all(Locator::Css("td")).await.unwrap();
        acked = cells[5].text().await.unwrap().trim().parse().unwrap_or(0);
        if acked > 0 && row.attr("data-connected").await.unwrap().as_deref() == Some("true") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(acked > 0, "the sample city acknowledged forwarded uploads");
    shot(&c, "06-devices").await;

    // 企业: the 20 sample firms, labelled as samples; 报警: the injected
    // faults found from the data; one firm with its stack's hours.
    c.goto(&format!("{base}/#/sources")).await.unwrap();
    let rows = wait_for(&c, "#firms tbody", "sources")
        .await
        .find_all(Locator::Css("tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 20, "20 sample firms");
    let note = wait_for(&c, "#sample-firms", "sources-sample")
        .await
        .text()
        .await
        .unwrap();
    assert!(note.contains("示例企业"), "{note}");
    // The firms' map: every sample firm placed; a grade filter narrows the
    // table and the map alike.
    wait_for(&c, "#firm-map canvas", "firm-map").await;
    let points = attr_of(&c, "#firm-map", "data-points").await;
    assert_eq!(points.as_str(), "20", "every sample firm on the map");
    shot(&c, "06c-enterprises").await;
    let narrowed = c
        .execute(
            "const s = document.querySelector('#f-grade'); s.value = s.options[1].value; s.dispatchEvent(new Event('change'));
             return [s.value, document.querySelector('#firm-count').textContent, document.querySelector('#firm-map').dataset.points,
               [...document.querySelectorAll('#firms tbody tr')].filter(r => !r.hidden).length];",
            vec![],
        )
        .await
        .unwrap();
    let shown: usize = narrowed[1].as_str().unwrap().parse().unwrap();
    assert!(
        shown > 0 && shown < 20,
        "grade {} leaves some firms: {narrowed}",
        narrowed[0]
    );
    assert_eq!(
        narrowed[2].as_str(),
        narrowed[1].as_str(),
        "the map shows the table's firms: {narrowed}"
    );
    assert_eq!(narrowed[3].as_u64(), Some(shown as u64), "{narrowed}");
    shot(&c, "06c2-enterprises-by-grade").await;
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let a = page_api(&c, "/api/v1/alarms").await;
        let rules: std::collections::BTreeSet<&str> = a
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|x| x["rule"].as_str())
            .collect();
        let want = [
            "constant",
            "exceedance",
            "flag_m",
            "missing",
            "treatment_off",
            "zero",
        ];
        if want.iter().all(|r| rules.contains(r)) {
            break;
        }
        assert!(
            Instant::now() < until,
            "not every injected fault found: {rules:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    c.goto(&format!("{base}/#/alarms")).await.unwrap();
    wait_for(&c, "table.alarms tbody tr", "alarms").await;
    shot(&c, "06d-alarms").await;
    // One exceedance with its evidence chart: the hours and the limit.
    let alarms = page_api(&c, "/api/v1/alarms").await;
    let exceeding = alarms
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["rule"] == "exceedance")
        .unwrap()["id"]
        .clone();
    c.goto(&format!("{base}/#/alarms/{exceeding}"))
        .await
        .unwrap();
    wait_for(&c, "#evidence-chart canvas", "alarm-evidence").await;
    assert!(
        !attr_of(&c, "#evidence-chart", "data-limit")
            .await
            .is_empty(),
        "the exceedance's limit drawn"
    );
    let heads = c
        .find(Locator::Css("#evidence thead"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(heads.contains("实测"), "{heads}");
    shot_at(&c, "#evidence-chart", "06d2-alarm-evidence").await;
    let firm0 = lantian_types::CreditCode::complete("91411726MA4YL0000")
        .unwrap()
        .to_string();
    c.goto(&format!("{base}/#/enterprise/{firm0}"))
        .await
        .unwrap();
    let t = wait_for(&c, "table.outlet", "enterprise")
        .await
        .text()
        .await
        .unwrap();
    assert!(t.contains("a34013"), "{t}");
    wait_for(&c, ".outlet-chart canvas", "outlet-chart").await;
    let limits = attr_of(&c, ".outlet-chart", "data-limits").await;
    assert!(
        limits.parse::<u32>().unwrap_or(0) > 0,
        "the outlet's limits drawn: {limits}"
    );
    shot_at(&c, ".outlet-chart", "06e-enterprise").await;
    // The firm with production and treatment meters: their curves.
    let firm2 = lantian_types::CreditCode::complete("91411726MA4YL0002")
        .unwrap()
        .to_string();
    c.goto(&format!("{base}/#/enterprise/{firm2}"))
        .await
        .unwrap();
    wait_for(&c, "#meter-chart canvas", "meter-chart").await;
    let curves = attr_of(&c, "#meter-chart", "data-series").await;
    assert!(
        curves.parse::<u32>().unwrap_or(0) >= 2,
        "production and treatment: {curves}"
    );
    shot_at(&c, "#meter-chart", "06f-enterprise-meters").await;

    // HJ 212-2025 activation from the device page: a new logger announces
    // itself (1001), the operator registers a device and approves the logger
    // with its MN on the page, and the logger is assigned it (1002).
    let lantian = env!("CARGO_BIN_EXE_lantian");
    let logger_sim = Command::new(lantian)
        .args([
            "simulate",
            "--target",
            &demo.hj212,
            "--protocol",
            "2025",
            "--activate",
            "--devices",
            "1",
            "--duration",
            "30",
            "--prefix",
            "BRW",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = Command::new(lantian)
        .args([
            "device",
            "add",
            "--database",
            &demo.db,
            "--mn",
            "BRWNEW0000000001",
            "--password",
            "brw-pw-123",
            "--site",
            "BRW1",
            "--site-name",
            "新设站点",
            "--protocol",
            "2025",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let l = page_api(&c, "/api/v1/loggers").await;
        if l.as_array()
            .is_some_and(|a| a.iter().any(|x| x["approved_mn"].is_null()))
        {
            break;
        }
        assert!(Instant::now() < until, "no logger announced itself: {l}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    c.goto(&format!("{base}/#/overview")).await.unwrap();
    c.goto(&format!("{base}/#/devices")).await.unwrap();
    wait_for(&c, "#loggers input[data-logger]", "approve")
        .await
        .send_keys("BRWNEW0000000001")
        .await
        .unwrap();
    c.find(Locator::Css("#loggers button[data-approve]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let until = Instant::now() + Duration::from_secs(10);
    while !c
        .find(Locator::Css("#loggers"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("已批准")
    {
        assert!(Instant::now() < until, "approval not confirmed on the page");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    shot(&c, "06b-logger-approved").await;
    let l = page_api(&c, "/api/v1/loggers").await;
    assert!(
        l.as_array()
            .unwrap()
            .iter()
            .any(|x| x["approved_mn"] == "BRWNEW0000000001"),
        "{l}"
    );
    c.find(Locator::Css("#logout"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.close().await.unwrap();

    // A department user cannot open the device page.
    let out = Command::new(env!("CARGO_BIN_EXE_lantian"))
        .args([
            "user",
            "add",
            "dept",
            "--role",
            "department",
            "--scope",
            "大气办",
            "--password",
            "dept-pass-2026",
            "--database",
            &demo.db,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c = browser(driver.1, 1366, 768, false).await;
    login(&c, &base, "dept", "dept-pass-2026").await;
    wait_for(&c, "body[data-page=overview]", "dept-overview").await;
    c.goto(&format!("{base}/#/devices")).await.unwrap();
    let refused = wait_for(&c, "#forbidden", "dept-devices")
        .await
        .text()
        .await
        .unwrap();
    assert!(refused.contains("无权"), "{refused}");
    shot(&c, "07-department-refused").await;
    c.close().await.unwrap();

    // A firm's user sees its own firm only, and not a neighbour's page.
    let own = lantian_types::CreditCode::complete("91411726MA4YL0000")
        .unwrap()
        .to_string();
    let other = lantian_types::CreditCode::complete("91411726MA4YL0002")
        .unwrap()
        .to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_lantian"))
        .args([
            "user",
            "add",
            "firm0",
            "--role",
            "enterprise",
            "--scope",
            &own,
            "--password",
            "firm-pass-2026",
            "--database",
            &demo.db,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c = browser(driver.1, 1366, 768, false).await;
    login(&c, &base, "firm0", "firm-pass-2026").await;
    wait_for(&c, "body[data-page=overview]", "firm-overview").await;
    c.goto(&format!("{base}/#/sources")).await.unwrap();
    let rows = wait_for(&c, "#firms tbody", "firm-sources")
        .await
        .find_all(Locator::Css("tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "its own firm only");
    c.goto(&format!("{base}/#/enterprise/{other}"))
        .await
        .unwrap();
    wait_for(&c, "#forbidden", "firm-refused").await;
    shot(&c, "07b-firm-refused-neighbour").await;
    c.close().await.unwrap();

    // 工单: the bureau sees the sample tickets in every state, the overdue
    // one in red, and closes the one under review on its page.
    let c = browser(driver.1, 1366, 768, false).await;
    login(&c, &base, "bureau", demo.password_of("bureau")).await;
    wait_for(&c, "body[data-page=overview]", "bureau-overview").await;
    c.goto(&format!("{base}/#/tickets")).await.unwrap();
    let all_rows = wait_for(&c, "#tickets tbody", "tickets")
        .await
        .find_all(Locator::Css("tr"))
        .await
        .unwrap();
    // The demo's seven, besides the ledger's escalations (任务逾期: the
    // ledger job opens them seconds after the start) and the alert's
    // violators (opened as the demo starts).
    let mut rows = Vec::new();
    let mut escalated = 0;
    let mut violations = Vec::new();
    for r in all_rows {
        let text = r.text().await.unwrap();
        if text.contains("任务逾期") {
            escalated += 1;
        } else if text.contains("预警期间未落实减排措施") || text.contains("预警前抬高负荷")
        {
            violations.push(text);
        } else {
            rows.push(r);
        }
    }
    assert_eq!(rows.len(), 7, "the demo's sample tickets");
    // The alert's violators, opened as tickets: the lime works and the
    // ceramics firm ran on, the foundry raised its load the day before.
    violations.sort();
    assert_eq!(violations.len(), 3, "{violations:?}");
    assert!(
        violations.iter().any(|v| v.contains("示例石灰厂"))
            && violations.iter().any(|v| v.contains("示例陶瓷有限公司"))
            && violations
                .iter()
                .any(|v| v.contains("预警前抬高负荷：示例铸造厂")),
        "{violations:?}"
    );
    assert!(escalated > 0, "the ledger's red tasks escalated");
    let states: std::collections::BTreeSet<String> = {
        let mut out = std::collections::BTreeSet::new();
        for r in &rows {
            out.insert(r.attr("data-state").await.unwrap().unwrap_or_default());
        }
        out
    };
    assert_eq!(states.len(), 6, "every state: {states:?}");
    let overdue = c
        .find_all(Locator::Css("#tickets tr.overdue"))
        .await
        .unwrap();
    assert_eq!(overdue.len(), 1, "one overdue");
    let bg = c
        .execute(
            "return getComputedStyle(document.querySelector('#tickets tr.overdue td')).backgroundColor",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(bg, json!("rgb(253, 236, 238)"), "overdue in red");
    wait_for(&c, "#sample-tickets", "tickets-sample").await;
    shot(&c, "09-tickets").await;
    c.find(Locator::Css("#tickets tr[data-state=reviewing] a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, "#timeline li", "ticket").await;
    wait_for(&c, "#files img", "ticket-photo").await;
    shot(&c, "09b-ticket-reviewing").await;
    c.find(Locator::Css("#actions textarea"))
        .await
        .unwrap()
        .send_keys("现场复核，整改到位")
        .await
        .unwrap();
    c.find(Locator::Css("button[data-act=accept]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, "#ticket-state[data-state=closed]", "ticket-closed").await;
    shot(&c, "09c-ticket-closed").await;

    // 应急: the demo's episode, yellow raised to orange, with its forecast
    // and steps; the public page shows the level and its advice.
    c.goto(&format!("{base}/#/alerts")).await.unwrap();
    wait_for(&c, "#alert-banner[data-level=orange]", "alerts").await;
    wait_for(&c, "#forecast-chart canvas", "alerts-chart").await;
    let steps = wait_for(&c, "#alert-steps", "alerts-steps")
        .await
        .text()
        .await
        .unwrap();
    assert!(steps.contains("发布") && steps.contains("调整"), "{steps}");
    let class = c
        .find(Locator::Css("#classification b"))
        .await
        .unwrap()
        .attr("data-level")
        .await
        .unwrap();
    assert_eq!(
        class.as_deref(),
        Some("orange"),
        "the forecast gives orange"
    );
    // The firms' compliance: the one that ran on is 未落实, with its
    // evidence chart; the one that stopped 落实.
    wait_for(&c, "#compliance tr[data-verdict=violated]", "compliance").await;
    wait_for(&c, "#evidence-chart canvas", "evidence-chart").await;
    let table = c
        .find(Locator::Css("#compliance"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        table.contains("示例石灰厂")
            && table.contains("应停未停")
            && table.contains("示例化工有限公司"),
        "{table}"
    );
    assert!(
        c.find(Locator::Css("#compliance tr[data-verdict=raised_before]"))
            .await
            .is_ok(),
        "the foundry raised its load the day before"
    );
    shot(&c, "11-alerts").await;
    c.execute(
        "document.querySelector('#compliance').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    shot(&c, "11b-alerts-compliance").await;
    // The reduction list: every sample firm's line at each level, and the
    // county's check against the sample inventory by level.
    wait_for(&c, "#county-check tr[data-level=red]", "county-check").await;
    let lines = c
        .find_all(Locator::Css("#reduction-lines tbody tr"))
        .await
        .unwrap();
    assert_eq!(lines.len(), 60, "20 sample firms × one line × three levels");
    let checks = c
        .find_all(Locator::Css("#county-check tbody tr"))
        .await
        .unwrap();
    assert_eq!(checks.len(), 12, "three levels × four pollutants");
    c.execute(
        "document.querySelector('#reduction').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    shot(&c, "11c-alerts-reduction").await;

    // 火点: the sample points on the synthetic township squares, the
    // ledger by township (羊册镇: the verified straw point, 500,000), the
    // sample label.
    c.goto(&format!("{base}/#/fires")).await.unwrap();
    wait_for(&c, "#fire-map[data-geo='14'] canvas", "fires-map").await;
    wait_for(&c, "#sample-fires", "fires-sample").await;
    let row = wait_for(&c, "#fire-ledger tr[data-town=羊册镇]", "fires-ledger")
        .await
        .text()
        .await
        .unwrap();
    assert!(row.contains("500,000"), "{row}");
    let points = c
        .find_all(Locator::Css("#fire-points tbody tr"))
        .await
        .unwrap();
    assert_eq!(points.len(), 10, "every sample point listed");
    shot(&c, "12-fires").await;

    // 任务台账: Biyang's plan split per department and township, sample
    // reports leaving tasks in every state; a 红 task escalated to a
    // ticket (the ledger job runs seconds after the start).
    c.goto(&format!("{base}/#/ledger")).await.unwrap();
    wait_for(&c, "#sample-ledger", "ledger-sample").await;
    wait_for(&c, "#led-tasks tr[data-light=done]", "ledger-done").await;
    wait_for(&c, "#led-tasks tr[data-light=yellow]", "ledger-yellow").await;
    let red = wait_for(&c, "#led-tasks tr[data-light=red]", "ledger-red")
        .await
        .text()
        .await
        .unwrap();
    assert!(red.contains("未报送"), "{red}");
    let led = page_api(&c, "/api/v1/ledger/tasks").await;
    let tasks = led["tasks"].as_array().unwrap();
    assert!(
        tasks.len() > 600,
        "every measure per department and township"
    );
    assert!(
        tasks.iter().any(|t| t["ticket_id"].is_i64()),
        "a red task escalated"
    );
    shot(&c, "13-ledger").await;
    // 考核: this month's scores with the items behind them.
    c.goto(&format!("{base}/#/scores")).await.unwrap();
    wait_for(&c, "#sample-scores", "scores-sample").await;
    let row = wait_for(
        &c,
        "#sc-townships tr[data-owner='township:羊册镇']",
        "scores-township",
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(row.contains("红灯任务"), "{row}");
    wait_for(&c, "#sc-departments tr", "scores-departments").await;
    shot(&c, "14-scores").await;
    // 报告: the demo's monthly report, made in the background and archived
    // with its PDF and workbook; its model carries the sample label.
    c.goto(&format!("{base}/#/reports")).await.unwrap();
    wait_for(&c, "#make-report", "reports-form").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    let monthly = loop {
        let list = page_api(&c, "/api/v1/reports").await;
        let done = list["reports"].as_array().and_then(|v| {
            v.iter()
                .find(|r| r["kind"] == "monthly" && r["state"] == "done")
                .cloned()
        });
        if let Some(r) = done {
            break r;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no monthly report: {list}"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    // The demo runs live from 2015-01-08: its last month is January 2015.
    assert_eq!(monthly["period"], "2015-01");
    let model = page_api(&c, &format!("/api/v1/reports/{}/json", monthly["id"])).await;
    assert!(
        model["meta"]["sample"]
            .as_str()
            .is_some_and(|l| l.contains("示例数据")),
        "{}",
        model["meta"]
    );
    assert_eq!(model["stations"].as_array().map(Vec::len), Some(12));
    c.refresh().await.unwrap();
    wait_for(
        &c,
        "#reports tr[data-kind=monthly][data-state=done] a.pdf",
        "reports-list",
    )
    .await;
    shot(&c, "15-reports").await;
    c.close().await.unwrap();

    // A department's user: its own tasks only, and it reports on one.
    let c = browser(driver.1, 1366, 768, false).await;
    login(&c, &base, "zhujian", demo.password_of("zhujian")).await;
    wait_for(&c, "body[data-page=overview]", "department-overview").await;
    c.goto(&format!("{base}/#/ledger")).await.unwrap();
    wait_for(&c, "#led-tasks tbody", "department-ledger").await;
    let keys: Vec<String> = {
        let mut out = Vec::new();
        for r in c
            .find_all(Locator::Css("#led-tasks tbody tr"))
            .await
            .unwrap()
        {
            out.push(r.attr("data-key").await.unwrap().unwrap_or_default());
        }
        out
    };
    assert!(
        !keys.is_empty()
            && keys
                .iter()
                .all(|k| k.ends_with("/department:住房和城乡建设局")),
        "{keys:?}"
    );
    c.find(Locator::Css("#led-tasks tbody tr a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, "#report-form textarea", "department-report-form")
        .await
        .send_keys("本月完成工地扬尘检查 12 处")
        .await
        .unwrap();
    c.find(Locator::Css("#report-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Stored: the form says so and the report is listed.
    let mut state = String::new();
    for _ in 0..50 {
        state = wait_for(&c, "#report-state", "department-report-state")
            .await
            .text()
            .await
            .unwrap();
        if !state.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(state, "已报送");
    let listed = wait_for(&c, "#task-reports", "department-reported")
        .await
        .text()
        .await
        .unwrap();
    assert!(listed.contains("本月完成工地扬尘检查 12 处"), "{listed}");
    shot(&c, "13b-department-ledger").await;
    c.close().await.unwrap();
    let c = browser(driver.1, 1366, 768, false).await;
    c.goto(&format!("{base}/#/public")).await.unwrap();
    wait_for(&c, "#alert-banner[data-level=orange]", "public-alert").await;
    let advice = wait_for(&c, "#public-alert", "public-alert")
        .await
        .text()
        .await
        .unwrap();
    assert!(advice.contains("儿童"), "{advice}");
    shot(&c, "11b-public-alert").await;
    c.close().await.unwrap();

    // The township user: its own tickets only (none of 住房和城乡建设局's), and it
    // verifies its new assignment on the page.
    let c = browser(driver.1, 1366, 768, false).await;
    login(&c, &base, "yangce", demo.password_of("yangce")).await;
    wait_for(&c, "body[data-page=overview]", "township-overview").await;
    c.goto(&format!("{base}/#/tickets")).await.unwrap();
    let table = wait_for(&c, "#tickets tbody", "township-tickets").await;
    let text = table.text().await.unwrap();
    assert!(
        !text.contains("住房和城乡建设局"),
        "not the department's: {text}"
    );
    // The demo's four, besides the ledger's escalations (任务逾期).
    let mut own = 0;
    for r in table.find_all(Locator::Css("tr")).await.unwrap() {
        if !r.text().await.unwrap().contains("任务逾期") {
            own += 1;
        }
    }
    assert_eq!(own, 4, "{text}");
    wait_for(&c, "#inbox", "township-inbox").await;
    // Its own fire points only, each with the verify buttons if pending.
    c.goto(&format!("{base}/#/fires")).await.unwrap();
    let list = wait_for(&c, "#fire-points tbody", "township-fires")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("羊册镇") && !list.contains("泌水街道"),
        "{list}"
    );
    wait_for(
        &c,
        "#fire-points tr[data-kind=unknown] button[data-verify=straw]",
        "township-verify",
    )
    .await;
    // A photo of the site, added from the page to one of its points.
    let photo = shots().join("site-photo.png");
    std::fs::write(&photo, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDRsite").unwrap();
    c.find(Locator::Css("#fire-points input[data-photo]"))
        .await
        .unwrap()
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    let link = wait_for(&c, "#fire-points a[data-photo-link]", "township-photo")
        .await
        .text()
        .await
        .unwrap();
    assert!(link.contains("site-photo.png"), "{link}");
    shot(&c, "12b-township-fires").await;
    c.goto(&format!("{base}/#/tickets")).await.unwrap();
    wait_for(&c, "#tickets tbody", "township-tickets-again").await;
    c.find(Locator::Css("#tickets tr[data-state=assigned] a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, "button[data-act=verify]", "township-ticket").await;
    c.find(Locator::Css("#actions textarea"))
        .await
        .unwrap()
        .send_keys("已到现场核实，属实")
        .await
        .unwrap();
    c.find(Locator::Css("button[data-act=verify]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        &c,
        "#ticket-state[data-state=rectifying]",
        "township-verified",
    )
    .await;
    shot(&c, "09d-township-ticket").await;
    // The department's overdue ticket is not the township's to see.
    let all = page_api(&c, "/api/v1/tickets").await;
    assert!(
        all["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["assignee"] != "department:住房和城乡建设局"),
        "{all}"
    );
    c.close().await.unwrap();

    // 举报 (no login): the form with a photo; the status page by the code.
    let c = browser(driver.1, 1366, 900, false).await;
    c.goto(&format!("{base}/#/report")).await.unwrap();
    let form = wait_for(&c, "#report-form", "report").await;
    form.find(Locator::Css("select[name=category] option[value=smoke]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    for (name, value) in [
        ("description", "砖厂烟囱冒黑烟，持续半小时"),
        ("address", "泌阳县羊册镇砖厂路"),
        ("lon", "113.21"),
        ("lat", "32.81"),
        ("phone", "13700001111"),
    ] {
        form.find(Locator::Css(&format!("[name={name}]")))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    let photo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("demo/sample-photo.png");
    form.find(Locator::Css("input[name=photo]"))
        .await
        .unwrap()
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    shot(&c, "10-report-form").await;
    form.find(Locator::Css("button.primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let state = wait_for(&c, "#report-state[data-state=new]", "report-status")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(state, "待交办");
    let status_text = wait_for(&c, "#report-status", "report-status")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        status_text.contains("1 张照片"),
        "the photo went with it: {status_text}"
    );
    assert!(
        !status_text.contains("13700001111"),
        "no contact on the public page"
    );
    let code = c
        .find(Locator::Css("#tracking-code"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(code.len(), 10);
    shot(&c, "10b-report-status").await;
    c.close().await.unwrap();

    // Phones: the report form and the ticket list fit the width.
    let c = browser(driver.1, 390, 844, true).await;
    c.goto(&format!("{base}/#/report")).await.unwrap();
    wait_for(&c, "#report-form", "phone-report").await;
    let fits = c
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth",
            vec![],
        )
        .await
        .unwrap();
    shot(&c, "10c-phone-report").await;
    assert_eq!(fits, json!(true), "the report form at 390 px");
    login(&c, &base, "bureau", demo.password_of("bureau")).await;
    wait_for(&c, "body[data-page=overview]", "phone-bureau").await;
    c.goto(&format!("{base}/#/tickets")).await.unwrap();
    wait_for(&c, "#tickets tbody tr", "phone-tickets").await;
    let fits = c
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth",
            vec![],
        )
        .await
        .unwrap();
    shot(&c, "10d-phone-tickets").await;
    assert_eq!(fits, json!(true), "the ticket list at 390 px");
    c.close().await.unwrap();

    // A phone: the public page fits the width.
    let c = browser(driver.1, 390, 844, true).await;
    c.goto(&format!("{base}/#/public")).await.unwrap();
    markers_in_official_colours(&c, "#map", "phone").await;
    let fits = c
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth",
            vec![],
        )
        .await
        .unwrap();
    shot(&c, "08-phone-public").await;
    assert_eq!(fits, json!(true), "no sideways scrolling at 390 px");
    c.close().await.unwrap();

    // The approved logger got its MN and its data was accepted under it.
    let out = logger_sim.wait_with_output().unwrap();
    let summary: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("simulate printed: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(summary["activated"], 1, "{summary}");
    assert!(summary["acked"].as_u64().unwrap() >= 1, "{summary}");

    // Live: the latest hour moves on while we watch (uploads over HJ 212).
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, body) = get(&demo.addr, "/api/v1/public/now");
        let now: Value = serde_json::from_str(&body).unwrap();
        if now["as_of"] != first["as_of"] {
            break;
        }
        assert!(Instant::now() < until, "no new hour within a minute");
        std::thread::sleep(Duration::from_secs(1));
    }
    drop(demo);
    let _ = std::fs::remove_dir_all(&dir);
}
