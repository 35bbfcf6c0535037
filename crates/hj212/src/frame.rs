//! Framing: `##` + 4-digit length + data segment + 4 hex CRC + CRLF, from a
//! byte stream that arrives in arbitrary pieces.
//!
//! [`Framer`] is sans-I/O: the caller [`push`](Framer::push)es whatever a read
//! returned and drains [`Event`]s. It handles several frames in one read, a
//! frame split across reads, garbage between frames (reported as
//! [`Event::Skipped`], resynchronising on the next `##`), LF-only or missing
//! tails, and declared lengths that disagree with the bytes. It never holds
//! more than `max_segment` + 16 bytes of an undecided frame: a longer
//! declaration is refused and its bytes dropped as they arrive.
//!
//! Readings written down here:
//! - The length counts **bytes** (UTF-8 log text in `-Info` counts as its
//!   bytes), and the CRC covers exactly the data-segment bytes.
//! - A frame is recognised at its declared length when the 4 bytes there are
//!   hex and are followed by CR LF, LF, `##` or the end of input, and the
//!   declared segment holds no line feed. Otherwise the true end is searched
//!   (the next line feed, or a `##` preceded by a matching CRC): in lenient
//!   mode the frame is accepted when its CRC proves that end; in strict mode
//!   it is rejected with both lengths.
//! - A frame whose tail has not arrived yet is held until more bytes come,
//!   [`Framer::finish`] (end of input) or [`Framer::flush`] (the I/O layer's
//!   idle timeout), so the frames never depend on how the bytes were split.
//! - Strict mode is the standard to the letter: CRC per Appendix A, declared
//!   length equal to the bytes, at most 1024 bytes, CR LF tail. Lenient mode
//!   is strict on the CRC and liberal on everything else. CRC-16/MODBUS is
//!   accepted in either mode only when [`FramerConfig::accept_modbus`] is set
//!   for the device.

use std::fmt;

use crate::crc::{self, CrcVariant};

/// The standard's maximum data-segment length.
pub const STANDARD_MAX_SEGMENT: usize = 1024;

/// How strictly frames are judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// The standard to the letter.
    Strict,
    /// Strict on the CRC, liberal on length, size and tail.
    #[default]
    Lenient,
}

/// Framer settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramerConfig {
    pub mode: Mode,
    /// Largest data segment accepted (lenient); larger declarations are
    /// refused without buffering. At most 9999 (4 digits).
    pub max_segment: usize,
    /// Accept a CRC-16/MODBUS match (a per-device dialect).
    pub accept_modbus: bool,
    /// The device's SM4 key (HJ 212-2025 §6.4): a frame whose CRC only
    /// matches after decrypting its CP body is accepted, decrypted.
    pub sm4_key: Option<[u8; 16]>,
}

impl Default for FramerConfig {
    fn default() -> Self {
        FramerConfig {
            mode: Mode::Lenient,
            max_segment: 4096,
            accept_modbus: false,
            sm4_key: None,
        }
    }
}

impl FramerConfig {
    pub fn strict() -> Self {
        FramerConfig {
            mode: Mode::Strict,
            ..Self::default()
        }
    }
}

/// How a frame ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tail {
    CrLf,
    Lf,
    /// Nothing (followed by the next `##`, or the end of input).
    Missing,
}

impl Tail {
    pub const fn name(self) -> &'static str {
        match self {
            Tail::CrLf => "CRLF",
            Tail::Lf => "LF",
            Tail::Missing => "none",
        }
    }
}

