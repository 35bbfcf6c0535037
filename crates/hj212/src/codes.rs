//! Code tables: factor (pollutant and parameter) codes of HJ 212-2017
//! (Tables B.1–B.3, from HJ 524/525-2009) with the 2005 codes they replace,
//! system codes (ST) and command codes (CN).
//!
//! Units on the wire are not self-describing: the `unit` here is the table's
//! default, and a device may override it (ambient micro-stations send µg/m³
//! where the table says mg/m³). Where the field practice differs from the
//! table it is noted in `note`.

/// What a factor measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    Ambient,
    FlueGas,
    Vocs,
    Dust,
    Noise,
    Weather,
    Water,
}

/// A factor code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Factor {
    pub code: &'static str,
    /// The HJ/T 212-2005 code it replaces, if any.
    pub code_2005: Option<&'static str>,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    /// Default concentration (or value) unit.
    pub unit: &'static str,
    /// Default unit of `-Cou` amounts.
    pub amount_unit: Option<&'static str>,
    pub group: Group,
    pub note: &'static str,
}

#[allow(clippy::too_many_arguments)]
const fn f(
    code: &'static str,
    code_2005: Option<&'static str>,
    name_zh: &'static str,
    name_en: &'static str,
    unit: &'static str,
    amount_unit: Option<&'static str>,
    group: Group,
    note: &'static str,
) -> Factor {
    Factor {
        code,
        code_2005,
        name_zh,
        name_en,
        unit,
        amount_unit,
        group,
        note,
    }
}

use Group::*;

