//! Tickets on the embedded database (a file, WAL, synchronous=FULL): one
//! whole loop (open, assign, verify, feed back, accept: five transactions,
//! each with its history, audit and inbox rows), a list page (500 of 10,000
//! tickets, newest first, a township's), and the ladder's read of every
//! ticket on the clock (10,000). `cargo bench -p lantian-store --bench tickets`.

use criterion::{Criterion, criterion_group, criterion_main};
use lantian_store::Store;
use lantian_store::tickets::{Changes, NewTicket, Notice, TicketFilter, TicketMove};
use lantian_tickets::machine::{Action, Finding, State};

const H: i64 = 3_600_000;

fn new(i: usize) -> NewTicket {
    NewTicket {
        title: format!("工地扬尘 {i}"),
        description: "建设路工地渣土未覆盖".into(),
        source: "manual".into(),
        severity: "ordinary".into(),
        township: Some(format!("镇{}", i % 20)),
        assign: Some((
            format!("township:镇{}", i % 20),
            1_800_000_000_000 + 360 * H,
        )),
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

async fn the_loop(store: &Store, i: usize) {
    let at = 1_800_000_000_000;
    let note = Notice {
        to: format!("township:镇{}", i % 20),
        kind: "assigned".into(),
        text: "新交办".into(),
    };
    let id = store
        .create_ticket(&new(i), "bureau", at, std::slice::from_ref(&note))
        .await
        .unwrap();
    let moves = [
        step(
            id,
            State::Assigned,
            Action::Verify,
            State::Rectifying,
            Changes {
                finding: Some(Finding::Real),
                ..Changes::default()
            },
        ),
        step(
            id,
            State::Rectifying,
            Action::Feedback,
            State::Reviewing,
            Changes::default(),
        ),
        step(
            id,
            State::Reviewing,
            Action::Return,
            State::Rectifying,
            Changes::default(),
        ),
        step(
            id,
            State::Rectifying,
            Action::Feedback,
            State::Reviewing,
            Changes::default(),
        ),
        step(
            id,
            State::Reviewing,
            Action::Accept,
            State::Closed,
            Changes {
                ends: true,
                ..Changes::default()
            },
        ),
    ];
    for m in moves {
        store
            .move_ticket(&m, "town", "已整改", at + H, &[])
            .await
            .unwrap();
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = std::env::temp_dir().join(format!("lantian-bench-tickets-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = rt
        .block_on(Store::connect(&format!(
            "sqlite://{}",
            dir.join("t.db").display()
        )))
        .unwrap();
    rt.block_on(async {
        for t in 0..20 {
            store
                .add_user(
                    &format!("town{t}"),
                    "x",
                    "township",
                    Some(&format!("镇{t}")),
                    "bench",
                )
                .await
                .unwrap();
        }
        for i in 0..10_000 {
            store
                .create_ticket(&new(i), "bureau", 1_800_000_000_000 + i as i64, &[])
                .await
                .unwrap();
        }
    });
    let mut i = 10_000;
    c.bench_function("tickets/one whole loop (6 transactions)", |b| {
        b.iter(|| {
            i += 1;
            rt.block_on(the_loop(&store, i))
        })
    });
    let town = TicketFilter {
        visible_to: Some(("township:镇3".into(), Some("镇3".into()))),
        limit: 500,
        ..TicketFilter::default()
    };
    c.bench_function("tickets/a township's list (of 10,000+)", |b| {
        b.iter(|| rt.block_on(store.tickets(&town)).unwrap())
    });
    c.bench_function("tickets/counts by state (all)", |b| {
        b.iter(|| {
            rt.block_on(store.ticket_counts(&TicketFilter::default()))
                .unwrap()
        })
    });
    c.bench_function("tickets/on the clock (the ladder's read, 10,000)", |b| {
        b.iter(|| rt.block_on(store.tickets_on_the_clock()).unwrap())
    });
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
