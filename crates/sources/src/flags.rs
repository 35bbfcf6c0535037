//! HJ 212 data flags and which of them make an hour judgeable. One table
//! ([`FLAGS`]); `sources.md` §3.1 is its source.

use std::fmt;

/// A data flag as sent (`xxxxxx-Flag`), or its absence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flag {
    /// No row for the hour.
    Absent,
    /// N 正常 (an empty flag is read as N).
    N,
    /// F 停运 (instrument or source stopped).
    F,
    /// M 维护.
    M,
    /// S 手工输入的设定值.
    S,
    /// D 故障.
    D,
    /// C 校准/校验.
    C,
    /// T 超测上限 (above the instrument's range).
    T,
    /// B 通讯异常.
    B,
    /// P 电源故障 (HJ/T 212-2005).
    P,
    /// Any other flag.
    Other,
    /// Not an HJ 212 flag: the hour was marked invalid by a data review
    /// (数据审核, lantian's `reviews`). Shown as `R`, never read from data.
    Reviewed,
}

/// What an hour with a flag is good for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Judged (exceedances and anomalies).
    Judge,
    /// Not judged for exceedance by default, but its value is at least the
    /// range's top: evidence of an exceedance when the setting
    /// `over_range_counts` says so; always an `over_range` anomaly.
    OverRange,
    /// Not judged (the period is excluded).
    Exclude,
}

/// The flag table: flag, meaning, use. Marked-invalid data are not used
/// for exceedance judgement (MEE 2022 标记规则, `sources.md` S3).
pub const FLAGS: &[(Flag, &str, Use)] = &[
    (Flag::N, "在线监控(监测)仪器仪表工作正常", Use::Judge),
    (Flag::F, "仪器仪表停运", Use::Exclude),
    (Flag::M, "维护期间产生的数据", Use::Exclude),
    (Flag::S, "手工输入的设定值", Use::Exclude),
    (Flag::D, "仪器仪表故障", Use::Exclude),
    (Flag::C, "校准/校验", Use::Exclude),
    (Flag::T, "超测上限", Use::OverRange),
    (Flag::B, "仪器与数采仪通讯异常", Use::Exclude),
    (Flag::P, "电源故障 (2005)", Use::Exclude),
    (Flag::Other, "未知标记", Use::Exclude),
    (Flag::Reviewed, "审核标记无效 (数据审核)", Use::Exclude),
    (Flag::Absent, "无数据", Use::Exclude),
];

impl Flag {
    /// A flag's text as sent; empty (no flag field) is N.
    pub fn parse(s: &str) -> Flag {
        match s.trim() {
            "" | "N" | "n" => Flag::N,
            "F" => Flag::F,
            "M" => Flag::M,
            "S" => Flag::S,
            "D" => Flag::D,
            "C" => Flag::C,
            "T" => Flag::T,
            "B" => Flag::B,
            "P" => Flag::P,
            _ => Flag::Other,
        }
    }

    pub fn use_of(self) -> Use {
        FLAGS
            .iter()
            .find(|(f, _, _)| *f == self)
            .map_or(Use::Exclude, |(_, _, u)| *u)
    }

    pub fn is_present(self) -> bool {
        self != Flag::Absent
    }

    pub const fn letter(self) -> &'static str {
        match self {
            Flag::Absent => "",
            Flag::N => "N",
            Flag::F => "F",
            Flag::M => "M",
            Flag::S => "S",
            Flag::D => "D",
            Flag::C => "C",
            Flag::T => "T",
            Flag::B => "B",
            Flag::P => "P",
            Flag::Other => "?",
            Flag::Reviewed => "R",
        }
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.letter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_has_a_row_and_only_n_is_judged() {
        for (flag, _, u) in FLAGS {
            assert_eq!(flag.use_of(), *u);
            assert_eq!(*u == Use::Judge, *flag == Flag::N, "{flag:?}");
        }
        assert_eq!(Flag::parse(""), Flag::N);
        assert_eq!(Flag::parse("X"), Flag::Other);
        assert_eq!(Flag::parse("T").use_of(), Use::OverRange);
        // A review mark is lantian's, never read from a frame.
        assert_eq!(Flag::parse("R"), Flag::Other);
        assert_eq!(Flag::Reviewed.use_of(), Use::Exclude);
    }
}
