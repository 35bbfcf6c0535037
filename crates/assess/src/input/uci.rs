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
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(std::io::Cursor::new(bytes));
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

    // Rows before the period are passed over without the CSV reader (they
    // are counted as read, so the figures and the `input` block are those
    // of reading everything).
    if let Some((from, _)) = window {
        let at = rdr.position().clone();
        let (byte, line, skipped) = rows_before(bytes, &at, [cy, cm, cd, ch], hours, from);
        if skipped > 0 {
            let mut to = csv::Position::new();
            to.set_byte(byte)
                .set_line(line)
                .set_record(at.record() + skipped);
            if rdr.seek(to).is_ok() {
                data.rows += skipped;
            } else {
                let _ = rdr.seek(at);
            }
        }
    }

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
        let Some(slot) = slot_of(y, m, d, h, hours) else {
            data.issue(
                path,
                line,
                IssueKind::BadRow,
                format!("no such time {y}-{m}-{d} {h}:00"),
            );
            continue;
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

/// The rows from `at` on whose hour starts before `from`, read line by
/// line without the CSV reader: the byte and line where the first other row
/// begins, and how many were passed over. It stops, to leave the CSV reader
/// the rest, at the first line it cannot read plainly (quotes in the time
/// fields or an odd number of them, an empty line, a field that is not a
/// number): every row it passes over is surely outside the period.
fn rows_before(
    bytes: &[u8],
    at: &csv::Position,
    cols: [usize; 4],
    hours: HourLabel,
    from: i64,
) -> (u64, u64, u64) {
    let (mut byte, mut line, mut skipped) = (at.byte(), at.line(), 0u64);
    // After a header ending in CRLF the reader stands on its `\n`.
    if usize::try_from(byte)
        .ok()
        .and_then(|b| bytes.get(b))
        .is_some_and(|c| *c == b'\n')
    {
        byte += 1;
        line += 1;
    }
    let need = cols.iter().max().copied().unwrap_or(0) + 1;
    let mut fields: Vec<&[u8]> = Vec::with_capacity(need);
    while let Some(rest) = usize::try_from(byte).ok().and_then(|b| bytes.get(b..)) {
        let Some(nl) = memchr::memchr(b'\n', rest) else {
            break;
        };
        let text = &rest[..nl];
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.is_empty() || !ends_its_record(text) {
            break;
        }
        fields.clear();
        fields.extend(text.splitn(need + 1, |b| *b == b',').take(need));
        if fields.iter().any(|f| f.contains(&b'"')) {
            break;
        }
        let num = |i: usize| -> Option<u32> {
            let f = fields.get(cols[i])?;
            if f.is_empty() || f.len() > 4 || !f.iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(f).ok()?.parse().ok()
        };
        let (Some(y), Some(m), Some(d), Some(h)) = (num(0), num(1), num(2), num(3)) else {
            break;
        };
        let Some(slot) = slot_of(y, m, d, h, hours) else {
            break;
        };
        if slot >= from {
            break;
        }
        skipped += 1;
        byte += nl as u64 + 1;
        line += 1;
    }
    (byte, line, skipped)
}

/// The hour slot of a row's year, month, day and hour (`None`: no such
/// time), the hour read as its start or its end.
fn slot_of(y: u32, m: u32, d: u32, h: u32, hours: HourLabel) -> Option<i64> {
    let start = NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)?.and_hms_opt(h, 0, 0)?;
    Some(match hours {
        HourLabel::Start => hour_slot(start),
        HourLabel::End => hour_slot(start) - 1,
    })
}

