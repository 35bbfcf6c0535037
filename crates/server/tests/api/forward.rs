//! Forwarding to an upper platform that never answers: each upload is sent
//! `max_tries` times, then given up (logged, counted, recorded), so it does
//! not hold the target up for ever; the target's floor then passes it.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_never_acknowledged_is_given_up_after_its_tries() {
    for url in databases("fwd_silent").await {
        // A platform that reads and never answers.
        let mute = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mute_addr = mute.local_addr().unwrap().to_string();
        let frames = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = frames.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut s, _)) = mute.accept().await else {
                    return;
                };
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        let k = buf[..n].windows(2).filter(|w| w == b"##").count();
                        seen.fetch_add(k, std::sync::atomic::Ordering::Relaxed);
                    }
                });
            }
        });
        let target = lantian_server::config::ForwardTarget {
            name: "mute".into(),
            target: mute_addr,
            protocol: "2017".into(),
            devices: lantian_server::config::ForwardDevices::default(),
            mn: Default::default(),
            pw: None,
            from_start: false,
            window: 8,
            ack_timeout_s: 1,
            lag_alarm_s: 900,
            max_tries: 2,
        };
        let (srv, store) = start_with(&url, |c| {
            c.registry_refresh_s = 1;
            c.forward = vec![target.clone()];
        })
        .await;
        store
            .add_device(&device("MN100", "123456", "hj212"), "test")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let mut s = TcpStream::connect(srv.hj212_addr).await.unwrap();
        s.write_all(&upload(
            "20250101090000001",
            "MN100",
            "123456",
            "2061",
            5,
            "20250101080000",
            HOUR,
        ))
        .await
        .unwrap();
        assert_eq!(replies(&mut s, Duration::from_millis(500)).await.len(), 1);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let m = loop {
            let m = http_get(srv.http_addr, "/metrics", None).await;
            if m.contains("lantian_forward_given_up_total{target=\"mute\"} 1")
                && m.contains("lantian_forward_backlog{target=\"mute\"} 0")
            {
                break m;
            }
            assert!(tokio::time::Instant::now() < deadline, "not given up: {m}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert!(
            m.contains("lantian_forward_acked_total{target=\"mute\"} 0"),
            "{m}"
        );
        assert!(
            m.contains("lantian_forward_sent_total{target=\"mute\"} 2"),
            "sent twice: {m}"
        );
        assert_eq!(
            frames.load(std::sync::atomic::Ordering::Relaxed),
            2,
            "the platform saw two frames"
        );
        // Recorded as given up (acked_ms 0), so a restart does not send it again.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let rows = store.forward_acks("mute").await.unwrap();
        assert_eq!(
            rows.iter()
                .map(|r| (r.acked_ms, r.tries))
                .collect::<Vec<_>>(),
            [(0, 2)]
        );
        srv.shutdown().await.unwrap();
    }
}
