//! AQI levels (空气质量指数级别), categories, colours and health advice
//! (HJ 633-2012 Table 2 and Appendix A; HJ 633-2026 Tables 1 and 2).

use serde::Serialize;

use crate::aqi::Standard;
use crate::pollutant::Pollutant;

/// One of the six AQI levels, 1 (一级, 优) to 6 (六级, 严重污染).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Level(u8);

/// RGB colour of a level (HJ 633 Appendix A, Table A.1; the same in 2012 and 2026).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub fn hex(self) -> String {
        format!("#{:02X}{:02X}{:02X}", self.0, self.1, self.2)
    }
}

impl Level {
    pub const ALL: [Level; 6] = [Level(1), Level(2), Level(3), Level(4), Level(5), Level(6)];

    /// The level of an AQI value: 0–50 → 1, 51–100 → 2, 101–150 → 3,
    /// 151–200 → 4, 201–300 → 5, > 300 → 6. (HJ 633-2026 says the range of
    /// level 1 is 1–50; an all-zero input gives AQI 0, which we put in level 1.)
    pub const fn of_aqi(aqi: u16) -> Level {
        Level(match aqi {
            0..=50 => 1,
            51..=100 => 2,
            101..=150 => 3,
            151..=200 => 4,
            201..=300 => 5,
            _ => 6,
        })
    }

    pub const fn from_number(n: u8) -> Option<Level> {
        if n >= 1 && n <= 6 {
            Some(Level(n))
        } else {
            None
        }
    }

    pub const fn number(self) -> u8 {
        self.0
    }

    /// 一级 … 六级
    pub const fn name_zh(self) -> &'static str {
        ["一级", "二级", "三级", "四级", "五级", "六级"][self.0 as usize - 1]
    }

    /// 优, 良, 轻度污染, 中度污染, 重度污染, 严重污染
    pub const fn category_zh(self) -> &'static str {
        ["优", "良", "轻度污染", "中度污染", "重度污染", "严重污染"][self.0 as usize - 1]
    }

    pub const fn category_en(self) -> &'static str {
        [
            "Excellent",
            "Good",
            "Lightly polluted",
            "Moderately polluted",
            "Heavily polluted",
            "Severely polluted",
        ][self.0 as usize - 1]
    }

    /// 绿色, 黄色, 橙色, 红色, 紫色, 褐红色
    pub const fn colour_zh(self) -> &'static str {
        ["绿色", "黄色", "橙色", "红色", "紫色", "褐红色"][self.0 as usize - 1]
    }

    pub const fn rgb(self) -> Rgb {
        [
            Rgb(0, 228, 0),
            Rgb(255, 255, 0),
            Rgb(255, 126, 0),
            Rgb(255, 0, 0),
            Rgb(153, 0, 76),
            Rgb(126, 0, 35),
        ][self.0 as usize - 1]
    }

    /// The colour of text written on [`Level::rgb`]: HJ 633 gives none, so
    /// it is chosen for contrast (WCAG ratios) — dark #1D2733 on green
    /// (8.8:1), yellow (14:1) and orange (6.0:1); white on red (4.0:1, where
    /// dark text gives 3.8:1), purple (8.5:1) and maroon.
    pub const fn text_rgb(self) -> Rgb {
        if self.0 <= 3 {
            Rgb(0x1D, 0x27, 0x33)
        } else {
            Rgb(255, 255, 255)
        }
    }

    /// 对健康影响情况 as the given version of HJ 633 words it.
    pub const fn health_effect(self, standard: Standard) -> &'static str {
        match standard {
            Standard::Hj633_2012 => [
                "空气质量令人满意，基本无空气污染",
                "空气质量可接受，但某些污染物可能对极少数异常敏感人群健康有较弱影响",
                "易感人群症状有轻度加剧，健康人群出现刺激症状",
                "进一步加剧易感人群症状，可能对健康人群心脏、呼吸系统有影响",
                "心脏病和肺病患者症状显著加剧，运动耐受力降低，健康人群普遍出现症状",
                "健康人群运动耐受力降低，有明显强烈症状，提前出现某些疾病",
            ][self.0 as usize - 1],
            Standard::Hj633_2026 => [
                "空气质量令人满意，基本无空气污染",
                "空气质量可接受，但某些污染物可能对极少数异常敏感人群健康有较弱影响",
                "敏感人群症状有轻度加剧，健康人群出现刺激症状",
                "进一步加剧敏感人群症状，可能对健康人群心血管系统、呼吸系统有影响",
                "心血管系统和呼吸系统患者症状显著加剧，运动耐受力降低，健康人群普遍出现症状",
                "健康人群运动耐受力降低，有明显强烈症状，提前出现某些疾病",
            ][self.0 as usize - 1],
        }
    }

    /// 建议采取的措施 as the given version of HJ 633 words it
    /// ("锻练" in level 4 of 2012 is as printed).
    pub const fn advice(self, standard: Standard) -> &'static str {
        match standard {
            Standard::Hj633_2012 => [
                "各类人群可正常活动",
                "极少数异常敏感人群应减少户外活动",
                "儿童、老年人及心脏病、呼吸系统疾病患者应减少长时间、高强度的户外锻炼",
                "儿童、老年人及心脏病、呼吸系统疾病患者避免长时间、高强度的户外锻练，一般人群适量减少户外运动",
                "儿童、老年人和心脏病、肺病患者应停留在室内，停止户外运动，一般人群减少户外运动",
                "儿童、老年人和病人应当留在室内，避免体力消耗，一般人群应避免户外活动",
            ][self.0 as usize - 1],
            Standard::Hj633_2026 => [
                "各类人群可正常活动",
                "极少数异常敏感人群应减少户外活动",
                "青少年儿童、老年人及心血管系统疾病、呼吸系统疾病患者应减少长时间、高强度的户外锻炼",
                "青少年儿童、老年人及心血管系统疾病、呼吸系统疾病患者避免长时间、高强度的户外锻练，一般人群适量减少户外运动",
                "青少年儿童、老年人和心血管系统疾病、呼吸系统疾病患者应停留在室内，停止户外运动，一般人群减少户外运动",
                "青少年儿童、老年人和病人应当留在室内，避免体力消耗，一般人群应避免户外活动",
            ][self.0 as usize - 1],
        }
    }
}

