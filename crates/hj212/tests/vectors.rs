//! Every packet of `fixtures/hj212-vectors.tsv`: expected fields, CRC verdict,
//! lengths, tail, and the strict/lenient verdicts of `hj212-verdicts.tsv`.
//! An expectation this harness does not know fails the test.

use std::collections::HashMap;

use lantian_hj212::build;
use lantian_hj212::crc;
use lantian_hj212::frame::{Event, Framer, FramerConfig, Mode, Tail, Warnings};
use lantian_hj212::segment::Packet;

const VECTORS: &str = include_str!("fixtures/hj212-vectors.tsv");
const VERDICTS: &str = include_str!("fixtures/hj212-verdicts.tsv");

struct Vector {
    id: String,
    packet: Vec<u8>,
    crc_valid: bool,
    expected: Vec<(String, String)>,
}

fn unescape(s: &str) -> Vec<u8> {
    s.replace("\\r", "\r").replace("\\n", "\n").into_bytes()
}

fn vectors() -> Vec<Vector> {
    VECTORS
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 5, "row {l}");
            let mut expected = Vec::new();
            let mut rest = f[4];
            while !rest.is_empty() {
                if let Some(note) = rest.strip_prefix("note=") {
                    expected.push(("note".to_string(), note.to_string()));
                    break;
                }
                let (piece, tail) = rest.split_once(';').unwrap_or((rest, ""));
                let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
                expected.push((k.to_string(), v.to_string()));
                rest = tail;
            }
            Vector {
                id: f[0].to_string(),
                packet: unescape(f[2]),
                crc_valid: f[3] == "yes",
                expected,
            }
        })
        .collect()
}

fn verdicts() -> HashMap<String, (bool, bool)> {
    VERDICTS
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), (f[1] == "accept", f[2] == "accept"))
        })
        .collect()
}

/// What the framer made of one vector (owned copies).
struct Got {
    segment: Vec<u8>,
    crc_text: Vec<u8>,
    crc_ok: bool,
    tail: Tail,
    warnings: Warnings,
    error: Option<String>,
    declared: usize,
    ok: bool,
}

/// The single frame of a vector's bytes under `cfg`.
fn one_frame(bytes: &[u8], cfg: FramerConfig) -> Got {
    let mut f = Framer::new(cfg);
    f.push(bytes);
    f.finish();
    let mut out = None;
    while let Some(e) = f.next_event() {
        match e {
            Event::Frame(fr) => {
                assert!(out.is_none(), "one frame only");
                out = Some(Got {
                    segment: fr.segment.to_vec(),
                    crc_text: fr.crc_text.to_vec(),
                    crc_ok: fr.crc_ok(),
                    tail: fr.tail,
                    warnings: fr.warnings,
                    error: fr.error.as_ref().map(|e| e.to_string()),
                    declared: fr.declared_len,
                    ok: fr.is_ok(),
                });
            }
            Event::Skipped { bytes, .. } => panic!(
                "unexpected skipped bytes {:?}",
                String::from_utf8_lossy(bytes)
            ),
        }
    }
    out.expect("a frame")
}

#[test]
fn every_vector() {
    let vs = vectors();
    let verdicts = verdicts();
    assert_eq!(vs.len(), 43);
    assert_eq!(verdicts.len(), 43);
    for v in &vs {
        let id = &v.id;
        let Got {
            segment,
            crc_text,
            crc_ok,
            tail,
            error,
            declared,
            ok: lenient_ok,
            ..
        } = one_frame(&v.packet, FramerConfig::default());
        assert_eq!(crc_ok, v.crc_valid, "{id}: CRC verdict ({error:?})");
        let text = String::from_utf8(segment.clone()).expect("UTF-8 segment");
        let p = Packet::parse(&text);

        // strict and lenient verdicts
        let (strict_want, lenient_want) = verdicts[id];
        assert_eq!(
            lenient_ok, lenient_want,
            "{id}: lenient verdict ({error:?})"
        );
        let strict_frame_ok = one_frame(&v.packet, FramerConfig::strict()).ok;
        let strict_ok = strict_frame_ok && p.strict_problems().is_empty();
        assert_eq!(
            strict_ok,
            strict_want,
            "{id}: strict verdict ({:?})",
            p.strict_problems()
        );

        let mut cp_seen: HashMap<&str, usize> = HashMap::new();
        for (k, want) in &v.expected {
            let k = k.as_str();
            let got: Option<String> = match k {
                "QN" => p.qn.map(str::to_string),
                "ST" => p.st.map(str::to_string),
                "CN" => p.cn.map(str::to_string),
                "PW" => p.pw.map(str::to_string),
                "MN" => p.mn.map(str::to_string),
                "Flag" | "FLAG" => p.flag_text.map(str::to_string),
                "PNUM" => p.pnum.map(str::to_string),
                "PNO" => p.pno.map(str::to_string),
                "USCC" | "IMEI" => p
                    .extra
                    .iter()
                    .find(|(ek, _)| *ek == k)
                    .map(|(_, ev)| ev.to_string()),
                "DataTime" => p.data_time().map(str::to_string),
                "flag_version" => p.flag().map(|f| f.version_bits().to_string()),
                "flag_D" => p.flag().map(|f| u8::from(f.split()).to_string()),
                "flag_A" => p.flag().map(|f| u8::from(f.ack()).to_string()),
                "cp" => Some(if p.cp.is_empty() { "empty" } else { "nonempty" }.to_string()),
                "cp_items_total" => Some(
                    p.cp.iter()
                        .filter(|e| e.key != "DataTime")
                        .count()
                        .to_string(),
                ),
                "len_declared" => Some(declared.to_string()),
                "len_bytes" => Some(segment.len().to_string()),
                "len_chars" => Some(text.chars().count().to_string()),
                "len_ok" => Some(
                    if declared == segment.len() {
                        "yes"
                    } else {
                        "no"
                    }
                    .to_string(),
                ),
                "len_le_1024" => Some(if segment.len() <= 1024 { "yes" } else { "no" }.to_string()),
                "crc_declared" => Some(String::from_utf8_lossy(&crc_text).to_string()),
                "crc_hj212" => Some(format!("{:04X}", crc::hj212(&segment))),
                "crc_modbus" => Some(format!("{:04X}", crc::modbus(&segment))),
                "tail" => Some(
                    match tail {
                        Tail::CrLf => "CRLF",
                        Tail::Lf => "LF",
                        Tail::Missing => "none",
                    }
                    .to_string(),
                ),
                "note" | "crlf_added_here" => continue,
                cp if cp.starts_with("cp.") => {
                    let key = &cp[3..];
                    let n = cp_seen.entry(key).or_default();
                    let got =
                        p.cp.iter()
                            .filter(|e| e.key == key)
                            .nth(*n)
                            .map(|e| e.value.to_string());
                    *n += 1;
                    got
                }
                other => panic!("{id}: unknown expectation `{other}`"),
            };
            assert_eq!(got.as_deref(), Some(want.as_str()), "{id}: {k}");
        }
    }
}

