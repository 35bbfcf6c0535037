//! Fuzz the HJ 212 framer and everything after it: arbitrary bytes, split at
//! fuzzer-chosen points, in both modes; every frame parsed, classified,
//! answered and reassembled. Nothing may panic, and the framer may never hold
//! more than one undecided frame after draining.
#![no_main]

use lantian_hj212::build;
use lantian_hj212::frame::{Event, Framer, FramerConfig, Mode};
use lantian_hj212::message;
use lantian_hj212::reassembly::Reassembler;
use lantian_hj212::segment::Packet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let ctl = data[0];
    let body = &data[1..];
    let cfg = FramerConfig {
        mode: if ctl & 1 == 0 { Mode::Lenient } else { Mode::Strict },
        max_segment: if ctl & 2 == 0 { 4096 } else { 300 },
        accept_modbus: ctl & 4 != 0,
        // HJ 212-2025 decryption with the standard's test key.
        sm4_key: (ctl & 8 != 0).then_some([0x30; 16]),
    };
    let step = 1 + (ctl >> 4) as usize;
    let mut framer = Framer::new(cfg);
    let mut reasm = Reassembler::new(8);
    for chunk in body.chunks(step * 7) {
        framer.push(chunk);
        drain(&mut framer, &mut reasm);
        assert!(framer.pending() <= cfg.max_segment + 14);
    }
    framer.flush();
    drain(&mut framer, &mut reasm);
    framer.finish();
    drain(&mut framer, &mut reasm);
});

fn drain(framer: &mut Framer, reasm: &mut Reassembler) {
    while let Some(e) = framer.next_event() {
        if let Event::Frame(f) = e {
            let _ = f.to_error();
            let text = String::from_utf8_lossy(f.data_segment());
            let p = Packet::parse(&text);
            let _ = p.version();
            let _ = p.strict_problems();
            let _ = message::classify(&p);
            let _ = build::platform_reply(&p);
            let _ = build::request_answer(&p, 1);
            let _ = reasm.push(&p);
            let _ = lantian_hj212::crypto::decrypt_segment(&[0x30; 16], f.segment);
        }
    }
}
