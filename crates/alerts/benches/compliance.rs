//! Compliance of 1,000 firms over a 72-hour alert: each firm's hourly load
//! for the 8 days before and the alert itself, judged against its baseline
//! (the same hours of the 7 days before, leaving out the 24 h just before)
//! under its measure. Target ≤ 2 s. `cargo bench -p lantian-alerts --bench compliance`.

use criterion::{Criterion, criterion_group, criterion_main};
use lantian_alerts::compliance::{Series, Settings, judge};
use lantian_alerts::measures::Action;

const HOUR: i64 = 3_600_000;

fn firms(n: usize, start: i64) -> Vec<(Series, Action)> {
    let from = start - 8 * 24 * HOUR;
    (0..n)
        .map(|f| {
            let mut x = (f as u64).wrapping_mul(6364136223846793005).wrapping_add(1);
            let loads = (0..(8 * 24 + 72))
                .map(|i| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let noise = (x >> 33) as i64 % 100_000;
                    let base = 1_000_000 + noise;
                    let t = from + i as i64 * HOUR;
                    // A third stop, a third cut 40 %, a third keep running.
                    Some(if t < start {
                        base
                    } else {
                        match f % 3 {
                            0 => base / 20,
                            1 => base * 6 / 10,
                            _ => base,
                        }
                    })
                })
                .collect();
            let action = match f % 4 {
                0 => Action::Stop,
                1 => Action::Limit(30),
                2 => Action::Limit(10),
                _ => Action::Voluntary,
            };
            (
                Series {
                    start_ms: from,
                    loads,
                },
                action,
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let start = 1_800_000_000_000 - 1_800_000_000_000 % HOUR;
    let fs = firms(1000, start);
    let set = Settings::default();
    c.bench_function("compliance/1,000 firms × 72 h", |b| {
        b.iter(|| {
            let mut violations = 0;
            for (s, a) in &fs {
                violations += judge(s, *a, start, 72, &set).violations;
            }
            violations
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