fn vector(id: &str) -> Vec<u8> {
    vectors().into_iter().find(|v| v.id == id).unwrap().packet
}

fn segment_of(bytes: &[u8]) -> String {
    String::from_utf8(one_frame(bytes, FramerConfig::default()).segment).unwrap()
}

#[test]
fn replies_match_the_standard_byte_for_byte() {
    // C.17: the platform's 9014 to the 2061 upload.
    let up = segment_of(&vector("std17-C17-2061"));
    let reply = build::platform_reply(&Packet::parse(&up)).unwrap();
    assert_eq!(reply, vector("std17-C17-9014"));
    // 2005: 9014 and 9011 put the QN in CP.
    let req = segment_of(&vector("tf-0124-2005-req"));
    let p = Packet::parse(&req);
    assert_eq!(
        build::frame(&build::data_ack(&p)).unwrap(),
        vector("std05-C6-9014")
    );
    assert_eq!(
        build::frame(&build::request_answer(&p, 1)).unwrap(),
        vector("std05-C6-9011")
    );
    // A split part with A=0 gets no answer.
    let part = segment_of(&vector("fs-0979-cems-2051-split"));
    assert!(build::platform_reply(&Packet::parse(&part)).is_none());
}

#[test]
fn modbus_crc_only_when_configured() {
    let bytes = vector("fs-0295-modbus-crc");
    let cfg = FramerConfig {
        accept_modbus: true,
        ..FramerConfig::default()
    };
    let got = one_frame(&bytes, cfg);
    assert!(got.ok, "{:?}", got.error);
    assert!(got.warnings.contains(Warnings::MODBUS_CRC));
    assert!(!one_frame(&bytes, FramerConfig::default()).ok);
    let strict = FramerConfig {
        mode: Mode::Strict,
        accept_modbus: true,
        ..FramerConfig::default()
    };
    assert!(
        one_frame(&bytes, strict).ok,
        "a configured dialect is accepted in strict mode too"
    );
}

#[test]
fn all_vectors_in_one_stream_with_garbage() {
    // Every vector back to back, with noise between some, through one framer
    // fed in 7-byte pieces: each vector comes out as one frame, in order.
    let vs = vectors();
    let mut stream = Vec::new();
    for (i, v) in vs.iter().enumerate() {
        if i % 5 == 0 {
            stream.extend_from_slice(b"\x00garbage#\r\n");
        }
        stream.extend_from_slice(&v.packet);
    }
    let mut f = Framer::new(FramerConfig::default());
    let mut frames = Vec::new();
    let mut skipped = 0;
    for chunk in stream.chunks(7) {
        f.push(chunk);
        while let Some(e) = f.next_event() {
            match e {
                Event::Frame(fr) => frames.push(fr.segment.to_vec()),
                Event::Skipped { .. } => skipped += 1,
            }
        }
    }
    f.finish();
    while let Some(e) = f.next_event() {
        match e {
            Event::Frame(fr) => frames.push(fr.segment.to_vec()),
            Event::Skipped { .. } => skipped += 1,
        }
    }
    assert_eq!(frames.len(), vs.len());
    for (v, seg) in vs.iter().zip(&frames) {
        assert_eq!(segment_of(&v.packet).as_bytes(), seg.as_slice(), "{}", v.id);
    }
    assert!(skipped >= 9);
}
