//! Performance grades (绩效分级, `policy.md` §2): a firm is graded per
//! industry, and its grade is the lowest of its industries' (the
//! short-board rule); an industry it never applied in counts as that
//! industry's lowest grade. The county records grades, it does not award
//! them.

use chrono::NaiveDate;

/// A performance grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Grade {
    #[serde(rename = "A+")]
    APlus,
    A,
    B,
    #[serde(rename = "B-")]
    BMinus,
    C,
    D,
    /// 绩效引领性 (industries graded only as leading or not).
    #[serde(rename = "引领性")]
    Leading,
    #[serde(rename = "非引领性")]
    NotLeading,
}

impl Grade {
    pub const ALL: [Grade; 8] = [
        Grade::APlus,
        Grade::A,
        Grade::B,
        Grade::BMinus,
        Grade::C,
        Grade::D,
        Grade::Leading,
        Grade::NotLeading,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Grade::APlus => "A+",
            Grade::A => "A",
            Grade::B => "B",
            Grade::BMinus => "B-",
            Grade::C => "C",
            Grade::D => "D",
            Grade::Leading => "引领性",
            Grade::NotLeading => "非引领性",
        }
    }

    pub fn parse(s: &str) -> Result<Grade, String> {
        let t = s.trim();
        Grade::ALL
            .into_iter()
            .find(|g| g.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| format!("grade `{t}`: A+, A, B, B-, C, D, 引领性 or 非引领性"))
    }

    /// Rank from best (0) to worst. 引领性 stands with A (both are spared
    /// mandatory measures, `policy.md` §2.3 and §2.5); 非引领性 with D (the
    /// lowest of its scale).
    pub const fn rank(self) -> u8 {
        match self {
            Grade::APlus => 0,
            Grade::A | Grade::Leading => 1,
            Grade::B => 2,
            Grade::BMinus => 3,
            Grade::C => 4,
            Grade::D | Grade::NotLeading => 5,
        }
    }
}

/// The grade scale of an industry: the 39 key industries are graded A to D
/// (A+ picked by the MEE), the others leading or not.
pub fn lowest_of(key_industry: bool) -> Grade {
    if key_industry {
        Grade::D
    } else {
        Grade::NotLeading
    }
}

/// A grade record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradeRecord {
    pub industry: String,
    pub grade: Grade,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// A firm's grade on `day`: for each of its industries the grade in force
/// (or the industry's lowest when there is none), then the lowest of them.
/// `industries` pairs each industry with whether it is a key industry.
pub fn firm_grade(
    industries: &[(String, bool)],
    records: &[GradeRecord],
    day: NaiveDate,
) -> Option<Grade> {
    industries
        .iter()
        .map(|(industry, key)| {
            records
                .iter()
                .filter(|r| &r.industry == industry)
                .filter(|r| r.from.is_none_or(|f| day >= f) && r.to.is_none_or(|t| day <= t))
                .map(|r| r.grade)
                .max_by_key(|g| std::cmp::Reverse(g.rank()))
                .unwrap_or_else(|| lowest_of(*key))
        })
        .max_by_key(|g| g.rank())
}

/// The 39 key industries (HJ 1321-2023's scope; 钢铁 counts twice).
pub const KEY_INDUSTRIES: [&str; 39] = [
    "长流程联合钢铁",
    "短流程钢铁",
    "焦化",
    "水泥",
    "氧化铝",
    "电解铝",
    "炭素",
    "铜冶炼",
    "钼冶炼",
    "铅锌冶炼",
    "石灰窑",
    "铁合金",
    "铸造",
    "再生铜铝铅锌",
    "有色金属压延",
    "陶瓷",
    "耐火材料",
    "岩棉",
    "玻璃",
    "砖瓦窑",
    "玻璃钢",
    "纤维素醚",
    "建筑防水材料",
    "制药",
    "农药制造",
    "涂料制造",
    "油墨制造",
    "汽车整车制造",
    "工程机械整机制造",
    "工业涂装",
    "炼油与石油化工",
    "炭黑",
    "煤制氮肥",
    "家具制造",
    "包装印刷",
    "人造板制造",
    "塑料人造革与合成革制造",
    "橡胶制品制造",
    "皮革制品和制鞋",
];

pub fn is_key_industry(name: &str) -> bool {
    KEY_INDUSTRIES.contains(&name.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_short_board_rule() {
        let inds = vec![("陶瓷".to_string(), true), ("工业涂装".to_string(), true)];
        let rec = |industry: &str, g, from: Option<&str>, to: Option<&str>| GradeRecord {
            industry: industry.into(),
            grade: g,
            from: from.map(d),
            to: to.map(d),
        };
        let records = vec![
            rec("陶瓷", Grade::A, Some("2025-01-01"), None),
            rec("工业涂装", Grade::B, Some("2025-01-01"), Some("2025-12-31")),
            rec("工业涂装", Grade::C, Some("2026-01-01"), None),
        ];
        // The lowest of the industries': B in 2025, C from 2026.
        assert_eq!(firm_grade(&inds, &records, d("2025-06-01")), Some(Grade::B));
        assert_eq!(firm_grade(&inds, &records, d("2026-06-01")), Some(Grade::C));
        // Before any grade: never applied counts as the lowest, D.
        assert_eq!(firm_grade(&inds, &records, d("2024-06-01")), Some(Grade::D));
        // A non-key industry that never applied: 非引领性.
        let other = vec![("石材加工".to_string(), false)];
        assert_eq!(
            firm_grade(&other, &[], d("2026-01-01")),
            Some(Grade::NotLeading)
        );
        assert_eq!(KEY_INDUSTRIES.len(), 39);
        assert!(is_key_industry("制药") && !is_key_industry("石材加工"));
        assert_eq!(Grade::parse("b-"), Ok(Grade::BMinus));
        assert!(Grade::parse("E").is_err());
    }
}
