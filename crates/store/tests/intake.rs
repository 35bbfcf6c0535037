//! Intake on both backends: a site's intake device is made once, values are
//! stored once per (station, hour, code), a pollutant added later to an
//! hour joins its upload, and every write names its uploads in the outbox.

use lantian_store::Site;
use lantian_store::intake::IntakeValue;

fn site(code: &str) -> Site {
    Site {
        code: lantian_types::SiteCode::parse(code).unwrap(),
        name: code.into(),
        kind: "ambient".parse().unwrap(),
        township: None,
        lon: None,
        lat: None,
        assessment: true,
    }
}

fn value(d: &lantian_store::intake::IntakeDevice, t: i64, code: &str, raw: &str) -> IntakeValue {
    IntakeValue {
        device_id: d.device_id,
        mn: d.mn.clone(),
        data_time: t,
        code: code.into(),
        raw: raw.into(),
        flag: None,
    }
}

#[tokio::test]
async fn intake_is_idempotent_per_station_hour_and_code() {
    for url in lantian_store::testing::databases("intake").await {
        let store = lantian_store::Store::connect(&url).await.unwrap();
        assert_eq!(store.intake_device("BJ01", None, "t").await.unwrap(), None);
        let d = store
            .intake_device("BJ01", Some(&site("BJ01")), "t")
            .await
            .unwrap()
            .unwrap();
        // Asked again: the same device, no second one.
        assert_eq!(
            store.intake_device("BJ01", None, "t").await.unwrap(),
            Some(d.clone())
        );
        assert!(d.mn.starts_with("LTIN") && d.mn.len() == 14, "{}", d.mn);
        let t0 = 1_735_689_600; // 2025-01-01T00:00Z
        let first = [
            value(&d, t0, "a34004", "35"),
            value(&d, t0, "a21005", "0.8"),
            value(&d, t0, "a34004", "99"), // twice in the call: the first counts
            value(&d, t0 + 3600, "a34004", "40"),
        ];
        let out = store
            .write_intake(first.to_vec(), "n1", false, "t")
            .await
            .unwrap();
        assert_eq!((out.stored, out.duplicates), (3, 1));
        assert_eq!(out.uploads.len(), 2);
        let c1 = out.commit_id.unwrap();
        // Again: nothing stored, no outbox row.
        let out = store
            .write_intake(first.to_vec(), "n1", false, "t")
            .await
            .unwrap();
        assert_eq!((out.stored, out.duplicates, out.commit_id), (0, 4, None));
        // SO2 joins the first hour; PM2.5 stays as first stored.
        let out = store
            .write_intake(
                vec![value(&d, t0, "a21026", "7"), value(&d, t0, "a34004", "50")],
                "n1",
                false,
                "t",
            )
            .await
            .unwrap();
        assert_eq!((out.stored, out.duplicates), (1, 1));
        assert_eq!(out.uploads.len(), 1);
        assert_eq!(
            out.uploads[0].values.len(),
            1,
            "the feed carries only the new value"
        );
        assert!(out.commit_id.unwrap() > c1);
        // Read back as the assessment reads: every value of the hour.
        let mut seen = Vec::new();
        store
            .each_upload("ambient", &[2061], &mut |u| {
                let mut v: Vec<String> = u
                    .values
                    .iter()
                    .map(|v| format!("{}={}", v.code, v.raw))
                    .collect();
                v.sort();
                seen.push((u.data_time, v.join(",")));
            })
            .await
            .unwrap();
        seen.sort();
        assert_eq!(
            seen,
            [
                (t0, "a21005=0.8,a21026=7,a34004=35".to_string()),
                (t0 + 3600, "a34004=40".to_string())
            ]
        );
        // The outbox names the hours each write touched.
        let rows = store.commits_since(0, 10).await.unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].keys(), [(d.device_id, 2061, t0)]);
        let dev = store
            .devices()
            .await
            .unwrap()
            .into_iter()
            .find(|x| x.id == d.device_id)
            .unwrap();
        assert!(dev.intake && !dev.enabled);
        // Each write that stored left an audit row; no write can take the
        // intake device over.
        let audit = store.audit_log(20).await.unwrap();
        assert_eq!(
            audit
                .iter()
                .filter(|a| a.action == "intake.push" && a.actor == "t")
                .count(),
            2
        );
        let spec = lantian_store::DeviceSpec {
            mn: lantian_types::Mn::parse(&d.mn).unwrap(),
            password: "x".into(),
            site: site("BJ02"),
            kind: "ambient".parse().unwrap(),
            protocol: "auto".parse().unwrap(),
            crc: "hj212".parse().unwrap(),
            unit_overrides: String::new(),
            rtd_interval_s: None,
            min_interval_min: None,
            sm4_key_sealed: None,
        };
        let e = store.add_device(&spec, "t").await.unwrap_err().to_string();
        assert!(e.contains("kept for the stations' intake devices"), "{e}");
        assert_eq!(dev.latest_data_s, Some(t0 + 3600));
    }
}
