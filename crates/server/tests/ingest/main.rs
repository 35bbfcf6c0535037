//! The real server on random ports, driven over real sockets as devices
//! drive it (HJ 212 uploads, retransmissions, split packets, unknown and
//! misbehaving peers, HJ 212-2025), on SQLite and on PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

use std::time::Duration;

use common::*;
use lantian_hj212::build::{self, SegmentBuilder};
use lantian_hj212::frame::{Event, Framer, FramerConfig};
use lantian_hj212::segment::Packet;
use lantian_store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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
        store.add_device(&d, "test").await.unwrap();
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
            .add_token(
                "chen",
                &lantian_server::auth::token_hash(&token),
                None,
                "test",
            )
            .await
            .unwrap();
        let bearer = format!("Bearer {token}");
        let auth = [
            ("Authorization", bearer.as_str()),
            ("Content-Type", "application/json"),
        ];
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
            broken.starts_with("HTTP/1.1 400") && broken.contains("request body"),
            "{broken}"
        );
        let unknown = approve(r#"{"logger_id":"nobody","mn":"MN005"}"#).await;
        assert!(unknown.starts_with("HTTP/1.1 400"), "{unknown}");
        store
            .add_device(&device("MN005", "654321", "hj212"), "test")
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
        store.add_device(&d, "test").await.unwrap();
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
        d.kind = "electricity".parse().unwrap();
        d.site.kind = "outlet".parse().unwrap();
        store.add_device(&d, "test").await.unwrap();
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

/// A device's `protocol` setting picks the dialect of its answers: a 2025
/// logger re-sending 2016 history (Flag=9 but an old DataTime, which reads
/// as 2017) is answered Flag=8 when set to 2025, Flag=4 on `auto`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_devices_protocol_setting_picks_the_answer_dialect() {
    let url = databases("dialect").await.remove(0);
    let (srv, store) = start_with(&url, |c| c.registry_refresh_s = 1).await;
    let mut dev = device("MN025", "123456", "hj212");
    dev.protocol = "2025".parse().unwrap();
    store.add_device(&dev, "test").await.unwrap();
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