/// HJ 633-2026 Table 2: the sensitive groups (敏感人群) of a pollutant whose
/// IAQI is above 100.
pub const fn sensitive_groups(pollutant: Pollutant) -> &'static str {
    match pollutant {
        Pollutant::So2 => "患有哮喘的人、青少年儿童以及老年人",
        Pollutant::No2 => "患有呼吸系统疾病（如哮喘）的人、青少年儿童以及老年人",
        Pollutant::Co => "患有心血管系统疾病的人",
        Pollutant::O3 => "患有呼吸系统疾病（如哮喘）的人、青少年儿童、户外活动频繁的人以及老年人",
        Pollutant::Pm10 | Pollutant::Pm25 => {
            "患有心血管系统疾病或呼吸系统疾病（如哮喘）的人、青少年儿童、户外活动频繁的人以及老年人"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_reads_on_each_level() {
        let hex: Vec<String> = Level::ALL.iter().map(|l| l.text_rgb().hex()).collect();
        assert_eq!(
            hex,
            [
                "#1D2733", "#1D2733", "#1D2733", "#FFFFFF", "#FFFFFF", "#FFFFFF"
            ]
        );
    }

    #[test]
    fn level_bounds_and_colours() {
        assert_eq!(Level::of_aqi(0).number(), 1);
        assert_eq!(Level::of_aqi(50).number(), 1);
        assert_eq!(Level::of_aqi(51).number(), 2);
        assert_eq!(Level::of_aqi(100).number(), 2);
        assert_eq!(Level::of_aqi(101).number(), 3);
        assert_eq!(Level::of_aqi(200).number(), 4);
        assert_eq!(Level::of_aqi(201).number(), 5);
        assert_eq!(Level::of_aqi(300).number(), 5);
        assert_eq!(Level::of_aqi(301).number(), 6);
        assert_eq!(Level::of_aqi(500).category_zh(), "严重污染");
        assert_eq!(Level::of_aqi(120).rgb().hex(), "#FF7E00");
        assert_eq!(Level::of_aqi(250).rgb().hex(), "#99004C");
    }
}
