//! `cargo bench -p lantian-standards --bench aqi`: the AQI of one set of
//! concentrations (target: under 1 µs).
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use lantian_standards::aqi::{Inputs, Reading, Report, Standard, compute};

fn inputs(pairs: &[(&str, &str)]) -> Inputs {
    let mut i = Inputs::new();
    for (k, v) in pairs {
        i.set(k.parse().unwrap(), Reading::Value(v.parse().unwrap()));
    }
    i
}

fn bench(c: &mut Criterion) {
    let daily2026 = inputs(&[
        ("SO2_24h", "6"),
        ("NO2_24h", "35"),
        ("PM10_24h", "60"),
        ("CO_24h", "0.7"),
        ("O3_8h", "200"),
        ("PM2.5_24h", "30"),
    ]);
    let daily2012 = inputs(&[
        ("SO2_24h", "30"),
        ("NO2_24h", "70"),
        ("PM10_24h", "180"),
        ("CO_24h", "1.8"),
        ("O3_1h", "40"),
        ("O3_8h", "30"),
        ("PM2.5_24h", "120"),
    ]);
    c.bench_function("aqi daily hj633-2026 (6 indicators)", |b| {
        b.iter(|| compute(Standard::Hj633_2026, Report::Daily, black_box(&daily2026)))
    });
    c.bench_function("aqi daily hj633-2012 (7 indicators)", |b| {
        b.iter(|| compute(Standard::Hj633_2012, Report::Daily, black_box(&daily2012)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
