//! `cargo bench -p lantian-hj212 --bench parse`: framing + CRC + parsing of
//! one frame, lantian-hj212 beside the crate `a` (0.1.1) on the same bytes.
//! Target: ≥ 1,000,000 frames/s on one core for each workload.
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lantian_hj212::build::SegmentBuilder;
use lantian_hj212::frame::{Event, Framer, FramerConfig};
use lantian_hj212::segment::Packet;

/// A typical hourly flue-gas record (2061) of a boiler CEMS, about 400 bytes.
fn flue_gas_2061() -> Vec<u8> {
    let seg = SegmentBuilder::new()
        .qn("20250110090000123")
        .st("31")
        .cn("2061")
        .pw("123456")
        .mn("410000A8900016F000169DC0")
        .flag(5)
        .cp("DataTime", "20250110080000")
        .item(&[
            ("a00000-Cou", "61234.5"),
            ("a00000-Avg", "17.01"),
            ("a00000-Flag", "N"),
        ])
        .item(&[
            ("a34013-Avg", "3.2"),
            ("a34013-ZsAvg", "4.1"),
            ("a34013-Cou", "0.196"),
            ("a34013-Flag", "N"),
        ])
        .item(&[
            ("a21026-Avg", "12.5"),
            ("a21026-ZsAvg", "16.1"),
            ("a21026-Cou", "0.765"),
            ("a21026-Flag", "N"),
        ])
        .item(&[
            ("a21002-Avg", "38.7"),
            ("a21002-ZsAvg", "49.9"),
            ("a21002-Cou", "2.370"),
            ("a21002-Flag", "N"),
        ])
        .item(&[("a19001-Avg", "11.2"), ("a19001-Flag", "N")])
        .item(&[("a01012-Avg", "52.3"), ("a01012-Flag", "N")])
        .item(&[("a01013-Avg", "-0.21"), ("a01013-Flag", "N")])
        .item(&[("a01014-Avg", "8.9"), ("a01014-Flag", "N")])
        .build();
    lantian_hj212::build::frame(&seg).unwrap()
}

/// A real ambient real-time record (2011) of the reference vectors (fs-0453).
fn ambient_2011() -> Vec<u8> {
    let tsv = include_str!("../tests/fixtures/hj212-vectors.tsv");
    let row = tsv
        .lines()
        .find(|l| l.starts_with("fs-0453-ambient\t"))
        .unwrap();
    row.split('\t')
        .nth(2)
        .unwrap()
        .replace("\\r", "\r")
        .replace("\\n", "\n")
        .into_bytes()
}

fn lantian_once(framer: &mut Framer, bytes: &[u8]) -> usize {
    framer.push(bytes);
    let mut n = 0;
    while let Some(Event::Frame(f)) = framer.next_event() {
        let s = std::str::from_utf8(f.segment).unwrap();
        let p = Packet::parse(s);
        n += p.cp.len() + usize::from(f.is_ok());
    }
    n
}

fn a_once(framer: &mut a::Framer, bytes: &[u8]) -> usize {
    framer.push(bytes);
    let mut n = 0;
    while let Some(frame) = framer.next_frame() {
        let s = std::str::from_utf8(&frame).unwrap();
        if let Ok(p) = a::parse_frame(s) {
            // `a` splits CP on ';' only, so its entries are items, not fields.
            n += usize::from(!p.cp.is_empty());
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    for (name, bytes) in [
        ("2061 flue gas", flue_gas_2061()),
        ("2011 ambient", ambient_2011()),
    ] {
        let mut g = c.benchmark_group(format!("{name} ({} bytes)", bytes.len()));
        g.throughput(Throughput::Elements(1));
        let mut ours = Framer::new(FramerConfig::default());
        assert!(lantian_once(&mut ours, &bytes) > 10);
        g.bench_function("lantian-hj212", |b| {
            b.iter(|| lantian_once(&mut ours, black_box(&bytes)))
        });
        let mut theirs = a::Framer::new();
        assert_eq!(a_once(&mut theirs, &bytes), 1);
        g.bench_function("a 0.1.1", |b| {
            b.iter(|| a_once(&mut theirs, black_box(&bytes)))
        });
        g.finish();
    }
    let frame = flue_gas_2061();
    let seg = &frame[6..frame.len() - 6];
    c.bench_function("parts/crc hj212 (2061 segment)", |b| {
        b.iter(|| lantian_hj212::crc::hj212(black_box(seg)))
    });
    let text = std::str::from_utf8(seg).unwrap();
    c.bench_function("parts/parse segment (2061)", |b| {
        b.iter(|| Packet::parse(black_box(text)).cp.len())
    });
    // HJ 212-2025 SM4: the same 2061 record (the CEMS benchmark's 12-value
    // upload is this shape) with its CP body encrypted, in both wire forms.
    use lantian_hj212::crypto::{TEST_KEY, WireForm, decrypt_segment, encrypt_segment};
    for (form, name) in [
        (WireForm::Text, "text {0x..}"),
        (WireForm::Binary, "raw bytes"),
    ] {
        let enc = encrypt_segment(&TEST_KEY, seg, form).unwrap();
        assert_eq!(decrypt_segment(&TEST_KEY, &enc).unwrap().0, seg);
        c.bench_function(&format!("parts/sm4 decrypt segment (2061, {name})"), |b| {
            b.iter(|| decrypt_segment(&TEST_KEY, black_box(&enc)).unwrap().0.len())
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
