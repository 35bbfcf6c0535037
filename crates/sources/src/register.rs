//! The enterprise register (企业档案) as data: a firm with its production
//! lines, outlets, treatment facilities, electricity meters, performance
//! grades (with history), white-list entries and outlet limits; and the
//! reading of a register workbook's sheets into firms, where every row that
//! cannot be read is an [`Issue`] naming its sheet, row and column and
//! every other row is kept.
//!
//! The sheets and their columns are one table ([`SHEETS`]): a header may be
//! written in Chinese or in English (`统一社会信用代码` or `credit_code`).
//! A firm named in a workbook is replaced by what the workbook says of it
//! (its rows on every sheet); firms not named are left alone.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, NaiveDateTime};
use lantian_types::{CreditCode, OutletCode};
use serde::{Deserialize, Serialize};

use crate::grade::{self, Grade, GradeRecord};
use crate::limits::{Averaging, Limit};
use crate::num::Fixed;
use crate::power::MeterRole;

/// A firm as registered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Firm {
    /// 统一社会信用代码 (checked).
    pub credit_code: String,
    pub name: String,
    /// GB/T 4754 industry code (C3021, H6210, …).
    #[serde(default)]
    pub industry: String,
    /// One of the 39 key industries (`policy.md` §2.2), or empty.
    #[serde(default)]
    pub key_industry: String,
    pub township: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub lon: Option<f64>,
    #[serde(default)]
    pub lat: Option<f64>,
    /// 排污许可证编号.
    #[serde(default)]
    pub permit_no: String,
    /// 重点排污单位.
    #[serde(default)]
    pub key_polluter: bool,
    /// 重点用车单位.
    #[serde(default)]
    pub key_vehicle: bool,
    /// A catering business (judged by the catering interlock).
    #[serde(default)]
    pub catering: bool,
    /// A synthetic firm (the demo's 示例企业).
    #[serde(default)]
    pub sample: bool,
    #[serde(default)]
    pub lines: Vec<Line>,
    #[serde(default)]
    pub outlets: Vec<Outlet>,
    #[serde(default)]
    pub facilities: Vec<Facility>,
    #[serde(default)]
    pub meters: Vec<Meter>,
    #[serde(default)]
    pub grades: Vec<GradeEntry>,
    #[serde(default)]
    pub whitelist: Vec<WhiteEntry>,
    #[serde(default)]
    pub limits: Vec<LimitEntry>,
}

/// A production line or process (生产线/工序).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub process: String,
}

/// An outlet (排口).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outlet {
    /// DA001, …
    pub code: String,
    pub name: String,
    /// The MN of the CEMS device that measures it.
    #[serde(default)]
    pub mn: Option<String>,
    #[serde(default)]
    pub height_m: Option<Fixed>,
    /// A source type of the default limits table (`coal-boiler`, …).
    #[serde(default)]
    pub source_type: String,
    #[serde(default)]
    pub line: String,
}

/// A treatment facility (治理设施).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facility {
    pub code: String,
    pub name: String,
    /// 除尘, 脱硫, 脱硝, VOCs 治理, 油烟净化, …
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub outlet: String,
    #[serde(default)]
    pub line: String,
}

/// An electricity meter (分表计电).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meter {
    pub code: String,
    pub name: String,
    pub role: MeterRole,
    pub rated_kw: Fixed,
    /// The MN of the device that sends its readings (ST=44), and the
    /// factor code its power comes under (`d20001`, …).
    #[serde(default)]
    pub mn: Option<String>,
    #[serde(default)]
    pub factor: String,
    /// The line (production) or facility (treatment) it measures.
    #[serde(default)]
    pub of: String,
}

/// A performance grade in force for an industry of the firm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GradeEntry {
    /// The key industry graded (one of the 39), or another industry name.
    pub industry: String,
    pub grade: Grade,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    /// The document (文号) that published it.
    #[serde(default)]
    pub document: String,
}

/// A white-list / 保障类 entry (`policy.md` §2.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhiteEntry {
    /// 民生保障, 重大工程, 战略性产业, …
    pub category: String,
    /// Approved maximum load during an alert (%).
    #[serde(default)]
    pub max_load_pct: Option<Fixed>,
    /// The highest alert level the entry holds for (`orange`, `red`, …).
    #[serde(default)]
    pub level_ceiling: String,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    #[serde(default)]
    pub document: String,
}

/// An outlet's limit for one factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitEntry {
    pub outlet: String,
    pub code: String,
    pub limit: Fixed,
    #[serde(default)]
    pub ref_o2: Option<Fixed>,
    pub averaging: Averaging,
    #[serde(default)]
    pub standard: String,
    #[serde(default)]
    pub clause: String,
    #[serde(default)]
    pub valid_from: Option<NaiveDateTime>,
    #[serde(default)]
    pub valid_to: Option<NaiveDateTime>,
}

impl LimitEntry {
    pub fn to_limit(&self) -> Limit {
        Limit {
            code: self.code.clone(),
            limit: self.limit,
            ref_o2: self.ref_o2,
            averaging: self.averaging,
            from: self.valid_from,
            to: self.valid_to,
            standard: self.standard.clone(),
            clause: self.clause.clone(),
        }
    }
}

