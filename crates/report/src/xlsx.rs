//! A report as a workbook: one sheet per table (the station table headed
//! 站点), Chinese headers with units, the first two rows (the sheet's title
//! with the report's period and data label, then the headers) frozen,
//! numbers as numbers with the decimals they were published with.

use lantian_standards::Decimal;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::model::{
    Area, DayRow, Management, MonthRow, Report, StationRow, TargetRow, TownshipRow,
};

/// A cell of a sheet.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Num(Decimal),
}

impl From<Option<Decimal>> for Cell {
    fn from(d: Option<Decimal>) -> Cell {
        d.map_or(Cell::Empty, Cell::Num)
    }
}
impl From<Option<u16>> for Cell {
    fn from(d: Option<u16>) -> Cell {
        d.map_or(Cell::Empty, |x| Cell::Int(x.into()))
    }
}
impl From<Option<usize>> for Cell {
    fn from(d: Option<usize>) -> Cell {
        d.map_or(Cell::Empty, |x| Cell::Int(x as i64))
    }
}
impl From<Option<u32>> for Cell {
    fn from(d: Option<u32>) -> Cell {
        d.map_or(Cell::Empty, |x| Cell::Int(x.into()))
    }
}
impl From<u32> for Cell {
    fn from(d: u32) -> Cell {
        Cell::Int(d.into())
    }
}
impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}
impl From<Option<String>> for Cell {
    fn from(s: Option<String>) -> Cell {
        s.map_or(Cell::Empty, Cell::Text)
    }
}

/// One table of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

fn sheet(name: &str, headers: &[&str], rows: Vec<Vec<Cell>>) -> Sheet {
    Sheet {
        name: name.to_string(),
        headers: headers.iter().map(|h| h.to_string()).collect(),
        rows,
    }
}

fn area_sheet(name: &str, a: &Area) -> Sheet {
    sheet(
        name,
        &[
            "污染物",
            "指标",
            "单位",
            "本期",
            "去年同期",
            "变化(%)",
            "均值",
            "百分位数",
            "百分位数值",
            "有效天数",
            "超标天数",
        ],
        a.stats
            .iter()
            .map(|s| {
                vec![
                    s.pollutant.as_str().into(),
                    s.indicator.as_str().into(),
                    s.unit.as_str().into(),
                    s.value.into(),
                    s.previous.into(),
                    s.change_pct.into(),
                    s.mean.into(),
                    Cell::Int(s.percentile.into()),
                    s.percentile_value.into(),
                    s.valid_days.into(),
                    s.exceedance_days.into(),
                ]
            })
            .collect(),
    )
}

fn days_sheet(name: &str, a: &Area) -> Sheet {
    let row = |label: &str, d: &crate::model::Days| {
        let mut v: Vec<Cell> = vec![label.into(), d.total.into(), d.valid.into()];
        v.extend(d.by_level.iter().map(|x| Cell::from(*x)));
        v.extend([d.good_ratio.into(), d.heavy_ratio.into()]);
        v
    };
    let mut rows = vec![row("本期", &a.days)];
    if let Some(p) = &a.days_previous {
        rows.push(row("去年同期", p));
    }
    rows.push(vec![
        "综合指数".into(),
        Cell::Empty,
        Cell::Empty,
        a.composite.into(),
        a.composite_previous.into(),
        a.composite_change_pct.into(),
    ]);
    sheet(
        name,
        &[
            "",
            "天数",
            "有效天数",
            "优",
            "良",
            "轻度污染",
            "中度污染",
            "重度污染",
            "严重污染",
            "优良天数比例(%)",
            "重污染天数比例(%)",
        ],
        rows,
    )
}

fn stations_sheet(rows: &[StationRow]) -> Sheet {
    sheet(
        "站点",
        &[
            "排名",
            "站点",
            "乡镇",
            "参与评价",
            "PM2.5(µg/m³)",
            "PM10(µg/m³)",
            "O3(µg/m³)",
            "NO2(µg/m³)",
            "SO2(µg/m³)",
            "CO(mg/m³)",
            "综合指数",
            "去年同期综合指数",
            "优良天数比例(%)",
            "有效天数",
        ],
        rows.iter()
            .map(|s| {
                vec![
                    s.rank.into(),
                    s.name.as_str().into(),
                    s.township.clone().into(),
                    if s.assessed {
                        "是"
                    } else {
                        "否（对照点）"
                    }
                    .into(),
                    s.pm25.into(),
                    s.pm10.into(),
                    s.o3.into(),
                    s.no2.into(),
                    s.so2.into(),
                    s.co.into(),
                    s.composite.into(),
                    s.composite_previous.into(),
                    s.good_ratio.into(),
                    s.valid_days.into(),
                ]
            })
            .collect(),
    )
}

