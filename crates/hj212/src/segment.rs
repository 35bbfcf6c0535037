//! The data segment: `QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;]CP=&&…&&`.
//!
//! Parsing borrows from the input. Readings written down here:
//! - The header is an order-independent `key=value` list split on `;` up to
//!   `CP=&&` (devices swap MN/PW, omit QN or Flag, put QN inside CP).
//!   Keys are case-sensitive per the standard; in lenient use a wrongly cased
//!   `FLAG` or a stray separator (`;,MN=`) is accepted with a warning and
//!   [`Packet::strict_problems`] lists it.
//! - The CP body lies between `CP=&&` and the last `&&`. Items are split on
//!   `;` (items) and `,` (fields of an item) interchangeably, since devices
//!   mix them; each entry keeps its item number. Values starting with `//`
//!   (log text of `-Info`) run to the closing `//`, separators included.
//! - Whitespace around keys and values is trimmed; empty pieces (a trailing
//!   `;` or `,`) are skipped; a piece without `=` is kept with an empty value.
//! - Repeated keys are kept in order (3020 status repeats `PolId` groups).

use std::fmt;

/// One `key=value` of the CP body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpEntry<'a> {
    pub key: &'a str,
    pub value: &'a str,
    /// Index of the `;`-separated item it belongs to.
    pub item: u16,
}

/// The Flag field's bits `V5..V0 D A`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub u8);

impl Flag {
    /// Bit 0: the receiver must answer.
    pub const fn ack(self) -> bool {
        self.0 & 1 != 0
    }
    /// Bit 1: PNUM/PNO present (split packet).
    pub const fn split(self) -> bool {
        self.0 & 2 != 0
    }
    /// Bits 2–7: 0 = 2005, 1 = 2017, 2 = 2025 (not to be trusted alone).
    pub const fn version_bits(self) -> u8 {
        self.0 >> 2
    }
}

/// Protocol generation of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    V2005,
    V2017,
    V2025,
}

impl Version {
    pub const fn name(self) -> &'static str {
        match self {
            Version::V2005 => "2005",
            Version::V2017 => "2017",
            Version::V2025 => "2025",
        }
    }
}

/// Something in the segment that is not to the letter of the standard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Quirk {
    /// No `CP=&&…&&` at all.
    NoCp,
    /// The CP body does not end with `&&`.
    UnterminatedCp,
    /// A header key that HJ 212 does not define, or wrongly cased.
    UnknownHeaderKey(String),
    /// A separator or spaces around a header key.
    MessyHeaderKey(String),
    /// A CP piece without `=`.
    CpPieceWithoutValue(String),
    /// A header piece without `=`.
    HeaderPieceWithoutValue(String),
}

impl fmt::Display for Quirk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quirk::NoCp => f.write_str("no CP=&&…&& in the data segment"),
            Quirk::UnterminatedCp => f.write_str("CP body not closed by &&"),
            Quirk::UnknownHeaderKey(k) => write!(f, "header field `{k}` is not defined by HJ 212"),
            Quirk::MessyHeaderKey(k) => {
                write!(f, "header key `{k}` carries stray separators or spaces")
            }
            Quirk::CpPieceWithoutValue(k) => write!(f, "CP piece `{k}` has no `=`"),
            Quirk::HeaderPieceWithoutValue(k) => write!(f, "header piece `{k}` has no `=`"),
        }
    }
}

/// A parsed data segment, borrowing from it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Packet<'a> {
    pub qn: Option<&'a str>,
    pub st: Option<&'a str>,
    pub cn: Option<&'a str>,
    pub pw: Option<&'a str>,
    pub mn: Option<&'a str>,
    /// The Flag as sent.
    pub flag_text: Option<&'a str>,
    pub pnum: Option<&'a str>,
    pub pno: Option<&'a str>,
    /// HJ 212-2025 `RF=1`: a re-sent (补传) packet.
    pub rf: Option<&'a str>,
    /// Header fields that are not one of the above (vendor keys).
    pub extra: Vec<(&'a str, &'a str)>,
    pub cp: Vec<CpEntry<'a>>,
    /// The CP body as sent, between `CP=&&` and `&&`.
    pub cp_raw: &'a str,
    pub quirks: Vec<Quirk>,
}