impl Firm {
    /// The industries graded for the short-board rule: the key industry
    /// (when it has one) and every industry it holds a grade in.
    pub fn graded_industries(&self) -> Vec<(String, bool)> {
        let mut out: BTreeMap<String, bool> = BTreeMap::new();
        if !self.key_industry.is_empty() {
            out.insert(self.key_industry.clone(), true);
        }
        for g in &self.grades {
            out.entry(g.industry.clone())
                .or_insert_with(|| grade::is_key_industry(&g.industry));
        }
        out.into_iter().collect()
    }

    /// The firm's grade on `day` (the lowest of its industries'; an
    /// industry without a grade counts as its lowest); `None` for a firm
    /// in no graded industry.
    pub fn grade_on(&self, day: NaiveDate) -> Option<Grade> {
        let records: Vec<GradeRecord> = self
            .grades
            .iter()
            .map(|g| GradeRecord {
                industry: g.industry.clone(),
                grade: g.grade,
                from: g.valid_from,
                to: g.valid_to,
            })
            .collect();
        grade::firm_grade(&self.graded_industries(), &records, day)
    }

    /// The white-list entry in force on `day`.
    pub fn whitelisted_on(&self, day: NaiveDate) -> Option<&WhiteEntry> {
        self.whitelist
            .iter()
            .find(|w| w.valid_from.is_none_or(|f| day >= f) && w.valid_to.is_none_or(|t| day <= t))
    }

    /// The limits of one outlet.
    pub fn limits_of(&self, outlet: &str) -> Vec<Limit> {
        self.limits
            .iter()
            .filter(|l| l.outlet == outlet)
            .map(LimitEntry::to_limit)
            .collect()
    }
}

/// A row that could not be read: where and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub sheet: String,
    /// The row as the spreadsheet numbers it (the header is row 1).
    pub row: u32,
    /// The column letter and its header (`A 统一社会信用代码`), or empty for
    /// a whole-row issue.
    pub column: String,
    pub message: String,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.column.is_empty() {
            write!(
                f,
                "sheet {}, row {}: {}",
                self.sheet, self.row, self.message
            )
        } else {
            write!(
                f,
                "sheet {}, row {}, column {}: {}",
                self.sheet, self.row, self.column, self.message
            )
        }
    }
}

/// One sheet as read: its name, header and rows (cells as text), each row
/// with its spreadsheet number.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    pub sheet: String,
    pub header: Vec<String>,
    pub rows: Vec<(u32, Vec<String>)>,
}

/// The sheets of a register workbook: key, Chinese name, columns (key,
/// Chinese header, required).
/// A column of a sheet: (key, Chinese header, required).
pub type Column = (&'static str, &'static str, bool);

pub const SHEETS: &[(&str, &str, &[Column])] = &[
    (
        "enterprises",
        "企业",
        &[
            ("credit_code", "统一社会信用代码", true),
            ("name", "企业名称", true),
            ("industry", "行业代码", false),
            ("key_industry", "重点行业", false),
            ("township", "乡镇街道", true),
            ("address", "地址", false),
            ("lon", "经度", false),
            ("lat", "纬度", false),
            ("permit_no", "排污许可证编号", false),
            ("key_polluter", "重点排污单位", false),
            ("key_vehicle", "重点用车单位", false),
            ("catering", "餐饮", false),
            ("sample", "示例", false),
        ],
    ),
    (
        "lines",
        "生产线",
        &[
            ("credit_code", "统一社会信用代码", true),
            ("code", "编号", true),
            ("name", "名称", true),
            ("process", "工艺", false),
        ],
    ),
    (
        "outlets",
        "排口",
        &[
            ("credit_code", "统一社会信用代码", true),
            ("code", "排口编号", true),
            ("name", "名称", true),
            ("mn", "设备MN", false),
            ("height_m", "高度(m)", false),
            ("source_type", "源类型", false),
            ("line", "生产线", false),
        ],
    ),
    (
        "facilities",
        "治理设施",
        &[
            ("credit_code", "统一社会信用代码", true),
            ("code", "编号", true),
            ("name", "名称", true),
            ("kind", "类型", false),
            ("outlet", "排口编号", false),
            ("line", "生产线", false),
        ],
    ),
    (
        "meters",
        "电表",
        &[
            ("credit_code", "统一社会信用代码", true),
            ("code", "编号", true),
            ("name", "名称", true),
            ("role", "类别", true),
            ("rated_kw", "额定功率(kW)", true),
            ("mn", "设备MN", false),
            ("factor", "因子编码", false),
            ("of", "监测对象", false),
        ],
    ),
    (
        "grades",
        "绩效分级",
        &[
            ("credit_code", "统一社会信用代码", true),
            ("industry", "行业", true),
            ("grade", "等级", true),
            ("valid_from", "生效日期", false),
            ("valid_to", "截止日期", false),
            ("document", "文号", false),
        ],
    ),
    (
        "whitelist",
        "白名单",
        &[
            ("credit_code", "统一社会信用代码", true),
            ("category", "类别", true),
            ("max_load_pct", "最大负荷(%)", false),
            ("level_ceiling", "适用预警级别上限", false),
            ("valid_from", "生效日期", false),
            ("valid_to", "截止日期", false),
            ("document", "批准文件", false),
        ],
    ),
    (
        "limits",
        "排放限值",
        &[
            ("credit_code", "统一社会信用代码", true),
            ("outlet", "排口编号", true),
            ("code", "因子编码", true),
            ("limit", "限值(mg/m3)", true),
            ("ref_o2", "基准氧含量(%)", false),
            ("averaging", "均值类型", false),
            ("standard", "执行标准", false),
            ("clause", "条款", false),
            ("valid_from", "生效时间", false),
            ("valid_to", "截止时间", false),
        ],
    ),
];

