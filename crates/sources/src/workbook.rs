//! Register workbooks as bytes: an xlsx (or xls/ods) read with calamine,
//! a CSV per sheet, and the xlsx the export writes (rust_xlsxwriter). No
//! file system: the caller reads and writes the bytes.

use std::io::Cursor;

use calamine::{Data, Reader};

use crate::register::{SHEETS, Table};

/// Largest workbook read (bytes): a county's register is far smaller.
pub const MAX_BYTES: usize = 32 << 20;
/// Most rows read from one sheet.
pub const MAX_ROWS: usize = 200_000;

/// A cell as text: numbers without a spurious `.0`, dates as YYYY-MM-DD
/// (with the time when it has one), booleans as 是/否.
fn cell(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                // The shortest text that reads back as the same float.
                format!("{f}")
            }
        }
        Data::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Data::DateTime(t) => {
            let v = t.as_f64();
            let days = v.floor() as i64;
            let secs = ((v - v.floor()) * 86_400.0).round() as i64;
            let base =
                chrono::NaiveDate::from_ymd_opt(1899, 12, 30).and_then(|d| d.and_hms_opt(0, 0, 0));
            match base.map(|b| b + chrono::Duration::days(days) + chrono::Duration::seconds(secs)) {
                Some(x) if secs == 0 => x.format("%Y-%m-%d").to_string(),
                Some(x) => x.format("%Y-%m-%d %H:%M").to_string(),
                None => v.to_string(),
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// Reads every sheet of a workbook; the error says why it is not one.
pub fn read_xlsx(bytes: &[u8]) -> Result<Vec<Table>, String> {
    if bytes.len() > MAX_BYTES {
        return Err(format!(
            "{} bytes: a register workbook is at most {} MiB",
            bytes.len(),
            MAX_BYTES >> 20
        ));
    }
    let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| format!("not a readable xlsx, xls or ods workbook: {e}"))?;
    let mut out = Vec::new();
    for name in wb.sheet_names().to_owned() {
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| format!("sheet {name}: {e}"))?;
        // Row numbers as the spreadsheet shows them (the range may start
        // below row 1).
        let (top, left) = range.start().unwrap_or((0, 0));
        let mut rows = range.rows();
        let Some(header) = rows.next() else {
            out.push(Table {
                sheet: name,
                ..Table::default()
            });
            continue;
        };
        let pad = usize::try_from(left).unwrap_or(0);
        let lead = |r: &[Data]| -> Vec<String> {
            std::iter::repeat_n(String::new(), pad)
                .chain(r.iter().map(cell))
                .collect()
        };
        let mut t = Table {
            sheet: name.clone(),
            header: lead(header),
            rows: Vec::new(),
        };
        for (i, r) in rows.enumerate() {
            if t.rows.len() >= MAX_ROWS {
                return Err(format!("sheet {name}: more than {MAX_ROWS} rows"));
            }
            let cells = lead(r);
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            t.rows.push((top + 2 + i as u32, cells));
        }
        out.push(t);
    }
    Ok(out)
}

/// Reads one CSV as the sheet `sheet` (UTF-8, a BOM allowed; GB18030 is
/// refused with a hint).
pub fn read_csv(sheet: &str, bytes: &[u8]) -> Result<Table, String> {
    if bytes.len() > MAX_BYTES {
        return Err(format!(
            "{} bytes: at most {} MiB",
            bytes.len(),
            MAX_BYTES >> 20
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 (at byte {}): save the CSV as UTF-8 (Excel: CSV UTF-8), not GBK",
            e.valid_up_to()
        )
    })?;
    let text = text.trim_start_matches('\u{feff}');
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut t = Table {
        sheet: sheet.to_string(),
        ..Table::default()
    };
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| format!("{sheet}: line {}: {e}", i + 1))?;
        // The line as an editor shows it: counted from the byte offset, as
        // the csv reader's own line count skips blank lines.
        let line = rec.position().map_or(i as u32 + 1, |p| {
            let mut at = usize::try_from(p.byte())
                .unwrap_or(usize::MAX)
                .min(text.len());
            // The reader's position is where it started, before the blank
            // lines it skipped.
            while at < text.len() && matches!(text.as_bytes()[at], b'\n' | b'\r') {
                at += 1;
            }
            let n = memchr::memchr_iter(b'\n', &text.as_bytes()[..at]).count() + 1;
            u32::try_from(n).unwrap_or(u32::MAX)
        });
        let cells: Vec<String> = rec.iter().map(str::to_string).collect();
        if i == 0 {
            t.header = cells;
            continue;
        }
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if t.rows.len() >= MAX_ROWS {
            return Err(format!("{sheet}: more than {MAX_ROWS} rows"));
        }
        t.rows.push((line, cells));
    }
    Ok(t)
}

/// Writes tables as an xlsx workbook (one sheet each, the header bold and
/// frozen). Text cells are written as text, never as formulas.
pub fn write_xlsx(tables: &[Table]) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let err = |e: rust_xlsxwriter::XlsxError| e.to_string();
    for t in tables {
        let ws = wb.add_worksheet();
        ws.set_name(&t.sheet).map_err(err)?;
        for (c, h) in t.header.iter().enumerate() {
            let c = u16::try_from(c).map_err(|_| "too many columns".to_string())?;
            ws.write_string_with_format(0, c, h, &bold).map_err(err)?;
            ws.set_column_width(c, (h.chars().count() as f64 * 2.2).max(12.0))
                .map_err(err)?;
        }
        ws.set_freeze_panes(1, 0).map_err(err)?;
        for (r, (_, cells)) in t.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).map_err(|_| "too many rows".to_string())?;
            for (c, v) in cells.iter().enumerate() {
                let c = u16::try_from(c).map_err(|_| "too many columns".to_string())?;
                if !v.is_empty() {
                    ws.write_string(r, c, v).map_err(err)?;
                }
            }
        }
    }
    wb.save_to_buffer().map_err(err)
}

/// An empty register workbook: every sheet with its header (a template).
pub fn template() -> Vec<Table> {
    SHEETS
        .iter()
        .map(|(_, zh, cols)| Table {
            sheet: zh.to_string(),
            header: cols.iter().map(|(_, h, _)| h.to_string()).collect(),
            rows: Vec::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_xlsx_reads_back_what_was_written() {
        let t = vec![Table {
            sheet: "排口".into(),
            header: vec!["统一社会信用代码".into(), "排口编号".into(), "名称".into()],
            rows: vec![
                (2, vec!["X".into(), "DA001".into(), "=1+1".into()]),
                (3, vec!["Y".into(), "".into(), "窑炉".into()]),
            ],
        }];
        let bytes = write_xlsx(&t).unwrap();
        let back = read_xlsx(&bytes).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].sheet, "排口");
        assert_eq!(back[0].header, t[0].header);
        assert_eq!(
            back[0].rows[0],
            (2, vec!["X".to_string(), "DA001".into(), "=1+1".into()]),
            "a formula-like text stays text"
        );
        assert_eq!(back[0].rows[1].0, 3);
        assert!(
            read_xlsx(b"not a workbook")
                .unwrap_err()
                .starts_with("not a readable")
        );
        let csv = read_csv("outlets", "\u{feff}a,b\n1,2\n\n3,4\n".as_bytes()).unwrap();
        assert_eq!(
            csv.rows,
            vec![
                (2, vec!["1".into(), "2".into()]),
                (4, vec!["3".into(), "4".into()])
            ]
        );
        assert!(
            read_csv("outlets", &[0xc4, 0xe3, 0x2c])
                .unwrap_err()
                .contains("not UTF-8")
        );
    }
}