const HEADER_KEYS: [&str; 10] = [
    "QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO", "RF", "CP",
];

impl<'a> Packet<'a> {
    /// Parses a data segment. Never fails: what is odd is in `quirks`.
    ///
    /// ```
    /// use lantian_hj212::segment::{Packet, Version};
    /// // A micro-station that sends MN before PW and a trailing ',' (tolerated).
    /// let p = Packet::parse("QN=20210210073530000;ST=22;CN=2011;MN=aqms-1;PW=123456;Flag=4;CP=&&DataTime=20210210073530;a34004-Rtd=33,a34004-Flag=N,&&");
    /// assert_eq!(p.mn, Some("aqms-1"));
    /// assert_eq!(p.cp_get("a34004-Rtd"), Some("33"));
    /// assert_eq!(p.version(), Version::V2017);
    /// assert!(p.strict_problems().is_empty());
    /// ```
    pub fn parse(segment: &'a str) -> Packet<'a> {
        let mut p = Packet::default();
        let (header, body) = match find_cp(segment.as_bytes()) {
            Some(i) => (&segment[..i], Some(&segment[i + 5..])),
            None => {
                p.quirks.push(Quirk::NoCp);
                (segment, None)
            }
        };
        let hb = header.as_bytes();
        let mut start = 0;
        for (i, &c) in hb.iter().enumerate() {
            if c == b';' {
                p.header_piece(&header[start..i]);
                start = i + 1;
            }
        }
        p.header_piece(&header[start..]);
        if let Some(body) = body {
            let body = match body.strip_suffix("&&") {
                Some(b) => b,
                None => match body.rfind("&&") {
                    Some(j) => &body[..j],
                    None => {
                        p.quirks.push(Quirk::UnterminatedCp);
                        body
                    }
                },
            };
            p.cp_raw = body;
            p.cp = parse_cp(body, &mut p.quirks);
        }
        p
    }

    fn header_piece(&mut self, piece: &'a str) {
        if piece.trim_ascii().is_empty() {
            return;
        }
        let Some(eq) = memchr::memchr(b'=', piece.as_bytes()) else {
            // e.g. "IMEI…&&" at the end of a registration message.
            self.quirks
                .push(Quirk::HeaderPieceWithoutValue(piece.to_string()));
            return;
        };
        let (k, v) = (&piece[..eq], &piece[eq + 1..]);
        let messy = |c: u8| c.is_ascii_whitespace() || c == b',' || c == b';';
        let clean = if k.bytes().next().is_some_and(messy) || k.bytes().last().is_some_and(messy) {
            self.quirks.push(Quirk::MessyHeaderKey(k.to_string()));
            k.trim_matches(|c: char| c.is_whitespace() || c == ',' || c == ';')
        } else {
            k
        };
        let v = v.trim_ascii();
        let slot = match clean {
            "QN" => &mut self.qn,
            "ST" => &mut self.st,
            "CN" => &mut self.cn,
            "PW" => &mut self.pw,
            "MN" => &mut self.mn,
            "Flag" => &mut self.flag_text,
            "PNUM" => &mut self.pnum,
            "PNO" => &mut self.pno,
            "RF" => &mut self.rf,
            other => {
                if other.eq_ignore_ascii_case("flag") {
                    self.quirks.push(Quirk::UnknownHeaderKey(other.to_string()));
                    &mut self.flag_text
                } else if let Some(known) =
                    HEADER_KEYS.iter().find(|h| h.eq_ignore_ascii_case(other))
                {
                    self.quirks.push(Quirk::UnknownHeaderKey(other.to_string()));
                    match *known {
                        "QN" => &mut self.qn,
                        "ST" => &mut self.st,
                        "CN" => &mut self.cn,
                        "PW" => &mut self.pw,
                        "MN" => &mut self.mn,
                        "PNUM" => &mut self.pnum,
                        "RF" => &mut self.rf,
                        _ => &mut self.pno,
                    }
                } else {
                    self.quirks.push(Quirk::UnknownHeaderKey(other.to_string()));
                    self.extra.push((clean, v));
                    return;
                }
            }
        };
        slot.get_or_insert(v);
    }

    /// The Flag, if it is a number 0–255.
    pub fn flag(&self) -> Option<Flag> {
        self.flag_text.and_then(|f| f.parse::<u8>().ok()).map(Flag)
    }

    /// PNUM and PNO as numbers.
    pub fn split(&self) -> Option<(u16, u16)> {
        Some((self.pnum?.parse().ok()?, self.pno?.parse().ok()?))
    }

    /// HJ 212-2025: the packet is a re-send of earlier data (`RF=1`). Any
    /// other RF value counts as live data (and `strict_problems` names it).
    pub fn is_resend(&self) -> bool {
        self.rf == Some("1")
    }

    /// The first CP value of `key`.
    pub fn cp_get(&self, key: &str) -> Option<&'a str> {
        self.cp.iter().find(|e| e.key == key).map(|e| e.value)
    }

