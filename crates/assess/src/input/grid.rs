//! The hourly grid of each station as a source is read, and the dataset
//! they make.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Days, NaiveDate, NaiveDateTime};
use lantian_standards::Decimal;
use lantian_standards::evaluate::StationHours;
use lantian_standards::pollutant::Pollutant;

use super::{Issue, IssueKind, NotANumber, parse_value};

/// Hours of one station as read: slot `i` is the hour starting at
/// `base + i` hours (local time), one vector per pollutant.
#[derive(Debug, Clone, Default)]
pub struct StationGrid {
    base: Option<i64>,
    values: [Vec<Option<Decimal>>; 6],
}

/// Local hours since 1970-01-01 00:00 of the hour that *starts* at `t`.
pub fn hour_slot(start: NaiveDateTime) -> i64 {
    start.and_utc().timestamp().div_euclid(3600)
}

impl StationGrid {
    /// Sets a value; `false` if one was already there (the first is kept).
    pub fn set(&mut self, slot: i64, p: Pollutant, v: Decimal) -> bool {
        let base = *self.base.get_or_insert(slot);
        if slot < base {
            let grow = (base - slot) as usize;
            for col in self.values.iter_mut() {
                col.splice(0..0, std::iter::repeat_n(None, grow));
            }
            self.base = Some(slot);
        }
        let base = self.base.unwrap_or(slot);
        let i = (slot - base) as usize;
        let col = &mut self.values[p.index()];
        if col.len() <= i {
            let len = (i + 1).max(col.len() * 3 / 2);
            for c in self.values.iter_mut() {
                c.resize(len, None);
            }
        }
        let cell = &mut self.values[p.index()][i];
        if cell.is_some() {
            return false;
        }
        *cell = Some(v);
        true
    }

    /// Removes the value at `slot`; `false` if there was none.
    pub fn clear(&mut self, slot: i64, p: Pollutant) -> bool {
        let Some(i) = self.base.and_then(|b| usize::try_from(slot - b).ok()) else {
            return false;
        };
        self.values[p.index()]
            .get_mut(i)
            .is_some_and(|cell| cell.take().is_some())
    }

    /// The value at `slot`, if any.
    pub fn get(&self, slot: i64, p: Pollutant) -> Option<Decimal> {
        let i = usize::try_from(slot - self.base?).ok()?;
        self.values[p.index()].get(i).copied().flatten()
    }

    /// Every value held: (slot, pollutant, value), by pollutant then slot.
    pub fn iter(&self) -> impl Iterator<Item = (i64, Pollutant, Decimal)> + '_ {
        let base = self.base.unwrap_or(0);
        self.values.iter().enumerate().flat_map(move |(k, col)| {
            col.iter()
                .enumerate()
                .filter_map(move |(i, v)| v.map(|v| (base + i as i64, Pollutant::ALL[k], v)))
        })
    }

    pub(super) fn merge(&mut self, other: StationGrid) -> usize {
        let mut dups = 0;
        if let Some(base) = other.base {
            for (k, col) in other.values.into_iter().enumerate() {
                for (i, v) in col.into_iter().enumerate() {
                    if let Some(v) = v
                        && !self.set(base + i as i64, Pollutant::ALL[k], v)
                    {
                        dups += 1;
                    }
                }
            }
        }
        dups
    }

    /// First and last slot holding any value.
    fn span(&self) -> Option<(i64, i64)> {
        let base = self.base?;
        let len = self.values[0].len();
        let used = |i: usize| {
            self.values
                .iter()
                .any(|c| c.get(i).is_some_and(|v| v.is_some()))
        };
        let first = (0..len).find(|&i| used(i))?;
        let last = (0..len).rev().find(|&i| used(i))?;
        Some((base + first as i64, base + last as i64))
    }
}

/// A station and what is known of it.
#[derive(Debug, Clone, Default)]
pub struct Station {
    pub name: String,
    /// Marked as a background/control site (对照点) by its source.
    pub background: bool,
    pub grid: StationGrid,
    pub values: usize,
    /// Wind direction (degrees from north) by local hour slot, where the
    /// source gives it (UCI `wd`, HJ 212 a01008): the pollution rose.
    pub wind: BTreeMap<i64, Decimal>,
}

/// What one file gave.
#[derive(Debug, Default, Clone)]
pub struct FileData {
    pub stations: BTreeMap<String, Station>,
    pub rows: u64,
    pub issues: Vec<Issue>,
}

impl FileData {
    pub fn station(&mut self, name: &str) -> &mut Station {
        self.stations
            .entry(name.to_string())
            .or_insert_with(|| Station {
                name: name.to_string(),
                ..Station::default()
            })
    }

    pub fn issue(&mut self, file: &Path, line: u64, kind: IssueKind, detail: impl Into<String>) {
        self.issues.push(Issue {
            file: file.to_path_buf(),
            line,
            kind,
            detail: detail.into(),
        });
    }