/// Whether a CSV reader ends the record at the end of this line: no quoted
/// field (one that starts with `"`) is left open. A quote inside an
/// unquoted field, or after a quoted one closed, is a literal.
fn ends_its_record(text: &[u8]) -> bool {
    let mut i = 0;
    loop {
        if text.get(i) == Some(&b'"') {
            // A quoted field: to its closing quote (`""` is a quote in it).
            i += 1;
            loop {
                let Some(j) = memchr::memchr(b'"', &text[i.min(text.len())..]) else {
                    return false;
                };
                let q = i + j;
                if text.get(q + 1) == Some(&b'"') {
                    i = q + 2;
                } else {
                    i = q + 1;
                    break;
                }
            }
        }
        match memchr::memchr(b',', &text[i.min(text.len())..]) {
            Some(k) => i += k + 1,
            None => return true,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Passing over the rows before the period gives what the CSV reader
    /// gives reading every row: the same values, rows read, issues and
    /// their lines.
    #[test]
    fn rows_before_the_period_are_passed_over_exactly() {
        let head = "\"No\",\"year\",\"month\",\"day\",\"hour\",\"PM2.5\",\"PM10\",\"SO2\",\"NO2\",\"CO\",\"O3\",\"wd\",\"station\"\n";
        let mut rows = String::new();
        let mut n = 0;
        for (y, m, d) in [(2014, 12, 30), (2014, 12, 31), (2015, 1, 1), (2015, 1, 2)] {
            for h in 0..24 {
                n += 1;
                rows.push_str(&format!(
                    "{n},{y},{m},{d},{h},{},{},4,7,{},77,\"NNW\",\"Aotizhongxin\"\n",
                    10 + h,
                    20 + h,
                    300 + h * 100
                ));
            }
        }
        rows.push_str("97,2015,1,2,x,1,1,1,1,1,1,\"N\",\"Aotizhongxin\"\n");
        rows.push_str("98,2015,1,3,0,NA,5,1,1,1,1,\"N\",\"Aotizhongxin\"\r\n");
        let from = hour_slot(
            NaiveDate::from_ymd_opt(2015, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        );
        let window = Some((from, from + 72));
        let read_text = |text: &str| {
            let mut d = FileData::default();
            read(
                Path::new("f.csv"),
                text.as_bytes(),
                HourLabel::Start,
                window,
                &mut d,
            );
            d
        };
        let fast = read_text(&format!("{head}{rows}"));
        // The first row's year quoted: nothing is passed over, the CSV
        // reader reads it all.
        let slow = read_text(&format!(
            "{head}{}",
            rows.replacen(",2014,", ",\"2014\",", 1)
        ));
        let text = format!("{head}{rows}");
        let mut at = csv::Position::new();
        at.set_byte(head.len() as u64).set_line(2).set_record(1);
        let (byte, line, skipped) =
            rows_before(text.as_bytes(), &at, [1, 2, 3, 4], HourLabel::Start, from);
        assert_eq!(
            (skipped, line),
            (48, 50),
            "two days before the period passed over"
        );
        assert!(text[byte as usize..].starts_with("49,2015,1,1,0,"));
        let crlf_text = text.replace('\n', "\r\n");
        let mut at = csv::Position::new();
        // Where the reader stands after a CRLF header: on its `\n`.
        at.set_byte(head.len() as u64).set_line(1).set_record(1);
        let (byte, line, skipped) = rows_before(
            crlf_text.as_bytes(),
            &at,
            [1, 2, 3, 4],
            HourLabel::Start,
            from,
        );
        assert_eq!((skipped, line), (48, 50), "CRLF lines passed over too");
        assert!(crlf_text[byte as usize..].starts_with("49,2015,1,1,0,"));
        for (line, ends) in [
            (&b"1,2014,\"NNW\",\"A\""[..], true),
            (b"1,2014,\"N,W\",x", true),
            (b"1,2014,\"say \"\"hi\"\"\",x", true),
            (b"1,x\"y,\"z", false),
            (b"1,x\"y,z", true),
            (b"1,\"open", false),
        ] {
            assert_eq!(
                ends_its_record(line),
                ends,
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        assert_eq!(fast.rows, 98);
        assert_eq!(fast.rows, slow.rows);
        assert_eq!(
            format!("{:?}", fast.stations),
            format!("{:?}", slow.stations)
        );
        assert_eq!(format!("{:?}", fast.issues), format!("{:?}", slow.issues));
        assert_eq!(fast.issues.len(), 1, "{:?}", fast.issues);
        assert_eq!(fast.issues[0].line, 98, "the bad row's own line");
        let s = &fast.stations["Aotizhongxin"];
        assert_eq!(s.wind.len(), 49, "2015-01-01, 01-02 and 01-03 00:00");
        assert!(s.wind.keys().all(|k| *k >= from));
        // The same with every line ending in CRLF.
        let crlf = read_text(&format!("{head}{rows}").replace('\n', "\r\n"));
        assert_eq!(
            format!("{:?}", crlf.stations),
            format!("{:?}", fast.stations)
        );
        assert_eq!(crlf.rows, fast.rows);
    }
}
