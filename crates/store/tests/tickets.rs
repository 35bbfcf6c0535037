//! Tickets on both backends: a whole loop with its history, the audit and
//! the inbox; two concurrent transitions from one state end with one
//! winner; a ladder step is recorded once; a file attached twice is kept
//! once; lists by scope.

use lantian_store::Store;
use lantian_store::tickets::{Changes, NewTicket, Notice, TicketFilter, TicketMove};
use lantian_tickets::machine::{Action, Finding, State};

const T0: i64 = 1_793_462_400_000;
const H: i64 = 3_600_000;

fn report() -> NewTicket {
    NewTicket {
        title: "工地扬尘".into(),
        description: "泌水街道某工地未覆盖".into(),
        source: "public_report".into(),
        severity: "ordinary".into(),
        township: Some("泌水街道".into()),
        tracking_code: Some("LT7K3M9Q2P".into()),
        sealed_contact: Some("SEALED".into()),
        ..NewTicket::default()
    }
}

fn step(id: i64, from: State, action: Action, to: State, changes: Changes) -> TicketMove {
    TicketMove {
        id,
        from,
        action,
        to,
        version: None,
        changes,
        detail: "{}".into(),
    }
}

async fn users(store: &Store) {
    store
        .add_user("town1", "x", "township", Some("泌水街道"), "t")
        .await
        .unwrap();
    store
        .add_user("town2", "x", "township", Some("花园街道"), "t")
        .await
        .unwrap();
    store
        .add_user("boss", "x", "bureau", None, "t")
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_runs_the_loop_with_its_history_and_inbox() {
    for url in lantian_store::testing::databases("tickets_loop").await {
        let store = Store::connect(&url).await.unwrap();
        users(&store).await;
        let id = store
            .create_ticket(
                &report(),
                "public",
                T0,
                &[Notice {
                    to: "bureau".into(),
                    kind: "new".into(),
                    text: "新举报".into(),
                }],
            )
            .await
            .unwrap();
        let t = store.ticket(id).await.unwrap().unwrap();
        assert_eq!((t.state.as_str(), t.version), ("new", 1));
        assert_eq!(
            store
                .ticket_by_code("LT7K3M9Q2P")
                .await
                .unwrap()
                .unwrap()
                .id,
            id
        );
        assert_eq!(
            store.reporter_contact(id).await.unwrap().as_deref(),
            Some("SEALED")
        );
        let to_town = Notice {
            to: "township:泌水街道".into(),
            kind: "assigned".into(),
            text: "新交办".into(),
        };
        store
            .move_ticket(
                &step(
                    id,
                    State::New,
                    Action::Assign,
                    State::Assigned,
                    Changes {
                        assignee: Some("township:泌水街道".into()),
                        due_ms: Some(T0 + 360 * H),
                        clock_ms: Some(T0),
                        ..Changes::default()
                    },
                ),
                "boss",
                "",
                T0 + H,
                std::slice::from_ref(&to_town),
            )
            .await
            .unwrap();
        // The ladder: remind once, then urge; a repeat of a step is refused.
        assert!(
            !store
                .escalate_ticket(id, 1, None, "remind", "", T0 + 300 * H, &[])
                .await
                .unwrap(),
            "read before the assignment (version 1): refused"
        );
        assert!(
            store
                .escalate_ticket(id, 2, None, "remind", "", T0 + 300 * H, &[])
                .await
                .unwrap()
        );
        assert!(
            !store
                .escalate_ticket(id, 2, None, "remind", "", T0 + 300 * H, &[])
                .await
                .unwrap()
        );
        assert!(
            store
                .escalate_ticket(id, 2, Some("remind"), "urge", "", T0 + 361 * H, &[])
                .await
                .unwrap()
        );
        store
            .move_ticket(
                &step(
                    id,
                    State::Assigned,
                    Action::Verify,
                    State::Rectifying,
                    Changes {
                        finding: Some(Finding::Real),
                        ..Changes::default()
                    },
                ),
                "town1",
                "属实",
                T0 + 362 * H,
                &[],
            )
            .await
            .unwrap();
        // A photo twice: two attachments, one blob.
        let png = b"\x89PNG\r\n\x1a\nfake";
        let a1 = store
            .attach_to_ticket(id, "before.png", "image/png", "before", png, "town1", T0)
            .await
            .unwrap();
        let a2 = store
            .attach_to_ticket(id, "again.png", "image/png", "after", png, "town1", T0)
            .await
            .unwrap();
        assert_ne!(a1, a2);
        let files = store.ticket_files(id).await.unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].sha256, files[1].sha256);
        assert_eq!(
            files[0].sha256,
            // sha256sum of the same bytes (Python's hashlib).
            "68ee4598e64cd28eed508c333dfb14c745677f41e2b012e6256c9b138b304270"
        );
        let (_, body) = store.ticket_file(a2).await.unwrap().unwrap();
        assert_eq!(body, png);
        store
            .move_ticket(
                &step(
                    id,
                    State::Rectifying,
                    Action::Feedback,
                    State::Reviewing,
                    Changes::default(),
                ),
                "town1",
                "已覆盖",
                T0 + 363 * H,
                &[],
            )
            .await
            .unwrap();
        store
            .move_ticket(
                &step(
                    id,
                    State::Reviewing,
                    Action::Return,
                    State::Rectifying,
                    Changes::default(),
                ),
                "boss",
                "照片不清",
                T0 + 364 * H,
                &[],
            )
            .await
            .unwrap();
        store
            .move_ticket(
                &step(
                    id,
                    State::Rectifying,
                    Action::Feedback,
                    State::Reviewing,
                    Changes::default(),
                ),
                "town1",
                "补拍",
                T0 + 365 * H,
                &[],
            )
            .await
            .unwrap();
        store
            .move_ticket(
                &step(
                    id,
                    State::Reviewing,
                    Action::Accept,
                    State::Closed,
                    Changes {
                        ends: true,
                        ..Changes::default()
                    },
                ),
                "boss",
                "整改到位",
                T0 + 366 * H,
                &[],
            )
            .await
            .unwrap();
        let t = store.ticket(id).await.unwrap().unwrap();
        assert_eq!(t.state, "closed");
        assert_eq!(t.ended_ms, Some(T0 + 366 * H));
        assert_eq!(t.finding.as_deref(), Some("real"));
        assert_eq!(t.version, 7);
        let h = store.ticket_history(id).await.unwrap();
        let steps: Vec<String> = h
            .iter()
            .map(|s| format!("{}:{}", s.action, s.to_state))
            .collect();
        assert_eq!(
            steps,
            [
                "create:new",
                "assign:assigned",
                "remind:assigned",
                "urge:assigned",
                "verify:rectifying",
                "feedback:reviewing",
                "return:rectifying",
                "feedback:reviewing",
                "accept:closed"
            ]
        );
        // The inbox: the bureau heard of the report, the township of its assignment.
        let inbox = store.inbox("town1", true, 10).await.unwrap();
        assert_eq!(inbox.len(), 1);
        assert_eq!(inbox[0].kind, "assigned");
        assert!(store.inbox("town2", false, 10).await.unwrap().is_empty());
        assert_eq!(store.inbox("boss", true, 10).await.unwrap().len(), 1);
        assert_eq!(store.mark_read("town1", &[], T0).await.unwrap(), 1);
        assert!(store.inbox("town1", true, 10).await.unwrap().is_empty());
        // The SLA facts: one return, ended after the due time.
        let facts = store.ticket_facts().await.unwrap();
        assert_eq!(facts.len(), 1);
        let f = &facts[0];
        assert_eq!(
            (
                f.assignee.as_str(),
                f.state.as_str(),
                f.created_ms,
                f.due_ms,
                f.ended_ms,
                f.answered_ms
            ),
            (
                "township:泌水街道",
                "closed",
                T0,
                Some(T0 + 360 * H),
                Some(T0 + 366 * H),
                Some(T0 + 365 * H)
            )
        );
        assert_eq!(f.returns_ms, vec![T0 + 364 * H]);
        // Every step was audited.
        let audit = store.audit_log(50).await.unwrap();
        assert_eq!(
            audit
                .iter()
                .filter(|a| a.action.starts_with("ticket."))
                .count(),
            11,
            "9 steps and 2 ladder steps"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_transitions_from_one_state_have_one_winner() {
    for url in lantian_store::testing::databases("tickets_race").await {
        let store = Store::connect(&url).await.unwrap();
        users(&store).await;
        for round in 0..6 {
            let id = store
                .create_ticket(
                    &NewTicket {
                        tracking_code: None,
                        sealed_contact: None,
                        assign: Some(("township:泌水街道".into(), T0 + 24 * H)),
                        ..report()
                    },
                    "boss",
                    T0,
                    &[],
                )
                .await
                .unwrap();
            // Two verifies race from `assigned` (one real, one unfounded),
            // each read at version 2: one wins. (Steps that keep the state
            // are raced in tests/alerts.rs and refused by the version.)
            let a = step(
                id,
                State::Assigned,
                Action::Verify,
                State::Rectifying,
                Changes {
                    finding: Some(Finding::Real),
                    ..Changes::default()
                },
            );
            let b = step(
                id,
                State::Assigned,
                Action::Verify,
                State::Reviewing,
                Changes {
                    finding: Some(Finding::Unfounded),
                    ..Changes::default()
                },
            );
            let (s1, s2) = (store.clone(), store.clone());
            let (r1, r2) = tokio::join!(
                tokio::spawn(async move { s1.move_ticket(&a, "town1", "", T0 + H, &[]).await }),
                tokio::spawn(async move { s2.move_ticket(&b, "town1", "", T0 + H, &[]).await })
            );
            let (r1, r2) = (r1.unwrap(), r2.unwrap());
            assert!(
                r1.is_ok() != r2.is_ok(),
                "round {round}: exactly one wins: {r1:?} {r2:?}"
            );
            let loser = if r1.is_ok() { r2 } else { r1 };
            assert!(matches!(loser, Err(lantian_store::Error::Conflict(_))));
            let t = store.ticket(id).await.unwrap().unwrap();
            let h = store.ticket_history(id).await.unwrap();
            assert_eq!(h.iter().filter(|s| s.action == "verify").count(), 1);
            assert_eq!(h.last().unwrap().to_state, t.state);
            assert_eq!(t.version, 2);
        }
        // A stale version is refused even from the right state.
        let id = store
            .create_ticket(
                &NewTicket {
                    tracking_code: None,
                    sealed_contact: None,
                    ..report()
                },
                "boss",
                T0,
                &[],
            )
            .await
            .unwrap();
        let mut m = step(
            id,
            State::New,
            Action::Comment,
            State::New,
            Changes::default(),
        );
        m.version = Some(7);
        assert!(matches!(
            store.move_ticket(&m, "boss", "x", T0, &[]).await,
            Err(lantian_store::Error::Conflict(_))
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_follow_the_filter_and_the_scope() {
    for url in lantian_store::testing::databases("tickets_list").await {
        let store = Store::connect(&url).await.unwrap();
        let mk = |town: &str, assignee: Option<&str>, due: i64| NewTicket {
            township: Some(town.into()),
            assign: assignee.map(|a| (a.to_string(), due)),
            tracking_code: None,
            sealed_contact: None,
            source: "manual".into(),
            ..report()
        };
        store
            .create_ticket(
                &mk("泌水街道", Some("township:泌水街道"), T0 + H),
                "b",
                T0,
                &[],
            )
            .await
            .unwrap();
        store
            .create_ticket(
                &mk("泌水街道", Some("department:住建局"), T0 + 100 * H),
                "b",
                T0,
                &[],
            )
            .await
            .unwrap();
        store
            .create_ticket(
                &mk("花园街道", Some("township:花园街道"), T0 + H),
                "b",
                T0,
                &[],
            )
            .await
            .unwrap();
        store
            .create_ticket(&mk("花园街道", None, 0), "b", T0, &[])
            .await
            .unwrap();
        let n = |f: TicketFilter| {
            let store = store.clone();
            async move { store.tickets(&f).await.unwrap().len() }
        };
        assert_eq!(n(TicketFilter::default()).await, 4);
        assert_eq!(
            n(TicketFilter {
                state: Some("new".into()),
                ..Default::default()
            })
            .await,
            1
        );
        assert_eq!(
            n(TicketFilter {
                overdue_at: Some(T0 + 2 * H),
                ..Default::default()
            })
            .await,
            2
        );
        // The township sees its own and those located in it; the department its own.
        let town = TicketFilter {
            visible_to: Some(("township:泌水街道".into(), Some("泌水街道".into()))),
            ..Default::default()
        };
        assert_eq!(n(town.clone()).await, 2);
        let dept = TicketFilter {
            visible_to: Some(("department:住建局".into(), None)),
            ..Default::default()
        };
        assert_eq!(n(dept).await, 1);
        let counts = store.ticket_counts(&TicketFilter::default()).await.unwrap();
        let mut counts: Vec<(String, i64)> = counts;
        counts.sort();
        assert_eq!(
            counts,
            vec![("assigned".to_string(), 3), ("new".to_string(), 1)]
        );
    }
}
