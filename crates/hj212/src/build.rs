//! Encoding: data segments, frames, the platform's replies (9011–9014, in the
//! dialect the device spoke) and platform commands.

use std::fmt::Write as _;

use crate::crc::{self, CrcVariant};
use crate::segment::{Packet, Version};

/// Why a frame cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildError {
    /// The data segment does not fit the 4-digit length field.
    TooLong(usize),
    /// A segment without a CP body to encrypt.
    NoCp,
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::TooLong(n) => {
                write!(f, "data segment of {n} bytes does not fit 4 length digits")
            }
            BuildError::NoCp => f.write_str("no CP body to encrypt"),
        }
    }
}

impl std::error::Error for BuildError {}

/// Frames a data segment: `##` + length in bytes + segment + uppercase CRC + CRLF.
///
/// ```
/// let f = lantian_hj212::build::frame("QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&").unwrap();
/// assert!(f.ends_with(b"&&1C80\r\n"));
/// assert!(f.starts_with(b"##0101QN="));
/// ```
pub fn frame(segment: &str) -> Result<Vec<u8>, BuildError> {
    frame_with(segment, CrcVariant::Hj212)
}

/// [`frame`] with a chosen CRC (MODBUS only to imitate such devices).
pub fn frame_with(segment: &str, variant: CrcVariant) -> Result<Vec<u8>, BuildError> {
    let seg = segment.as_bytes();
    if seg.len() > 9999 {
        return Err(BuildError::TooLong(seg.len()));
    }
    let mut out = Vec::with_capacity(seg.len() + 12);
    out.extend_from_slice(b"##");
    out.extend_from_slice(format!("{:04}", seg.len()).as_bytes());
    out.extend_from_slice(seg);
    out.extend_from_slice(&crc::hex4(crc::compute(variant, seg)));
    out.extend_from_slice(b"\r\n");
    Ok(out)
}

/// Builds a data segment field by field.
///
/// ```
/// use lantian_hj212::build::SegmentBuilder;
/// let seg = SegmentBuilder::new()
///     .qn("20160801090000001").st("22").cn("2011").pw("123456").mn("MN001").flag(4)
///     .cp("DataTime", "20160801084000")
///     .item(&[("a34004-Rtd", "35"), ("a34004-Flag", "N")])
///     .build();
/// assert_eq!(seg, "QN=20160801090000001;ST=22;CN=2011;PW=123456;MN=MN001;Flag=4;CP=&&DataTime=20160801084000;a34004-Rtd=35,a34004-Flag=N&&");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentBuilder {
    header: String,
    cp: String,
}

impl SegmentBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Any header field, in the order called.
    pub fn field(mut self, key: &str, value: &str) -> Self {
        let _ = write!(self.header, "{key}={value};");
        self
    }

    pub fn qn(self, v: &str) -> Self {
        self.field("QN", v)
    }
    pub fn st(self, v: &str) -> Self {
        self.field("ST", v)
    }
    pub fn cn(self, v: &str) -> Self {
        self.field("CN", v)
    }
    pub fn pw(self, v: &str) -> Self {
        self.field("PW", v)
    }
    pub fn mn(self, v: &str) -> Self {
        self.field("MN", v)
    }
    pub fn flag(self, v: u8) -> Self {
        self.field("Flag", &v.to_string())
    }
    /// PNUM and PNO (also set D in the flag yourself).
    pub fn split(self, pnum: u16, pno: u16) -> Self {
        self.field("PNUM", &pnum.to_string())
            .field("PNO", &pno.to_string())
    }

    /// One CP item of a single `key=value`.
    pub fn cp(self, key: &str, value: &str) -> Self {
        self.item(&[(key, value)])
    }

    /// One CP item: its fields joined by `,`; items are joined by `;`.
    pub fn item(mut self, fields: &[(&str, &str)]) -> Self {
        if !self.cp.is_empty() {
            self.cp.push(';');
        }
        for (i, (k, v)) in fields.iter().enumerate() {
            if i > 0 {
                self.cp.push(',');
            }
            let _ = write!(self.cp, "{k}={v}");
        }
        self
    }

    /// A CP body given whole (e.g. copied from another packet).
    pub fn cp_raw(mut self, body: &str) -> Self {
        if !self.cp.is_empty() && !body.is_empty() {
            self.cp.push(';');
        }
        self.cp.push_str(body);
        self
    }

    pub fn build(&self) -> String {
        format!("{}CP=&&{}&&", self.header, self.cp)
    }
}

/// The answer header of a 2017 or 2025 reply: same QN, ST=91, the CN, same
/// PW/MN, and Flag 4 (2017) or 8 (2025): the answer's version, no answer needed.
fn reply_2017(p: &Packet<'_>, cn: &str, v: Version) -> SegmentBuilder {
    let mut b = SegmentBuilder::new();
    if let Some(qn) = p.qn_any() {
        b = b.qn(qn);
    }
    b = b.st("91").cn(cn);
    if let Some(pw) = p.pw {
        b = b.pw(pw);
    }
    if let Some(mn) = p.mn {
        b = b.mn(mn);
    }
    b.flag(if v == Version::V2025 { 8 } else { 4 })
}