/// The factor table.
pub const FACTORS: &[Factor] = &[
    // Ambient air (HJ 524-2009 via Table B.2; O3 a05024 is not in B.2 but is
    // what every ambient device sends).
    f(
        "a21026",
        Some("02"),
        "二氧化硫",
        "Sulphur dioxide (SO2)",
        "mg/m³",
        Some("kg"),
        Ambient,
        "ambient stations usually send µg/m³",
    ),
    f(
        "a21004",
        None,
        "二氧化氮",
        "Nitrogen dioxide (NO2)",
        "mg/m³",
        Some("kg"),
        Ambient,
        "ambient stations usually send µg/m³",
    ),
    f(
        "a21003",
        None,
        "一氧化氮",
        "Nitric oxide (NO)",
        "mg/m³",
        Some("kg"),
        Ambient,
        "",
    ),
    f(
        "a21002",
        Some("03"),
        "氮氧化物",
        "Nitrogen oxides (NOx)",
        "mg/m³",
        Some("kg"),
        FlueGas,
        "",
    ),
    f(
        "a21005",
        Some("04"),
        "一氧化碳",
        "Carbon monoxide (CO)",
        "mg/m³",
        Some("kg"),
        Ambient,
        "",
    ),
    f(
        "a05024",
        None,
        "臭氧",
        "Ozone (O3)",
        "µg/m³",
        None,
        Ambient,
        "HJ 524-2009; not listed in HJ 212-2017 Table B.2",
    ),
    f(
        "a34002",
        None,
        "可吸入颗粒物 PM10",
        "PM10",
        "µg/m³",
        None,
        Ambient,
        "table prints ng/m³; devices send µg/m³",
    ),
    f(
        "a34004",
        None,
        "细颗粒物 PM2.5",
        "PM2.5",
        "µg/m³",
        None,
        Ambient,
        "table prints ng/m³; devices send µg/m³",
    ),
    f(
        "a34001",
        None,
        "总悬浮颗粒物 TSP",
        "Total suspended particulates (TSP)",
        "µg/m³",
        None,
        Dust,
        "table prints ng/m³; devices send µg/m³",
    ),
    f("a34005", None, "PM1.0", "PM1.0", "µg/m³", None, Ambient, ""),
    f(
        "a34011",
        None,
        "降尘",
        "Dustfall",
        "t/(km²·month)",
        None,
        Dust,
        "",
    ),
    // Flue gas (CEMS), Table B.2.
    f(
        "a00000",
        Some("B02"),
        "废气",
        "Flue-gas flow",
        "m³/s",
        Some("m³"),
        FlueGas,
        "",
    ),
    f(
        "a34013",
        Some("01"),
        "烟尘",
        "Particulate matter (dust)",
        "mg/m³",
        Some("kg"),
        FlueGas,
        "",
    ),
    f(
        "a21028",
        Some("05"),
        "硫化氢",
        "Hydrogen sulphide (H2S)",
        "mg/m³",
        Some("kg"),
        FlueGas,
        "",
    ),
    f(
        "a21018",
        Some("06"),
        "氟化物",
        "Fluorides",
        "mg/m³",
        Some("kg"),
        FlueGas,
        "",
    ),
    f(
        "a21024",
        Some("08"),
        "氯化氢",
        "Hydrogen chloride (HCl)",
        "mg/m³",
        Some("kg"),
        FlueGas,
        "",
    ),
    f(
        "a21001",
        Some("10"),
        "氨（氨气）",
        "Ammonia (NH3)",
        "ng/m³",
        Some("g"),
        FlueGas,
        "as printed in the table",
    ),
    f(
        "a05001",
        Some("30"),
        "二氧化碳",
        "Carbon dioxide (CO2)",
        "mg/m³",
        Some("kg"),
        FlueGas,
        "",
    ),
    f(
        "a19001",
        Some("S01"),
        "氧气含量",
        "Oxygen (O2)",
        "%",
        None,
        FlueGas,
        "",
    ),
    f(
        "a01011",
        Some("S02"),
        "烟气流速",
        "Flue-gas velocity",
        "m/s",
        None,
        FlueGas,
        "",
    ),
    f(
        "a01012",
        Some("S03"),
        "烟气温度",
        "Flue-gas temperature",
        "°C",
        None,
        FlueGas,
        "",
    ),
    f(
        "a01017",
        Some("S04"),
        "烟气动压",
        "Flue-gas dynamic pressure",
        "kPa",
        None,
        FlueGas,
        "2005: MPa",
    ),
    f(
        "a01014",
        Some("S05"),
        "烟气湿度",
        "Flue-gas humidity",
        "%",
        None,
        FlueGas,
        "",
    ),
    f(
        "a01015",
        Some("S06"),
        "制冷温度",
        "Cooler temperature",
        "°C",
        None,
        FlueGas,
        "",
    ),
    f(
        "a01016",
        Some("S07"),
        "烟道截面积",
        "Flue cross-section",
        "m²",
        None,
        FlueGas,
        "",
    ),
    f(
        "a01013",
        Some("S08"),
        "烟气压力",
        "Flue-gas static pressure",
        "kPa",
        None,
        FlueGas,
        "2005: MPa",
    ),
    f(
        "a01010",
        Some("37"),
        "林格曼黑度",
        "Ringelmann blackness",
        "",
        None,
        FlueGas,
        "",
    ),
    f(
        "a01901",
        None,
        "垃圾焚烧炉膛内焚烧平均温度",
        "Incinerator furnace mean temperature",
        "°C",
        None,
        FlueGas,
        "",
    ),
    f(
        "a01902",
        None,
        "垃圾焚烧炉膛内DCS温度",
        "Incinerator furnace DCS temperature",
        "°C",
        None,
        FlueGas,
        "",
    ),
    // VOCs
    f(
        "a24087",
        Some("25"),
        "碳氢化合物",
        "Total hydrocarbons",
        "mg/m³",
        Some("kg"),
        Vocs,
        "2005: 含非甲烷总烃",
    ),
    f(
        "a24088",
        None,
        "非甲烷总烃",
        "Non-methane hydrocarbons (NMHC)",
        "mg/m³",
        Some("kg"),
        Vocs,
        "",
    ),
    f(
        "a05002",
        None,
        "甲烷",
        "Methane (CH4)",
        "mg/m³",
        Some("g"),
        Vocs,
        "table prints ng/m³; VOC CEMS send mg/m³",
    ),
    f(
        "a25002",
        None,
        "苯",
        "Benzene",
        "mg/m³",
        Some("kg"),
        Vocs,
        "",
    ),
    f(
        "a25003",
        Some("17"),
        "甲苯",
        "Toluene",
        "mg/m³",
        Some("kg"),
        Vocs,
        "",
    ),
    f(
        "a25005",
        Some("18"),
        "二甲苯",
        "Xylene",
        "mg/m³",
        Some("kg"),
        Vocs,
        "",
    ),
    // Weather
    f(
        "a01001",
        None,
        "温度",
        "Air temperature",
        "°C",
        None,
        Weather,
        "",
    ),
    f(
        "a01002",
        None,
        "湿度",
        "Relative humidity",
        "%",
        None,
        Weather,
        "",
    ),
    f(
        "a01006",
        None,
        "气压",
        "Air pressure",
        "kPa",
        None,
        Weather,
        "",
    ),
    f(
        "a01007",
        None,
        "风速",
        "Wind speed",
        "m/s",
        None,
        Weather,
        "",
    ),
    f(
        "a01008",
        None,
        "风向",
        "Wind direction",
        "°",
        None,
        Weather,
        "",
    ),
    // Noise (Table B.3)
    f(
        "LA",
        Some("B03"),
        "A权声级",
        "A-weighted sound level",
        "dB",
        None,
        Noise,
        "",
    ),
    f(
        "Leq",
        None,
        "等效声级",
        "Equivalent sound level",
        "dB",
        None,
        Noise,
        "",
    ),
    f(
        "L5",
        None,
        "累积百分声级L5",
        "Percentile level L5",
        "dB",
        None,
        Noise,
        "",
    ),
    f(
        "L10",
        None,
        "累积百分声级L10",
        "Percentile level L10",
        "dB",
        None,
        Noise,
        "",
    ),
    f(
        "L50",
        None,
        "累积百分声级L50",
        "Percentile level L50",
        "dB",
        None,
        Noise,
        "",
    ),
    f(
        "L90",
        None,
        "累积百分声级L90",
        "Percentile level L90",
        "dB",
        None,
        Noise,
        "",
    ),
    f(
        "L95",
        None,
        "累积百分声级L95",
        "Percentile level L95",
        "dB",
        None,
        Noise,
        "",
    ),
    f(
        "Ld",
        None,
        "昼间等效声级",
        "Day equivalent level",
        "dB",
        None,
        Noise,
        "",
    ),
    f(
        "Ln",
        None,
        "夜间等效声级",
        "Night equivalent level",
        "dB",
        None,
        Noise,
        "",
    ),
    f(
        "Ldn",
        None,
        "昼夜等效声级",
        "Day-night equivalent level",
        "dB",
        None,
        Noise,
        "",
    ),
    f(
        "LMx",
        None,
        "最大瞬时声级",
        "Maximum level",
        "dB",
        None,
        Noise,
        "",
    ),
    f(
        "LMn",
        None,
        "最小瞬时声级",
        "Minimum level",
        "dB",
        None,
        Noise,
        "",
    ),
    // Water (for counties that also take in wastewater)
    f(
        "w00000",
        Some("B01"),
        "污水",
        "Wastewater flow",
        "L/s",
        Some("m³"),
        Water,
        "",
    ),
    f(
        "w01018",
        Some("011"),
        "化学需氧量",
        "Chemical oxygen demand (COD)",
        "mg/L",
        Some("kg"),
        Water,
        "",
    ),
    f(
        "w21003",
        Some("060"),
        "氨氮",
        "Ammonia nitrogen",
        "mg/L",
        Some("kg"),
        Water,
        "",
    ),
    f(
        "w21011",
        Some("101"),
        "总磷",
        "Total phosphorus",
        "mg/L",
        Some("kg"),
        Water,
        "",
    ),
    f(
        "w21001",
        Some("065"),
        "总氮",
        "Total nitrogen",
        "mg/L",
        Some("kg"),
        Water,
        "",
    ),
    f("w01001", Some("001"), "pH值", "pH", "", None, Water, ""),
    f(
        "w01010",
        None,
        "水温",
        "Water temperature",
        "°C",
        None,
        Water,
        "",
    ),
];