fn townships_sheet(rows: &[TownshipRow]) -> Sheet {
    sheet(
        "乡镇",
        &[
            "排名",
            "乡镇",
            "站点数",
            "综合指数",
            "去年同期综合指数",
            "PM2.5(µg/m³)",
            "去年同期PM2.5(µg/m³)",
            "优良天数比例(%)",
        ],
        rows.iter()
            .map(|t| {
                vec![
                    t.rank.into(),
                    t.township.as_str().into(),
                    Cell::Int(t.stations as i64),
                    t.composite.into(),
                    t.composite_previous.into(),
                    t.pm25.into(),
                    t.pm25_previous.into(),
                    t.good_ratio.into(),
                ]
            })
            .collect(),
    )
}

fn calendar_sheet(days: &[DayRow]) -> Sheet {
    sheet(
        "每日",
        &["日期", "AQI", "级别", "类别", "首要污染物", "PM2.5(µg/m³)"],
        days.iter()
            .map(|d| {
                vec![
                    d.date.to_string().into(),
                    d.aqi.into(),
                    d.level.map(u32::from).into(),
                    d.category.clone().into(),
                    d.primary.as_str().into(),
                    d.pm25.into(),
                ]
            })
            .collect(),
    )
}

fn months_sheet(rows: &[MonthRow]) -> Sheet {
    sheet(
        "逐月",
        &[
            "月份",
            "PM2.5(µg/m³)",
            "去年同月PM2.5(µg/m³)",
            "优良天数",
            "去年同月优良天数",
            "有效天数",
            "综合指数",
        ],
        rows.iter()
            .map(|r| {
                vec![
                    r.month.into(),
                    r.pm25.into(),
                    r.pm25_previous.into(),
                    r.good_days.into(),
                    r.good_days_previous.into(),
                    r.valid_days.into(),
                    r.composite.into(),
                ]
            })
            .collect(),
    )
}

fn targets_sheet(rows: &[TargetRow]) -> Sheet {
    sheet(
        "目标",
        &["目标", "要求", "年初至今", "按期达标", "余下时间要求"],
        rows.iter()
            .map(|t| {
                vec![
                    t.target.as_str().into(),
                    t.goal.as_str().into(),
                    t.actual.into(),
                    t.on_track
                        .map(|b| if b { "是" } else { "否" }.to_string())
                        .into(),
                    t.remaining.as_str().into(),
                ]
            })
            .collect(),
    )
}

fn management_sheets(m: &Management, out: &mut Vec<Sheet>) {
    if let Some(s) = &m.sources {
        out.push(sheet(
            "污染源",
            &["企业", "乡镇", "示例", "超标报警", "异常报警", "未办结"],
            s.firms
                .iter()
                .map(|f| {
                    vec![
                        f.firm.as_str().into(),
                        f.township.as_str().into(),
                        if f.sample { "示例企业" } else { "" }.into(),
                        f.exceedances.into(),
                        f.anomalies.into(),
                        f.open.into(),
                    ]
                })
                .collect(),
        ));
    }
    if let Some(t) = &m.tickets {
        out.push(sheet(
            "工单",
            &["新开", "办结", "逾期", "期末在办"],
            vec![vec![
                t.opened.into(),
                t.closed.into(),
                t.overdue.into(),
                t.open_at_end.into(),
            ]],
        ));
    }
    if let Some(f) = &m.fires {
        out.push(sheet(
            "火点",
            &["乡镇", "火点", "确认焚烧", "扣分"],
            f.townships
                .iter()
                .map(|(t, n, c, d)| {
                    vec![t.as_str().into(), (*n).into(), (*c).into(), Cell::Num(*d)]
                })
                .collect(),
        ));
    }
    if let Some(l) = &m.ledger {
        out.push(sheet(
            "台账",
            &["方案", "任务", "已完成", "绿灯", "黄灯", "红灯"],
            vec![vec![
                l.plan.as_str().into(),
                l.tasks.into(),
                l.done.into(),
                l.green.into(),
                l.yellow.into(),
                l.red.into(),
            ]],
        ));
    }
    if let Some(a) = &m.alerts {
        out.push(sheet(
            "预警",
            &["编号", "级别", "状态", "开始", "结束", "文号", "无预报依据"],
            a.iter()
                .map(|x| {
                    vec![
                        Cell::Int(x.id),
                        x.level.as_str().into(),
                        x.state.as_str().into(),
                        x.start.clone().into(),
                        x.end.clone().into(),
                        x.document_no.clone().into(),
                        if x.no_basis { "是" } else { "否" }.into(),
                    ]
                })
                .collect(),
        ));
    }
}