    /// `DataTime` of the CP body.
    pub fn data_time(&self) -> Option<&'a str> {
        self.cp_get("DataTime")
    }

    /// The QN, from the header or (2005 answers) from the CP body.
    pub fn qn_any(&self) -> Option<&'a str> {
        self.qn.or_else(|| self.cp_get("QN"))
    }

    /// Whether an answer is required (Flag bit A).
    pub fn needs_ack(&self) -> bool {
        self.flag().is_some_and(Flag::ack)
    }

    /// The protocol generation, by the Flag's version bits checked against
    /// the content:
    /// - version bits 2 (2025) on a packet whose DataTime/QN predates 2024
    ///   count as 2017: devices sent Flag=8/9 in 2019–2021, before HJ 212-2025
    ///   existed (its own examples, drafted in 2024, are dated 2024);
    /// - bits 1 → 2017; bits 0 or no Flag → 2017 if the factor codes are
    ///   2017-style (`a21026`, `w01018`) and none is 2005-style (`02`, `B01`,
    ///   `S01`, `011`), or if there are no codes and the QN is in the header
    ///   with no Flag at all; 2005 otherwise.
    pub fn version(&self) -> Version {
        let bits = self.flag().map(Flag::version_bits);
        let year = self
            .data_time()
            .or(self.qn_any())
            .and_then(|t| t.get(..4))
            .and_then(|y| y.parse::<u32>().ok());
        match bits {
            Some(2) if year.is_some_and(|y| y < 2024) => Version::V2017,
            Some(2) => Version::V2025,
            Some(1) => Version::V2017,
            _ => {
                let (mut new, mut old) = (false, false);
                for e in &self.cp {
                    let code = e.key.split('-').next().unwrap_or("");
                    if crate::codes::is_2017_style(code) {
                        new = true;
                    } else if crate::codes::is_2005_style(code) {
                        old = true;
                    }
                }
                // 2017-style codes only; or no codes at all, QN in the
                // header and no Flag (2005 uploads rarely carry a QN).
                let by_codes = new && !old;
                let by_header = !new && !old && bits.is_none() && self.qn.is_some();
                if by_codes || by_header {
                    Version::V2017
                } else {
                    Version::V2005
                }
            }
        }
    }

    /// What strict mode rejects in this segment (empty when to the letter).
    pub fn strict_problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self.quirks.iter().map(|q| q.to_string()).collect();
        if self.st.is_none() {
            out.push("missing field ST".into());
        }
        if self.cn.is_none() {
            out.push("missing field CN".into());
        }
        if let Some(f) = self.flag_text
            && f.parse::<u8>().is_err()
        {
            out.push(format!("Flag `{f}` is not a number 0–255"));
        }
        let version = self.version();
        if let Some(f) = self.flag()
            && f.split()
            && self.split().is_none()
            && version != Version::V2005
        {
            // 2005's own examples send Flag=3 on unsplit requests.
            out.push("Flag says split (D=1) but PNUM/PNO are missing".into());
        }
        if let Some(rf) = self.rf
            && rf != "1"
        {
            out.push(format!("RF `{rf}`: only RF=1 is defined"));
        }
        if let Some(qn) = self.qn
            && (qn.len() != 17 || !qn.bytes().all(|b| b.is_ascii_digit()))
        {
            out.push(format!("QN `{qn}` is not 17 digits"));
        }
        for key in ["DataTime", "BeginTime", "EndTime", "SystemTime"] {
            for e in self.cp.iter().filter(|e| e.key == key) {
                if e.value.len() != 14 || !e.value.bytes().all(|b| b.is_ascii_digit()) {
                    out.push(format!("{key} `{}` is not 14 digits", e.value));
                }
            }
        }
        if let Some(cn) = self.cn {
            match cn.parse::<u16>().ok().and_then(crate::codes::command) {
                None => out.push(format!("unknown CN {cn}")),
                Some(c) if c.kind == crate::codes::CommandType::Answer && self.st != Some("91") => {
                    out.push(format!(
                        "answer CN {cn} with ST={} instead of 91",
                        self.st.unwrap_or("")
                    ))
                }
                Some(_) => {}
            }
        }
        out
    }
}

