//! Tables out: the view structs that the API answers as JSON also name
//! their columns and cells ([`Table`]), and become CSV or Excel here.
//! Cells that a spreadsheet would run as formulas are defused; the file
//! name is sent per RFC 6266.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use lantian_standards::Decimal;

use super::error::ApiError;

/// The formats of a table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Json,
    Csv,
    Xlsx,
}

/// One cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Decimal(Decimal),
    Float(f64),
    Bool(bool),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }
}

impl From<Option<String>> for Cell {
    fn from(v: Option<String>) -> Self {
        v.map_or(Cell::Empty, Cell::Text)
    }
}
impl From<Option<&str>> for Cell {
    fn from(v: Option<&str>) -> Self {
        v.map_or(Cell::Empty, |s| Cell::Text(s.to_string()))
    }
}
impl From<Option<Decimal>> for Cell {
    fn from(v: Option<Decimal>) -> Self {
        v.map_or(Cell::Empty, Cell::Decimal)
    }
}
impl From<Option<u16>> for Cell {
    fn from(v: Option<u16>) -> Self {
        v.map_or(Cell::Empty, |x| Cell::Int(x.into()))
    }
}
impl From<Option<usize>> for Cell {
    fn from(v: Option<usize>) -> Self {
        v.map_or(Cell::Empty, |x| Cell::Int(x as i64))
    }
}
impl From<i64> for Cell {
    fn from(v: i64) -> Self {
        Cell::Int(v)
    }
}
impl From<bool> for Cell {
    fn from(v: bool) -> Self {
        Cell::Bool(v)
    }
}

/// A row type that can be a table.
pub trait Table {
    fn columns() -> Vec<&'static str>;
    fn cells(&self) -> Vec<Cell>;
}

/// `rows` as a CSV or Excel file named `name` (`json` is not a table).
pub fn table<T: Table>(format: Format, name: &str, rows: &[T]) -> Result<Response, ApiError> {
    let columns = T::columns();
    let (body, mime, ext) = match format {
        Format::Json | Format::Csv => (csv(&columns, rows)?, "text/csv; charset=utf-8", "csv"),
        Format::Xlsx => (
            xlsx(&columns, rows)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                content_disposition(&format!("{name}.{ext}")),
            ),
        ],
        body,
    )
        .into_response())
}

fn csv<T: Table>(columns: &[&str], rows: &[T]) -> Result<Vec<u8>, ApiError> {
    let fault = |_| ApiError::Internal("CSV writer");
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(columns).map_err(fault)?;
    for r in rows {
        w.write_record(r.cells().into_iter().map(|c| match c {
            Cell::Empty => String::new(),
            Cell::Text(s) => csv_text(s),
            Cell::Int(x) => x.to_string(),
            Cell::Decimal(d) => d.to_string(),
            Cell::Float(f) => f.to_string(),
            Cell::Bool(b) => b.to_string(),
        }))
        .map_err(fault)?;
    }
    w.into_inner().map_err(|_| ApiError::Internal("CSV writer"))
}

fn xlsx<T: Table>(columns: &[&str], rows: &[T]) -> Result<Vec<u8>, ApiError> {
    let xl = |_| ApiError::Internal("xlsx writer");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (j, c) in columns.iter().enumerate() {
        sheet
            .write_string_with_format(0, j as u16, *c, &bold)
            .map_err(xl)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(xl)?;
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        for (j, c) in r.cells().into_iter().enumerate() {
            let col = j as u16;
            match c {
                Cell::Empty => {}
                Cell::Text(s) => {
                    sheet.write_string(row, col, s).map_err(xl)?;
                }
                Cell::Int(x) => {
                    sheet.write_number(row, col, x as f64).map_err(xl)?;
                }
                // Excel holds doubles; the published value (≤ 3 decimals) fits exactly enough to show.
                Cell::Decimal(d) => {
                    sheet
                        .write_number(row, col, d.to_string().parse::<f64>().unwrap_or(0.0))
                        .map_err(xl)?;
                }
                Cell::Float(f) => {
                    sheet.write_number(row, col, f).map_err(xl)?;
                }
                Cell::Bool(b) => {
                    sheet.write_boolean(row, col, b).map_err(xl)?;
                }
            }
        }
    }
    book.save_to_buffer().map_err(xl)
}

/// A text cell of a CSV export: one that a spreadsheet would run as a
/// formula (it begins with `=`, `+`, `-`, `@`, a tab or a carriage return)
/// is prefixed with `'` (OWASP, CSV injection). Numbers are written as
/// numbers and never pass here.
pub fn csv_text(s: String) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s
    }
}

/// `Content-Disposition: attachment` for a file name, RFC 6266: an ASCII
/// fallback in `filename` (anything else becomes `_`) and the exact name,
/// percent-encoded UTF-8, in `filename*` (RFC 8187).
pub fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// A file as a download: its type and its name (RFC 6266).
pub fn download(content_type: &str, name: &str, body: Vec<u8>) -> Response {
    use axum::response::IntoResponse;
    (
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_string()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                content_disposition(name),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_are_safe_to_open_and_to_name() {
        assert_eq!(csv_text("=HYPERLINK(\"x\")".into()), "'=HYPERLINK(\"x\")");
        for s in ["+1", "-1+1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_text(s.into()).starts_with('\''), "{s}");
        }
        assert_eq!(csv_text("东四".into()), "东四");
        assert_eq!(
            content_disposition("东四-hourly.csv"),
            "attachment; filename=\"__-hourly.csv\"; filename*=UTF-8''%E4%B8%9C%E5%9B%9B-hourly.csv"
        );
        let h = content_disposition("a\"b\r\nc.csv");
        assert!(axum::http::HeaderValue::from_str(&h).is_ok(), "{h}");
        assert!(h.starts_with("attachment; filename=\"a_b__c.csv\""), "{h}");
    }
}
