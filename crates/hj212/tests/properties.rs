//! Properties: build → frame → parse round-trips for arbitrary messages; the
//! framer gives the same frames whatever way the bytes are split.

use lantian_hj212::build::{self, SegmentBuilder};
use lantian_hj212::frame::{Event, Framer, FramerConfig, OwnedEvent};
use lantian_hj212::segment::Packet;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Msg {
    qn: String,
    st: String,
    cn: String,
    pw: String,
    mn: String,
    flag: u8,
    split: Option<(u16, u16)>,
    items: Vec<Vec<(String, String)>>,
}

fn digits(n: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(0u8..10, n)
        .prop_map(|d| d.into_iter().map(|x| (b'0' + x) as char).collect())
}

fn alnum(min: usize, max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[A-Za-z0-9_]{{{min},{max}}}")).unwrap()
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        (-100000i64..100000, 0u32..4).prop_map(|(m, s)| {
            let d = 10i64.pow(s);
            if s == 0 {
                m.to_string()
            } else {
                format!(
                    "{}{}.{:0w$}",
                    if m < 0 { "-" } else { "" },
                    (m / d).abs(),
                    (m % d).abs(),
                    w = s as usize
                )
            }
        }),
        prop_oneof![
            Just("N"),
            Just("F"),
            Just("M"),
            Just("S"),
            Just("D"),
            Just("C"),
            Just("T"),
            Just("B")
        ]
        .prop_map(String::from),
        digits(14),
        // log text with separators inside, as -Info carries it
        "[a-z清洗管路 ;,=]{0,12}".prop_map(|s| format!("//{s}//")),
    ]
}

fn key() -> impl Strategy<Value = String> {
    let code = prop_oneof![
        "[aw][0-9]{5}".prop_map(|s| s),
        Just("LA".to_string()),
        "[BS]0[0-9]".prop_map(|s| s),
    ];
    let suffix = prop_oneof![
        Just("Rtd"),
        Just("Min"),
        Just("Avg"),
        Just("Max"),
        Just("ZsRtd"),
        Just("ZsAvg"),
        Just("Flag"),
        Just("EFlag"),
        Just("Cou"),
        Just("SampleTime"),
        Just("Info"),
        Just("Ori"),
    ];
    (code, suffix).prop_map(|(c, s)| format!("{c}-{s}"))
}

fn msg() -> impl Strategy<Value = Msg> {
    (
        digits(17),
        prop_oneof![Just("22"), Just("31"), Just("32"), Just("39"), Just("91")],
        prop_oneof![
            Just("2011"),
            Just("2051"),
            Just("2061"),
            Just("2031"),
            Just("3020"),
            Just("9014")
        ],
        alnum(6, 6),
        alnum(1, 24),
        any::<u8>(),
        (1u16..20, 1u16..20),
        proptest::collection::vec(proptest::collection::vec((key(), value()), 1..4), 0..8),
    )
        .prop_map(|(qn, st, cn, pw, mn, flag, (a, b), items)| Msg {
            qn,
            st: st.into(),
            cn: cn.into(),
            pw,
            mn,
            flag,
            split: (flag & 2 != 0).then(|| (a.max(b), a.min(b))),
            items,
        })
}

fn encode(m: &Msg) -> String {
    let mut b = SegmentBuilder::new()
        .qn(&m.qn)
        .st(&m.st)
        .cn(&m.cn)
        .pw(&m.pw)
        .mn(&m.mn)
        .flag(m.flag);
    if let Some((n, k)) = m.split {
        b = b.split(n, k);
    }
    for item in &m.items {
        let fields: Vec<(&str, &str)> =
            item.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        b = b.item(&fields);
    }
    b.build()
}

fn frames_of(stream: &[u8], cuts: &[usize]) -> Vec<OwnedEvent> {
    let mut f = Framer::new(FramerConfig::default());
    let mut out = Vec::new();
    let mut last = 0;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.push(stream.len());
    for c in cuts {
        f.push(&stream[last..c]);
        last = c;
        while let Some(e) = f.next_event() {
            if matches!(e, Event::Frame(_)) {
                out.push(OwnedEvent::from(&e));
            }
        }
    }
    f.finish();
    while let Some(e) = f.next_event() {
        if matches!(e, Event::Frame(_)) {
            out.push(OwnedEvent::from(&e));
        }
    }
    out
}

