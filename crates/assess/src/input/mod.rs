//! Readers of hourly station data (files at the edge; the engine sees only
//! dense hourly grids). Formats: UCI PRSA (Beijing multi-site), CNEMC
//! real-time release hours, and lantian's long CSV. A row that cannot be read
//! becomes an [`Issue`] naming file, line and reason; the rest goes on.
//!
//! - `grid`: the per-station hourly grid being filled, and the [`Dataset`].
//! - `files`: files and folders, format detection, parallel reading
//!   (`uci`, `cnemc`, `long` are the formats).
//! - `store`: what `lantian serve` stored ([`StoreReader`]), and the one
//!   table of HJ 212 ambient codes ([`AMBIENT_CODES`]).

mod cnemc;
mod files;
mod grid;
mod long;
mod store;
mod uci;

pub use files::{files_of, read};
pub use grid::{Dataset, FileData, Row, Station, StationGrid, hour_slot, pollutant_columns};
pub use long::parse_end_time;
pub use store::{
    AMBIENT_CODES, REALTIME_MINUTES_PER_HOUR, SiteOf, StoreReader, ValueRow, WIND_DIRECTION_CODE,
    pollutant_of_code, unit_of,
};

use std::fmt;
use std::path::PathBuf;

use lantian_standards::Decimal;
use lantian_standards::pollutant::Unit;

/// The input formats `lantian assess --format` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Format {
    /// Decide per file from its header.
    Auto,
    /// UCI "Beijing Multi-Site Air-Quality Data" (PRSA_Data_*.csv).
    UciPrsa,
    /// CNEMC national real-time release (one hour per file).
    Cnemc,
    /// station,time,pollutant,value[,flag] (see README).
    Long,
}

/// How an hour is labelled in a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum HourLabel {
    /// `H` is the hour H:00–H+1:00.
    Start,
    /// `H` is the hour (H−1):00–H:00 (the national convention).
    End,
}

/// Reading options.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    pub format: Format,
    /// Hour label of UCI files (their `hour` runs 0–23; upstream does not say).
    pub uci_hours: HourLabel,
    /// Unit of CO in long files (explicit; never guessed).
    pub long_co_unit: Unit,
    pub progress: bool,
    /// Only the hours of these local slots `[from, to)` are kept (UCI
    /// files: rows outside are skipped before their values are parsed);
    /// `None`: every hour. `assess` of one period sets it with a margin.
    pub window: Option<(i64, i64)>,
}

/// Why a row or value was not used.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IssueKind {
    /// The row could not be parsed (wrong field count, bad time…).
    BadRow,
    /// A value that is not a number (and not a known missing marker).
    BadValue,
    /// A negative concentration.
    Negative,
    /// A value carrying a data flag other than N (valid).
    Flagged(String),
    /// A pollutant that is not one of the six.
    UnknownPollutant,
    /// A second value for the same station, hour and pollutant (first kept).
    Duplicate,
    /// A whole file that could not be read or recognised.
    BadFile,
}

impl fmt::Display for IssueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IssueKind::BadRow => f.write_str("unreadable row"),
            IssueKind::BadValue => f.write_str("not a number"),
            IssueKind::Negative => f.write_str("negative value"),
            IssueKind::Flagged(flag) => write!(f, "flagged {flag} (not valid)"),
            IssueKind::UnknownPollutant => f.write_str("unknown pollutant"),
            IssueKind::Duplicate => f.write_str("duplicate value"),
            IssueKind::BadFile => f.write_str("unreadable file"),
        }
    }
}

/// A problem with one row (or one value of a row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub file: PathBuf,
    pub line: u64,
    pub kind: IssueKind,
    pub detail: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file.display(),
            self.line,
            self.kind,
            self.detail
        )
    }
}

/// A value field that is neither a number nor a missing marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotANumber;

/// Parses a value field: `Ok(None)` for the missing markers (empty, NA, —).
pub fn parse_value(s: &str) -> Result<Option<Decimal>, NotANumber> {
    let t = s.trim();
    if t.is_empty()
        || t.eq_ignore_ascii_case("na")
        || t.eq_ignore_ascii_case("nan")
        || t == "-"
        || t == "—"
    {
        return Ok(None);
    }
    if let Ok(v) = t.parse::<Decimal>() {
        return Ok(Some(v));
    }
    // Scientific notation (rare in exports): exact via from_scientific.
    Decimal::from_scientific(t)
        .map(Some)
        .map_err(|_| NotANumber)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_markers_and_bad_numbers() {
        assert_eq!(parse_value("NA"), Ok(None));
        assert_eq!(parse_value(""), Ok(None));
        assert_eq!(parse_value("0.2856"), Ok(Some("0.2856".parse().unwrap())));
        assert_eq!(parse_value("1e3"), Ok(Some(Decimal::from(1000))));
        assert!(parse_value("12a").is_err());
    }
}
