//! Devices, loggers and the frame journal: for admin and bureau users.

use std::time::Duration;

use crate::common::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

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
        store
            .add_user("chen", &hash, "bureau", None, "test")
            .await
            .unwrap();
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

/// The same (MN, CN, DataTime) twice: answered twice, stored once, and
/// journaled, counted and shown as one stored and one duplicate — on the
/// device page, in the frame journal and in `/metrics`. Flagged values
/// are counted as they are written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retransmission_is_stored_once_and_counted_as_a_duplicate() {
    for url in databases("dup_counts").await {
        let (srv, store) = start(&url).await;
        let token = user_with_token(&store, "chen", "bureau", None).await;
        let mut s = TcpStream::connect(srv.hj212_addr).await.unwrap();
        let cp =
            "a34004-Avg=35,a34004-Flag=N;a21026-Avg=10,a21026-Flag=M;a21005-Avg=0.8,a21005-Flag=D";
        for qn in ["20250101090000001", "20250101090000002"] {
            s.write_all(&upload(
                qn,
                "MN001",
                "123456",
                "2061",
                5,
                "20250101080000",
                cp,
            ))
            .await
            .unwrap();
            assert_eq!(
                replies(&mut s, Duration::from_millis(500)).await.len(),
                1,
                "{url}"
            );
        }
        let a = srv.http_addr;
        let devs = json_body(&http_get(a, "/api/v1/devices", Some(&token)).await);
        let d = devs
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["mn"] == "MN001")
            .unwrap();
        assert_eq!(
            (
                d["stored_24h"].as_i64(),
                d["duplicates_24h"].as_i64(),
                d["flagged_24h"].as_i64()
            ),
            (Some(1), Some(1), Some(2)),
            "{url}: {d}"
        );
        let m = http_get(a, "/metrics", None).await;
        assert!(
            m.contains("lantian_frames_total{verdict=\"stored\"} 1\n"),
            "{m}"
        );
        assert!(
            m.contains("lantian_frames_total{verdict=\"duplicate\"} 1\n"),
            "{m}"
        );
        assert!(m.contains("lantian_uploads_stored_total 1\n"), "{m}");
        assert_eq!(store.count("vals").await.unwrap(), 3);
        // One verdict list: duplicate is written, and so are heartbeat and
        // activation, so all three can be asked for.
        let dup = json_body(&http_get(a, "/api/v1/frames?verdict=duplicate", Some(&token)).await);
        assert_eq!(dup.as_array().unwrap().len(), 1, "{dup}");
        assert_eq!(dup[0]["qn"], "20250101090000002");
        for v in ["heartbeat", "activation", "stored", "quarantine"] {
            let r = http_get(a, &format!("/api/v1/frames?verdict={v}"), Some(&token)).await;
            assert_eq!(status(&r), 200, "{v}: {r}");
        }
        drop(s);
        srv.shutdown().await.unwrap();
    }
}

/// The registry over HTTP: a device registered with the CLI's checks and
/// audit, a bad field named, a CSV upload with a bad row named and the
/// others registered, disabling and enabling again; not for a township.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registry_over_http() {
    for url in databases("registryhttp").await {
        let (srv, store) = start(&url).await;
        let boss = user_with_token(&store, "chen", "bureau", None).await;
        let town = user_with_token(&store, "zhao", "township", Some("泌水街道")).await;
        let a = srv.http_addr;
        let body = r#"{"mn":"MN900","password":"123456","site":"BY01","site_name":"城区站","township":"泌水街道","lon":113.33,"lat":32.72,"units":"a21026=ug/m3"}"#;
        let (st, r) = call(a, "POST", "/api/v1/devices", &boss, body).await;
        assert_eq!(st, 201, "{r}");
        assert_eq!(r["mn"], "MN900");
        let (st, e) = call(
            a,
            "POST",
            "/api/v1/devices",
            &boss,
            &body.replace("113.33", "213.33"),
        )
        .await;
        assert_eq!(st, 400, "{e}");
        let (st, e) = call(
            a,
            "POST",
            "/api/v1/devices",
            &boss,
            &body.replace("\"units\"", "\"kind\":\"rocket\",\"units\""),
        )
        .await;
        assert_eq!(st, 400, "{e}");
        assert!(e["error"].as_str().unwrap().contains("rocket"), "{e}");
        let (st, _) = call(a, "POST", "/api/v1/devices", &town, body).await;
        assert_eq!(st, 403);
        let d = store.devices().await.unwrap();
        let d = d.iter().find(|d| d.spec.mn.as_str() == "MN900").unwrap();
        assert_eq!(
            (d.spec.site.name.as_str(), d.spec.site.lon),
            ("城区站", Some(113.33))
        );
        assert!(d.enabled);
        let audit = store.audit_log(50).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|x| x.actor == "chen" && x.action == "device.add"),
            "{audit:?}"
        );
        // A CSV upload: the second row has no password.
        let csv = "mn,password,site,kind\nMN901,pw1,BY02,ambient\nMN902,,BY03,ambient\nMN903,pw3,BY04,cems\n";
        let auth = format!("Bearer {boss}");
        let r = http(
            a,
            "POST",
            "/api/v1/devices/import",
            &[
                ("Authorization", auth.as_str()),
                ("Content-Type", "text/csv"),
            ],
            csv,
        )
        .await;
        assert_eq!(status(&r), 200, "{r}");
        let v = json_body(&r);
        assert_eq!(v["added"], 2, "{v}");
        assert_eq!(
            v["refused"],
            serde_json::json!([{"row": 2, "reason": "empty password"}])
        );
        // Disabled, then enabled again.
        let (st, _) = call(
            a,
            "PUT",
            "/api/v1/devices/MN901/enabled",
            &boss,
            r#"{"enabled":false}"#,
        )
        .await;
        assert_eq!(st, 200);
        let enabled = |mn: &'static str| {
            let store = store.clone();
            async move {
                store
                    .devices()
                    .await
                    .unwrap()
                    .into_iter()
                    .find(|d| d.spec.mn.as_str() == mn)
                    .unwrap()
                    .enabled
            }
        };
        assert!(!enabled("MN901").await);
        let (st, _) = call(
            a,
            "PUT",
            "/api/v1/devices/MN901/enabled",
            &boss,
            r#"{"enabled":true}"#,
        )
        .await;
        assert_eq!(st, 200);
        assert!(enabled("MN901").await);
        let (st, _) = call(
            a,
            "PUT",
            "/api/v1/devices/MN999/enabled",
            &boss,
            r#"{"enabled":true}"#,
        )
        .await;
        assert_eq!(st, 404);
        let (st, _) = call(
            a,
            "PUT",
            "/api/v1/devices/MN901/enabled",
            &town,
            r#"{"enabled":false}"#,
        )
        .await;
        assert_eq!(st, 403);
        srv.shutdown().await.unwrap();
    }
}
