//! UCI "Beijing Multi-Site Air-Quality Data" (PRSA_Data_<Station>_….csv):
//! `"No","year","month","day","hour","PM2.5","PM10","SO2","NO2","CO","O3",
//! …,"station"`, missing = `NA`, local Beijing time, **CO in µg/m³**
//! (converted to mg/m³ here, exactly). The `hour` column runs 0–23 and
//! upstream does not say whether it starts or ends the hour: `--uci-hours`
//! decides (default `start`, so a file's calendar days stay whole).

use std::path::Path;

use chrono::NaiveDate;
use lantian_standards::pollutant::{Pollutant, Unit};

use super::{FileData, HourLabel, IssueKind, hour_slot, parse_value};

pub fn read(path: &Path, bytes: &[u8], hours: HourLabel, data: &mut FileData) {
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
    let pollutants: Vec<(usize, Pollutant)> = [
        ("PM2.5", Pollutant::Pm25),
        ("PM10", Pollutant::Pm10),
        ("SO2", Pollutant::So2),
        ("NO2", Pollutant::No2),
        ("CO", Pollutant::Co),
        ("O3", Pollutant::O3),
    ]
    .iter()
    .filter_map(|(n, p)| col(n).map(|c| (c, *p)))
    .collect();

    let mut rec = csv::ByteRecord::new();
    let mut station = String::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                data.issue(path, line, IssueKind::BadRow, e.to_string());
                continue;
            }
        }
        data.rows += 1;
        let line = rec.position().map_or(0, |p| p.line());
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
        let name = field(cs).trim();
        if name.is_empty() {
            data.issue(path, line, IssueKind::BadRow, "empty station");
            continue;
        }
        if station != name {
            station = name.to_string();
        }
        for &(c, p) in &pollutants {
            let raw = field(c);
            match parse_value(raw) {
                Ok(None) => {}
                Ok(Some(v)) => {
                    let v = if p == Pollutant::Co {
                        Unit::UgPerM3.convert(v, Unit::MgPerM3)
                    } else {
                        v
                    };
                    data.put(path, line, &station, slot, p, v);
                }
                Err(()) => data.issue(path, line, IssueKind::BadValue, format!("{p}=`{raw}`")),
            }
        }
    }
}
