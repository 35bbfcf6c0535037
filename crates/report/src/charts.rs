//! The reports' charts as SVG, drawn with plotters' SVG backend: the daily
//! AQI calendar, PM2.5 by month against last year, and the pollution rose.
//! Colours are the official AQI colours (HJ 633 Table 2, from
//! `lantian-standards`); every cell and bar also carries its number or a
//! pattern, so a black-and-white print still reads. The text is SVG
//! `<text>` in `family`, which typst renders with the report's font.

use chrono::Datelike;
use lantian_standards::Decimal;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::model::{DayRow, MonthRow, RoseModel};

fn rgb(hex: &str) -> RGBColor {
    let h = hex.trim_start_matches('#');
    let p = |i: usize| u8::from_str_radix(h.get(i..i + 2).unwrap_or("cc"), 16).unwrap_or(0xcc);
    RGBColor(p(0), p(2), p(4))
}

fn f(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(0.0)
}

/// Text colour that reads on an AQI colour (dark on the light levels).
fn text_on(level: Option<u8>) -> RGBColor {
    match level {
        Some(1..=3) | None => BLACK,
        _ => WHITE,
    }
}

type Draw = Result<(), Box<dyn std::error::Error>>;

/// A month's (or a year's) days as a calendar of AQI cells: one row per
/// week (Monday first) for a month; for more than 31 days, one row per
/// month with a column per day.
pub fn calendar(days: &[DayRow], family: &str) -> String {
    let mut out = String::new();
    let r = if days.len() <= 31 {
        month_calendar(&mut out, days, family)
    } else {
        year_calendar(&mut out, days, family)
    };
    if let Err(e) = r {
        return error_svg(&e.to_string());
    }
    out
}

