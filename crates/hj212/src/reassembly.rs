//! Split packets (Flag D=1, `PNUM`/`PNO`) put back together.
//!
//! Parts are grouped by (MN, CN, DataTime, PNUM): the standard's own example
//! (C.50) gives each part its own QN, so the QN cannot be the key. A group
//! completes when every PNO 1…PNUM has arrived (a repeated part replaces the
//! earlier one); its CP bodies are joined in PNO order, with the DataTime of
//! later parts dropped. At most `max_groups` groups are held; the oldest is
//! evicted (and reported) beyond that, so memory stays bounded.

use crate::build::SegmentBuilder;
use crate::segment::Packet;

/// What pushing a packet gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assembly {
    /// Not a split packet: use it as it is.
    Single,
    /// A part was stored; `have` of `of` parts are there.
    Pending { have: u16, of: u16 },
    /// All parts are there: the whole data segment (Flag D cleared, no PNUM/PNO).
    Complete(String),
    /// PNUM/PNO are not usable numbers (PNO 0 or above PNUM).
    BadParts { pnum: String, pno: String },
}

#[derive(Debug, Clone)]
struct Group {
    key: (String, String, String, u16),
    parts: Vec<Option<(String, String)>>, // (header segment, CP body)
    seq: u64,
}

/// The reassembly buffer.
///
/// ```
/// use lantian_hj212::reassembly::{Assembly, Reassembler};
/// use lantian_hj212::segment::Packet;
/// let mut r = Reassembler::default();
/// let p1 = "QN=20160801085857534;ST=32;CN=2061;MN=M;Flag=7;PNUM=2;PNO=1;CP=&&DataTime=20160801080000;w00000-Avg=17.5&&";
/// let p2 = "QN=20160801085857535;ST=32;CN=2061;MN=M;Flag=7;PNUM=2;PNO=2;CP=&&DataTime=20160801080000;w01018-Avg=40.1&&";
/// assert_eq!(r.push(&Packet::parse(p1)), Assembly::Pending { have: 1, of: 2 });
/// let Assembly::Complete(whole) = r.push(&Packet::parse(p2)) else { panic!() };
/// assert!(whole.ends_with("CP=&&DataTime=20160801080000;w00000-Avg=17.5;w01018-Avg=40.1&&"));
/// ```
#[derive(Debug, Clone)]
pub struct Reassembler {
    groups: Vec<Group>,
    max_groups: usize,
    seq: u64,
    /// Groups evicted before completing.
    pub evicted: u64,
}

impl Default for Reassembler {
    fn default() -> Self {
        Self::new(1024)
    }
}

impl Reassembler {
    pub fn new(max_groups: usize) -> Self {
        Reassembler {
            groups: Vec::new(),
            max_groups: max_groups.max(1),
            seq: 0,
            evicted: 0,
        }
    }

    /// Groups still waiting for parts.
    pub fn pending(&self) -> usize {
        self.groups.len()
    }

    pub fn push(&mut self, p: &Packet<'_>) -> Assembly {
        let (Some(pnum_s), Some(pno_s)) = (p.pnum, p.pno) else {
            return Assembly::Single;
        };
        let bad = || Assembly::BadParts {
            pnum: pnum_s.to_string(),
            pno: pno_s.to_string(),
        };
        let (Ok(pnum), Ok(pno)) = (pnum_s.parse::<u16>(), pno_s.parse::<u16>()) else {
            return bad();
        };
        if pnum == 0 || pno == 0 || pno > pnum {
            return bad();
        }
        if pnum == 1 {
            return Assembly::Complete(merged(p, &[p.cp_raw.to_string()]));
        }
        let key = (
            p.mn.unwrap_or("").to_string(),
            p.cn.unwrap_or("").to_string(),
            p.data_time().unwrap_or("").to_string(),
            pnum,
        );
        self.seq += 1;
        let idx = match self.groups.iter().position(|g| g.key == key) {
            Some(i) => i,
            None => {
                if self.groups.len() >= self.max_groups
                    && let Some(oldest) = self
                        .groups
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, g)| g.seq)
                        .map(|(i, _)| i)
                {
                    self.groups.swap_remove(oldest);
                    self.evicted += 1;
                }
                self.groups.push(Group {
                    key,
                    parts: vec![None; pnum as usize],
                    seq: self.seq,
                });
                self.groups.len() - 1
            }
        };
        let g = &mut self.groups[idx];
        g.seq = self.seq;
        g.parts[(pno - 1) as usize] = Some((header_of(p), p.cp_raw.to_string()));
        let have = g.parts.iter().filter(|x| x.is_some()).count() as u16;
        if have < pnum {
            return Assembly::Pending { have, of: pnum };
        }
        let g = self.groups.swap_remove(idx);
        let bodies: Vec<String> = g
            .parts
            .iter()
            .enumerate()
            .filter_map(|(i, part)| {
                let (_, body) = part.as_ref()?;
                Some(if i == 0 {
                    body.clone()
                } else {
                    strip_data_time(body)
                })
            })
            .collect();
        let first_header = g.parts[0]
            .as_ref()
            .map(|(h, _)| h.clone())
            .unwrap_or_default();
        let first = Packet::parse(&first_header);
        Assembly::Complete(merged(&first, &bodies))
    }
}

