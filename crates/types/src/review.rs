//! Why the monitoring staff marked hours of a station or an outlet (数据审核).

use std::fmt;
use std::str::FromStr;

/// The reason of a review mark. Calibration, fault and other make the
/// hours invalid data (no statistic uses them); sand-dust and fireworks are
/// exceptional events: the data are real, and whether a statistic drops
/// them is a setting of the figures (`lantian_assess::review`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub enum ReviewReason {
    /// 校准: the analyser was being calibrated or checked.
    Calibration,
    /// 故障: the instrument, sampling or power failed.
    Fault,
    /// 沙尘: a sand and dust event (环办监测〔2016〕120号).
    SandDust,
    /// 烟花爆竹: fireworks.
    Fireworks,
    /// 其他: any other reason (the note says which).
    Other,
}

impl ReviewReason {
    pub const ALL: [ReviewReason; 5] = [
        ReviewReason::Calibration,
        ReviewReason::Fault,
        ReviewReason::SandDust,
        ReviewReason::Fireworks,
        ReviewReason::Other,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ReviewReason::Calibration => "calibration",
            ReviewReason::Fault => "fault",
            ReviewReason::SandDust => "sand_dust",
            ReviewReason::Fireworks => "fireworks",
            ReviewReason::Other => "other",
        }
    }

    pub const fn name_zh(self) -> &'static str {
        match self {
            ReviewReason::Calibration => "校准",
            ReviewReason::Fault => "故障",
            ReviewReason::SandDust => "沙尘",
            ReviewReason::Fireworks => "烟花爆竹",
            ReviewReason::Other => "其他",
        }
    }

    /// An exceptional event (the data are real) rather than invalid data.
    pub const fn is_event(self) -> bool {
        matches!(self, ReviewReason::SandDust | ReviewReason::Fireworks)
    }
}

impl fmt::Display for ReviewReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReviewReason {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        ReviewReason::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(t) || r.name_zh() == t)
            .ok_or_else(|| {
                format!("reason `{s}`: calibration, fault, sand_dust, fireworks or other")
            })
    }
}

impl<'de> serde::Deserialize<'de> for ReviewReason {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_parse_by_name_and_chinese() {
        for r in ReviewReason::ALL {
            assert_eq!(r.as_str().parse::<ReviewReason>(), Ok(r));
            assert_eq!(r.name_zh().parse::<ReviewReason>(), Ok(r));
        }
        assert!(
            "dust"
                .parse::<ReviewReason>()
                .unwrap_err()
                .contains("sand_dust")
        );
        assert!(ReviewReason::SandDust.is_event() && !ReviewReason::Fault.is_event());
    }
}
