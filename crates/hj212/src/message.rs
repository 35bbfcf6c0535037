//! Typed messages: what a parsed [`Packet`] means.
//!
//! Direction is read from content, since the same CN serves as request and
//! upload: a `2061` with `BeginTime`/`EndTime` is the platform asking for
//! hours; with `DataTime` and values it is a device uploading them.

use std::fmt;

use crate::codes::{self, DataFlag};
use crate::frame::ErrorKind;
use crate::segment::Packet;

/// A `YYYYMMDDhhmmss[zzz]` time as sent (local time of the device).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DataTime {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    /// Milliseconds, when 17 digits were sent.
    pub millis: Option<u16>,
}

impl DataTime {
    /// Parses 14 (or 17, with milliseconds) digits, checking the ranges.
    pub fn parse(s: &str) -> Option<DataTime> {
        let b = s.trim().as_bytes();
        if !(b.len() == 14 || b.len() == 17) || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n =
            |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |a, d| a * 10 + (d - b'0') as u32);
        let t = DataTime {
            year: n(0..4) as u16,
            month: n(4..6) as u8,
            day: n(6..8) as u8,
            hour: n(8..10) as u8,
            minute: n(10..12) as u8,
            second: n(12..14) as u8,
            millis: (b.len() == 17).then(|| n(14..17) as u16),
        };
        let leap =
            (t.year.is_multiple_of(4) && !t.year.is_multiple_of(100)) || t.year.is_multiple_of(400);
        let days = match t.month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (t.day >= 1 && t.day <= days && t.hour < 24 && t.minute < 60 && t.second < 60).then_some(t)
    }
}

impl DataTime {
    /// The instant as Unix seconds, for a device clock `utc_offset_s` ahead
    /// of UTC (Beijing time: `8 * 3600`). Milliseconds are dropped.
    ///
    /// ```
    /// let t = lantian_hj212::message::DataTime::parse("20160801080000").unwrap();
    /// assert_eq!(t.unix_seconds(8 * 3600), 1_470_009_600); // 2016-08-01T00:00:00Z
    /// ```
    pub fn unix_seconds(&self, utc_offset_s: i64) -> i64 {
        // Days from the civil date (proleptic Gregorian).
        let (y, m, d) = (self.year as i64, self.month as i64, self.day as i64);
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        days * 86_400 + self.hour as i64 * 3600 + self.minute as i64 * 60 + self.second as i64
            - utc_offset_s
    }
}

impl fmt::Display for DataTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )?;
        if let Some(ms) = self.millis {
            write!(f, ".{ms:03}")?;
        }
        Ok(())
    }
}

/// The suffix of a CP key `code-Suffix` (HJ 212-2017 Table 4; 2005 extras).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Suffix<'a> {
    Rtd,
    Min,
    Avg,
    Max,
    ZsRtd,
    ZsMin,
    ZsAvg,
    ZsMax,
    Flag,
    EFlag,
    Cou,
    SampleTime,
    Info,
    Sn,
    /// `SBxxx-RS` running state.
    Rs,
    /// `SBxxx-RT` running time.
    Rt,
    Data,
    DayData,
    NightData,
    /// 2005 alarm value and thresholds.
    Ala,
    UpValue,
    LowValue,
    /// 2025 2013 raw data: sampling completed, sample type.
    CompleteTime,
    SampleType,
    /// 2025 2062 standard check: measured value of the standard, its
    /// nominal value, result (1 pass, 0 fail).
    SampleRd,
    StandardValue,
    ResultType,
    /// 2025 raw (uncorrected) mean seen in App. C.
    RawAvg,
    /// A vendor suffix, kept as sent (`-Ori`, `-td`, …).
    Other(&'a str),
}