/// The factor with this 2017 code.
pub fn factor(code: &str) -> Option<&'static Factor> {
    FACTORS.iter().find(|f| f.code == code)
}

/// The 2017 factor that a 2005 code maps to.
pub fn from_2005(code: &str) -> Option<&'static Factor> {
    FACTORS.iter().find(|f| f.code_2005 == Some(code))
}

/// `a21026`, `w01018`, `g12101`, `e70101`, `i12001`: a lowercase letter and
/// five digits (the HJ 524/525 style of 2017).
pub fn is_2017_style(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 6 && b[0].is_ascii_lowercase() && b[1..].iter().all(u8::is_ascii_digit)
}

/// `01`, `011`, `B01`, `S01`, `P1`: the numeric and letter-digit codes of 2005.
pub fn is_2005_style(code: &str) -> bool {
    let b = code.as_bytes();
    match b {
        d if (2..=3).contains(&d.len()) && d.iter().all(u8::is_ascii_digit) => true,
        [l, rest @ ..]
            if (2..=3).contains(&rest.len())
                && l.is_ascii_uppercase()
                && rest.iter().all(u8::is_ascii_digit) =>
        {
            true
        }
        _ => false,
    }
}

/// A system code (ST).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct System {
    pub code: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
}

const fn s(code: &'static str, name_zh: &'static str, name_en: &'static str) -> System {
    System {
        code,
        name_zh,
        name_en,
    }
}

