//! The data API: what was stored, with its AQI, as JSON, CSV and xlsx.

use std::time::Duration;

use crate::common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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
        dev.site.code = lantian_types::SiteCode::parse("DS").unwrap();
        dev.site.name = "东四".into();
        dev.site.lon = Some(116.4174);
        dev.site.lat = Some(39.9289);
        dev.unit_overrides =
            "a21026=ug/m3;a21004=ug/m3;a05024=ug/m3;a34002=ug/m3;a34004=ug/m3".into();
        store.add_device(&dev, "test").await.unwrap();
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
        store
            .add_user("chen", &hash, "bureau", None, "test")
            .await
            .unwrap();
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
            r.starts_with("HTTP/1.1 400") && r.contains("features[0]: geometry: a Point"),
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

/// Any logged-in role may ask for a period; an unbounded one is refused
/// with 400 naming the limit, before any work is done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assessment_periods_are_bounded() {
    let url = databases("periods").await.remove(0);
    let (srv, store) = start_with(&url, |c| c.analysis_every_s = 1).await;
    let public = user_with_token(&store, "gz", "public", None).await;
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
    assert_eq!(replies(&mut s, Duration::from_millis(500)).await.len(), 1);
    let a = srv.http_addr;
    let r = http_get(
        a,
        "/api/v1/assessment?from=0001-01-01&to=9999-12-31",
        Some(&public),
    )
    .await;
    assert_eq!(status(&r), 400, "{r}");
    assert!(r.contains("at most 20 years (max_period_years)"), "{r}");
    // Twenty years is allowed; wait for the first figures.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let r = http_get(
            a,
            "/api/v1/assessment?from=2006-01-01&to=2025-12-31",
            Some(&public),
        )
        .await;
        if status(&r) == 200 && !json_body(&r).is_null() {
            let v = json_body(&r);
            assert_eq!(v["period"]["from"], "2006-01-01", "{v}");
            break;
        }
        assert!(matches!(status(&r), 200 | 503), "{r}");
        assert!(tokio::time::Instant::now() < deadline, "{r}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(s);
    srv.shutdown().await.unwrap();
}

/// A boundary that cannot be drawn is refused, naming the feature and the
/// fault; a real one is stored and served publicly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boundaries_are_checked_as_geojson() {
    for url in databases("boundary_checks").await {
        let (srv, store) = start(&url).await;
        let token = user_with_token(&store, "chen", "bureau", None).await;
        let a = srv.http_addr;
        let auth = format!("Bearer {token}");
        let put = |body: String| {
            let auth = auth.clone();
            async move {
                http(
                    a,
                    "PUT",
                    "/api/v1/boundary",
                    &[
                        ("Authorization", &auth),
                        ("Content-Type", "application/geo+json"),
                    ],
                    &body,
                )
                .await
            }
        };
        for (body, fault) in [
            (r#"{"type":"Polygon","coordinates":[1]}"#.to_string(), "ring 0: not an array of positions"),
            (r#"{"type":"MultiPolygon","coordinates":[["a","b"]]}"#.to_string(), "polygon 0: ring 0"),
            (
                r#"{"type":"Feature","properties":{},"geometry":{"type":"Feature","properties":{},"geometry":null}}"#.to_string(),
                "a Feature: a boundary is made of Polygon or MultiPolygon",
            ),
            (
                r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"泌水街道"},"geometry":{"type":"Polygon","coordinates":[[[113.3,32.7],[113.4,32.7],[113.4,32.8],[113.3,32.9]]]}}]}"#.to_string(),
                "features[0] (泌水街道): geometry: ring 0: not closed",
            ),
        ] {
            let r = put(body).await;
            assert_eq!(status(&r), 400, "{r}");
            assert!(r.contains(fault), "{fault}: {r}");
        }
        let none = http_get(a, "/api/v1/public/boundary", None).await;
        assert_eq!(status(&none), 404, "nothing bad was stored: {none}");
        let good = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"泌阳县"},"geometry":{"type":"Polygon","coordinates":[[[113.3,32.7],[113.4,32.7],[113.4,32.8],[113.3,32.7]]]}}]}"#;
        let r = put(good.to_string()).await;
        assert_eq!(status(&r), 200, "{r}");
        assert_eq!(json_body(&r)["polygons"], 1);
        let got = http_get(a, "/api/v1/public/boundary", None).await;
        assert!(got.ends_with(good), "{got}");
        let log = store.audit_log(5).await.unwrap();
        assert_eq!(log[0].action, "boundary.put", "{url}");
        srv.shutdown().await.unwrap();
    }
}

/// Every answer — page, API, docs, an error — carries the security headers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_security_headers() {
    let url = databases("sec_headers").await.remove(0);
    let (srv, _store) = start(&url).await;
    for path in [
        "/",
        "/app.js",
        "/api/v1/me",
        "/api/v1/public/now",
        "/api/docs/",
        "/healthz",
        "/nothing-here",
    ] {
        let r = http_get(srv.http_addr, path, None).await;
        let csp = header(&r, "content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("script-src 'self' 'unsafe-inline'"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(
            header(&r, "x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert!(header(&r, "referrer-policy").is_some(), "{path}");
    }
    srv.shutdown().await.unwrap();
}

/// Site codes that would break a header, a path or a CSV are refused where
/// they enter; a site name that a spreadsheet would run is defused in CSV.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn site_codes_parse_and_exports_are_safe_to_open() {
    let url = databases("exports_safe").await.remove(0);
    let (srv, store) = start_with(&url, |c| c.registry_refresh_s = 1).await;
    // A site code is a type that parses: the store cannot be given another.
    for bad in ["BY\r\n01", "a/b", "..", "x\"y", "a b"] {
        let e = lantian_types::SiteCode::parse(bad).unwrap_err();
        assert!(e.starts_with("site code"), "{bad:?}: {e}");
    }
    let mut d = device("MN900", "123456", "hj212");
    d.site.code = lantian_types::SiteCode::parse("城关站").unwrap();
    d.site.name = "=HYPERLINK(\"http://x\")".into();
    store.add_device(&d, "test").await.unwrap();
    let token = user_with_token(&store, "chen", "bureau", None).await;
    let r = http_get(srv.http_addr, "/api/v1/devices?format=csv", Some(&token)).await;
    assert_eq!(status(&r), 200, "{r}");
    assert!(r.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{r}");
    let cd = header(&r, "content-disposition").unwrap();
    assert!(
        cd.starts_with("attachment; filename=\"devices.csv\"; filename*=UTF-8''devices.csv"),
        "{cd}"
    );
    srv.shutdown().await.unwrap();
}