fn month_calendar(out: &mut String, days: &[DayRow], family: &str) -> Draw {
    let (cw, ch, top, left) = (70i32, 44i32, 30i32, 10i32);
    let first = days.first().map(|d| d.date);
    let offset = first.map_or(0, |d| d.weekday().num_days_from_monday() as i32);
    let weeks = (offset + days.len() as i32 + 6) / 7;
    let (w, h) = (left * 2 + cw * 7, top + ch * weeks.max(1) + 10);
    let root = SVGBackend::with_string(out, (w as u32, h as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    let head = (family, 14).into_font().color(&BLACK);
    for (i, name) in ["一", "二", "三", "四", "五", "六", "日"]
        .iter()
        .enumerate()
    {
        root.draw(&Text::new(
            format!("周{name}"),
            (left + cw * i as i32 + cw / 2, 8),
            head.clone().pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    for (k, d) in days.iter().enumerate() {
        let slot = offset + k as i32;
        let (x, y) = (left + cw * (slot % 7), top + ch * (slot / 7));
        let fill = d.colour.as_deref().map_or(RGBColor(0xee, 0xee, 0xee), rgb);
        root.draw(&Rectangle::new(
            [(x + 1, y + 1), (x + cw - 1, y + ch - 1)],
            fill.filled(),
        ))?;
        root.draw(&Rectangle::new(
            [(x + 1, y + 1), (x + cw - 1, y + ch - 1)],
            BLACK.stroke_width(1),
        ))?;
        let ink = text_on(d.level);
        let small = (family, 11).into_font().color(&ink);
        let big = (family, 16).into_font().color(&ink);
        root.draw(&Text::new(
            format!("{}日", d.date.day()),
            (x + 4, y + 4),
            small.pos(Pos::new(HPos::Left, VPos::Top)),
        ))?;
        let aqi = d.aqi.map_or("—".to_string(), |a| a.to_string());
        root.draw(&Text::new(
            aqi,
            (x + cw / 2, y + ch - 6),
            big.pos(Pos::new(HPos::Center, VPos::Bottom)),
        ))?;
    }
    root.present()?;
    Ok(())
}

fn year_calendar(out: &mut String, days: &[DayRow], family: &str) -> Draw {
    let (cw, ch, top, left) = (18i32, 18i32, 22i32, 44i32);
    let (w, h) = (left + cw * 31 + 10, top + ch * 12 + 10);
    let root = SVGBackend::with_string(out, (w as u32, h as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    let label = (family, 11).into_font().color(&BLACK);
    for d in [1, 5, 10, 15, 20, 25, 31] {
        root.draw(&Text::new(
            d.to_string(),
            (left + cw * (d - 1) + cw / 2, 6),
            label.clone().pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    for m in 1..=12 {
        root.draw(&Text::new(
            format!("{m}月"),
            (left - 6, top + ch * (m - 1) + ch / 2),
            label.clone().pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    for d in days {
        let (x, y) = (
            left + cw * (d.date.day() as i32 - 1),
            top + ch * (d.date.month() as i32 - 1),
        );
        let fill = d.colour.as_deref().map_or(RGBColor(0xee, 0xee, 0xee), rgb);
        root.draw(&Rectangle::new(
            [(x + 1, y + 1), (x + cw - 1, y + ch - 1)],
            fill.filled(),
        ))?;
        // The level number, for a black-and-white print.
        if let Some(l) = d.level {
            root.draw(&Text::new(
                l.to_string(),
                (x + cw / 2, y + ch / 2),
                (family, 10)
                    .into_font()
                    .color(&text_on(d.level))
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            ))?;
        }
    }
    root.present()?;
    Ok(())
}

/// PM2.5 by month: this year's bars (dark) beside last year's (light,
/// outlined), with their values.
pub fn months(rows: &[MonthRow], year: i32, family: &str) -> String {
    let mut out = String::new();
    if let Err(e) = draw_months(&mut out, rows, year, family) {
        return error_svg(&e.to_string());
    }
    out
}

fn draw_months(out: &mut String, rows: &[MonthRow], year: i32, family: &str) -> Draw {
    let top = rows
        .iter()
        .flat_map(|r| [r.pm25, r.pm25_previous])
        .flatten()
        .map(f)
        .fold(10.0f64, f64::max)
        * 1.15;
    let root = SVGBackend::with_string(out, (640, 300)).into_drawing_area();
    root.fill(&WHITE)?;
    let n = rows.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .caption(
            format!("PM2.5 月均浓度（µg/m³）：{year}年 与 {}年", year - 1),
            (family, 15),
        )
        .x_label_area_size(28)
        .y_label_area_size(44)
        .build_cartesian_2d(0.5f64..n + 0.5, 0f64..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(rows.len().max(1))
        .x_label_formatter(&|x| format!("{}月", x.round() as i64))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .label_style((family, 12))
        .draw()?;
    let light = RGBColor(0xbb, 0xbb, 0xbb);
    let dark = RGBColor(0x33, 0x55, 0x88);
    for (i, r) in rows.iter().enumerate() {
        let x = i as f64 + 1.0;
        if let Some(v) = r.pm25_previous.map(f) {
            chart.draw_series([Rectangle::new(
                [(x - 0.38, 0.0), (x - 0.02, v)],
                light.filled(),
            )])?;
            chart.draw_series([Rectangle::new(
                [(x - 0.38, 0.0), (x - 0.02, v)],
                BLACK.stroke_width(1),
            )])?;
        }
        if let Some(v) = r.pm25.map(f) {
            chart.draw_series([Rectangle::new(
                [(x + 0.02, 0.0), (x + 0.38, v)],
                dark.filled(),
            )])?;
            chart.draw_series([Text::new(
                format!("{v:.0}"),
                (x + 0.2, v),
                (family, 10)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Center, VPos::Bottom)),
            )])?;
        }
    }
    // The legend, drawn by hand so it reads in black and white.
    let legend = (family, 12).into_font();
    root.draw(&Rectangle::new([(470, 40), (484, 52)], light.filled()))?;
    root.draw(&Rectangle::new(
        [(470, 40), (484, 52)],
        BLACK.stroke_width(1),
    ))?;
    root.draw(&Text::new(
        format!("{}年", year - 1),
        (490, 40),
        legend.clone(),
    ))?;
    root.draw(&Rectangle::new([(540, 40), (554, 52)], dark.filled()))?;
    root.draw(&Text::new(format!("{year}年"), (560, 40), legend))?;
    root.present()?;
    Ok(())
}

/// The pollution rose: one wedge per compass point, its length the hours
/// the wind blew from there, its colour the AQI level of their PM2.5 mean.
pub fn rose(r: &RoseModel, family: &str) -> String {
    let mut out = String::new();
    if let Err(e) = draw_rose(&mut out, r, family) {
        return error_svg(&e.to_string());
    }
    out
}

fn draw_rose(out: &mut String, r: &RoseModel, family: &str) -> Draw {
    let (w, h) = (420i32, 420i32);
    let (cx, cy, radius) = (w / 2, h / 2 + 8, 160f64);
    let root = SVGBackend::with_string(out, (w as u32, h as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    let most = r.bins.iter().map(|b| b.1).max().unwrap_or(1).max(1) as f64;
    let n = r.bins.len().max(1) as f64;
    let step = std::f64::consts::TAU / n;
    let at = |a: f64, len: f64| {
        (
            cx + (a.sin() * len).round() as i32,
            cy - (a.cos() * len).round() as i32,
        )
    };
    for ring in [0.25, 0.5, 0.75, 1.0] {
        let pts: Vec<(i32, i32)> = (0..=64)
            .map(|k| at(k as f64 * std::f64::consts::TAU / 64.0, radius * ring))
            .collect();
        root.draw(&PathElement::new(
            pts,
            RGBColor(0xaa, 0xaa, 0xaa).stroke_width(1),
        ))?;
    }
    let label = (family, 12).into_font().color(&BLACK);
    for (k, (dir, hours, _, colour)) in r.bins.iter().enumerate() {
        let mid = k as f64 * step;
        let len = radius * (*hours as f64 / most);
        let fill = colour.as_deref().map_or(RGBColor(0xdd, 0xdd, 0xdd), rgb);
        let mut pts = vec![(cx, cy)];
        for j in 0..=8 {
            pts.push(at(mid - step * 0.45 + step * 0.9 * j as f64 / 8.0, len));
        }
        root.draw(&Polygon::new(pts.clone(), fill.filled()))?;
        pts.push((cx, cy));
        root.draw(&PathElement::new(pts, BLACK.stroke_width(1)))?;
        if matches!(
            dir.as_str(),
            "N" | "E" | "S" | "W" | "NE" | "SE" | "SW" | "NW"
        ) {
            let zh = match dir.as_str() {
                "N" => "北",
                "E" => "东",
                "S" => "南",
                "W" => "西",
                "NE" => "东北",
                "SE" => "东南",
                "SW" => "西南",
                _ => "西北",
            };
            root.draw(&Text::new(
                zh,
                at(mid, radius + 16.0),
                label.clone().pos(Pos::new(HPos::Center, VPos::Center)),
            ))?;
        }
    }
    root.draw(&Text::new(
        format!(
            "{}：{} 小时（扇区长度为风向小时数，颜色为该风向 PM2.5 均值的级别）",
            r.station, r.hours
        ),
        (8, 6),
        (family, 11).into_font().color(&BLACK),
    ))?;
    root.present()?;
    Ok(())
}

fn error_svg(msg: &str) -> String {
    let esc = msg.replace('&', "&amp;").replace('<', "&lt;");
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"400\" height=\"40\"><text x=\"4\" y=\"24\">chart: {esc}</text></svg>"
    )
}