/// The 2005 answer: the QN and CN of the answered packet go inside CP
/// (HJ/T 212-2005 Appendix C), plus PNO/PNUM of a split packet.
fn reply_2005(p: &Packet<'_>, cn: &str) -> SegmentBuilder {
    let mut body = Vec::new();
    if let Some(qn) = p.qn_any() {
        body.push(("QN", qn));
    }
    if let Some(c) = p.cn {
        body.push(("CN", c));
    }
    if let (Some(pno), Some(pnum)) = (p.pno, p.pnum) {
        body.push(("PNO", pno));
        body.push(("PNUM", pnum));
    }
    let mut b = SegmentBuilder::new().st("91").cn(cn);
    for (k, v) in body {
        b = b.cp(k, v);
    }
    b
}

/// 9014 数据应答 for an upload: `QN` echoed, `ST=91`, `Flag=4`, `CP=&&&&`
/// (2017/2025); the 2005 form for 2005 devices.
///
/// ```
/// use lantian_hj212::{build, segment::Packet};
/// let up = Packet::parse("QN=20160801090000001;ST=32;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&DataTime=20160801080000&&");
/// let reply = build::data_ack(&up);
/// assert_eq!(reply, "QN=20160801090000001;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&");
/// ```
pub fn data_ack(p: &Packet<'_>) -> String {
    data_ack_as(p, p.version())
}

/// 9014 in the dialect of version `v` (a device's configured protocol).
pub fn data_ack_as(p: &Packet<'_>, v: Version) -> String {
    match v {
        Version::V2005 => reply_2005(p, "9014").build(),
        _ => reply_2017(p, "9014", v).build(),
    }
}

/// 9013 通知应答 (to 1013, 2025 heartbeats 9015 and the like).
pub fn notice_ack(p: &Packet<'_>) -> String {
    notice_ack_as(p, p.version())
}

/// 9013 in the dialect of version `v` (a device's configured protocol).
pub fn notice_ack_as(p: &Packet<'_>, v: Version) -> String {
    match v {
        Version::V2005 => reply_2005(p, "9013").build(),
        _ => reply_2017(p, "9013", v).build(),
    }
}

/// 9011 请求应答 (a device answering a request; simulators need it).
pub fn request_answer(p: &Packet<'_>, qn_rtn: u16) -> String {
    let rtn = qn_rtn.to_string();
    match p.version() {
        Version::V2005 => {
            let mut b = SegmentBuilder::new().st("91").cn("9011");
            if let Some(pw) = p.pw {
                b = b.pw(pw);
            }
            if let Some(mn) = p.mn {
                b = b.mn(mn);
            }
            b = b.flag(0);
            if let Some(qn) = p.qn_any() {
                b = b.cp("QN", qn);
            }
            b.cp("QnRtn", &rtn).build()
        }
        _ => reply_2017(p, "9011", p.version()).cp("QnRtn", &rtn).build(),
    }
}

/// 9012 执行结果.
pub fn execution_result(p: &Packet<'_>, exe_rtn: u16) -> String {
    reply_2017(p, "9012", p.version())
        .cp("ExeRtn", &exe_rtn.to_string())
        .build()
}

/// The reply the platform owes for `p`, as a frame: 9014 for a device's
/// upload (data, its time, its intervals) and 9013 for a device's notice
/// (1013), when the packet asks for one (Flag A=1); `None` otherwise
/// (answers, platform requests, packets that ask for nothing, unknown CNs).
pub fn platform_reply(p: &Packet<'_>) -> Option<Vec<u8>> {
    platform_reply_as(p, p.version())
}

/// [`platform_reply`] in the dialect of version `v`: a device configured
/// for one protocol is answered in it, whatever its packet's Flag and dates
/// suggest (a 2025 logger re-sending old history looks like 2017 by date).
pub fn platform_reply_as(p: &Packet<'_>, v: Version) -> Option<Vec<u8>> {
    platform_reply_to(p, &crate::message::classify(p).ok()?, v)
}

/// [`platform_reply_as`] for a packet already classified as `m`.
pub fn platform_reply_to(
    p: &Packet<'_>,
    m: &crate::message::Message<'_>,
    v: Version,
) -> Option<Vec<u8>> {
    use crate::message::Message;
    if !p.needs_ack() {
        return None;
    }
    let seg = match m {
        Message::Data(_) | Message::DeviceTime { .. } | Message::IntervalIs { .. } => {
            data_ack_as(p, v)
        }
        Message::TimeCalibrationRequest
        | Message::Heartbeat
        | Message::HardwareSerials { .. }
        | Message::KeyRequest { .. } => notice_ack_as(p, v),
        _ => return None,
    };
    frame(&seg).ok()
}