impl<'a> Suffix<'a> {
    pub fn parse(s: &'a str) -> Suffix<'a> {
        match s {
            "Rtd" => Suffix::Rtd,
            "Min" => Suffix::Min,
            "Avg" => Suffix::Avg,
            "Max" => Suffix::Max,
            "ZsRtd" => Suffix::ZsRtd,
            "ZsMin" => Suffix::ZsMin,
            "ZsAvg" => Suffix::ZsAvg,
            "ZsMax" => Suffix::ZsMax,
            "Flag" => Suffix::Flag,
            "EFlag" => Suffix::EFlag,
            "Cou" => Suffix::Cou,
            "SampleTime" => Suffix::SampleTime,
            "Info" => Suffix::Info,
            "SN" => Suffix::Sn,
            "RS" => Suffix::Rs,
            "RT" => Suffix::Rt,
            "Data" => Suffix::Data,
            "DayData" => Suffix::DayData,
            "NightData" => Suffix::NightData,
            "Ala" => Suffix::Ala,
            "UpValue" => Suffix::UpValue,
            "LowValue" => Suffix::LowValue,
            "CompleteTime" => Suffix::CompleteTime,
            "SampleType" => Suffix::SampleType,
            "SampleRd" => Suffix::SampleRd,
            "StandardValue" => Suffix::StandardValue,
            "ResultType" => Suffix::ResultType,
            "RawAvg" => Suffix::RawAvg,
            other => Suffix::Other(other),
        }
    }

    pub fn as_str(self) -> &'a str {
        match self {
            Suffix::Rtd => "Rtd",
            Suffix::Min => "Min",
            Suffix::Avg => "Avg",
            Suffix::Max => "Max",
            Suffix::ZsRtd => "ZsRtd",
            Suffix::ZsMin => "ZsMin",
            Suffix::ZsAvg => "ZsAvg",
            Suffix::ZsMax => "ZsMax",
            Suffix::Flag => "Flag",
            Suffix::EFlag => "EFlag",
            Suffix::Cou => "Cou",
            Suffix::SampleTime => "SampleTime",
            Suffix::Info => "Info",
            Suffix::Sn => "SN",
            Suffix::Rs => "RS",
            Suffix::Rt => "RT",
            Suffix::Data => "Data",
            Suffix::DayData => "DayData",
            Suffix::NightData => "NightData",
            Suffix::Ala => "Ala",
            Suffix::UpValue => "UpValue",
            Suffix::LowValue => "LowValue",
            Suffix::CompleteTime => "CompleteTime",
            Suffix::SampleType => "SampleType",
            Suffix::SampleRd => "SampleRd",
            Suffix::StandardValue => "StandardValue",
            Suffix::ResultType => "ResultType",
            Suffix::RawAvg => "RawAvg",
            Suffix::Other(s) => s,
        }
    }
}

/// The fields of one factor code in an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactorValues<'a> {
    pub code: &'a str,
    pub fields: Vec<(Suffix<'a>, &'a str)>,
}

impl<'a> FactorValues<'a> {
    pub fn get(&self, s: Suffix<'_>) -> Option<&'a str> {
        self.fields
            .iter()
            .find(|(k, _)| k.as_str() == s.as_str())
            .map(|(_, v)| *v)
    }

    /// The data flag, if sent.
    pub fn flag(&self) -> Option<DataFlag<'a>> {
        self.get(Suffix::Flag).map(DataFlag::parse)
    }

    /// The 2017 factor (translating a 2005 code).
    pub fn factor(&self) -> Option<&'static codes::Factor> {
        codes::factor(self.code).or_else(|| codes::from_2005(self.code))
    }
}

/// Which data an upload carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataKind {
    /// 2011 实时数据
    RealTime,
    /// 2051 分钟数据
    Minute,
    /// 2061 小时数据
    Hour,
    /// 2031 日数据
    Day,
    /// 2041 设备运行时间日历史数据
    RunTimeDay,
    /// 2021 设备运行状态
    RunState,
    /// 3020 现场机信息 (status, parameters, logs)
    DeviceInfo,
    /// 2013 原始监测数据 (2025)
    RawData,
    /// 2052 噪声单次测量数据 (2025)
    NoiseSingle,
    /// 2062 自动标样核查数据 (2025)
    StandardCheck,
    /// 2111 炉膛温度5min均值 (2025)
    FurnaceTemperature,
}

