//! The journal on both backends: a retransmission is decided by the writer
//! (journaled and counted as `duplicate`, its values stored once), the
//! device page's counts are kept as frames are written, and the retention
//! sweep keeps the journal within its age and count limits.

use lantian_store::{
    Batch, DeviceSpec, FrameRec, QuarantineRec, Retention, Site, Store, UploadRec, ValueRec,
    Verdict,
};

fn spec(mn: &str) -> DeviceSpec {
    DeviceSpec {
        mn: lantian_types::Mn::parse(mn).unwrap(),
        password: "123456".into(),
        site: Site {
            code: lantian_types::SiteCode::parse(&format!("S-{mn}")).unwrap(),
            name: mn.into(),
            kind: "ambient".parse().unwrap(),
            township: None,
            lon: None,
            lat: None,
            assessment: true,
        },
        kind: "ambient".parse().unwrap(),
        protocol: "auto".parse().unwrap(),
        crc: "hj212".parse().unwrap(),
        unit_overrides: String::new(),
        rtd_interval_s: None,
        min_interval_min: None,
        sm4_key_sealed: None,
    }
}

/// One frame carrying one hourly upload of `device` at `data_time`, with
/// the given flags on its values.
fn upload_batch(device: i64, received_ms: i64, data_time: i64, flags: &[&str]) -> Batch {
    Batch {
        frames: vec![FrameRec {
            received_ms,
            peer: "127.0.0.1:1".into(),
            mn: Some("MN1".into()),
            qn: None,
            cn: Some("2061".into()),
            device_id: Some(device),
            verdict: Verdict::Stored,
            reason: None,
            raw: b"##".to_vec(),
            upload: Some(0),
        }],
        uploads: vec![UploadRec {
            device_id: device,
            mn: "MN1".into(),
            cn: 2061,
            data_time,
            qn: None,
            received_ms,
            late: false,
            values: flags
                .iter()
                .enumerate()
                .map(|(i, f)| ValueRec {
                    code: format!("a3400{i}"),
                    field: "Avg".into(),
                    raw: "35".into(),
                    num: Some(35.0),
                    flag: Some(f.to_string()),
                })
                .collect(),
        }],
        seen: vec![(device, received_ms)],
        ..Batch::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retransmission_is_a_duplicate_decided_by_the_writer() {
    for url in lantian_store::testing::databases("journal_dup").await {
        let store = Store::connect(&url).await.unwrap();
        let id = store.add_device(&spec("MN1"), "test").await.unwrap();
        let now = chrono::Utc::now().timestamp_millis();
        let t = 1_735_689_600; // 2025-01-01T00:00:00Z
        let first = store
            .write_batch(&upload_batch(id, now, t, &["N", "M"]), "t")
            .await
            .unwrap();
        assert_eq!(first.verdicts, [Verdict::Stored], "{url}");
        assert_eq!((first.uploads_new, first.values), (1, 2));
        // The same (MN, CN, DataTime) again, in a later batch ...
        let again = store
            .write_batch(&upload_batch(id, now, t, &["N", "M"]), "t")
            .await
            .unwrap();
        assert_eq!(again.verdicts, [Verdict::Duplicate], "{url}");
        assert_eq!(
            (again.uploads_new, again.duplicates, again.values),
            (0, 1, 0)
        );
        // ... and twice within one batch (the first wins).
        let mut twice = upload_batch(id, now, t + 3600, &["N"]);
        twice.append(upload_batch(id, now, t + 3600, &["N"]));
        let out = store.write_batch(&twice, "t").await.unwrap();
        assert_eq!(out.verdicts, [Verdict::Stored, Verdict::Duplicate], "{url}");
        // The journal and the device page say the same.
        let v = store.frame_verdicts().await.unwrap();
        assert_eq!(
            (v.get("stored"), v.get("duplicate")),
            (Some(&2), Some(&2)),
            "{url}"
        );
        let h = store.device_health(now - 86_400_000).await.unwrap();
        let h = &h["MN1"];
        assert_eq!(h.frames_of(Verdict::Stored), 2, "{url}");
        assert_eq!(h.frames_of(Verdict::Duplicate), 2, "{url}");
        assert_eq!(h.flagged, 1, "{url}: the M of the first copy only");
        let dev = &store.devices().await.unwrap()[0];
        assert_eq!(dev.latest_data_s, Some(t + 3600), "{url}");
        assert_eq!(dev.last_seen_ms, Some(now), "{url}");
        // Counts older than the window are not in it.
        let later = store.device_health(now + 2 * 3_600_000).await.unwrap();
        assert!(!later.contains_key("MN1"), "{url}: {later:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_is_swept_by_age_and_by_count() {
    for url in lantian_store::testing::databases("journal_sweep").await {
        let store = Store::connect(&url).await.unwrap();
        let day = 86_400_000i64;
        let now = 1_767_225_600_000i64; // 2026-01-01T00:00:00Z
        // 100 frames from an unknown MN, one every hour from 10 days ago;
        // each is journaled and quarantined.
        let mut b = Batch::default();
        for i in 0..100 {
            let at = now - 10 * day + i * 3_600_000;
            b.frames.push(FrameRec {
                received_ms: at,
                peer: "198.51.100.7:4000".into(),
                mn: Some(format!("X{i}")),
                qn: None,
                cn: None,
                device_id: None,
                verdict: Verdict::Quarantine,
                reason: Some("unknown MN".into()),
                raw: vec![b'#'; 100],
                upload: None,
            });
            b.quarantine.push(QuarantineRec {
                received_ms: at,
                peer: "198.51.100.7:4000".into(),
                mn: Some(format!("X{i}")),
                reason: "unknown MN".into(),
                raw: vec![b'#'; 100],
            });
        }
        store.write_batch(&b, "t").await.unwrap();
        // Keep frames 7 days (the first 72 are older) and quarantine 80 rows.
        let keep = Retention {
            frames_days: 7,
            frames_rows: 1_000,
            quarantine_days: 30,
            quarantine_rows: 80,
        };
        let out = store.sweep(keep, now).await.unwrap();
        assert_eq!((out.frames, out.quarantine), (72, 20), "{url}");
        assert_eq!(store.count("frames").await.unwrap(), 28);
        assert_eq!(store.count("quarantine").await.unwrap(), 80);
        // The newest stayed.
        let newest = store.recent_frames(None, None, 1).await.unwrap();
        assert_eq!(newest[0].mn.as_deref(), Some("X99"), "{url}");
        // A second sweep finds nothing more.
        let out = store.sweep(keep, now).await.unwrap();
        assert_eq!((out.frames, out.quarantine), (0, 0), "{url}");
        // By count too: keep 10 frames.
        let out = store
            .sweep(
                Retention {
                    frames_rows: 10,
                    ..keep
                },
                now,
            )
            .await
            .unwrap();
        assert_eq!(out.frames, 18, "{url}");
        assert_eq!(store.count("frames").await.unwrap(), 10);
    }
}

/// A site's name and coordinates are checked where every registration
/// passes (CLI, import, API): control characters and coordinates off the
/// globe are refused with the site named, and nothing is stored.
#[tokio::test]
async fn a_site_with_a_bad_name_or_coordinates_is_refused() {
    for url in lantian_store::testing::databases("bad_sites").await {
        let store = Store::connect(&url).await.unwrap();
        let with = |f: &dyn Fn(&mut Site)| {
            let mut d = spec("MN100");
            f(&mut d.site);
            d
        };
        for (d, want) in [
            (with(&|s| s.lon = Some(999.0)), "longitude 999"),
            (with(&|s| s.lat = Some(-999.0)), "latitude -999"),
            (with(&|s| s.lat = Some(f64::INFINITY)), "latitude inf"),
            (with(&|s| s.lon = Some(f64::NAN)), "longitude NaN"),
            (
                with(&|s| s.name = "line1\r\nline2\u{1b}[31m".into()),
                "U+000D",
            ),
            (with(&|s| s.township = Some("=1+2\r\nx".into())), "township"),
        ] {
            let e = store.add_device(&d, "test").await.unwrap_err().to_string();
            assert!(e.contains("site S-MN100") && e.contains(want), "{url}: {e}");
        }
        assert!(store.devices().await.unwrap().is_empty(), "{url}");
    }
}
