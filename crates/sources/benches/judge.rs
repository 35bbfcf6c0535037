//! Judging speed: one year of hourly data of 1,000 outlets in memory, and
//! one new hour for 1,000 outlets over their 30-day windows (what the live
//! judging does as an hour commits). `cargo bench -p lantian-sources --bench judge`.

use criterion::{Criterion, criterion_group, criterion_main};
use lantian_sources::judge::{self, Hours, O2_CODE, Settings};
use lantian_sources::{Averaging, Fixed, Flag, Limit};

fn limits() -> Vec<Limit> {
    ["a34013", "a21026", "a21002"]
        .iter()
        .zip(["10", "35", "50"])
        .map(|(code, l)| Limit {
            code: code.to_string(),
            limit: Fixed::parse(l).unwrap(),
            ref_o2: Some(Fixed::new(9, 0)),
            averaging: Averaging::Hour,
            from: None,
            to: None,
            standard: String::new(),
            clause: String::new(),
        })
        .collect()
}

/// An outlet's hours: PM, SO2, NOx, O2 (and NH3), values varying with a
/// seed and within the limits after correction (a compliant stack), but
/// for one 3-hour PM exceedance at an hour of its own.
fn outlet(seed: u64, hours: usize) -> Hours {
    let mut h = Hours::new(0, hours);
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let fault = (seed as i64 * 37) % hours as i64;
    for i in 0..hours as i64 {
        for (k, code) in ["a34013", "a21026", "a21002", O2_CODE, "a21001"]
            .iter()
            .enumerate()
        {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let base = [6, 20, 35, 0, 2][k];
            let v = if *code == O2_CODE {
                // 10.0–12.9 %.
                100 + (x >> 40) % 30
            } else if k == 0 && (fault..fault + 3).contains(&i) {
                base * 30
            } else {
                base * 5 + (x >> 40) % (base * 3)
            };
            h.set(code, i, Fixed::new(v as i64, 1), Flag::N);
        }
    }
    h
}

fn bench(c: &mut Criterion) {
    let limits = limits();
    let s = Settings::default();
    let year: Vec<Hours> = (0..1000).map(|i| outlet(i, 8760)).collect();
    c.bench_function(
        "judge 1,000 outlets × 8,760 hours (4 pollutants + O2)",
        |b| {
            b.iter(|| {
                std::thread::scope(|sc| {
                    let (a, z) = year.split_at(500);
                    let h1 = sc.spawn(|| {
                        a.iter()
                            .map(|h| judge::judge(h, &limits, &s, (0, 8759)).len())
                            .sum::<usize>()
                    });
                    let n2: usize = z
                        .iter()
                        .map(|h| judge::judge(h, &limits, &s, (0, 8759)).len())
                        .sum();
                    h1.join().unwrap() + n2
                })
            })
        },
    );
    let windows: Vec<Hours> = (0..1000).map(|i| outlet(i, 720)).collect();
    c.bench_function(
        "judge one new hour, whole windows again: 1,000 outlets × 720 hours",
        |b| {
            b.iter(|| {
                windows
                    .iter()
                    .map(|h| judge::judge(h, &limits, &s, (0, 719)).len())
                    .sum::<usize>()
            })
        },
    );
    // What the live job does: only the day of the new hour is judged
    // again (the whole window where an event reaches back to its start).
    c.bench_function(
        "judge one new hour (judge_since): 1,000 outlets × 720-hour windows",
        |b| {
            b.iter(|| {
                windows
                    .iter()
                    .map(|h| judge::judge_since(h, &limits, &s, (0, 719), 719).len())
                    .sum::<usize>()
            })
        },
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