/// Where `CP=&&` starts: the first `&&` preceded by `CP=`.
fn find_cp(b: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'&', b)
        .find(|&i| i >= 3 && b.get(i + 1) == Some(&b'&') && &b[i - 3..i] == b"CP=")
        .map(|i| i - 3)
}

/// Splits a CP body into entries (see the module documentation). One pass
/// over the bytes; a value that starts with "//" (log text) runs to its
/// closing "//" whatever separators it holds.
fn parse_cp<'a>(body: &'a str, quirks: &mut Vec<Quirk>) -> Vec<CpEntry<'a>> {
    /// Bytes the scanner stops at.
    const STOP: [bool; 256] = {
        let mut t = [false; 256];
        t[b'=' as usize] = true;
        t[b';' as usize] = true;
        t[b',' as usize] = true;
        t
    };
    let mut out = Vec::with_capacity(body.len() / 10);
    let bytes = body.as_bytes();
    let n = bytes.len();
    let mut item: u16 = 0;
    let mut start = 0;
    let mut eq: Option<usize> = None;
    let mut i = 0;
    loop {
        // Tight skip to the next '=', ';' or ','.
        while i < n && !STOP[bytes[i] as usize] {
            i += 1;
        }
        let c = if i < n { bytes[i] } else { b';' };
        if c == b'=' {
            if eq.is_none() {
                eq = Some(i);
                if bytes[i + 1..].starts_with(b"//")
                    && let Some(close) = memchr::memmem::find(&bytes[i + 3..], b"//")
                {
                    i += 3 + close + 2;
                    continue;
                }
            }
            i += 1;
            continue;
        }
        // ';' or ',' (or the end): one piece is over. Separators are ASCII,
        // so these slices are on char boundaries.
        let piece = &body[start..i];
        if !piece.trim_ascii().is_empty() {
            match eq {
                Some(e) => out.push(CpEntry {
                    key: body[start..e].trim_ascii(),
                    value: body[e + 1..i].trim_ascii(),
                    item,
                }),
                None => {
                    quirks.push(Quirk::CpPieceWithoutValue(piece.trim_ascii().to_string()));
                    out.push(CpEntry {
                        key: piece.trim_ascii(),
                        value: "",
                        item,
                    });
                }
            }
        }
        if i >= n {
            break;
        }
        if c == b';' {
            item = item.saturating_add(1);
        }
        i += 1;
        start = i;
        eq = None;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_cp() {
        let p = Packet::parse(
            "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&",
        );
        assert_eq!(p.qn, Some("20160801085857223"));
        assert_eq!(p.cn, Some("1062"));
        assert_eq!(p.flag(), Some(Flag(5)));
        assert!(p.needs_ack());
        assert_eq!(p.cp_get("RtdInterval"), Some("30"));
        assert!(p.quirks.is_empty());
        assert_eq!(p.version(), Version::V2017);
    }

    #[test]
    fn log_text_keeps_separators() {
        let p = Packet::parse(
            "ST=32;CN=3020;CP=&&DataTime=20100301145000;i11001-Info=//a;b,c=d//;PolId=w01018&&",
        );
        assert_eq!(p.cp_get("i11001-Info"), Some("//a;b,c=d//"));
        assert_eq!(p.cp_get("PolId"), Some("w01018"));
    }

    #[test]
    fn messy_input_never_panics() {
        for s in [
            "",
            "CP=&&",
            "CP=&&&&",
            "=;=;CP=&&=,=;&&",
            "CP=&&a=//",
            "CP=&&a=//x",
            ";;;",
            "QN",
            "CP=&& &&",
        ] {
            let _ = Packet::parse(s).version();
        }
    }
}
