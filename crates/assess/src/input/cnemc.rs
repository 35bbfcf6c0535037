//! CNEMC national real-time release, one hour per file (as archived by
//! HeQinWill/CNEMC): `timepoint,stationcode,…,positionname,…,pm10,pm10_24h,
//! pm2_5,pm2_5_24h,o3,o3_24h,o3_8h,o3_8h_24h,no2,no2_24h,so2,so2_24h,co,
//! co_24h`. `timepoint` is the end of the hour (Beijing time). The archive's
//! O3 columns are swapped: `o3_24h` holds the latest 1-h O3, which is what we
//! read. Stations named "(对照点)" are marked as background sites.

use std::path::Path;

use chrono::NaiveDateTime;

use super::{FileData, IssueKind, Row, hour_slot, pollutant_columns};

pub fn read(path: &Path, bytes: &[u8], data: &mut FileData) {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            data.issue(path, 1, IssueKind::BadFile, e.to_string());
            return;
        }
    };
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
    };
    let (Some(ct), Some(cc), Some(cn)) =
        (col("timepoint"), col("stationcode"), col("positionname"))
    else {
        data.issue(
            path,
            1,
            IssueKind::BadFile,
            "CNEMC header lacks timepoint, stationcode or positionname",
        );
        return;
    };
    let pollutants = pollutant_columns(col, ["pm2_5", "pm10", "so2", "no2", "co", "o3_24h"]);
    let mut rec = csv::StringRecord::new();
    loop {
        let read = rdr.read_record(&mut rec);
        let line = match data.row(path, read, rec.position()) {
            Row::Record(line) => line,
            Row::Skip => continue,
            Row::End => break,
        };
        let t = rec.get(ct).unwrap_or("").trim();
        let Ok(end) = NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S")
            .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S"))
        else {
            data.issue(
                path,
                line,
                IssueKind::BadRow,
                format!("bad timepoint `{t}`"),
            );
            continue;
        };
        let code = rec.get(cc).unwrap_or("").trim();
        let place = rec.get(cn).unwrap_or("").trim();
        let name = format!("{code} {place}");
        data.station(&name).background |= place.contains("对照点");
        let slot = hour_slot(end) - 1;
        for &(c, p) in &pollutants {
            data.put_field(path, line, &name, slot, p, rec.get(c).unwrap_or(""), |v| v);
        }
    }
}