/// HJ 212-2025 activation: the platform assigns an approved logger its MN
/// (1002, Flag=9), naming the logger by the id it announced (i23005-Info).
pub fn assign_mn(
    qn: &str,
    st: &str,
    pw: &str,
    mn: &str,
    logger_id: &str,
) -> Result<Vec<u8>, BuildError> {
    let seg = SegmentBuilder::new()
        .qn(qn)
        .st(st)
        .cn("1002")
        .pw(pw)
        .mn(mn)
        .flag(9)
        .cp("i23005-Info", logger_id)
        .build();
    frame(&seg)
}

/// HJ 212-2025 key exchange: the platform's 1014 carrying a new SM4 key
/// (`NewSK`, made `created`), its CP body encrypted with the key in use
/// (`old`) in the wire form the device used; the CRC covers the plaintext
/// segment (§6.4), the length the plaintext's.
#[allow(clippy::too_many_arguments)]
pub fn new_key_frame(
    old: &[u8; 16],
    form: crate::crypto::WireForm,
    qn: &str,
    st: &str,
    pw: &str,
    mn: &str,
    created: &str,
    new_key: &[u8; 16],
) -> Result<Vec<u8>, BuildError> {
    let seg = SegmentBuilder::new()
        .qn(qn)
        .st(st)
        .cn("1014")
        .pw(pw)
        .mn(mn)
        .flag(9)
        .item(&[
            ("SKCreateTime", created),
            ("NewSK", &String::from_utf8_lossy(new_key)),
        ])
        .build();
    if seg.len() > 9999 {
        return Err(BuildError::TooLong(seg.len()));
    }
    let crc = crate::crc::hex4(crate::crc::hj212(seg.as_bytes()));
    let enc =
        crate::crypto::encrypt_segment(old, seg.as_bytes(), form).map_err(|_| BuildError::NoCp)?;
    let mut out = format!("##{:04}", seg.len()).into_bytes();
    out.extend(enc);
    out.extend(crc);
    out.extend(b"\r\n");
    Ok(out)
}

/// A platform request to a device (`Flag=5`: 2017, answer required).
pub fn request(qn: &str, st: &str, cn: u16, pw: &str, mn: &str, cp: &[(&str, &str)]) -> String {
    let mut b = SegmentBuilder::new()
        .qn(qn)
        .st(st)
        .cn(&cn.to_string())
        .pw(pw)
        .mn(mn)
        .flag(5);
    if !cp.is_empty() {
        b = b.item(cp);
    }
    b.build()
}

/// 1012: set the device time (`SystemTime` as `YYYYMMDDhhmmss`).
pub fn set_time(qn: &str, st: &str, pw: &str, mn: &str, system_time: &str) -> String {
    request(qn, st, 1012, pw, mn, &[("SystemTime", system_time)])
}

/// 1062: set the real-time interval (seconds).
pub fn set_rtd_interval(qn: &str, st: &str, pw: &str, mn: &str, seconds: u32) -> String {
    request(
        qn,
        st,
        1062,
        pw,
        mn,
        &[("RtdInterval", &seconds.to_string())],
    )
}

/// 1064: set the minute-data interval (minutes).
pub fn set_min_interval(qn: &str, st: &str, pw: &str, mn: &str, minutes: u32) -> String {
    request(
        qn,
        st,
        1064,
        pw,
        mn,
        &[("MinInterval", &minutes.to_string())],
    )
}

/// 1072: set the device password.
pub fn set_password(qn: &str, st: &str, pw: &str, mn: &str, new_pw: &str) -> String {
    request(qn, st, 1072, pw, mn, &[("NewPW", new_pw)])
}

/// 2031/2041/2051/2061: ask for history between two `YYYYMMDDhhmmss` times.
pub fn data_request(
    qn: &str,
    st: &str,
    cn: u16,
    pw: &str,
    mn: &str,
    begin: &str,
    end: &str,
) -> String {
    request(
        qn,
        st,
        cn,
        pw,
        mn,
        &[("BeginTime", begin), ("EndTime", end)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_to_2005_upload_is_qn_in_cp() {
        let p = Packet::parse(
            "QN=20040516010101001;ST=32;CN=2051;PW=123456;MN=88888880000001;Flag=3;CP=&&BeginTime=20040506111000,EndTime=20040506151000&&",
        );
        assert_eq!(
            data_ack(&p),
            "ST=91;CN=9014;CP=&&QN=20040516010101001;CN=2051&&"
        );
    }

    #[test]
    fn no_reply_without_ack_bit() {
        let p = Packet::parse("QN=1;ST=22;CN=2011;PW=1;MN=1;Flag=4;CP=&&DataTime=20200101000000&&");
        assert!(platform_reply(&p).is_none());
        let n = Packet::parse("QN=20200101000000001;ST=22;CN=1013;PW=1;MN=1;Flag=5;CP=&&&&");
        let r = platform_reply(&n).unwrap();
        assert!(String::from_utf8(r).unwrap().contains("CN=9013"));
    }

    #[test]
    fn too_long() {
        assert_eq!(frame(&"x".repeat(10_000)), Err(BuildError::TooLong(10_000)));
    }
}