    /// Parses a value field and stores it (after `convert`), or records why
    /// not; the missing markers store nothing.
    #[allow(clippy::too_many_arguments)]
    pub fn put_field(
        &mut self,
        path: &Path,
        line: u64,
        station: &str,
        slot: i64,
        p: Pollutant,
        raw: &str,
        convert: impl Fn(Decimal) -> Decimal,
    ) {
        match parse_value(raw) {
            Ok(None) => {}
            Ok(Some(v)) => self.put(path, line, station, slot, p, convert(v)),
            Err(NotANumber) => self.issue(path, line, IssueKind::BadValue, format!("{p}=`{raw}`")),
        }
    }

    /// Counts the row a CSV reader just read, or records why it could not be
    /// read. `Some(line)` when there is a record to use.
    pub fn row(
        &mut self,
        path: &Path,
        read: Result<bool, csv::Error>,
        pos: Option<&csv::Position>,
    ) -> Row {
        match read {
            Ok(true) => {
                self.rows += 1;
                Row::Record(pos.map_or(0, |p| p.line()))
            }
            Ok(false) => Row::End,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                self.issue(path, line, IssueKind::BadRow, e.to_string());
                Row::Skip
            }
        }
    }

    /// Stores a value or records why not.
    pub fn put(
        &mut self,
        file: &Path,
        line: u64,
        station: &str,
        slot: i64,
        p: Pollutant,
        v: Decimal,
    ) {
        if v.is_sign_negative() && !v.is_zero() {
            self.issue(file, line, IssueKind::Negative, format!("{p}={v}"));
            return;
        }
        let st = self.station(station);
        if st.grid.set(slot, p, v) {
            st.values += 1;
        } else {
            self.issue(
                file,
                line,
                IssueKind::Duplicate,
                format!("{station} {p} at the same hour"),
            );
        }
    }
}

/// What [`FileData::row`] made of a read.
pub enum Row {
    /// A record, at this line.
    Record(u64),
    /// An unreadable row (recorded); go on.
    Skip,
    /// The end of the file.
    End,
}

/// The columns of the six pollutants, given their names in a source in the
/// order PM2.5, PM10, SO2, NO2, CO, O3.
pub fn pollutant_columns(
    col: impl Fn(&str) -> Option<usize>,
    names: [&str; 6],
) -> Vec<(usize, Pollutant)> {
    const ORDER: [Pollutant; 6] = [
        Pollutant::Pm25,
        Pollutant::Pm10,
        Pollutant::So2,
        Pollutant::No2,
        Pollutant::Co,
        Pollutant::O3,
    ];
    names
        .iter()
        .zip(ORDER)
        .filter_map(|(n, p)| col(n).map(|c| (c, p)))
        .collect()
}

/// Everything read from the input.
#[derive(Debug, Default, Clone)]
pub struct Dataset {
    pub files: usize,
    /// Station-pollutant hours dropped by the data review (`review`).
    pub reviewed_out: usize,
    /// Station-pollutant hours taken from real-time samples (stored data only).
    pub hours_from_realtime: usize,
    pub rows: u64,
    pub stations: Vec<Station>,
    pub issues: Vec<Issue>,
}

impl Dataset {
    pub fn values(&self) -> usize {
        self.stations.iter().map(|s| s.values).sum()
    }

    /// Dense hourly grids on one common day range, plus the names.
    pub fn to_hours(&self) -> Option<(NaiveDate, Vec<StationHours>)> {
        let spans: Vec<(i64, i64)> = self.stations.iter().filter_map(|s| s.grid.span()).collect();
        let first = spans.iter().map(|s| s.0).min()?;
        let last = spans.iter().map(|s| s.1).max()?;
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
        let first_day = first.div_euclid(24);
        let last_day = last.div_euclid(24);
        let start = epoch.checked_add_days(Days::new(u64::try_from(first_day).ok()?))?;
        let days = (last_day - first_day + 1) as usize;
        let hours = self
            .stations
            .iter()
            .map(|s| {
                let mut h = StationHours::new(start, days);
                if let Some(base) = s.grid.base {
                    let offset = base - first_day * 24;
                    for (k, col) in s.grid.values.iter().enumerate() {
                        for (i, v) in col.iter().enumerate() {
                            let at = offset + i as i64;
                            if v.is_some() && at >= 0 && (at as usize) < days * 24 {
                                h.hours[k][at as usize] = *v;
                            }
                        }
                    }
                }
                h
            })
            .collect();
        Some((start, hours))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_grows_both_ways_and_keeps_first() {
        let mut g = StationGrid::default();
        let v = |s: &str| s.parse::<Decimal>().unwrap();
        assert!(g.set(100, Pollutant::Pm25, v("1")));
        assert!(g.set(90, Pollutant::Pm25, v("2")));
        assert!(g.set(130, Pollutant::Co, v("0.3")));
        assert!(!g.set(100, Pollutant::Pm25, v("9")));
        assert_eq!(g.span(), Some((90, 130)));
        assert_eq!(g.values[Pollutant::Pm25.index()][10], Some(v("1")));
    }
}