impl DataKind {
    pub fn from_cn(cn: u16) -> Option<DataKind> {
        Some(match cn {
            2011 => DataKind::RealTime,
            2051 => DataKind::Minute,
            2061 => DataKind::Hour,
            2031 => DataKind::Day,
            2041 => DataKind::RunTimeDay,
            2021 => DataKind::RunState,
            3020 => DataKind::DeviceInfo,
            2013 => DataKind::RawData,
            2052 => DataKind::NoiseSingle,
            2062 => DataKind::StandardCheck,
            2111 => DataKind::FurnaceTemperature,
            _ => return None,
        })
    }

    pub const fn cn(self) -> u16 {
        match self {
            DataKind::RealTime => 2011,
            DataKind::Minute => 2051,
            DataKind::Hour => 2061,
            DataKind::Day => 2031,
            DataKind::RunTimeDay => 2041,
            DataKind::RunState => 2021,
            DataKind::DeviceInfo => 3020,
            DataKind::RawData => 2013,
            DataKind::NoiseSingle => 2052,
            DataKind::StandardCheck => 2062,
            DataKind::FurnaceTemperature => 2111,
        }
    }
}

/// A data upload from a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataUpload<'a> {
    pub kind: DataKind,
    /// Start of the period (2051/2061/2031/2041) or acquisition instant (2011/2021).
    pub data_time: Option<DataTime>,
    /// Values grouped by factor code, in the order first seen.
    pub factors: Vec<FactorValues<'a>>,
    /// Keys that are not `code-Suffix` (PolId, vendor keys such as lng/lat).
    pub other: Vec<(&'a str, &'a str)>,
}

/// Which interval 1061–1064 concern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    /// RtdInterval, seconds (1061/1062).
    RealTime,
    /// MinInterval, minutes (1063/1064).
    Minute,
}