/// The report's tables, in the workbook's order.
pub fn sheets(r: &Report) -> Vec<Sheet> {
    let mut out = Vec::new();
    match r {
        Report::Monthly(m) => {
            out.push(area_sheet("全县", &m.area));
            out.push(days_sheet("天数", &m.area));
            out.push(stations_sheet(&m.stations));
            out.push(townships_sheet(&m.townships));
            out.push(calendar_sheet(&m.calendar));
            out.push(months_sheet(&m.months));
            out.push(area_sheet("年初至今", &m.year_to_date));
            out.push(targets_sheet(&m.targets));
            management_sheets(&m.management, &mut out);
        }
        Report::Annual(a) => {
            out.push(area_sheet("全县", &a.area));
            out.push(days_sheet("天数", &a.area));
            out.push(months_sheet(&a.months));
            out.push(stations_sheet(&a.stations));
            out.push(townships_sheet(&a.townships));
            out.push(targets_sheet(&a.targets));
            out.push(calendar_sheet(&a.calendar));
            management_sheets(&a.management, &mut out);
        }
        Report::Daily(d) => {
            out.push(sheet(
                "站点",
                &["站点", "AQI", "类别", "首要污染物", "PM2.5(µg/m³)"],
                d.stations
                    .iter()
                    .map(|(n, row)| match row {
                        Some(x) => vec![
                            n.as_str().into(),
                            x.aqi.into(),
                            x.category.clone().into(),
                            x.primary.as_str().into(),
                            x.pm25.into(),
                        ],
                        None => vec![n.as_str().into()],
                    })
                    .collect(),
            ));
            out.push(sheet(
                "小时",
                &[
                    "时间(小时结束)",
                    "AQI",
                    "类别",
                    "首要污染物",
                    "PM2.5(µg/m³)",
                ],
                d.worst_hours
                    .iter()
                    .map(|h| {
                        vec![
                            h.time.as_str().into(),
                            h.aqi.into(),
                            h.category.clone().into(),
                            h.primary.as_str().into(),
                            h.pm25.into(),
                        ]
                    })
                    .collect(),
            ));
            out.push(area_sheet("年初至今", &d.year_to_date));
            out.push(targets_sheet(&d.targets));
            management_sheets(&d.management, &mut out);
        }
        Report::Episode(e) => {
            out.push(sheet(
                "过程",
                &["时间", "步骤", "级别", "操作人", "说明"],
                e.steps
                    .iter()
                    .map(|s| {
                        vec![
                            s.at.as_str().into(),
                            s.step.as_str().into(),
                            s.level.as_str().into(),
                            s.actor.as_str().into(),
                            s.note.as_str().into(),
                        ]
                    })
                    .collect(),
            ));
            out.push(sheet(
                "预报与实况",
                &[
                    "日期",
                    "预报AQI",
                    "预报首要污染物",
                    "实况AQI",
                    "实况类别",
                    "偏差",
                ],
                e.days
                    .iter()
                    .map(|d| {
                        vec![
                            d.date.to_string().into(),
                            d.forecast_aqi.map_or(Cell::Empty, Cell::Int),
                            d.forecast_primary.clone().into(),
                            d.observed.as_ref().and_then(|o| o.aqi).into(),
                            d.observed.as_ref().and_then(|o| o.category.clone()).into(),
                            d.error.map_or(Cell::Empty, Cell::Int),
                        ]
                    })
                    .collect(),
            ));
            out.push(area_sheet("全县", &e.area));
            if let Some(f) = &e.firms {
                let num = |x: &Option<String>| -> Cell {
                    x.as_deref()
                        .and_then(|v| v.parse::<Decimal>().ok())
                        .map_or(Cell::Empty, Cell::Num)
                };
                out.push(sheet(
                    "企业落实",
                    &[
                        "企业",
                        "统一社会信用代码",
                        "乡镇",
                        "各级措施",
                        "依据",
                        "落实小时",
                        "违规小时",
                        "应停未停",
                        "应限不限",
                        "无数据",
                        "落实率(%)",
                        "应减(%)",
                        "实减(%)",
                        "预警前抬高负荷",
                        "结论",
                    ],
                    f.firms
                        .iter()
                        .map(|r| {
                            vec![
                                r.name.as_str().into(),
                                r.credit_code.as_str().into(),
                                r.township.as_str().into(),
                                r.measures.as_str().into(),
                                r.basis.as_str().into(),
                                Cell::Int(r.complied as i64),
                                Cell::Int(r.violations as i64),
                                Cell::Int(r.not_stopped as i64),
                                Cell::Int(r.not_limited as i64),
                                Cell::Int(r.no_data as i64),
                                num(&r.compliance_rate),
                                Cell::Int(r.required_cut_percent.into()),
                                num(&r.achieved_cut_percent),
                                if r.raised_before { "是" } else { "" }.into(),
                                r.verdict_zh.as_str().into(),
                            ]
                        })
                        .collect(),
                ));
            }
        }
    }
    out
}

