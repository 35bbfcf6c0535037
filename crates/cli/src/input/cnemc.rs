//! CNEMC national real-time release, one hour per file (as archived by
//! HeQinWill/CNEMC): `timepoint,stationcode,…,positionname,…,pm10,pm10_24h,
//! pm2_5,pm2_5_24h,o3,o3_24h,o3_8h,o3_8h_24h,no2,no2_24h,so2,so2_24h,co,
//! co_24h`. `timepoint` is the end of the hour (Beijing time). The archive's
//! O3 columns are swapped: `o3_24h` holds the latest 1-h O3, which is what we
//! read. Stations named "(对照点)" are marked as background sites.

use std::path::Path;

use chrono::NaiveDateTime;
use lantian_standards::pollutant::Pollutant;

use super::{FileData, IssueKind, hour_slot, parse_value};

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
    let pollutants: Vec<(usize, Pollutant)> = [
        ("pm2_5", Pollutant::Pm25),
        ("pm10", Pollutant::Pm10),
        ("so2", Pollutant::So2),
        ("no2", Pollutant::No2),
        ("co", Pollutant::Co),
        ("o3_24h", Pollutant::O3),
    ]
    .iter()
    .filter_map(|(n, p)| col(n).map(|c| (c, *p)))
    .collect();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                data.issue(path, line, IssueKind::BadRow, e.to_string());
                continue;
            }
        };
        data.rows += 1;
        let line = rec.position().map_or(0, |p| p.line());
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
            let raw = rec.get(c).unwrap_or("");
            match parse_value(raw) {
                Ok(None) => {}
                Ok(Some(v)) => data.put(path, line, &name, slot, p, v),
                Err(()) => data.issue(path, line, IssueKind::BadValue, format!("{p}=`{raw}`")),
            }
        }
    }
}