/// A builder holding the header fields of `p` (Flag as given, no PNUM/PNO).
fn header_builder(p: &Packet<'_>, flag: Option<u8>) -> SegmentBuilder {
    let mut b = SegmentBuilder::new();
    for (k, v) in [
        ("QN", p.qn),
        ("ST", p.st),
        ("CN", p.cn),
        ("PW", p.pw),
        ("MN", p.mn),
    ] {
        if let Some(v) = v {
            b = b.field(k, v);
        }
    }
    match flag {
        Some(f) => b.flag(f),
        None => b,
    }
}

fn header_of(p: &Packet<'_>) -> String {
    header_builder(p, p.flag().map(|f| f.0)).build()
}

/// The whole segment: `p`'s header with Flag D cleared, the bodies joined.
fn merged(p: &Packet<'_>, bodies: &[String]) -> String {
    let mut b = header_builder(p, p.flag().map(|f| f.0 & !2));
    for body in bodies.iter().filter(|s| !s.trim().is_empty()) {
        b = b.cp_raw(body);
    }
    b.build()
}

fn strip_data_time(body: &str) -> String {
    body.split(';')
        .filter(|item| !item.trim_start().starts_with("DataTime="))
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(pno: u16, body: &str) -> String {
        format!(
            "QN=2016080108585753{pno};ST=32;CN=2061;PW=123456;MN=M1;Flag=7;PNUM=2;PNO={pno};CP=&&DataTime=20160801080000;{body}&&"
        )
    }

    #[test]
    fn parts_in_any_order() {
        let mut r = Reassembler::default();
        let s2 = seg(2, "w01018-Avg=40.1");
        let s1 = seg(1, "w00000-Avg=17.5");
        assert_eq!(
            r.push(&Packet::parse(&s2)),
            Assembly::Pending { have: 1, of: 2 }
        );
        let Assembly::Complete(whole) = r.push(&Packet::parse(&s1)) else {
            panic!()
        };
        let p = Packet::parse(&whole);
        assert_eq!(p.cp_get("w00000-Avg"), Some("17.5"));
        assert_eq!(p.cp_get("w01018-Avg"), Some("40.1"));
        assert_eq!(p.cp.iter().filter(|e| e.key == "DataTime").count(), 1);
        assert_eq!(p.flag().map(|f| f.split()), Some(false));
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn bounded() {
        let mut r = Reassembler::new(2);
        for mn in ["A", "B", "C"] {
            let s =
                format!("ST=32;CN=2061;MN={mn};Flag=6;PNUM=2;PNO=1;CP=&&DataTime=20160801080000&&");
            r.push(&Packet::parse(&s));
        }
        assert_eq!(r.pending(), 2);
        assert_eq!(r.evicted, 1);
        let bad = Packet::parse("ST=32;CN=2061;MN=A;Flag=6;PNUM=2;PNO=3;CP=&&&&");
        assert!(matches!(r.push(&bad), Assembly::BadParts { .. }));
    }
}