/// What is wrong with a frame (or with bytes that looked like one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// `##` not followed by 4 decimal digits.
    BadHeader,
    /// The declared length is not the number of bytes before the CRC.
    BadLength {
        declared: usize,
        actual: Option<usize>,
    },
    /// A declared length above the configured cap: refused, bytes dropped.
    TooLong { declared: usize, cap: usize },
    /// Strict: a segment over the standard's 1024 bytes.
    OverStandardLength { len: usize },
    /// The CRC does not match (`sent` is `None` when not 4 hex digits).
    BadCrc { sent: Option<u16>, computed: u16 },
    /// The CRC is CRC-16/MODBUS, not accepted for this device.
    ModbusCrc { sent: u16 },
    /// Strict: the tail is not CR LF.
    BadTail(Tail),
    /// The input ended inside a frame.
    Truncated,
    /// A data-segment field is malformed.
    BadField { field: String, reason: String },
    /// A field the message needs is missing.
    MissingField(&'static str),
    /// A header field that HJ 212 does not define (strict).
    UnknownField(String),
    /// A command code outside the tables (strict).
    UnknownCn(String),
    /// The data segment is not UTF-8 (some devices send GB2312 logs).
    NotUtf8 { at: usize },
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::BadHeader => f.write_str("bad header: `##` not followed by 4 digits"),
            ErrorKind::BadLength { declared, actual } => match actual {
                Some(a) => write!(
                    f,
                    "bad length: declared {declared}, data segment has {a} bytes"
                ),
                None => write!(f, "bad length: declared {declared}, no frame end found"),
            },
            ErrorKind::TooLong { declared, cap } => {
                write!(f, "too long: declared {declared} bytes, cap {cap}; refused")
            }
            ErrorKind::OverStandardLength { len } => {
                write!(f, "data segment of {len} bytes exceeds the standard's 1024")
            }
            ErrorKind::BadCrc { sent, computed } => match sent {
                Some(s) => write!(f, "bad CRC: sent {s:04X}, computed {computed:04X}"),
                None => write!(f, "bad CRC: not 4 hex digits, computed {computed:04X}"),
            },
            ErrorKind::ModbusCrc { sent } => write!(
                f,
                "CRC {sent:04X} is CRC-16/MODBUS, not HJ 212; not accepted for this device"
            ),
            ErrorKind::BadTail(t) => write!(f, "bad tail: {} instead of CRLF", t.name()),
            ErrorKind::Truncated => f.write_str("truncated: input ended inside a frame"),
            ErrorKind::BadField { field, reason } => write!(f, "bad field `{field}`: {reason}"),
            ErrorKind::MissingField(n) => write!(f, "missing field {n}"),
            ErrorKind::UnknownField(n) => write!(f, "unknown header field `{n}`"),
            ErrorKind::UnknownCn(c) => write!(f, "unknown CN {c}"),
            ErrorKind::NotUtf8 { at } => write!(f, "data segment is not UTF-8 (byte {at})"),
        }
    }
}

