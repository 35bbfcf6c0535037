//! Review marks on both backends: a mark needs a known station, whole hours,
//! a range and a note; it is listed with its trail, restored once (the
//! second restore is a conflict) and never deleted; both steps are audited.

use lantian_store::reviews::NewReview;

fn mark(site: &str, from_s: i64, to_s: i64, note: &str) -> NewReview {
    NewReview {
        site_code: site.into(),
        code: Some("a34004".into()),
        from_s,
        to_s,
        reason: "calibration".into(),
        note: note.into(),
        evidence: "记录 7".into(),
    }
}

#[tokio::test]
async fn marks_are_checked_listed_restored_once_and_audited() {
    for url in lantian_store::testing::databases("reviews").await {
        let store = lantian_store::Store::connect(&url).await.unwrap();
        let dev = lantian_store::testing::ambient_spec("MN0000000001", "S1");
        store.add_device(&dev, "t").await.unwrap();
        let t0 = 1_735_660_800; // 2025-01-01 00:00 +08:00
        for (m, says) in [
            (mark("S9", t0, t0 + 3600, "x"), "no station S9"),
            (mark("S1", t0 + 60, t0 + 3600, "x"), "on the hour"),
            (mark("S1", t0, t0, "x"), "after"),
            (mark("S1", t0, t0 + 400 * 86_400, "x"), "at most"),
            (mark("S1", t0, t0 + 3600, "  "), "note"),
        ] {
            let e = store.mark_review(&m, "li").await.unwrap_err().to_string();
            assert!(e.contains(says), "{e}");
        }
        assert!(store.reviews(None, false).await.unwrap().is_empty());
        let id = store
            .mark_review(&mark("S1", t0, t0 + 86_400, "校准"), "li")
            .await
            .unwrap();
        let rows = store.reviews(Some("S1"), true).await.unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(
            (
                r.site_code.as_str(),
                r.code.as_deref(),
                r.to_s - r.from_s,
                r.note.as_str()
            ),
            ("S1", Some("a34004"), 86_400, "校准")
        );
        assert!(store.reviews(Some("S2"), false).await.unwrap().is_empty());
        assert!(store.restore_review(id, "wang", "复核有效").await.unwrap());
        let again = store.restore_review(id, "chen", "again").await;
        assert!(
            matches!(again, Err(lantian_store::Error::Conflict(_))),
            "{again:?}"
        );
        assert!(!store.restore_review(id + 100, "chen", "x").await.unwrap());
        assert!(store.reviews(None, true).await.unwrap().is_empty());
        let all = store.reviews(None, false).await.unwrap();
        assert_eq!(
            (
                all[0].restored_by.as_deref(),
                all[0].restore_note.as_deref()
            ),
            (Some("wang"), Some("复核有效"))
        );
        let log = store.audit_log(10).await.unwrap();
        let steps: Vec<(&str, &str)> = log
            .iter()
            .map(|e| (e.actor.as_str(), e.action.as_str()))
            .filter(|(_, a)| a.starts_with("review."))
            .collect();
        assert_eq!(steps.len(), 2, "{steps:?}");
        assert!(
            steps.contains(&("li", "review.mark")) && steps.contains(&("wang", "review.restore"))
        );
    }
}