/// HJ 212-2017 Table 5 (and the 2005 codes, which are a subset).
pub const SYSTEMS: &[System] = &[
    s("21", "地表水质量监测", "Surface-water quality"),
    s("22", "空气质量监测", "Ambient air quality"),
    s("23", "声环境质量监测", "Acoustic environment quality"),
    s("24", "地下水质量监测", "Groundwater quality"),
    s("25", "土壤质量监测", "Soil quality"),
    s("26", "海水质量监测", "Seawater quality"),
    s("27", "挥发性有机物监测", "Volatile organic compounds"),
    s("31", "大气环境污染源", "Air pollution source"),
    s("32", "地表水体环境污染源", "Surface-water pollution source"),
    s("33", "地下水体环境污染源", "Groundwater pollution source"),
    s("34", "海洋环境污染源", "Marine pollution source"),
    s("35", "土壤环境污染源", "Soil pollution source"),
    s("36", "声环境污染源", "Noise pollution source"),
    s("37", "振动环境污染源", "Vibration pollution source"),
    s("38", "放射性环境污染源", "Radioactive pollution source"),
    s("39", "工地扬尘污染源", "Construction-site dust"),
    s("41", "电磁环境污染源", "Electromagnetic pollution source"),
    s(
        "44",
        "用电监控 (HJ 212-2025)",
        "Electricity monitoring (HJ 212-2025)",
    ),
    s(
        "45",
        "关键生产工况监控 (HJ 212-2025)",
        "Key production conditions (HJ 212-2025)",
    ),
    s("51", "烟气排放过程监控", "Flue-gas process monitoring"),
    s("52", "污水排放过程监控", "Wastewater process monitoring"),
    s("91", "系统交互", "System interaction"),
];

pub fn system(code: &str) -> Option<&'static System> {
    SYSTEMS.iter().find(|x| x.code == code)
}

/// The role of a command code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandType {
    /// Platform asks, device answers 9011/9012 (and may upload).
    Request,
    /// Device sends data; answered with 9014 when Flag A=1.
    Upload,
    /// Notice; answered with 9013.
    Notice,
    /// An answer (9011–9014).
    Answer,
    /// Both a request (platform) and an upload (device).
    RequestOrUpload,
}

/// A command code (CN).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    pub code: u16,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub kind: CommandType,
}

const fn c(code: u16, name_zh: &'static str, name_en: &'static str, kind: CommandType) -> Command {
    Command {
        code,
        name_zh,
        name_en,
        kind,
    }
}

use CommandType::*;

