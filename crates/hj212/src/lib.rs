//! # lantian-hj212
//!
//! HJ 212 (HJ/T 212-2005, HJ 212-2017) as a sans-I/O library: bytes in,
//! frames, messages and errors out, replies built as bytes. No I/O, no async,
//! no panics on input.
//!
//! - [`crc`]: the standard's CRC (Appendix A) and CRC-16/MODBUS.
//! - [`frame`]: the streaming [`Framer`](frame::Framer): merged and split
//!   reads, garbage, LF-only or missing tails, wrong lengths, size caps.
//! - [`segment`]: the data segment ([`Packet`](segment::Packet)), borrowing.
//! - [`message`]: typed messages (uploads, commands, answers).
//! - [`build`]: data segments, frames, replies (9011–9014, 2005 form too),
//!   platform commands.
//! - [`reassembly`]: split packets (PNUM/PNO).
//! - [`codes`]: factor, system and command code tables.
//!
//! ```
//! use lantian_hj212::frame::{Event, Framer, FramerConfig};
//! use lantian_hj212::segment::Packet;
//! use lantian_hj212::build;
//!
//! // A device's hourly upload that asks for an answer (Flag=5), after noise,
//! // arriving in two reads.
//! let seg = "QN=20160801090000001;ST=32;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&DataTime=20160801080000;a21026-Avg=12.5,a21026-Flag=N&&";
//! let mut bytes = b"noise".to_vec();
//! bytes.extend(build::frame(seg).unwrap());
//! let mut framer = Framer::new(FramerConfig::default());
//! framer.push(&bytes[..40]);
//! framer.push(&bytes[40..]);
//! let mut frames = 0;
//! while let Some(event) = framer.next_event() {
//!     if let Event::Frame(f) = event {
//!         assert!(f.is_ok());
//!         let p = Packet::parse(std::str::from_utf8(f.segment).unwrap());
//!         assert_eq!(p.cp_get("a21026-Avg"), Some("12.5"));
//!         // 9014 with the same QN, once the data is safe.
//!         let reply = build::platform_reply(&p).unwrap();
//!         assert!(reply.starts_with(b"##0087QN=20160801090000001;ST=91;CN=9014;"));
//!         frames += 1;
//!     }
//! }
//! assert_eq!(frames, 1);
//! ```

pub mod build;
pub mod codes;
pub mod crc;
pub mod crypto;
pub mod frame;
pub mod message;
pub mod reassembly;
pub mod segment;
