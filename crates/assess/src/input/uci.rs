//! UCI "Beijing Multi-Site Air-Quality Data" (PRSA_Data_<Station>_….csv):
//! `"No","year","month","day","hour","PM2.5","PM10","SO2","NO2","CO","O3",
//! …,"station"`, missing = `NA`, local Beijing time, **CO in µg/m³**
//! (converted to mg/m³ here, exactly). The `hour` column runs 0–23 and
//! upstream does not say whether it starts or ends the hour: `--uci-hours`
//! decides (default `start`, so a file's calendar days stay whole).

use std::path::Path;

use chrono::NaiveDate;
use lantian_standards::pollutant::{Pollutant, Unit};

use super::{FileData, HourLabel, IssueKind, Row, hour_slot, pollutant_columns};

pub fn read(
    path: &Path,
    bytes: &[u8],
    hours: HourLabel,
    window: Option<(i64, i64)>,
    data: &mut FileData,
) {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = match rdr.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            data.issue(path, 1, IssueKind::BadFile, e.to_string());
            return;
        }
    };
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name.as_bytes()))
    };
    let (Some(cy), Some(cm), Some(cd), Some(ch), Some(cs)) = (
        col("year"),
        col("month"),
        col("day"),
        col("hour"),
        col("station"),
    ) else {
        data.issue(
            path,
            1,
            IssueKind::BadFile,
            "UCI header lacks year, month, day, hour or station",
        );
        return;
    };
    let pollutants = pollutant_columns(col, ["PM2.5", "PM10", "SO2", "NO2", "CO", "O3"]);
    // The wind direction as a compass point (`wd`: N, NNE, …), for the rose.
    let wind_col = col("wd");

    let mut rec = csv::ByteRecord::new();
    let mut station = String::new();
    loop {
        let read = rdr.read_byte_record(&mut rec);
        let line = match data.row(path, read, rec.position()) {
            Row::Record(line) => line,
            Row::Skip => continue,
            Row::End => break,
        };
        let field = |i: usize| {
            rec.get(i)
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or("")
        };
        let num = |i: usize| field(i).trim().parse::<u32>().ok();
        let (Some(y), Some(m), Some(d), Some(h)) = (num(cy), num(cm), num(cd), num(ch)) else {
            data.issue(
                path,
                line,
                IssueKind::BadRow,
                "year, month, day or hour is not a number",
            );
            continue;
        };
        let Some(start) =
            NaiveDate::from_ymd_opt(y as i32, m, d).and_then(|date| date.and_hms_opt(h, 0, 0))
        else {
            data.issue(
                path,
                line,
                IssueKind::BadRow,
                format!("no such time {y}-{m}-{d} {h}:00"),
            );
            continue;
        };
        let slot = match hours {
            HourLabel::Start => hour_slot(start),
            HourLabel::End => hour_slot(start) - 1,
        };
        if window.is_some_and(|(from, to)| slot < from || slot >= to) {
            continue;
        }
        let name = field(cs).trim();
        if name.is_empty() {
            data.issue(path, line, IssueKind::BadRow, "empty station");
            continue;
        }
        if station != name {
            station = name.to_string();
        }
        if let Some(deg) = wind_col.and_then(|c| compass_degrees(field(c).trim())) {
            data.station(&station).wind.insert(slot, deg);
        }
        for &(c, p) in &pollutants {
            let co = |v| {
                if p == Pollutant::Co {
                    Unit::UgPerM3.convert(v, Unit::MgPerM3)
                } else {
                    v
                }
            };
            data.put_field(path, line, &station, slot, p, field(c), co);
        }
    }
}

/// The bearing of a compass point (N = 0°, NNE = 22.5°, …).
pub fn compass_degrees(point: &str) -> Option<lantian_standards::Decimal> {
    let k = crate::rose::POINTS
        .iter()
        .position(|p| p.eq_ignore_ascii_case(point))?;
    Some(lantian_standards::Decimal::new(225, 1) * lantian_standards::Decimal::from(k as u32))
}