/// An error with where it happened: the byte offset in the stream and, when
/// the data segment could be read that far, the frame's MN and QN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub offset: u64,
    pub mn: Option<String>,
    pub qn: Option<String>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind, self.offset)?;
        if let Some(mn) = &self.mn {
            write!(f, ", MN={mn}")?;
        }
        if let Some(qn) = &self.qn {
            write!(f, ", QN={qn}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Deviations from the standard that lenient mode tolerated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Warnings(u8);

impl Warnings {
    pub const LENGTH_MISMATCH: Warnings = Warnings(1);
    pub const OVER_1024: Warnings = Warnings(2);
    pub const LOWERCASE_CRC: Warnings = Warnings(4);
    pub const LF_TAIL: Warnings = Warnings(8);
    pub const NO_TAIL: Warnings = Warnings(16);
    pub const MODBUS_CRC: Warnings = Warnings(32);

    pub fn contains(self, w: Warnings) -> bool {
        self.0 & w.0 == w.0 && w.0 != 0
    }
    fn add(&mut self, w: Warnings) {
        self.0 |= w.0;
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// Names of the warnings set.
    pub fn names(self) -> Vec<&'static str> {
        [
            (
                Self::LENGTH_MISMATCH,
                "declared length disagrees with the bytes (recovered by CRC)",
            ),
            (Self::OVER_1024, "data segment over 1024 bytes"),
            (Self::LOWERCASE_CRC, "lowercase CRC"),
            (Self::LF_TAIL, "LF tail without CR"),
            (Self::NO_TAIL, "no CRLF tail"),
            (Self::MODBUS_CRC, "CRC-16/MODBUS (device dialect)"),
        ]
        .iter()
        .filter(|(w, _)| self.contains(*w))
        .map(|(_, n)| *n)
        .collect()
    }
}

/// One frame cut from the stream, accepted or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Stream offset of its `##`.
    pub offset: u64,
    /// Everything consumed for it, `##` to tail.
    pub raw: &'a [u8],
    /// The data segment (what the CRC covers).
    pub segment: &'a [u8],
    pub declared_len: usize,
    /// The 4 CRC characters as sent.
    pub crc_text: &'a [u8],
    pub crc_sent: Option<u16>,
    /// The HJ 212 CRC of the segment.
    pub crc_computed: u16,
    /// Which CRC matched, if any.
    pub crc_match: Option<CrcVariant>,
    pub tail: Tail,
    pub warnings: Warnings,
    /// `None` when the frame is accepted under the framer's mode.
    pub error: Option<ErrorKind>,
    /// The decrypted data segment, when the CP body was SM4-encrypted.
    pub plaintext: Option<Vec<u8>>,
    /// How the ciphertext was sent, when it was.
    pub wire_form: Option<crate::crypto::WireForm>,
}

impl<'a> Frame<'a> {
    /// The data segment to parse: decrypted when it was encrypted.
    pub fn data_segment(&self) -> &[u8] {
        self.plaintext.as_deref().unwrap_or(self.segment)
    }

    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }

    /// Whether the CRC is acceptable (HJ 212, or MODBUS where allowed).
    pub fn crc_ok(&self) -> bool {
        self.crc_match.is_some()
            && !matches!(
                self.error,
                Some(ErrorKind::ModbusCrc { .. } | ErrorKind::BadCrc { .. })
            )
    }

    /// The error with its offset and, when readable, the MN and QN.
    pub fn to_error(&self) -> Option<Error> {
        let kind = self.error.clone()?;
        let (mn, qn) = peek_mn_qn(self.segment);
        Some(Error {
            kind,
            offset: self.offset,
            mn: mn.map(str::to_string),
            qn: qn.map(str::to_string),
        })
    }
}

/// A cheap look at `MN=` and `QN=` of a (possibly broken) data segment.
pub fn peek_mn_qn(segment: &[u8]) -> (Option<&str>, Option<&str>) {
    let s = match std::str::from_utf8(segment) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&segment[..e.valid_up_to()]).unwrap_or(""),
    };
    let mut mn = None;
    let mut qn = None;
    for part in s.split([';', ',', '&']) {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("MN=") {
            mn.get_or_insert(v);
        } else if let Some(v) = part.strip_prefix("QN=") {
            qn.get_or_insert(v);
        }
    }
    (mn, qn)
}

/// The CN of a (possibly encrypted) data segment: the header is never encrypted.
fn peek_cn(segment: &[u8]) -> Option<u16> {
    let head = &segment[..memchr::memmem::find(segment, b"CP=&&").unwrap_or(segment.len())];
    head.split(|b| *b == b';')
        .find_map(|f| f.trim_ascii().strip_prefix(b"CN="))
        .and_then(|v| std::str::from_utf8(v).ok()?.trim().parse().ok())
}

/// What the framer found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// A frame (check [`Frame::error`]).
    Frame(Frame<'a>),
    /// Bytes that were not part of any frame, skipped to resynchronise.
    Skipped {
        offset: u64,
        bytes: &'a [u8],
        error: Option<ErrorKind>,
    },
}

/// The streaming framer (see the module documentation).
///
/// ```
/// use lantian_hj212::frame::{ErrorKind, Event, Framer, FramerConfig, Warnings};
/// // Declared 0100 but 101 bytes follow: lenient mode finds the true end by
/// // the CRC and says so; strict mode rejects it with both lengths.
/// let bytes = b"##0100QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n";
/// let mut f = Framer::new(FramerConfig::default());
/// f.push(bytes);
/// let Some(Event::Frame(fr)) = f.next_event() else { panic!() };
/// assert!(fr.is_ok() && fr.warnings.contains(Warnings::LENGTH_MISMATCH));
/// let mut f = Framer::new(FramerConfig::strict());
/// f.push(bytes);
/// let Some(Event::Frame(fr)) = f.next_event() else { panic!() };
/// assert_eq!(fr.error, Some(ErrorKind::BadLength { declared: 100, actual: Some(101) }));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Framer {
    cfg: FramerConfig,
    buf: Vec<u8>,
    pos: usize,
    base: u64,
    discarding: bool,
    finished: bool,
    flushing: bool,
    after_frame: bool,
}