proptest! {
    #[test]
    fn build_frame_parse_round_trip(m in msg()) {
        let seg = encode(&m);
        let bytes = build::frame(&seg).unwrap();
        let mut f = Framer::new(FramerConfig::strict());
        f.push(&bytes);
        let Some(Event::Frame(fr)) = f.next_event() else { panic!("no frame") };
        prop_assert!(fr.is_ok(), "{:?}", fr.error);
        prop_assert_eq!(fr.segment, seg.as_bytes());
        let p = Packet::parse(std::str::from_utf8(fr.segment).unwrap());
        prop_assert_eq!(p.qn, Some(m.qn.as_str()));
        prop_assert_eq!(p.st, Some(m.st.as_str()));
        prop_assert_eq!(p.cn, Some(m.cn.as_str()));
        prop_assert_eq!(p.pw, Some(m.pw.as_str()));
        prop_assert_eq!(p.mn, Some(m.mn.as_str()));
        prop_assert_eq!(p.flag().map(|f| f.0), Some(m.flag));
        prop_assert_eq!(p.split(), m.split);
        let want: Vec<(usize, &str, &str)> = m.items.iter().enumerate()
            .flat_map(|(i, it)| it.iter().map(move |(k, v)| (i, k.as_str(), v.trim())))
            .collect();
        let got: Vec<(usize, &str, &str)> = p.cp.iter().map(|e| (e.item as usize, e.key, e.value)).collect();
        prop_assert_eq!(got, want);
        prop_assert!(p.quirks.is_empty(), "{:?}", p.quirks);
    }

    #[test]
    fn framing_does_not_depend_on_how_bytes_are_split(
        msgs in proptest::collection::vec(msg(), 1..5),
        garbage in proptest::collection::vec(proptest::collection::vec(prop_oneof![Just(b'#'), Just(b'\n'), Just(b'\r'), any::<u8>()], 0..12), 5),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
        drop_tail in any::<bool>(),
    ) {
        let mut stream = Vec::new();
        for (i, m) in msgs.iter().enumerate() {
            stream.extend_from_slice(&garbage[i % garbage.len()]);
            let mut fr = build::frame(&encode(m)).unwrap();
            if drop_tail && i % 2 == 1 {
                fr.truncate(fr.len() - 2);
            }
            stream.extend_from_slice(&fr);
        }
        let whole = frames_of(&stream, &[]);
        let pieces = frames_of(&stream, &cuts);
        prop_assert_eq!(&whole, &pieces);
        let byte_by_byte: Vec<usize> = (0..stream.len()).collect();
        prop_assert_eq!(&whole, &frames_of(&stream, &byte_by_byte));
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_stay_bounded(
        bytes in proptest::collection::vec(prop_oneof![Just(b'#'), Just(b'0'), Just(b'9'), Just(b'\n'), Just(b'&'), any::<u8>()], 0..3000),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let cfg = FramerConfig { max_segment: 600, ..FramerConfig::default() };
        let mut f = Framer::new(cfg);
        let mut last = 0;
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        cuts.sort_unstable();
        cuts.push(bytes.len());
        for c in cuts {
            f.push(&bytes[last..c]);
            last = c;
            while let Some(e) = f.next_event() {
                if let Event::Frame(fr) = e {
                    let s = String::from_utf8_lossy(fr.segment);
                    let p = Packet::parse(&s);
                    let _ = lantian_hj212::message::classify(&p);
                    let _ = p.version();
                }
            }
            // After draining, at most one undecided frame is held.
            prop_assert!(f.pending() <= 600 + 14, "pending {}", f.pending());
        }
    }
}

#[test]
fn a_garbage_hash_before_a_frame_does_not_lose_it() {
    let seg = "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&";
    let mut stream = b"#".to_vec();
    stream.extend(build::frame(seg).unwrap());
    let frames = frames_of(&stream, &[]);
    assert_eq!(frames.len(), 1);
}

#[test]
fn over_the_cap_is_refused_without_buffering() {
    let cfg = FramerConfig {
        max_segment: 100,
        ..FramerConfig::default()
    };
    let mut f = Framer::new(cfg);
    f.push(b"##0500");
    let mut refused = false;
    while let Some(e) = f.next_event() {
        if let Event::Skipped {
            error:
                Some(lantian_hj212::frame::ErrorKind::TooLong {
                    declared: 500,
                    cap: 100,
                }),
            ..
        } = e
        {
            refused = true;
        }
    }
    assert!(refused);
    for _ in 0..100 {
        f.push(&[b'x'; 1000]);
        while f.next_event().is_some() {}
        assert!(f.pending() <= 1);
    }
    // The next frame is found again.
    let seg = "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=M;Flag=4;CP=&&&&";
    f.push(&build::frame(seg).unwrap());
    let mut ok = false;
    while let Some(e) = f.next_event() {
        if let Event::Frame(fr) = e {
            ok = fr.is_ok();
        }
    }
    assert!(ok);
}
