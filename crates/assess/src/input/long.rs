//! lantian's long CSV: one value per row,
//!
//! ```text
//! station,time,pollutant,value[,flag]
//! 城关站,2025-01-01 01:00,PM2.5,35
//! 城关站,2025-01-01 01:00,CO,0.8,N
//! ```
//!
//! - `time` is the **end** of the hour in Beijing time (`2025-01-01 01:00` is
//!   the mean of 00:00–01:00), as `YYYY-MM-DD HH:MM[:SS]` or with `T`;
//!   `24:00` is accepted; an explicit offset (`+08:00`, `Z`) is converted.
//! - `pollutant` is SO2, NO2, CO, O3, PM10 or PM2.5 (PM25 and case variants
//!   accepted); values are µg/m³, CO mg/m³ unless `--co-unit ug` says the
//!   file has CO in µg/m³.
//! - `flag` (optional) is an HJ 212 data flag: empty or `N` is valid, any
//!   other flag (F, M, S, D, C, T, B, …) excludes the value, counted by flag.
//! - A header row is required (it tells the format apart).

use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime};
use lantian_standards::pollutant::{Pollutant, Unit};

use super::{FileData, IssueKind, Row, hour_slot};

/// Parses the end-of-hour time of a long row into local time.
pub fn parse_end_time(t: &str) -> Option<NaiveDateTime> {
    let t = t.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        let local = dt.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600)?);
        return Some(local.naive_local());
    }
    let t = t.replace('T', " ");
    // 24:00 = 00:00 of the next day.
    if let Some(date) = t
        .strip_suffix(" 24:00")
        .or_else(|| t.strip_suffix(" 24:00:00"))
    {
        let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
        return d
            .and_hms_opt(0, 0, 0)
            .and_then(|x| x.checked_add_signed(Duration::days(1)));
    }
    NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M"))
        .ok()
}

pub fn read(path: &Path, bytes: &[u8], co_unit: Unit, data: &mut FileData) {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let mut rec = csv::StringRecord::new();
    loop {
        let read = rdr.read_record(&mut rec);
        let line = match data.row(path, read, rec.position()) {
            Row::Record(line) => line,
            Row::Skip => continue,
            Row::End => break,
        };
        if rec.len() < 4 || rec.len() > 5 {
            data.issue(
                path,
                line,
                IssueKind::BadRow,
                format!("{} fields, expected 4 or 5", rec.len()),
            );
            continue;
        }
        let station = rec[0].trim();
        if station.is_empty() {
            data.issue(path, line, IssueKind::BadRow, "empty station");
            continue;
        }
        let Some(end) = parse_end_time(&rec[1]) else {
            data.issue(
                path,
                line,
                IssueKind::BadRow,
                format!("bad time `{}`", &rec[1]),
            );
            continue;
        };
        let Ok(p) = rec[2].parse::<Pollutant>() else {
            data.issue(
                path,
                line,
                IssueKind::UnknownPollutant,
                format!("`{}`", &rec[2]),
            );
            continue;
        };
        let flag = rec.get(4).unwrap_or("").trim();
        if !flag.is_empty() && !flag.eq_ignore_ascii_case("N") {
            data.issue(
                path,
                line,
                IssueKind::Flagged(flag.to_string()),
                format!("{station} {p}"),
            );
            continue;
        }
        let co = |v| {
            if p == Pollutant::Co {
                co_unit.convert(v, Unit::MgPerM3)
            } else {
                v
            }
        };
        data.put_field(path, line, station, hour_slot(end) - 1, p, &rec[3], co);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_times() {
        let t = |s| parse_end_time(s).map(|x| x.to_string());
        assert_eq!(
            t("2025-01-01 01:00").as_deref(),
            Some("2025-01-01 01:00:00")
        );
        assert_eq!(
            t("2025-01-01T24:00").as_deref(),
            Some("2025-01-02 00:00:00")
        );
        assert_eq!(
            t("2025-01-01T01:00:00Z").as_deref(),
            Some("2025-01-01 09:00:00")
        );
        assert_eq!(t("2025-13-01 01:00"), None);
        // The last representable day's 24:00 is no time (and no panic).
        assert_eq!(t("+262142-12-31 24:00"), None);
    }
}