/// The sheet key of a sheet or file name (`排口`, `outlets`, `outlets.csv`).
pub fn sheet_key(name: &str) -> Option<&'static str> {
    let n = name.trim();
    let stem = n.rsplit_once('.').map_or(n, |(s, _)| s);
    let stem = stem.rsplit(['/', '\\']).next().unwrap_or(stem);
    SHEETS
        .iter()
        .find(|(k, zh, _)| stem.eq_ignore_ascii_case(k) || stem == *zh)
        .map(|(k, _, _)| *k)
}

/// Spreadsheet column letters of index `i` (0 → A, 26 → AA).
pub fn column_letter(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

fn norm(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

/// Column index by key in a sheet's header.
struct Columns {
    sheet: String,
    header: Vec<String>,
    at: BTreeMap<&'static str, usize>,
}

impl Columns {
    fn of(t: &Table, key: &str, issues: &mut Vec<Issue>) -> Option<Columns> {
        let (_, _, cols) = SHEETS.iter().find(|(k, _, _)| *k == key)?;
        let names: Vec<String> = t.header.iter().map(|h| norm(h)).collect();
        let mut at = BTreeMap::new();
        let mut missing = Vec::new();
        for (k, zh, required) in cols.iter() {
            let strip = |s: &str| s.split(['(', '（']).next().unwrap_or(s).to_string();
            let found = names
                .iter()
                .position(|n| n == k || *n == norm(zh) || strip(n) == strip(&norm(zh)));
            match found {
                Some(i) => {
                    at.insert(*k, i);
                }
                None if *required => missing.push(format!("{zh} ({k})")),
                None => {}
            }
        }
        if !missing.is_empty() {
            issues.push(Issue {
                sheet: t.sheet.clone(),
                row: 1,
                column: String::new(),
                message: format!(
                    "the header has no column {}; the sheet is not read",
                    missing.join(", ")
                ),
            });
            return None;
        }
        Some(Columns {
            sheet: t.sheet.clone(),
            header: t.header.clone(),
            at,
        })
    }
}

/// One row being read: its cells by key, and the issues found in it.
struct Row<'a> {
    cols: &'a Columns,
    row: u32,
    cells: &'a [String],
    issues: Vec<Issue>,
}

impl<'a> Row<'a> {
    fn get(&self, key: &str) -> &'a str {
        self.cols
            .at
            .get(key)
            .and_then(|i| self.cells.get(*i))
            .map_or("", |s| s.trim())
    }

    fn column(&self, key: &str) -> String {
        self.cols.at.get(key).map_or(String::new(), |i| {
            format!(
                "{} {}",
                column_letter(*i),
                self.cols.header.get(*i).map_or("", |h| h.trim())
            )
        })
    }

    fn bad(&mut self, key: &str, message: String) {
        self.issues.push(Issue {
            sheet: self.cols.sheet.clone(),
            row: self.row,
            column: self.column(key),
            message,
        });
    }

    fn need(&mut self, key: &str) -> Option<String> {
        let v = self.get(key);
        if v.is_empty() {
            self.bad(key, "empty (required)".into());
            None
        } else {
            Some(v.to_string())
        }
    }

    fn parse<T>(&mut self, key: &str, f: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        match f(self.get(key)) {
            Ok(v) => Some(v),
            Err(e) => {
                self.bad(key, e);
                None
            }
        }
    }

    fn opt_fixed(&mut self, key: &str) -> Option<Option<Fixed>> {
        self.parse(key, |v| match v {
            "" => Ok(None),
            v => Fixed::parse(v)
                .filter(|x| !x.m.is_negative())
                .map(Some)
                .ok_or_else(|| format!("`{v}` is not a number ≥ 0")),
        })
    }

    fn opt_date(&mut self, key: &str) -> Option<Option<NaiveDate>> {
        self.parse(key, |v| match v {
            "" => Ok(None),
            v => parse_date(v)
                .map(Some)
                .ok_or_else(|| format!("`{v}` is not a date (YYYY-MM-DD)")),
        })
    }

    fn opt_time(&mut self, key: &str) -> Option<Option<NaiveDateTime>> {
        self.parse(key, |v| match v {
            "" => Ok(None),
            v => crate::check::parse_label(v)
                .or_else(|| parse_date(v).and_then(|d| d.and_hms_opt(0, 0, 0)))
                .map(Some)
                .ok_or_else(|| {
                    format!("`{v}` is not a date or an hour label (YYYY-MM-DD [HH:MM])")
                }),
        })
    }

    fn flag(&mut self, key: &str) -> Option<bool> {
        self.parse(key, |v| match v.to_lowercase().as_str() {
            "" | "否" | "n" | "no" | "false" | "0" => Ok(false),
            "是" | "y" | "yes" | "true" | "1" => Ok(true),
            other => Err(format!("`{other}`: 是 or 否")),
        })
    }
}