/// The workbook's bytes.
pub fn render(r: &Report) -> Result<Vec<u8>, XlsxError> {
    let meta = r.meta();
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(12);
    for s in sheets(r) {
        let ws = book.add_worksheet();
        ws.set_name(&s.name)?;
        let mut head = format!("{} {} · {}", meta.title, meta.period, s.name);
        if let Some(label) = &meta.sample {
            head.push_str(&format!(" · {label}"));
        }
        ws.write_string_with_format(0, 0, head, &title)?;
        for (j, h) in s.headers.iter().enumerate() {
            ws.write_string_with_format(1, j as u16, h, &bold)?;
            ws.set_column_width(j as u16, (h.chars().count() as f64 * 2.0).clamp(8.0, 30.0))?;
        }
        ws.set_freeze_panes(2, 0)?;
        for (i, row) in s.rows.iter().enumerate() {
            let y = i as u32 + 2;
            for (j, c) in row.iter().enumerate() {
                let x = j as u16;
                match c {
                    Cell::Empty => {}
                    Cell::Text(t) => {
                        ws.write_string(y, x, t)?;
                    }
                    Cell::Int(n) => {
                        ws.write_number(y, x, *n as f64)?;
                    }
                    Cell::Num(d) => {
                        let dp = d.scale();
                        let fmt = if dp == 0 {
                            "0".to_string()
                        } else {
                            format!("0.{}", "0".repeat(dp as usize))
                        };
                        let v: f64 = d.to_string().parse().unwrap_or(0.0);
                        ws.write_number_with_format(y, x, v, &Format::new().set_num_format(fmt))?;
                    }
                }
            }
        }
    }
    // The report's own sheet: what it rests on.
    let ws = book.add_worksheet();
    ws.set_name("说明")?;
    let rows: [(&str, String); 9] = [
        ("报告", meta.title.clone()),
        ("时段", format!("{} 至 {}", meta.from, meta.to)),
        ("数据", meta.basis.clone()),
        ("来源", meta.source.clone()),
        (
            "站点",
            format!("{}（参与评价 {}）", meta.stations, meta.assessed),
        ),
        ("审核剔除", meta.reviewed_out.to_string()),
        (
            "数据标注",
            meta.sample.clone().unwrap_or_else(|| "—".into()),
        ),
        ("生成", format!("{} · {}", meta.made_at, meta.version)),
        ("未含", meta.left_out.join("、")),
    ];
    ws.write_string_with_format(0, 0, "项目", &bold)?;
    ws.write_string_with_format(0, 1, "内容", &bold)?;
    ws.set_column_width(1, 60)?;
    for (i, (k, v)) in rows.iter().enumerate() {
        ws.write_string(i as u32 + 1, 0, *k)?;
        ws.write_string(i as u32 + 1, 1, v)?;
    }
    book.save_to_buffer()
}
