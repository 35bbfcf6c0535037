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
//! let mut framer = Framer::new(FramerConfig::default());
//! // Two frames and some noise, arriving in two reads.
//! let bytes = b"noise##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n";
//! framer.push(&bytes[..40]);
//! framer.push(&bytes[40..]);
//! let mut frames = 0;
//! while let Some(event) = framer.next_event() {
//!     if let Event::Frame(f) = event {
//!         assert!(f.is_ok());
//!         let p = Packet::parse(std::str::from_utf8(f.segment).unwrap());
//!         assert_eq!(p.cn, Some("1062"));
//!         assert!(build::platform_reply(&p).is_some()); // Flag=5 asks for an answer
//!         frames += 1;
//!     }
//! }
//! assert_eq!(frames, 1);
//! ```

pub mod build;
pub mod codes;
pub mod crc;
pub mod frame;
pub mod message;
pub mod reassembly;
pub mod segment;
