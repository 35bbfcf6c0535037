//! HJ 212-2025: every frame of `fixtures/hj212-2025-vectors.tsv` — the
//! standard's Appendix A (CRC; SM4 ciphertext byte for byte) and the
//! constructed 2025 frames — framed, decrypted where encrypted, parsed,
//! classified, and the replies built byte for byte.

use std::collections::HashMap;

use lantian_hj212::build;
use lantian_hj212::crypto::{self, TEST_KEY, WireForm};
use lantian_hj212::frame::{Event, Framer, FramerConfig};
use lantian_hj212::message::{self, Message};
use lantian_hj212::segment::{Packet, Version};
use proptest::prelude::*;

const TSV: &str = include_str!("fixtures/hj212-2025-vectors.tsv");

struct V {
    id: String,
    packet: Vec<u8>,
    expected: HashMap<String, String>,
}

fn vectors() -> Vec<V> {
    TSV.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 4, "{l}");
            V {
                id: f[0].into(),
                packet: f[2].replace("\\r", "\r").replace("\\n", "\n").into_bytes(),
                expected: f[3]
                    .split(';')
                    .map(|kv| {
                        let (k, v) = kv.split_once('=').unwrap();
                        (k.to_string(), v.to_string())
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Frames one vector; returns (data segment, CRC ok, wire form).
fn frame(bytes: &[u8], key: Option<[u8; 16]>) -> (Vec<u8>, bool, Option<WireForm>) {
    let mut f = Framer::new(FramerConfig {
        sm4_key: key,
        ..FramerConfig::strict()
    });
    f.push(bytes);
    f.finish();
    let out = match f.next_event() {
        Some(Event::Frame(fr)) => (fr.data_segment().to_vec(), fr.is_ok(), fr.wire_form),
        other => panic!("no frame: {other:?}"),
    };
    assert!(f.next_event().is_none());
    out
}

fn message_name(m: &Message<'_>) -> &'static str {
    match m {
        Message::Data(_) => "Data",
        Message::DataRequest { .. } => "DataRequest",
        Message::GetTime { .. } => "GetTime",
        Message::Heartbeat => "Heartbeat",
        Message::HardwareSerials { .. } => "HardwareSerials",
        Message::AssignMn { .. } => "AssignMn",
        Message::KeyRequest { .. } => "KeyRequest",
        Message::NewKey { .. } => "NewKey",
        Message::NoticeAnswer => "NoticeAnswer",
        Message::DataAnswer => "DataAnswer",
        Message::RequestAnswer { .. } => "RequestAnswer",
        Message::ExecutionResult { .. } => "ExecutionResult",
        Message::Calibrate {
            calibration_type: Some(0),
            ..
        } => "Calibrate",
        Message::Other { .. } => "Other",
        _ => "another",
    }
}

#[test]
fn every_2025_vector() {
    let vs = vectors();
    assert_eq!(vs.len(), 22);
    let by_id: HashMap<&str, &V> = vs.iter().map(|v| (v.id.as_str(), v)).collect();
    let plain = |id: &str| frame(&by_id[id].packet, None).0;
    for v in &vs {
        let id = &v.id;
        let e = &v.expected;
        let key = e.get("key").map(|_| TEST_KEY);
        let (seg, ok, form) = frame(&v.packet, key);
        assert!(ok, "{id}: strict framing, CRC over the plaintext");
        let text = String::from_utf8(seg.clone()).expect("UTF-8 after decryption");
        let p = Packet::parse(&text);
        assert_eq!(p.version(), Version::V2025, "{id}");
        assert!(
            p.strict_problems().is_empty(),
            "{id}: {:?}",
            p.strict_problems()
        );
        for (k, want) in e {
            match k.as_str() {
                "cn" => assert_eq!(p.cn, Some(want.as_str()), "{id}"),
                "st" => assert_eq!(p.st, Some(want.as_str()), "{id}"),
                "mn" => assert_eq!(
                    p.mn,
                    Some(want.as_str()),
                    "{id}: MN empty before activation"
                ),
                "rf" => assert!(p.is_resend(), "{id}"),
                "split" => {
                    let (n, k) = want.split_once('/').unwrap();
                    assert_eq!(
                        p.split(),
                        Some((n.parse().unwrap(), k.parse().unwrap())),
                        "{id}"
                    );
                }
                "message" => {
                    let m = message::classify(&p).unwrap_or_else(|e| panic!("{id}: {e}"));
                    assert_eq!(message_name(&m), want, "{id}");
                }
                "key" => {}
                "wire" => assert_eq!(form, Some(WireForm::Text), "{id}"),
                "plain_of" => {
                    // SM4 byte for byte: the decrypted segment is the
                    // plaintext example, and re-encrypting gives the frame.
                    assert_eq!(seg, plain(want), "{id}: decrypts to {want}");
                    let enc =
                        crypto::encrypt_segment(&TEST_KEY, &plain(want), WireForm::Text).unwrap();
                    let sent = &v.packet[6..v.packet.len() - 6];
                    assert_eq!(enc, sent, "{id}: ciphertext byte for byte");
                }
                "reply" if want == "9013" => {
                    let r = build::platform_reply(&p).unwrap();
                    assert!(String::from_utf8(r).unwrap().contains(";CN=9013;"), "{id}");
                }
                "reply" => assert_eq!(
                    build::platform_reply(&p).unwrap(),
                    by_id[want.as_str()].packet,
                    "{id} → {want}"
                ),
                "answer9011" => assert_eq!(
                    build::frame(&build::request_answer(&p, 1)).unwrap(),
                    by_id[want.as_str()].packet,
                    "{id}"
                ),
                "answer9012" => assert_eq!(
                    build::frame(&build::execution_result(&p, 1)).unwrap(),
                    by_id[want.as_str()].packet,
                    "{id}"
                ),
                other => panic!("{id}: unknown expectation {other}"),
            }
        }
    }
}

#[test]
fn encrypted_frames_need_the_key() {
    let v = vectors().into_iter().find(|v| v.id == "A_2ex_2").unwrap();
    let (_, ok, _) = frame(&v.packet, None);
    assert!(!ok, "without the key the CRC does not match");
    let wrong = [0x31; 16];
    let (_, ok, _) = frame(&v.packet, Some(wrong));
    assert!(!ok, "nor with another key");
}

#[test]
fn binary_ciphertext_with_line_feeds_is_framed_by_its_length() {
    // The official example 2 carries a line feed (0x0A) inside its ciphertext.
    let v = vectors().into_iter().find(|v| v.id == "A_2ex_1").unwrap();
    let seg = &v.packet[6..v.packet.len() - 6];
    let enc = crypto::encrypt_segment(&TEST_KEY, seg, WireForm::Binary).unwrap();
    assert_eq!(enc.len(), seg.len(), "NoPadding keeps the length");
    assert!(enc.contains(&b'\n'), "a line feed inside the ciphertext");
    let mut bytes = format!("##{:04}", enc.len()).into_bytes();
    bytes.extend(&enc);
    bytes.extend(b"2200\r\n");
    let (plain, ok, form) = frame(&bytes, Some(TEST_KEY));
    assert!(ok);
    assert_eq!(form, Some(WireForm::Binary));
    assert_eq!(plain, seg);
}

#[test]
fn the_platforms_key_and_mn_frames_are_built_by_the_codec() {
    use lantian_hj212::segment::Packet;
    let new = *b"0123456789ABCDEF";
    for form in [WireForm::Text, WireForm::Binary] {
        let bytes = build::new_key_frame(
            &TEST_KEY,
            form,
            "20250601085857223",
            "22",
            "123456",
            "010000A8900016F000169DC0",
            "20250601085857",
            &new,
        )
        .unwrap();
        let (plain, ok, got) = frame(&bytes, Some(TEST_KEY));
        assert!(ok, "{form:?}: a valid frame with the old key");
        assert_eq!(got, Some(form));
        let text = String::from_utf8(plain).unwrap();
        let p = Packet::parse(&text);
        assert_eq!((p.cn, p.flag_text), (Some("1014"), Some("9")), "{text}");
        assert_eq!(p.cp_get("NewSK"), Some("0123456789ABCDEF"), "{text}");
        assert_eq!(p.cp_get("SKCreateTime"), Some("20250601085857"));
        let (_, ok, _) = frame(&bytes, Some(new));
        assert!(!ok, "not readable with the new key");
    }
    let a = build::assign_mn("20250601085857224", "22", "123456", "MN9", "LOGGER-1").unwrap();
    let (plain, ok, _) = frame(&a, None);
    assert!(ok);
    let text = String::from_utf8(plain).unwrap();
    let p = Packet::parse(&text);
    assert_eq!((p.cn, p.mn), (Some("1002"), Some("MN9")));
    assert_eq!(p.cp_get("i23005-Info"), Some("LOGGER-1"));
}

proptest! {
    #[test]
    fn encrypted_2025_round_trip(
        body in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'='), Just(b','), Just(b';'), Just(b'9'), Just(b'.')], 0..300),
        key in any::<[u8; 16]>(),
        text_form in any::<bool>(),
    ) {
        let body = String::from_utf8(body).unwrap();
        let seg = format!("QN=20250601085857223;ST=22;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=9;CP=&&DataTime=20250601085800;{body}&&");
        let form = if text_form { WireForm::Text } else { WireForm::Binary };
        let crc = lantian_hj212::crc::hex4(lantian_hj212::crc::hj212(seg.as_bytes()));
        let enc = crypto::encrypt_segment(&key, seg.as_bytes(), form).unwrap();
        // The standard keeps the plaintext length in the length field.
        let mut bytes = format!("##{:04}", seg.len()).into_bytes();
        bytes.extend(&enc);
        bytes.extend(crc);
        bytes.extend(b"\r\n");
        let mut f = Framer::new(FramerConfig { sm4_key: Some(key), ..FramerConfig::default() });
        f.push(&bytes);
        f.finish();
        let Some(Event::Frame(fr)) = f.next_event() else { panic!("no frame") };
        prop_assert!(fr.is_ok(), "{:?}", fr.error);
        prop_assert_eq!(fr.data_segment(), seg.as_bytes());
    }
}