/// A date as a spreadsheet or a person writes it: 2026-01-05, 2026/1/5,
/// 2026年1月5日, or an Excel serial day number.
pub fn parse_date(v: &str) -> Option<NaiveDate> {
    let t = v.trim();
    let t = t.split([' ', 'T']).next().unwrap_or(t);
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Some(d);
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y/%m/%d") {
        return Some(d);
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y年%m月%d日") {
        return Some(d);
    }
    // Excel's serial numbers (1900 system, from 1899-12-30).
    let n: i64 = t.parse().ok().filter(|n| (20_000..80_000).contains(n))?;
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(chrono::Duration::days(n))
}

/// What the register knows when a workbook is read: the county's
/// townships, and which outlet MNs other firms hold.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub townships: BTreeSet<String>,
    /// MN → the credit code of the firm whose outlet it is.
    pub outlet_mns: BTreeMap<String, String>,
}

/// Firms read from a workbook, and the rows that could not be read.
#[derive(Debug, Clone, Default)]
pub struct Read {
    pub firms: Vec<Firm>,
    pub issues: Vec<Issue>,
    /// Rows read into firms (of every sheet).
    pub rows: usize,
}

/// Reads register sheets into firms. A firm whose `enterprises` row cannot
/// be read is not loaded (its rows on other sheets are reported as of an
/// unknown firm); any other row that cannot be read is left out of its firm
/// and reported; everything else is loaded.
pub fn read(tables: &[Table], known: &Known) -> Read {
    let mut out = Read::default();
    let by_key = |key: &'static str| {
        tables
            .iter()
            .filter(move |t| sheet_key(&t.sheet) == Some(key))
    };
    let mut firms: BTreeMap<String, Firm> = BTreeMap::new();
    let mut order = Vec::new();
    for t in tables {
        if sheet_key(&t.sheet).is_none() {
            out.issues.push(Issue {
                sheet: t.sheet.clone(),
                row: 1,
                column: String::new(),
                message: format!(
                    "not a register sheet ({}); not read",
                    SHEETS
                        .iter()
                        .map(|(k, zh, _)| format!("{zh}/{k}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
    // Enterprises first: the other sheets refer to them.
    for t in by_key("enterprises") {
        let Some(cols) = Columns::of(t, "enterprises", &mut out.issues) else {
            continue;
        };
        for (n, cells) in &t.rows {
            let mut r = Row {
                cols: &cols,
                row: *n,
                cells,
                issues: Vec::new(),
            };
            let code = r.parse("credit_code", |v| {
                CreditCode::parse(v).map(|c| c.to_string())
            });
            let name = r.need("name");
            let township = r.need("township");
            if let Some(t) = &township
                && !known.townships.contains(t)
            {
                let hint = if known.townships.is_empty() {
                    "the county has no townships registered (lantian township import)".to_string()
                } else {
                    format!(
                        "not one of the county's {} townships",
                        known.townships.len()
                    )
                };
                r.bad("township", format!("`{t}`: {hint}"));
            }
            let key_industry = r.get("key_industry").to_string();
            if !key_industry.is_empty() && !grade::is_key_industry(&key_industry) {
                r.bad(
                    "key_industry",
                    format!(
                        "`{key_industry}` is not one of the 39 key industries (policy.md §2.2)"
                    ),
                );
            }
            let coord = |r: &mut Row<'_>, k: &str, lo: f64, hi: f64| {
                r.parse(k, |v| match v {
                    "" => Ok(None),
                    v => v
                        .parse::<f64>()
                        .ok()
                        .filter(|x| (lo..=hi).contains(x))
                        .map(Some)
                        .ok_or_else(|| format!("`{v}`: degrees between {lo} and {hi}")),
                })
            };
            let lon = coord(&mut r, "lon", 73.0, 136.0);
            let lat = coord(&mut r, "lat", 3.0, 54.0);
            let flags = (
                r.flag("key_polluter"),
                r.flag("key_vehicle"),
                r.flag("catering"),
                r.flag("sample"),
            );
            if let Some(c) = &code
                && firms.contains_key(c)
            {
                r.bad(
                    "credit_code",
                    format!("`{c}` is already on an earlier row; this row is not read"),
                );
            }
            let ok = r.issues.is_empty();
            out.issues.append(&mut r.issues);
            let (
                Some(code),
                Some(name),
                Some(township),
                Some(lon),
                Some(lat),
                (Some(kp), Some(kv), Some(cat), Some(sample)),
            ) = (code, name, township, lon, lat, flags)
            else {
                continue;
            };
            if !ok {
                continue;
            }
            order.push(code.clone());
            out.rows += 1;
            firms.insert(
                code.clone(),
                Firm {
                    credit_code: code,
                    name,
                    industry: r.get("industry").to_string(),
                    key_industry,
                    township,
                    address: r.get("address").to_string(),
                    lon,
                    lat,
                    permit_no: r.get("permit_no").to_string(),
                    key_polluter: kp,
                    key_vehicle: kv,
                    catering: cat,
                    sample,
                    ..Firm::default()
                },
            );
        }
    }
    let mut seen_mn: BTreeMap<String, (String, String)> = BTreeMap::new();
    for key in [
        "lines",
        "outlets",
        "facilities",
        "meters",
        "grades",
        "whitelist",
        "limits",
    ] {
        for t in by_key(key) {
            let Some(cols) = Columns::of(t, key, &mut out.issues) else {
                continue;
            };
            for (n, cells) in &t.rows {
                let mut r = Row {
                    cols: &cols,
                    row: *n,
                    cells,
                    issues: Vec::new(),
                };
                let code = r.get("credit_code").to_string();
                let Some(firm) = firms.get_mut(&code) else {
                    let why = match CreditCode::parse(&code) {
                        Err(e) => e,
                        Ok(_) => format!(
                            "`{code}` is not on the 企业 sheet (or its row there could not be read)"
                        ),
                    };
                    r.bad("credit_code", why);
                    out.issues.append(&mut r.issues);
                    continue;
                };
                let added = match key {
                    "lines" => read_line(&mut r, firm),
                    "outlets" => read_outlet(&mut r, firm, known, &mut seen_mn),
                    "facilities" => read_facility(&mut r, firm),
                    "meters" => read_meter(&mut r, firm),
                    "grades" => read_grade(&mut r, firm),
                    "whitelist" => read_white(&mut r, firm),
                    _ => read_limit(&mut r, firm),
                };
                if added && r.issues.is_empty() {
                    out.rows += 1;
                }
                out.issues.append(&mut r.issues);
            }
        }
    }
    out.firms = order.into_iter().filter_map(|c| firms.remove(&c)).collect();
    out
}

fn read_line(r: &mut Row<'_>, f: &mut Firm) -> bool {
    let (Some(code), Some(name)) = (r.need("code"), r.need("name")) else {
        return false;
    };
    if f.lines.iter().any(|l| l.code == code) {
        r.bad(
            "code",
            format!(
                "line `{code}` of {} is already on an earlier row",
                f.credit_code
            ),
        );
        return false;
    }
    f.lines.push(Line {
        code,
        name,
        process: r.get("process").to_string(),
    });
    true
}

fn read_outlet(
    r: &mut Row<'_>,
    f: &mut Firm,
    known: &Known,
    seen: &mut BTreeMap<String, (String, String)>,
) -> bool {
    let code = r.parse("code", |v| OutletCode::parse(v).map(|c| c.to_string()));
    let name = r.need("name");
    let height = r.opt_fixed("height_m");
    let mn = r.get("mn").to_string();
    if let Some(c) = &code
        && f.outlets.iter().any(|o| &o.code == c)
    {
        r.bad(
            "code",
            format!(
                "duplicate outlet: `{c}` of {} is already on an earlier row",
                f.credit_code
            ),
        );
    }
    if !mn.is_empty() {
        if let Err(e) = lantian_types::Mn::parse(&mn) {
            r.bad("mn", e);
        } else if let Some((firm, outlet)) = seen.get(&mn) {
            r.bad(
                "mn",
                format!("MN `{mn}` is already the device of outlet {outlet} of {firm}"),
            );
        } else if let Some(other) = known.outlet_mns.get(&mn).filter(|o| **o != f.credit_code) {
            r.bad(
                "mn",
                format!("MN `{mn}` is the device of an outlet of {other} (not in this workbook)"),
            );
        }
    }
    let source_type = r.get("source_type").to_string();
    if !source_type.is_empty() && crate::limits::defaults_for(&source_type).is_empty() {
        r.bad(
            "source_type",
            format!("`{source_type}` is not a source type of the default limits table"),
        );
    }
    let line = r.get("line").to_string();
    if !line.is_empty() && !f.lines.iter().any(|l| l.code == line) {
        r.bad(
            "line",
            format!(
                "line `{line}` is not on the 生产线 sheet for {}",
                f.credit_code
            ),
        );
    }
    let (Some(code), Some(name), Some(height)) = (code, name, height) else {
        return false;
    };
    if !r.issues.is_empty() {
        return false;
    }
    if !mn.is_empty() {
        seen.insert(mn.clone(), (f.credit_code.clone(), code.clone()));
    }
    f.outlets.push(Outlet {
        code,
        name,
        mn: (!mn.is_empty()).then_some(mn),
        height_m: height,
        source_type,
        line,
    });
    true
}

fn read_facility(r: &mut Row<'_>, f: &mut Firm) -> bool {
    let (Some(code), Some(name)) = (r.need("code"), r.need("name")) else {
        return false;
    };
    if f.facilities.iter().any(|x| x.code == code) {
        r.bad(
            "code",
            format!(
                "facility `{code}` of {} is already on an earlier row",
                f.credit_code
            ),
        );
        return false;
    }
    let outlet = r.get("outlet").to_ascii_uppercase();
    if !outlet.is_empty() && !f.outlets.iter().any(|o| o.code == outlet) {
        r.bad(
            "outlet",
            format!(
                "outlet `{outlet}` is not on the 排口 sheet for {}",
                f.credit_code
            ),
        );
        return false;
    }
    f.facilities.push(Facility {
        code,
        name,
        kind: r.get("kind").to_string(),
        outlet,
        line: r.get("line").to_string(),
    });
    true
}

fn read_meter(r: &mut Row<'_>, f: &mut Firm) -> bool {
    let code = r.need("code");
    let name = r.need("name");
    let role = r.parse("role", MeterRole::parse);
    let rated = r.parse("rated_kw", |v| {
        Fixed::parse(v)
            .filter(|x| x.is_positive())
            .ok_or_else(|| format!("`{v}`: the rated power, kW > 0"))
    });
    let mn = r.get("mn").to_string();
    if !mn.is_empty()
        && let Err(e) = lantian_types::Mn::parse(&mn)
    {
        r.bad("mn", e);
    }
    let factor = r.get("factor").to_string();
    if !mn.is_empty() && factor.is_empty() {
        r.bad(
            "factor",
            "a meter with an MN needs the factor code its power is sent under (d20001, …)".into(),
        );
    }
    if let Some(c) = &code
        && f.meters.iter().any(|m| &m.code == c)
    {
        r.bad(
            "code",
            format!(
                "meter `{c}` of {} is already on an earlier row",
                f.credit_code
            ),
        );
    }
    if !mn.is_empty()
        && f.meters
            .iter()
            .any(|m| m.mn.as_deref() == Some(mn.as_str()) && m.factor == factor)
    {
        r.bad(
            "factor",
            format!("`{factor}` of {mn} is already another meter's"),
        );
    }
    let (Some(code), Some(name), Some(role), Some(rated_kw)) = (code, name, role, rated) else {
        return false;
    };
    if !r.issues.is_empty() {
        return false;
    }
    f.meters.push(Meter {
        code,
        name,
        role,
        rated_kw,
        mn: (!mn.is_empty()).then_some(mn),
        factor,
        of: r.get("of").to_string(),
    });
    true
}

fn read_grade(r: &mut Row<'_>, f: &mut Firm) -> bool {
    let industry = r.need("industry");
    let g = r.parse("grade", Grade::parse);
    let from = r.opt_date("valid_from");
    let to = r.opt_date("valid_to");
    if let (Some(Some(a)), Some(Some(b))) = (from, to)
        && b < a
    {
        r.bad("valid_to", format!("{b} is before the start {a}"));
    }
    if let (Some(i), Some(g)) = (&industry, g) {
        let key = grade::is_key_industry(i);
        let leading_scale = matches!(g, Grade::Leading | Grade::NotLeading);
        if key && leading_scale {
            r.bad(
                "grade",
                format!("{i} is a key industry, graded A+ to D, not {}", g.as_str()),
            );
        }
    }
    let (Some(industry), Some(grade), Some(valid_from), Some(valid_to)) = (industry, g, from, to)
    else {
        return false;
    };
    if !r.issues.is_empty() {
        return false;
    }
    f.grades.push(GradeEntry {
        industry,
        grade,
        valid_from,
        valid_to,
        document: r.get("document").to_string(),
    });
    true
}

fn read_white(r: &mut Row<'_>, f: &mut Firm) -> bool {
    let category = r.need("category");
    let load = r.opt_fixed("max_load_pct");
    if let Some(Some(l)) = load
        && l > Fixed::new(100, 0)
    {
        r.bad("max_load_pct", format!("{l} %: at most 100"));
    }
    let from = r.opt_date("valid_from");
    let to = r.opt_date("valid_to");
    let (Some(category), Some(max_load_pct), Some(valid_from), Some(valid_to)) =
        (category, load, from, to)
    else {
        return false;
    };
    if !r.issues.is_empty() {
        return false;
    }
    f.whitelist.push(WhiteEntry {
        category,
        max_load_pct,
        level_ceiling: r.get("level_ceiling").to_string(),
        valid_from,
        valid_to,
        document: r.get("document").to_string(),
    });
    true
}

fn read_limit(r: &mut Row<'_>, f: &mut Firm) -> bool {
    let outlet = r.get("outlet").to_ascii_uppercase();
    if !f.outlets.iter().any(|o| o.code == outlet) {
        r.bad(
            "outlet",
            format!(
                "outlet `{outlet}` is not on the 排口 sheet for {}",
                f.credit_code
            ),
        );
    }
    let code = r.need("code");
    let limit = r.parse("limit", |v| {
        Fixed::parse(v)
            .filter(|x| x.is_positive())
            .ok_or_else(|| format!("`{v}`: a limit > 0 (mg/m³)"))
    });
    let ref_o2 = r.parse("ref_o2", |v| match v {
        "" => Ok(None),
        v => Fixed::parse(v)
            .filter(|x| !x.m.is_negative() && *x < Fixed::new(21, 0))
            .map(Some)
            .ok_or_else(|| format!("`{v}`: a percentage below 21, or empty")),
    });
    let averaging = r.parse("averaging", Averaging::parse);
    let from = r.opt_time("valid_from");
    let to = r.opt_time("valid_to");
    let (Some(code), Some(limit), Some(ref_o2), Some(averaging), Some(valid_from), Some(valid_to)) =
        (code, limit, ref_o2, averaging, from, to)
    else {
        return false;
    };
    if f.limits
        .iter()
        .any(|l| l.outlet == outlet && l.code == code && l.valid_from == valid_from)
    {
        r.bad(
            "code",
            format!("{outlet} {code}: a limit from the same time is already on an earlier row"),
        );
    }
    if !r.issues.is_empty() {
        return false;
    }
    f.limits.push(LimitEntry {
        outlet,
        code,
        limit,
        ref_o2,
        averaging,
        standard: r.get("standard").to_string(),
        clause: r.get("clause").to_string(),
        valid_from,
        valid_to,
    });
    true
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or(String::new(), ToString::to_string)
}

fn yes(b: bool) -> String {
    if b { "是" } else { "否" }.to_string()
}

/// The firms as register sheets (the workbook an import reads back the same).
pub fn tables(firms: &[Firm]) -> Vec<Table> {
    let mut out: Vec<Table> = SHEETS
        .iter()
        .map(|(_, zh, cols)| Table {
            sheet: zh.to_string(),
            header: cols.iter().map(|(_, h, _)| h.to_string()).collect(),
            rows: Vec::new(),
        })
        .collect();
    let mut push = |sheet: usize, row: Vec<String>| {
        let t = &mut out[sheet];
        let n = t.rows.len() as u32 + 2;
        t.rows.push((n, row));
    };
    for f in firms {
        let c = f.credit_code.clone();
        push(
            0,
            vec![
                c.clone(),
                f.name.clone(),
                f.industry.clone(),
                f.key_industry.clone(),
                f.township.clone(),
                f.address.clone(),
                opt(&f.lon),
                opt(&f.lat),
                f.permit_no.clone(),
                yes(f.key_polluter),
                yes(f.key_vehicle),
                yes(f.catering),
                yes(f.sample),
            ],
        );
        for l in &f.lines {
            push(
                1,
                vec![c.clone(), l.code.clone(), l.name.clone(), l.process.clone()],
            );
        }
        for o in &f.outlets {
            push(
                2,
                vec![
                    c.clone(),
                    o.code.clone(),
                    o.name.clone(),
                    opt(&o.mn),
                    opt(&o.height_m),
                    o.source_type.clone(),
                    o.line.clone(),
                ],
            );
        }
        for x in &f.facilities {
            push(
                3,
                vec![
                    c.clone(),
                    x.code.clone(),
                    x.name.clone(),
                    x.kind.clone(),
                    x.outlet.clone(),
                    x.line.clone(),
                ],
            );
        }
        for m in &f.meters {
            push(
                4,
                vec![
                    c.clone(),
                    m.code.clone(),
                    m.name.clone(),
                    m.role.as_str().into(),
                    m.rated_kw.to_string(),
                    opt(&m.mn),
                    m.factor.clone(),
                    m.of.clone(),
                ],
            );
        }
        for g in &f.grades {
            push(
                5,
                vec![
                    c.clone(),
                    g.industry.clone(),
                    g.grade.as_str().into(),
                    opt(&g.valid_from),
                    opt(&g.valid_to),
                    g.document.clone(),
                ],
            );
        }
        for w in &f.whitelist {
            push(
                6,
                vec![
                    c.clone(),
                    w.category.clone(),
                    opt(&w.max_load_pct),
                    w.level_ceiling.clone(),
                    opt(&w.valid_from),
                    opt(&w.valid_to),
                    w.document.clone(),
                ],
            );
        }
        for l in &f.limits {
            let t = |x: &Option<NaiveDateTime>| x.map_or(String::new(), crate::judge::fmt_label);
            push(
                7,
                vec![
                    c.clone(),
                    l.outlet.clone(),
                    l.code.clone(),
                    l.limit.to_string(),
                    opt(&l.ref_o2),
                    l.averaging.as_str().into(),
                    l.standard.clone(),
                    l.clause.clone(),
                    t(&l.valid_from),
                    t(&l.valid_to),
                ],
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(sheet: &str, header: &[&str], rows: &[&[&str]]) -> Table {
        Table {
            sheet: sheet.into(),
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, r)| (i as u32 + 2, r.iter().map(|s| s.to_string()).collect()))
                .collect(),
        }
    }

    fn known() -> Known {
        Known {
            townships: ["泌水街道", "羊册镇"]
                .into_iter()
                .map(String::from)
                .collect(),
            outlet_mns: BTreeMap::new(),
        }
    }

    const A: &str = "91411726MA40000019";

    fn good_code(prefix17: &str) -> String {
        CreditCode::complete(prefix17).unwrap().to_string()
    }

    #[test]
    fn bad_rows_name_sheet_row_and_column_and_the_rest_loads() {
        let a = good_code(&A[..17]);
        let b = good_code("91411726MA4000002");
        let firms = table(
            "企业",
            &["统一社会信用代码", "企业名称", "乡镇街道", "重点行业"],
            &[
                &[&a, "泌阳示例石材", "泌水街道", "砖瓦窑"],
                &["91411726MA40000018", "坏码企业", "泌水街道", ""],
                &[&b, "外乡企业", "火星镇", ""],
            ],
        );
        let outlets = table(
            "排口",
            &["统一社会信用代码", "排口编号", "名称", "设备MN"],
            &[
                &[&a, "DA001", "窑炉", "LTDEMOC000001"],
                &[&a, "DA001", "又一个", ""],
                &[&a, "DA002", "烘干", "LTDEMOC000001"],
            ],
        );
        let r = read(&[firms, outlets], &known());
        let msgs: Vec<String> = r.issues.iter().map(ToString::to_string).collect();
        let bad_check = CreditCode::parse("91411726MA40000018").unwrap_err();
        assert_eq!(
            msgs,
            vec![
                format!("sheet 企业, row 3, column A 统一社会信用代码: {bad_check}"),
                "sheet 企业, row 4, column C 乡镇街道: `火星镇`: not one of the county's 2 townships".to_string(),
                format!("sheet 排口, row 3, column B 排口编号: duplicate outlet: `DA001` of {a} is already on an earlier row"),
                format!("sheet 排口, row 4, column D 设备MN: MN `LTDEMOC000001` is already the device of outlet DA001 of {a}"),
            ]
        );
        assert_eq!(r.firms.len(), 1);
        assert_eq!(r.firms[0].outlets.len(), 1);
        assert_eq!(r.firms[0].key_industry, "砖瓦窑");
        assert_eq!(r.rows, 2);
    }

    #[test]
    fn a_workbook_reads_back_what_it_wrote() {
        let a = good_code(&A[..17]);
        let firm = Firm {
            credit_code: a.clone(),
            name: "示例".into(),
            township: "羊册镇".into(),
            key_industry: "陶瓷".into(),
            lon: Some(113.3),
            lat: Some(32.7),
            lines: vec![Line {
                code: "L1".into(),
                name: "窑".into(),
                process: "烧成".into(),
            }],
            outlets: vec![Outlet {
                code: "DA001".into(),
                name: "窑炉".into(),
                mn: Some("MN0001".into()),
                height_m: Some(Fixed::new(455, 1)),
                source_type: "ceramic-kiln".into(),
                line: "L1".into(),
            }],
            meters: vec![Meter {
                code: "E1".into(),
                name: "窑炉电表".into(),
                role: MeterRole::Production,
                rated_kw: Fixed::new(250, 0),
                mn: Some("MN0002".into()),
                factor: "d20001".into(),
                of: "L1".into(),
            }],
            grades: vec![GradeEntry {
                industry: "陶瓷".into(),
                grade: Grade::B,
                valid_from: parse_date("2025-10-01"),
                valid_to: None,
                document: "驻环〔2025〕1号".into(),
            }],
            whitelist: vec![WhiteEntry {
                category: "民生保障".into(),
                max_load_pct: Some(Fixed::new(50, 0)),
                level_ceiling: "red".into(),
                valid_from: None,
                valid_to: parse_date("2026-12-31"),
                document: "x".into(),
            }],
            limits: vec![LimitEntry {
                outlet: "DA001".into(),
                code: "a34013".into(),
                limit: Fixed::new(30, 0),
                ref_o2: Some(Fixed::new(18, 0)),
                averaging: Averaging::Hour,
                standard: "GB 25464-2010".into(),
                clause: "表5".into(),
                valid_from: None,
                valid_to: None,
            }],
            ..Firm::default()
        };
        let mut k = known();
        k.outlet_mns.insert("MN0001".into(), a.clone());
        let r = read(&tables(std::slice::from_ref(&firm)), &k);
        assert!(r.issues.is_empty(), "{:?}", r.issues);
        assert_eq!(r.firms, vec![firm]);
    }

    #[test]
    fn the_short_board_rule_on_a_firm() {
        let mut f = Firm {
            key_industry: "陶瓷".into(),
            ..Firm::default()
        };
        let day = parse_date("2026-01-05").unwrap();
        assert_eq!(
            f.grade_on(day),
            Some(Grade::D),
            "never applied: the industry's lowest"
        );
        f.grades.push(GradeEntry {
            industry: "陶瓷".into(),
            grade: Grade::A,
            valid_from: None,
            valid_to: None,
            document: String::new(),
        });
        assert_eq!(f.grade_on(day), Some(Grade::A));
        f.grades.push(GradeEntry {
            industry: "工业涂装".into(),
            grade: Grade::C,
            valid_from: None,
            valid_to: None,
            document: String::new(),
        });
        assert_eq!(
            f.grade_on(day),
            Some(Grade::C),
            "the lowest of its industries"
        );
        assert_eq!(Firm::default().grade_on(day), None);
        assert_eq!(
            parse_date("46027"),
            parse_date("2026-01-05"),
            "an Excel serial day"
        );
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(27), "AB");
    }
}