/// HJ 212-2017 Table 9, with the 2005-only codes.
pub const COMMANDS: &[Command] = &[
    c(
        1000,
        "设置超时时间及重发次数",
        "Set timeout and retries",
        Request,
    ),
    c(
        1011,
        "提取/上传现场机时间",
        "Get/upload device time",
        RequestOrUpload,
    ),
    c(1012, "设置现场机时间", "Set device time", Request),
    c(
        1013,
        "现场机时间校准请求",
        "Device time-calibration request",
        Notice,
    ),
    c(
        1021,
        "提取/上传污染物报警门限值 (2005)",
        "Get/upload alarm thresholds (2005)",
        RequestOrUpload,
    ),
    c(
        1022,
        "设置污染物报警门限值 (2005)",
        "Set alarm thresholds (2005)",
        Request,
    ),
    c(
        1031,
        "提取/上传上位机地址 (2005)",
        "Get/upload platform address (2005)",
        RequestOrUpload,
    ),
    c(
        1032,
        "设置上位机地址 (2005)",
        "Set platform address (2005)",
        Request,
    ),
    c(
        1041,
        "提取/上传数据上报时间 (2005)",
        "Get/upload report time (2005)",
        RequestOrUpload,
    ),
    c(
        1042,
        "设置数据上报时间 (2005)",
        "Set report time (2005)",
        Request,
    ),
    c(
        1061,
        "提取/上传实时数据间隔",
        "Get/upload real-time interval",
        RequestOrUpload,
    ),
    c(1062, "设置实时数据间隔", "Set real-time interval", Request),
    c(
        1063,
        "提取/上传分钟数据间隔",
        "Get/upload minute-data interval",
        RequestOrUpload,
    ),
    c(
        1064,
        "设置分钟数据间隔",
        "Set minute-data interval",
        Request,
    ),
    c(1072, "设置现场机访问密码", "Set device password", Request),
    c(
        2011,
        "取/上传污染物实时数据",
        "Real-time data",
        RequestOrUpload,
    ),
    c(
        2012,
        "停止察看污染物实时数据",
        "Stop real-time data",
        Notice,
    ),
    c(
        2021,
        "取/上传设备运行状态数据",
        "Equipment running state",
        RequestOrUpload,
    ),
    c(2022, "停止察看设备运行状态", "Stop running state", Notice),
    c(
        2031,
        "取/上传污染物日历史数据",
        "Daily history data",
        RequestOrUpload,
    ),
    c(
        2041,
        "取/上传设备运行时间日历史数据",
        "Daily equipment run time",
        RequestOrUpload,
    ),
    c(
        2051,
        "取/上传污染物分钟数据",
        "Minute data",
        RequestOrUpload,
    ),
    c(
        2061,
        "取/上传污染物小时数据",
        "Hourly data",
        RequestOrUpload,
    ),
    c(
        2071,
        "取/上传报警记录 (2005)",
        "Alarm records (2005)",
        RequestOrUpload,
    ),
    c(2072, "上传报警事件 (2005)", "Alarm event (2005)", Notice),
    c(2081, "上传数采仪开机时间", "Data-logger boot time", Upload),
    c(
        2111,
        "上传炉膛温度5min均值 (2025)",
        "Furnace temperature 5-min mean (2025)",
        Upload,
    ),
    c(3011, "零点校准量程校准", "Zero/span calibration", Request),
    c(3012, "即时采样", "Immediate sampling", Request),
    c(3013, "启动清洗/反吹", "Start cleaning/blow-back", Request),
    c(3014, "比对采样", "Comparison sampling", Request),
    c(
        3015,
        "超标留样",
        "Exceedance sample retention",
        RequestOrUpload,
    ),
    c(3016, "设置采样时间周期", "Set sampling period", Request),
    c(
        3017,
        "提取/上传采样时间周期",
        "Get/upload sampling period",
        RequestOrUpload,
    ),
    c(
        3018,
        "提取/上传出样时间",
        "Get/upload sample-out time",
        RequestOrUpload,
    ),
    c(
        3019,
        "提取/上传设备唯一标识",
        "Get/upload instrument id",
        RequestOrUpload,
    ),
    c(
        3020,
        "提取/上传现场机信息",
        "Get/upload device information",
        RequestOrUpload,
    ),
    c(3021, "设置现场机参数", "Set device parameters", Request),
    c(
        3022,
        "下发即时留样任务 (2025)",
        "Immediate sample retention (2025)",
        Request,
    ),
    c(
        3024,
        "启动标样核查 (2025)",
        "Start standard check (2025)",
        Request,
    ),
    c(9011, "请求应答", "Request answer", Answer),
    c(9012, "执行结果", "Execution result", Answer),
    c(9013, "通知应答", "Notice answer", Answer),
    c(9014, "数据应答", "Data answer", Answer),
    // HJ 212-2025 additions (hj212-2025.md §4).
    c(
        1001,
        "上传数采仪硬件序号 (2025)",
        "Data-logger hardware serials (2025)",
        Notice,
    ),
    c(
        1002,
        "设置数采仪MN编码 (2025)",
        "Assign the data-logger MN (2025)",
        Request,
    ),
    c(
        1014,
        "现场机获取新密钥 / 上位机下发新密钥 (2025)",
        "Key request / new key (2025)",
        RequestOrUpload,
    ),
    c(
        2013,
        "取/上传原始监测数据 (2025)",
        "Raw monitoring data (2025)",
        RequestOrUpload,
    ),
    c(
        2052,
        "取/上传噪声单次测量数据 (2025)",
        "Single noise measurement (2025)",
        RequestOrUpload,
    ),
    c(
        2062,
        "取/上传自动标样核查数据 (2025)",
        "Automatic standard-check data (2025)",
        RequestOrUpload,
    ),
    c(9015, "心跳包 (2025)", "Heartbeat (2025)", Notice),
];

