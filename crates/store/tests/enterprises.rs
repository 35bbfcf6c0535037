//! The enterprise register and the alarms on both backends: a change is
//! kept with who and when, a stale writer is refused, an MN is the device
//! of one outlet only, an alarm raised twice is one alarm, and two
//! concurrent transitions of one alarm end with one winner.

use lantian_sources::alarm::{Action, State};
use lantian_sources::register::{Firm, Outlet};
use lantian_store::Store;
use lantian_store::alarms::{AlarmFilter, AlarmMove, NewAlarm};
use lantian_store::enterprises::{Put, Township};
use lantian_types::CreditCode;

fn code(prefix17: &str) -> String {
    CreditCode::complete(prefix17).unwrap().to_string()
}

fn firm(code: &str, township: &str, mn: &str) -> Firm {
    Firm {
        credit_code: code.into(),
        name: format!("示例企业{}", &code[14..]),
        township: township.into(),
        industry: "C3031".into(),
        outlets: vec![Outlet {
            code: "DA001".into(),
            name: "窑炉".into(),
            mn: Some(mn.into()),
            height_m: None,
            source_type: "brick".into(),
            line: String::new(),
        }],
        sample: true,
        ..Firm::default()
    }
}

fn alarm(key: &str, credit: &str, end: &str, hours: i64) -> NewAlarm {
    NewAlarm {
        key: key.into(),
        credit_code: credit.into(),
        township: "羊册镇".into(),
        outlet: "DA001".into(),
        rule: "exceed".into(),
        rule_version: "sources-1".into(),
        code: "a34013".into(),
        start_label: "2026-01-05 08".into(),
        end_label: end.into(),
        hours,
        minutes: 0,
        max_value: Some("41.2".into()),
        limit_value: Some("30".into()),
        settings: "{}".into(),
        evidence: "[]".into(),
        sample: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firm_is_kept_with_its_history_and_one_device_per_outlet() {
    for url in lantian_store::testing::databases("enterprises_put").await {
        let store = Store::connect(&url).await.unwrap();
        let added = store
            .put_townships(
                &[Township {
                    name: "羊册镇".into(),
                    code: Some("411726102".into()),
                    sample: 0,
                }],
                "admin",
            )
            .await
            .unwrap();
        assert_eq!(added, 1, "{url}");
        assert_eq!(store.townships().await.unwrap()[0].name, "羊册镇");

        let a = code("91411726MA4000001");
        let b = code("91411726MA4000002");
        let mut f = firm(&a, "羊册镇", "LTDEMOC000001");
        assert_eq!(
            store.put_firm(&f, None, "admin").await.unwrap(),
            Put::Created
        );
        assert_eq!(
            store.put_firm(&f, None, "admin").await.unwrap(),
            Put::Unchanged,
            "{url}: the same record again writes nothing"
        );
        f.name = "示例企业（更名）".into();
        assert_eq!(
            store.put_firm(&f, Some(1), "bureau1").await.unwrap(),
            Put::Updated
        );
        // A writer that read version 1 is now stale.
        let stale = store.put_firm(&f, Some(1), "bureau2").await.unwrap_err();
        assert!(
            matches!(stale, lantian_store::Error::Conflict(_)),
            "{url}: {stale}"
        );
        let stored = store.firm(&a).await.unwrap().unwrap();
        assert_eq!((stored.version, stored.updated_by.as_str()), (2, "bureau1"));
        let changes = store.firm_changes(&a, 10).await.unwrap();
        let who: Vec<(&str, &str)> = changes
            .iter()
            .map(|c| (c.actor.as_str(), c.action.as_str()))
            .collect();
        assert_eq!(who.len(), 2, "{url}: {who:?}");
        assert!(who.contains(&("admin", "create")) && who.contains(&("bureau1", "update")));
        let update = changes.iter().find(|c| c.action == "update").unwrap();
        assert!(update.before_doc.as_deref().unwrap().contains("示例企业"));
        assert!(update.after_doc.as_deref().unwrap().contains("更名"));

        // Another firm may not take the same device.
        let taken = store
            .put_firm(&firm(&b, "羊册镇", "LTDEMOC000001"), None, "admin")
            .await
            .unwrap_err();
        assert!(
            taken
                .to_string()
                .contains("already the device of outlet DA001"),
            "{url}: {taken}"
        );
        assert!(
            store.firm(&b).await.unwrap().is_none(),
            "{url}: nothing of it stored"
        );
        let of = store.outlet_of_mn("LTDEMOC000001").await.unwrap().unwrap();
        assert_eq!(
            (of.credit_code.as_str(), of.outlet.as_str()),
            (a.as_str(), "DA001")
        );

        let stamp = store.register_stamp().await.unwrap();
        assert!(store.delete_firm(&a, "admin").await.unwrap());
        assert!(store.register_stamp().await.unwrap() != stamp, "{url}");
        assert!(store.outlet_of_mn("LTDEMOC000001").await.unwrap().is_none());
        assert_eq!(store.firm_changes(&a, 10).await.unwrap().len(), 3, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_is_raised_once_and_moved_by_one_winner() {
    for url in lantian_store::testing::databases("alarms_move").await {
        let store = Store::connect(&url).await.unwrap();
        let a = code("91411726MA4000001");
        let r = store
            .raise_alarms(&[alarm("k1", &a, "2026-01-05 09", 2)])
            .await
            .unwrap();
        assert_eq!((r.opened, r.extended), (1, 0), "{url}");
        // The same event judged again: nothing; the run grew: extended.
        let r = store
            .raise_alarms(&[alarm("k1", &a, "2026-01-05 09", 2)])
            .await
            .unwrap();
        assert_eq!((r.opened, r.extended), (0, 0), "{url}");
        let r = store
            .raise_alarms(&[alarm("k1", &a, "2026-01-05 11", 4)])
            .await
            .unwrap();
        assert_eq!((r.opened, r.extended), (0, 1), "{url}");
        let list = store
            .alarms(&AlarmFilter {
                credit_code: Some(a.clone()),
                active: true,
                ..AlarmFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(list.len(), 1, "{url}");
        let id = list[0].id;
        assert_eq!(
            (list[0].hours, list[0].end_label.as_str()),
            (4, "2026-01-05 11")
        );

        // Two bureau users act at once on the open alarm: one wins.
        let (s1, s2) = (store.clone(), store.clone());
        let mv = |action, to| AlarmMove {
            id,
            from: State::Open,
            action,
            to,
            ticket_id: None,
        };
        let (m1, m2) = (
            mv(Action::Acknowledge, State::Acknowledged),
            mv(Action::Close, State::Closed),
        );
        let t1 = tokio::spawn(async move { s1.move_alarm(&m1, "b1", "").await });
        let t2 = tokio::spawn(async move { s2.move_alarm(&m2, "b2", "误报").await });
        let (r1, r2) = (t1.await.unwrap(), t2.await.unwrap());
        assert!(r1.is_ok() != r2.is_ok(), "{url}: {r1:?} {r2:?}");
        let loser = r1.err().or(r2.err()).unwrap();
        assert!(matches!(loser, lantian_store::Error::Conflict(_)), "{url}");
        let hist = store.alarm_history(id).await.unwrap();
        assert_eq!(hist.len(), 2, "{url}: opened, and the winner's step only");
        let now = store.alarm(id).await.unwrap().unwrap();
        assert_eq!(now.state, hist[1].to_state);
        assert_eq!(now.version, 2);

        // Once closed, judging the same run again does not reopen it.
        if now.state == "closed" {
            let r = store
                .raise_alarms(&[alarm("k1", &a, "2026-01-05 12", 5)])
                .await
                .unwrap();
            assert_eq!((r.opened, r.extended), (0, 0), "{url}");
        }
        let att = store
            .attach_to_alarm(id, "说明.pdf", "application/pdf", b"%PDF-1.4 x", &a)
            .await
            .unwrap();
        let (info, body) = store.alarm_attachment(att).await.unwrap().unwrap();
        assert_eq!((info.size, body.as_slice()), (10, &b"%PDF-1.4 x"[..]));
        assert_eq!(store.alarm_attachments(id).await.unwrap().len(), 1);
    }
}