/// What a packet means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<'a> {
    /// A device's data (2011, 2051, 2061, 2031, 2041, 2021, 3020).
    Data(DataUpload<'a>),
    /// The platform asks for history data of `kind` between two times.
    DataRequest {
        kind: DataKind,
        begin: Option<DataTime>,
        end: Option<DataTime>,
    },
    /// The platform starts real-time (2011) or status (2021) uploads.
    StartStream { kind: DataKind },
    /// The platform stops them (2012, 2022).
    StopStream { kind: DataKind },
    /// 1011 request (platform asks the device time).
    GetTime { pol_id: Option<&'a str> },
    /// 1011 upload (device reports its time).
    DeviceTime { system_time: Option<DataTime> },
    /// 1012: set the device time.
    SetTime { system_time: Option<DataTime> },
    /// 1013: the device asks for a time calibration.
    TimeCalibrationRequest,
    /// 1061/1063 request.
    GetInterval(Interval),
    /// 1061/1063 upload.
    IntervalIs { which: Interval, value: Option<u32> },
    /// 1062/1064.
    SetInterval { which: Interval, value: Option<u32> },
    /// 1072: set the device password.
    SetPassword { new_pw: Option<&'a str> },
    /// 9011 请求应答.
    RequestAnswer { qn_rtn: Option<u16> },
    /// 9012 执行结果.
    ExecutionResult { exe_rtn: Option<u16> },
    /// 9013 通知应答.
    NoticeAnswer,
    /// 9014 数据应答.
    DataAnswer,
    /// 9015 心跳包 (2025).
    Heartbeat,
    /// 1001 上传数采仪硬件序号 (2025): sent with an empty MN before activation.
    HardwareSerials {
        logger_id: Option<&'a str>,
        cpu_id: Option<&'a str>,
        mac1: Option<&'a str>,
        mac2: Option<&'a str>,
    },
    /// 1002 设置数采仪MN编码 (2025): the header MN is the assigned one.
    AssignMn { logger_id: Option<&'a str> },
    /// 1014 from a device: it asks for a new key.
    KeyRequest { sk_create_time: Option<&'a str> },
    /// 1014 from the platform: the new key.
    NewKey {
        sk_create_time: Option<&'a str>,
        new_sk: &'a str,
    },
    /// 3011 零点/量程校准: `CalibrationType` 0 zero, 1 span (2025).
    Calibrate {
        pol_id: Option<&'a str>,
        calibration_type: Option<u8>,
    },
    /// A command in the tables that is not modelled in detail.
    Other { cn: u16 },
}

/// The CN as a number.
pub fn cn_of(p: &Packet<'_>) -> Result<u16, ErrorKind> {
    let cn = p.cn.ok_or(ErrorKind::MissingField("CN"))?;
    cn.parse::<u16>().map_err(|_| ErrorKind::BadField {
        field: "CN".into(),
        reason: format!("`{cn}` is not a 4-digit command code"),
    })
}

fn group_factors<'a>(p: &Packet<'a>) -> (Vec<FactorValues<'a>>, Vec<(&'a str, &'a str)>) {
    let mut factors: Vec<FactorValues<'a>> = Vec::new();
    let mut other = Vec::new();
    for e in &p.cp {
        if e.key == "DataTime" {
            continue;
        }
        match e.key.split_once('-') {
            Some((code, suffix)) if !code.is_empty() => {
                let suffix = Suffix::parse(suffix);
                match factors.iter_mut().rev().find(|f| f.code == code) {
                    Some(f) => f.fields.push((suffix, e.value)),
                    None => factors.push(FactorValues {
                        code,
                        fields: vec![(suffix, e.value)],
                    }),
                }
            }
            _ => other.push((e.key, e.value)),
        }
    }
    (factors, other)
}

/// What `p` means. Unknown command codes are an error (`UnknownCn`); a
/// lenient caller may still store the packet raw.
///
/// ```
/// use lantian_hj212::message::{classify, DataKind, Message, Suffix};
/// use lantian_hj212::segment::Packet;
/// let p = Packet::parse("ST=22;CN=2061;MN=M1;Flag=4;CP=&&DataTime=20250101080000;a34004-Avg=35,a34004-Flag=N&&");
/// let Ok(Message::Data(up)) = classify(&p) else { panic!() };
/// assert_eq!(up.kind, DataKind::Hour);
/// assert_eq!(up.data_time.unwrap().to_string(), "2025-01-01T08:00:00");
/// assert_eq!(up.factors[0].get(Suffix::Avg), Some("35"));
/// assert!(up.factors[0].flag().unwrap().is_valid());
/// ```
pub fn classify<'a>(p: &Packet<'a>) -> Result<Message<'a>, ErrorKind> {
    let cn = cn_of(p)?;
    let time = |k: &str| p.cp_get(k).and_then(DataTime::parse);
    let num = |k: &str| p.cp_get(k).and_then(|v| v.trim().parse::<u32>().ok());
    let has_values = p.cp.iter().any(|e| e.key.contains('-'));
    if let Some(kind) = DataKind::from_cn(cn) {
        if p.cp_get("BeginTime").is_some() || p.cp_get("EndTime").is_some() {
            return Ok(Message::DataRequest {
                kind,
                begin: time("BeginTime"),
                end: time("EndTime"),
            });
        }
        if p.cp_get("DataTime").is_some() || has_values {
            let (factors, other) = group_factors(p);
            return Ok(Message::Data(DataUpload {
                kind,
                data_time: time("DataTime"),
                factors,
                other,
            }));
        }
        return Ok(match kind {
            DataKind::RealTime | DataKind::RunState => Message::StartStream { kind },
            _ => Message::DataRequest {
                kind,
                begin: None,
                end: None,
            },
        });
    }
    Ok(match cn {
        2012 => Message::StopStream {
            kind: DataKind::RealTime,
        },
        2022 => Message::StopStream {
            kind: DataKind::RunState,
        },
        1011 => match p.cp_get("SystemTime") {
            Some(_) => Message::DeviceTime {
                system_time: time("SystemTime"),
            },
            None => Message::GetTime {
                pol_id: p.cp_get("PolId"),
            },
        },
        1012 => Message::SetTime {
            system_time: time("SystemTime"),
        },
        1013 => Message::TimeCalibrationRequest,
        9015 => Message::Heartbeat,
        3011 => Message::Calibrate {
            pol_id: p.cp_get("PolId"),
            calibration_type: p
                .cp_get("CalibrationType")
                .and_then(|v| v.trim().parse().ok()),
        },
        1001 => Message::HardwareSerials {
            logger_id: p.cp_get("i23005-Info"),
            cpu_id: p.cp_get("i23006-Info"),
            mac1: p.cp_get("i23007-Info"),
            mac2: p.cp_get("i23008-Info"),
        },
        1002 => Message::AssignMn {
            logger_id: p.cp_get("i23005-Info"),
        },
        1014 => match p.cp_get("NewSK") {
            Some(new_sk) => Message::NewKey {
                sk_create_time: p.cp_get("SKCreateTime"),
                new_sk,
            },
            None => Message::KeyRequest {
                sk_create_time: p.cp_get("SKCreateTime"),
            },
        },
        1061 | 1063 => {
            let (which, key) = if cn == 1061 {
                (Interval::RealTime, "RtdInterval")
            } else {
                (Interval::Minute, "MinInterval")
            };
            match p.cp_get(key) {
                Some(_) => Message::IntervalIs {
                    which,
                    value: num(key),
                },
                None => Message::GetInterval(which),
            }
        }
        1062 => Message::SetInterval {
            which: Interval::RealTime,
            value: num("RtdInterval"),
        },
        1064 => Message::SetInterval {
            which: Interval::Minute,
            value: num("MinInterval"),
        },
        1072 => Message::SetPassword {
            new_pw: p.cp_get("NewPW").or_else(|| p.cp_get("PW")),
        },
        9011 => Message::RequestAnswer {
            qn_rtn: num("QnRtn").map(|v| v as u16),
        },
        9012 => Message::ExecutionResult {
            exe_rtn: num("ExeRtn").map(|v| v as u16),
        },
        9013 => Message::NoticeAnswer,
        9014 => Message::DataAnswer,
        other if codes::command(other).is_some() => Message::Other { cn: other },
        other => return Err(ErrorKind::UnknownCn(other.to_string())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_times() {
        let t = DataTime::parse("20160801084000").unwrap();
        assert_eq!(t.to_string(), "2016-08-01T08:40:00");
        assert_eq!(
            DataTime::parse("20160824003817000").unwrap().millis,
            Some(0)
        );
        assert!(DataTime::parse("20160230000000").is_none());
        assert!(DataTime::parse("2016083").is_none());
    }

    #[test]
    fn upload_and_request_by_content() {
        let up = Packet::parse(
            "ST=22;CN=2061;CP=&&DataTime=20160801080000;a21026-Avg=12,a21026-Flag=N;a34004-Avg=35&&",
        );
        match classify(&up).unwrap() {
            Message::Data(d) => {
                assert_eq!(d.kind, DataKind::Hour);
                assert_eq!(d.factors.len(), 2);
                assert_eq!(d.factors[0].get(Suffix::Avg), Some("12"));
                assert_eq!(d.factors[0].flag(), Some(DataFlag::Normal));
                assert_eq!(d.factors[1].factor().unwrap().name_zh, "细颗粒物 PM2.5");
            }
            m => panic!("{m:?}"),
        }
        let req =
            Packet::parse("ST=22;CN=2061;CP=&&BeginTime=20160801000000,EndTime=20160801120000&&");
        assert!(matches!(
            classify(&req).unwrap(),
            Message::DataRequest {
                kind: DataKind::Hour,
                begin: Some(_),
                end: Some(_)
            }
        ));
        let unknown = Packet::parse("ST=91;CN=9021;CP=&&&&");
        assert_eq!(classify(&unknown), Err(ErrorKind::UnknownCn("9021".into())));
    }
}