pub fn command(code: u16) -> Option<&'static Command> {
    COMMANDS.iter().find(|x| x.code == code)
}

/// A data flag (`-Flag`), HJ 212-2017 Table 8 (and 2005's P).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataFlag<'a> {
    /// N 在线监控（监测）仪器仪表工作正常
    Normal,
    /// F 停运
    Stopped,
    /// M 维护
    Maintenance,
    /// S 手工输入的设定值
    SetValue,
    /// D 故障
    Fault,
    /// C 校准
    Calibration,
    /// T 超测上限
    OverRange,
    /// B 通讯异常
    CommFailure,
    /// P 电源故障 (2005)
    PowerFailure,
    /// Anything else, kept as sent (2005 ambient digits, vendor flags).
    Other(&'a str),
}

impl<'a> DataFlag<'a> {
    pub fn parse(s: &'a str) -> DataFlag<'a> {
        match s.trim() {
            "N" => DataFlag::Normal,
            "F" => DataFlag::Stopped,
            "M" => DataFlag::Maintenance,
            "S" => DataFlag::SetValue,
            "D" => DataFlag::Fault,
            "C" => DataFlag::Calibration,
            "T" => DataFlag::OverRange,
            "B" => DataFlag::CommFailure,
            "P" => DataFlag::PowerFailure,
            other => DataFlag::Other(other),
        }
    }

    /// Valid for statistics (only N).
    pub fn is_valid(self) -> bool {
        self == DataFlag::Normal
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            DataFlag::Normal => "正常",
            DataFlag::Stopped => "停运",
            DataFlag::Maintenance => "维护",
            DataFlag::SetValue => "手工设定值",
            DataFlag::Fault => "故障",
            DataFlag::Calibration => "校准",
            DataFlag::OverRange => "超测上限",
            DataFlag::CommFailure => "通讯异常",
            DataFlag::PowerFailure => "电源故障",
            DataFlag::Other(_) => "其他",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(factor("a21026").unwrap().name_zh, "二氧化硫");
        assert_eq!(from_2005("02").unwrap().code, "a21026");
        assert_eq!(from_2005("S01").unwrap().code, "a19001");
        assert_eq!(from_2005("011").unwrap().code, "w01018");
        assert_eq!(system("39").unwrap().name_zh, "工地扬尘污染源");
        assert_eq!(command(2061).unwrap().kind, CommandType::RequestOrUpload);
        assert!(is_2017_style("a34004"));
        assert!(!is_2017_style("B01"));
        assert!(
            is_2005_style("B01")
                && is_2005_style("011")
                && is_2005_style("S01")
                && is_2005_style("02")
        );
        assert!(!is_2005_style("a21026") && !is_2005_style("LA"));
        // Every command code is listed once.
        for (i, a) in COMMANDS.iter().enumerate() {
            assert!(
                COMMANDS[i + 1..].iter().all(|b| b.code != a.code),
                "CN {}",
                a.code
            );
        }
        assert_eq!(command(9015).unwrap().kind, CommandType::Notice);
        // Every 2017 code is unique, and so is every 2005 code.
        for (i, a) in FACTORS.iter().enumerate() {
            for b in &FACTORS[i + 1..] {
                assert_ne!(a.code, b.code);
                assert!(
                    a.code_2005.is_none() || a.code_2005 != b.code_2005,
                    "{}",
                    a.code
                );
            }
        }
    }

    #[test]
    fn flags() {
        assert_eq!(DataFlag::parse("N"), DataFlag::Normal);
        assert_eq!(DataFlag::parse("3"), DataFlag::Other("3"));
        assert!(!DataFlag::parse("D").is_valid());
    }
}