enum Step {
    Frame {
        start: usize,
        seg: (usize, usize),
        crc: (usize, usize),
        end: usize,
        tail: Tail,
        declared: usize,
        recovered: bool,
    },
    Skip {
        len: usize,
        error: Option<ErrorKind>,
    },
    Wait,
}

fn is_hex4(b: &[u8]) -> bool {
    b.len() == 4 && b.iter().all(u8::is_ascii_hexdigit)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

impl Framer {
    pub fn new(cfg: FramerConfig) -> Self {
        Framer {
            cfg: FramerConfig {
                max_segment: cfg.max_segment.min(9999),
                ..cfg
            },
            ..Framer::default()
        }
    }

    pub fn config(&self) -> &FramerConfig {
        &self.cfg
    }

    /// Sets the SM4 key once the device on this line is known.
    pub fn set_sm4_key(&mut self, key: Option<[u8; 16]>) {
        self.cfg.sm4_key = key;
    }

    /// Adds bytes from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        self.compact();
        self.buf.extend_from_slice(bytes);
        self.flushing = false;
    }

    /// The input has ended: decide everything still pending.
    pub fn finish(&mut self) {
        self.finished = true;
    }

    /// The line has been idle: emit a frame that only awaits its tail.
    pub fn flush(&mut self) {
        self.flushing = true;
    }

    /// Bytes held but not yet decided.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn compact(&mut self) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.base += self.pos as u64;
            self.pos = 0;
        }
    }

    /// The next event, or `None` when more bytes are needed.
    pub fn next_event(&mut self) -> Option<Event<'_>> {
        if self.pos > 8192 {
            self.compact();
        }
        // Dropping an over-long frame: skip to the next "##" without
        // keeping the bytes.
        if self.discarding {
            let rest = &self.buf[self.pos..];
            match find(rest, b"##") {
                Some(i) => {
                    self.discarding = false;
                    let start = self.pos;
                    self.pos += i;
                    if i > 0 {
                        return Some(Event::Skipped {
                            offset: self.base + start as u64,
                            bytes: &self.buf[start..start + i],
                            error: None,
                        });
                    }
                }
                None => {
                    let keep = usize::from(rest.last() == Some(&b'#') && !self.finished);
                    self.pos += rest.len() - keep;
                    if self.finished {
                        self.discarding = false;
                    }
                    return None;
                }
            }
        }
        if self.after_frame {
            let rest = &self.buf[self.pos..];
            if rest.starts_with(b"\r\n") {
                self.pos += 2;
                self.after_frame = false;
            } else if rest.starts_with(b"\n") {
                self.pos += 1;
                self.after_frame = false;
            } else if rest == b"\r" && !self.finished {
                return None;
            } else if !rest.is_empty() {
                self.after_frame = false;
            }
        }
        let step = self.step();
        let base = self.base;
        match step {
            Step::Wait => None,
            Step::Skip { len, error } => {
                let start = self.pos;
                self.pos += len;
                // Drop the rest of a refused frame as it arrives.
                self.discarding = matches!(error, Some(ErrorKind::TooLong { .. }));
                Some(Event::Skipped {
                    offset: base + start as u64,
                    bytes: &self.buf[start..start + len],
                    error,
                })
            }
            Step::Frame {
                start,
                seg,
                crc,
                end,
                tail,
                declared,
                recovered,
            } => {
                self.pos = end;
                self.after_frame = tail == Tail::Missing;
                let buf = &self.buf;
                Some(Event::Frame(self.judge(
                    base + start as u64,
                    &buf[start..end],
                    &buf[seg.0..seg.1],
                    &buf[crc.0..crc.1],
                    tail,
                    declared,
                    recovered,
                )))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn judge<'b>(
        &self,
        offset: u64,
        raw: &'b [u8],
        segment: &'b [u8],
        crc_text: &'b [u8],
        tail: Tail,
        declared: usize,
        recovered: bool,
    ) -> Frame<'b> {
        let mut computed = crc::hj212(segment);
        let sent = crc::parse_hex4(crc_text);
        let mut warnings = Warnings::default();
        let mut error = None;
        let mut crc_match = match sent {
            Some(s) if s == computed => Some(CrcVariant::Hj212),
            Some(s) if s == crc::modbus(segment) => Some(CrcVariant::Modbus),
            _ => None,
        };
        // HJ 212-2025: the CRC is over the plaintext. With the device's key,
        // a CP body in the `{0x..}` text form, or one of a CN that §6.4.4
        // encrypts, is decrypted first and judged by the plaintext's CRC.
        // (The HJ 212 CRC has only 256 values, so a ciphertext "matching"
        // by chance must not be taken for plaintext.)
        let mut plaintext = None;
        let mut wire_form = None;
        let mut recovered = recovered;
        if let Some(key) = &self.cfg.sm4_key {
            let text_form = memchr::memmem::find(segment, b"CP=&&{0x").is_some();
            let encrypted_cn = peek_cn(segment).is_some_and(crate::crypto::is_encrypted_cn);
            if text_form || encrypted_cn {
                let decrypted = crate::crypto::decrypt_segment(key, segment)
                    .ok()
                    .filter(|(plain, _)| plain.iter().all(|b| *b >= 0x20 || *b == b'\t'));
                let m = decrypted.as_ref().and_then(|(plain, _)| match sent {
                    Some(s) if s == crc::hj212(plain) => Some(CrcVariant::Hj212),
                    Some(s) if s == crc::modbus(plain) => Some(CrcVariant::Modbus),
                    _ => None,
                });
                match (m, decrypted) {
                    (Some(m), Some((plain, form))) => {
                        crc_match = Some(m);
                        computed = crc::hj212(&plain);
                        // The standard prints the text form with the
                        // plaintext's length: that is not a length error.
                        if declared == plain.len() {
                            recovered = false;
                        }
                        plaintext = Some(plain);
                        wire_form = Some(form);
                    }
                    // Text form that does not decrypt to its CRC: rejected.
                    _ if text_form => crc_match = None,
                    // A device that sent this CN in clear: judged as is.
                    _ => {}
                }
            }
        }
        let judged_len = plaintext.as_ref().map_or(segment.len(), Vec::len);
        match crc_match {
            None => {
                error = Some(if recovered {
                    ErrorKind::BadLength {
                        declared,
                        actual: Some(segment.len()),
                    }
                } else {
                    ErrorKind::BadCrc { sent, computed }
                })
            }
            Some(CrcVariant::Modbus) if !self.cfg.accept_modbus => {
                error = Some(ErrorKind::ModbusCrc {
                    sent: sent.unwrap_or(0),
                })
            }
            Some(CrcVariant::Modbus) => warnings.add(Warnings::MODBUS_CRC),
            Some(CrcVariant::Hj212) => {}
        }
        if crc_text.iter().any(u8::is_ascii_lowercase) {
            warnings.add(Warnings::LOWERCASE_CRC);
        }
        if recovered {
            warnings.add(Warnings::LENGTH_MISMATCH);
        }
        if judged_len > STANDARD_MAX_SEGMENT {
            warnings.add(Warnings::OVER_1024);
        }
        match tail {
            Tail::CrLf => {}
            Tail::Lf => warnings.add(Warnings::LF_TAIL),
            Tail::Missing => warnings.add(Warnings::NO_TAIL),
        }
        if error.is_none() && self.cfg.mode == Mode::Strict {
            error = if recovered {
                Some(ErrorKind::BadLength {
                    declared,
                    actual: Some(segment.len()),
                })
            } else if judged_len > STANDARD_MAX_SEGMENT {
                Some(ErrorKind::OverStandardLength { len: judged_len })
            } else if tail != Tail::CrLf {
                Some(ErrorKind::BadTail(tail))
            } else {
                None
            };
        }
        Frame {
            offset,
            raw,
            segment,
            declared_len: declared,
            crc_text,
            crc_sent: sent,
            crc_computed: computed,
            crc_match,
            tail,
            warnings,
            error,
            plaintext,
            wire_form,
        }
    }

    /// Decides what the bytes at `pos` are.
    fn step(&self) -> Step {
        let buf = &self.buf[self.pos..];
        let done = self.finished;
        if buf.is_empty() {
            return Step::Wait;
        }
        // Garbage before the next "##".
        if !buf.starts_with(b"##") {
            return match find(buf, b"##") {
                Some(i) => Step::Skip {
                    len: i,
                    error: None,
                },
                None => {
                    let keep = usize::from(buf.last() == Some(&b'#') && !done);
                    if buf.len() - keep == 0 {
                        Step::Wait
                    } else {
                        Step::Skip {
                            len: buf.len() - keep,
                            error: None,
                        }
                    }
                }
            };
        }
        if buf.len() < 6 {
            return if done {
                Step::Skip {
                    len: buf.len(),
                    error: Some(ErrorKind::Truncated),
                }
            } else {
                Step::Wait
            };
        }
        let digits = &buf[2..6];
        if !digits.iter().all(u8::is_ascii_digit) {
            // Skip one byte only: "###0101…" must still find its frame.
            return Step::Skip {
                len: 1,
                error: Some(ErrorKind::BadHeader),
            };
        }
        let declared = digits
            .iter()
            .fold(0usize, |a, d| a * 10 + (d - b'0') as usize);
        if declared > self.cfg.max_segment {
            return Step::Skip {
                len: 6,
                error: Some(ErrorKind::TooLong {
                    declared,
                    cap: self.cfg.max_segment,
                }),
            };
        }
        let seg_end = 6 + declared;
        let crc_end = seg_end + 4;
        // At the declared length?
        if buf.len() >= crc_end {
            // Binary ciphertext may hold any byte, line feeds included.
            let no_lf_inside = self.cfg.sm4_key.is_some() || memchr_lf(&buf[6..seg_end]).is_none();
            if no_lf_inside && is_hex4(&buf[seg_end..crc_end]) {
                let after = &buf[crc_end..];
                let tail = if after.starts_with(b"\r\n") {
                    Some((Tail::CrLf, 2))
                } else if after.starts_with(b"\n") {
                    Some((Tail::Lf, 1))
                } else if after.starts_with(b"##") {
                    Some((Tail::Missing, 0))
                } else if after.is_empty() || after == b"\r" || after == b"#" {
                    if done || self.flushing {
                        Some((Tail::Missing, 0))
                    } else {
                        return Step::Wait;
                    }
                } else {
                    None
                };
                if let Some((tail, n)) = tail {
                    return Step::Frame {
                        start: self.pos,
                        seg: (self.pos + 6, self.pos + seg_end),
                        crc: (self.pos + seg_end, self.pos + crc_end),
                        end: self.pos + crc_end + n,
                        tail,
                        declared,
                        recovered: false,
                    };
                }
            }
        } else if memchr_lf(&buf[6..]).is_none() && !done {
            // Not all there yet, and no line end that could close it early.
            return Step::Wait;
        }
        self.recover(buf, declared)
    }

    /// The declared length does not line up: find the true end.
    fn recover(&self, buf: &[u8], declared: usize) -> Step {
        let limit = buf.len().min(6 + self.cfg.max_segment + 8);
        let region = &buf[..limit];
        let lf = memchr_lf(&region[6..]).map(|i| i + 6);
        // A tail-less frame followed directly by the next one: a "##dddd"
        // preceded by a CRC that matches.
        let stop = lf.unwrap_or(limit);
        let mut i = 10;
        while i < stop
            && let Some(j) = find(&region[i..stop], b"##")
        {
            let at = i + j;
            if at >= 10
                && at + 6 <= region.len()
                && region[at + 2..at + 6].iter().all(u8::is_ascii_digit)
                && is_hex4(&region[at - 4..at])
            {
                let seg = &region[6..at - 4];
                let sent = crc::parse_hex4(&region[at - 4..at]);
                if sent == Some(crc::hj212(seg))
                    || (self.cfg.accept_modbus && sent == Some(crc::modbus(seg)))
                {
                    return self.recovered_frame(6, at - 4, at, at, Tail::Missing, declared);
                }
            }
            i = at + 2;
        }
        match lf {
            Some(q) => {
                let (content_end, tail) = if q > 0 && region[q - 1] == b'\r' {
                    (q - 1, Tail::CrLf)
                } else {
                    (q, Tail::Lf)
                };
                if content_end >= 10 {
                    self.recovered_frame(6, content_end - 4, content_end, q + 1, tail, declared)
                } else {
                    Step::Skip {
                        len: q + 1,
                        error: Some(ErrorKind::BadLength {
                            declared,
                            actual: None,
                        }),
                    }
                }
            }
            None if buf.len() >= 6 + self.cfg.max_segment + 8 || self.finished => {
                // No end within the cap (or the input ended): give up on this
                // "##" and resynchronise after it.
                Step::Skip {
                    len: 2,
                    error: Some(if self.finished && buf.len() < 6 + declared + 4 {
                        ErrorKind::Truncated
                    } else {
                        ErrorKind::BadLength {
                            declared,
                            actual: None,
                        }
                    }),
                }
            }
            None => Step::Wait,
        }
    }

    fn recovered_frame(
        &self,
        seg_start: usize,
        seg_end: usize,
        crc_end: usize,
        end: usize,
        tail: Tail,
        declared: usize,
    ) -> Step {
        let p = self.pos;
        // A recovered length that equals the declared one is not a recovery
        // (e.g. a bad CRC with a tail of garbage).
        let recovered = seg_end - seg_start != declared;
        Step::Frame {
            start: p,
            seg: (p + seg_start, p + seg_end),
            crc: (p + seg_end, p + crc_end),
            end: p + end,
            tail,
            declared,
            recovered,
        }
    }
}

fn memchr_lf(b: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', b)
}

/// Frames every complete frame of `bytes` (a capture, a file) at once.
pub fn frames(bytes: &[u8], cfg: FramerConfig) -> Vec<OwnedEvent> {
    let mut f = Framer::new(cfg);
    f.push(bytes);
    f.finish();
    let mut out = Vec::new();
    while let Some(e) = f.next_event() {
        out.push(OwnedEvent::from(&e));
    }
    out
}

/// An [`Event`] that owns its bytes (for collecting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedEvent {
    Frame {
        offset: u64,
        raw: Vec<u8>,
        segment: Vec<u8>,
        declared_len: usize,
        crc_text: Vec<u8>,
        crc_computed: u16,
        crc_match: Option<CrcVariant>,
        tail: Tail,
        warnings: Warnings,
        error: Option<ErrorKind>,
        plaintext: Option<Vec<u8>>,
    },
    Skipped {
        offset: u64,
        bytes: Vec<u8>,
        error: Option<ErrorKind>,
    },
}

impl From<&Event<'_>> for OwnedEvent {
    fn from(e: &Event<'_>) -> Self {
        match e {
            Event::Frame(f) => OwnedEvent::Frame {
                offset: f.offset,
                raw: f.raw.to_vec(),
                segment: f.segment.to_vec(),
                declared_len: f.declared_len,
                crc_text: f.crc_text.to_vec(),
                crc_computed: f.crc_computed,
                crc_match: f.crc_match,
                tail: f.tail,
                warnings: f.warnings,
                error: f.error.clone(),
                plaintext: f.plaintext.clone(),
            },
            Event::Skipped {
                offset,
                bytes,
                error,
            } => OwnedEvent::Skipped {
                offset: *offset,
                bytes: bytes.to_vec(),
                error: error.clone(),
            },
        }
    }
}
