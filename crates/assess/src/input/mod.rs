//! Readers of hourly station data (files at the edge; the engine sees only
//! dense hourly grids). Formats: UCI PRSA (Beijing multi-site), CNEMC
//! real-time release hours, and lantian's long CSV. A row that cannot be read
//! becomes an [`Issue`] naming file, line and reason; the rest goes on.

mod cnemc;
mod long;
mod uci;

use std::collections::BTreeMap;
use std::fmt;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use chrono::{Days, NaiveDate, NaiveDateTime};
use lantian_standards::Decimal;
use lantian_standards::evaluate::StationHours;
use lantian_standards::pollutant::{Pollutant, Unit};

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

    /// The value at `slot`, if any.
    pub fn get(&self, slot: i64, p: Pollutant) -> Option<Decimal> {
        let i = usize::try_from(slot - self.base?).ok()?;
        self.values[p.index()].get(i).copied().flatten()
    }

    fn merge(&mut self, other: StationGrid) -> usize {
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
#[derive(Debug, Default)]
pub struct Dataset {
    pub files: usize,
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

/// The files under `path` (a file, or every `.csv` in a folder, sorted).
pub fn files_of(path: &Path) -> Result<Vec<PathBuf>> {
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("cannot list {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")))
            .collect();
        files.sort();
        if files.is_empty() {
            bail!("no .csv files in {}", path.display());
        }
        Ok(files)
    } else if path.is_file() {
        Ok(vec![path.to_path_buf()])
    } else {
        bail!("{} does not exist", path.display())
    }
}

/// Decides the format of a file from its first line.
fn detect(header: &str) -> Option<Format> {
    let h = header.trim_start_matches('\u{feff}').to_ascii_lowercase();
    if h.contains("\"year\"")
        || (h.contains("year") && h.contains("pm2.5") && h.contains("station"))
    {
        Some(Format::UciPrsa)
    } else if h.contains("timepoint") && h.contains("stationcode") {
        Some(Format::Cnemc)
    } else if h.starts_with("station,time,pollutant,value") {
        Some(Format::Long)
    } else {
        None
    }
}

fn read_file(path: &Path, opts: &ReadOptions) -> FileData {
    let mut data = FileData::default();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            data.issue(path, 0, IssueKind::BadFile, e.to_string());
            return data;
        }
    };
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let format = match opts.format {
        Format::Auto => match detect(&String::from_utf8_lossy(first_line)) {
            Some(f) => f,
            None => {
                data.issue(
                    path,
                    1,
                    IssueKind::BadFile,
                    "unknown header: not UCI PRSA, CNEMC or long (station,time,pollutant,value[,flag])",
                );
                return data;
            }
        },
        f => f,
    };
    match format {
        Format::UciPrsa => uci::read(path, &bytes, opts.uci_hours, &mut data),
        Format::Cnemc => cnemc::read(path, &bytes, &mut data),
        Format::Long | Format::Auto => long::read(path, &bytes, opts.long_co_unit, &mut data),
    }
    data
}

/// Reads every file of `path` (in parallel), merging stations by name.
pub fn read(path: &Path, opts: &ReadOptions) -> Result<Dataset> {
    let files = files_of(path)?;
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = if opts.progress && std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "读取 reading {bar:30} {bytes}/{total_bytes} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, FileData)>> = Mutex::new(Vec::with_capacity(files.len()));
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(f) = files.get(i) else { break };
                    let data = read_file(f, opts);
                    bar.inc(std::fs::metadata(f).map_or(0, |m| m.len()));
                    if let Ok(mut r) = results.lock() {
                        r.push((i, data));
                    }
                }
            });
        }
    });
    bar.finish_and_clear();
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(i, _)| *i);

    let mut ds = Dataset {
        files: files.len(),
        ..Dataset::default()
    };
    let mut stations: BTreeMap<String, Station> = BTreeMap::new();
    for (i, data) in results {
        ds.rows += data.rows;
        ds.issues.extend(data.issues);
        for (name, st) in data.stations {
            match stations.get_mut(&name) {
                None => {
                    stations.insert(name, st);
                }
                Some(existing) => {
                    existing.background |= st.background;
                    existing.values += st.values;
                    let dups = existing.grid.merge(st.grid);
                    existing.values -= dups;
                    if dups > 0 {
                        ds.issues.push(Issue {
                            file: files[i].clone(),
                            line: 0,
                            kind: IssueKind::Duplicate,
                            detail: format!(
                                "{dups} values of {name} already read from an earlier file"
                            ),
                        });
                    }
                }
            }
        }
    }
    ds.stations = stations.into_values().collect();
    Ok(ds)
}

/// The pollutant of an HJ 212 ambient factor code.
pub fn pollutant_of_code(code: &str) -> Option<Pollutant> {
    Some(match code {
        "a21026" => Pollutant::So2,
        "a21004" => Pollutant::No2,
        "a21005" => Pollutant::Co,
        "a05024" => Pollutant::O3,
        "a34002" => Pollutant::Pm10,
        "a34004" => Pollutant::Pm25,
        _ => return None,
    })
}

/// The unit a device sends `code` in: its override (`code=unit;…`), else the
/// code table's default.
pub fn unit_of(code: &str, overrides: &str) -> Option<Unit> {
    let over = overrides
        .split([';', ','])
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| k.trim() == code)
        .map(|(_, u)| u.trim().to_string());
    let unit = over.or_else(|| lantian_hj212::codes::factor(code).map(|f| f.unit.to_string()))?;
    unit.parse().ok()
}

/// Minutes of an hour that real-time samples must cover to stand in for a
/// missing hourly value (GB 3095 Table 4: ≥ 45 minutes of sampling).
pub const REALTIME_MINUTES_PER_HOUR: usize = 45;

/// (station, pollutant, hour slot)
type HourKey = (String, Pollutant, i64);

/// Real-time samples of one station-pollutant hour: values, the distinct
/// minutes they cover, whether the station is a background site, and the
/// instants already taken (a sample read twice counts once).
#[derive(Default, Clone)]
struct RealtimeHour(
    Vec<Decimal>,
    std::collections::HashSet<i64>,
    bool,
    std::collections::HashSet<i64>,
);

/// Builds a dataset from stored values: hourly 2061 `Avg` values first
/// ([`StoreReader::hourly`]), then, for an hour with no hourly value of a
/// pollutant, the mean of its real-time 2011 `Rtd` samples when they cover
/// ≥ 45 distinct minutes of the hour ([`StoreReader::realtime`], counted).
/// Units are converted per device; values flagged other than N are left out
/// and counted.
///
/// A reader can be kept and fed only what arrived since ([`Self::dataset`]
/// gives the dataset so far). A station-hour already known is not taken
/// again (the ingest keeps the first upload of an hour, so a stored hour
/// never changes; two devices of one site give the first), and a real-time
/// sample counts once per instant.
#[derive(Default, Clone)]
pub struct StoreReader {
    data: FileData,
    groups: BTreeMap<HourKey, RealtimeHour>,
}

impl StoreReader {
    fn check(&mut self, r: &lantian_store::ValueRow<'_>, p: Pollutant) -> Option<Unit> {
        let path = Path::new("database");
        let line = self.data.rows;
        if let Some(flag) = r.flag.filter(|f| !f.trim().is_empty() && f.trim() != "N") {
            self.data.issue(
                path,
                line,
                IssueKind::Flagged(flag.to_string()),
                format!("{} {p}", r.site_code),
            );
            return None;
        }
        let unit = unit_of(r.code, r.unit_overrides);
        if unit.is_none() {
            self.data.issue(
                path,
                line,
                IssueKind::BadValue,
                format!("{}: unknown unit of {}", r.site_code, r.code),
            );
        }
        unit
    }

    /// One hourly (2061) value.
    pub fn hourly(&mut self, r: lantian_store::ValueRow<'_>) {
        let Some(p) = pollutant_of_code(r.code) else {
            self.data.rows += 1;
            return;
        };
        let slot = (r.ts + 8 * 3600).div_euclid(3600);
        if self
            .data
            .stations
            .get(r.site_code)
            .is_some_and(|st| st.grid.get(slot, p).is_some())
        {
            // Read before (an incremental read overlaps the last one).
            return;
        }
        self.data.rows += 1;
        self.data.station(r.site_code).background |= !r.assessment;
        let Some(unit) = self.check(&r, p) else {
            return;
        };
        // Devices keep Beijing time; the hour starting at ts (UTC).
        let slot = (r.ts + 8 * 3600).div_euclid(3600);
        let line = self.data.rows;
        self.data.put_field(
            Path::new("database"),
            line,
            r.site_code,
            slot,
            p,
            r.raw,
            |v| unit.convert(v, p.unit()),
        );
    }

    /// One real-time (2011) sample (after every hourly value).
    pub fn realtime(&mut self, r: lantian_store::ValueRow<'_>) {
        self.data.rows += 1;
        let Some(p) = pollutant_of_code(r.code) else {
            return;
        };
        let local = r.ts + 8 * 3600;
        let slot = local.div_euclid(3600);
        if self
            .data
            .stations
            .get(r.site_code)
            .is_some_and(|st| st.grid.get(slot, p).is_some())
        {
            return;
        }
        let Some(unit) = self.check(&r, p) else {
            return;
        };
        match parse_value(r.raw) {
            Ok(Some(v)) => {
                let g = self
                    .groups
                    .entry((r.site_code.to_string(), p, slot))
                    .or_default();
                if !g.3.insert(r.ts) {
                    return;
                }
                g.0.push(unit.convert(v, p.unit()));
                g.1.insert(local.div_euclid(60));
                g.2 |= !r.assessment;
            }
            Ok(None) => {}
            Err(NotANumber) => {
                let line = self.data.rows;
                self.data.issue(
                    Path::new("database"),
                    line,
                    IssueKind::BadValue,
                    format!("{p}=`{}`", r.raw),
                );
            }
        }
    }

    /// Values read so far.
    pub fn rows(&self) -> u64 {
        self.data.rows
    }

    /// The dataset so far (the reader can go on being fed), and how many
    /// station-pollutant hours came from real-time samples.
    pub fn dataset(&self) -> (Dataset, usize) {
        self.clone().finish()
    }

    /// The dataset, and how many station-pollutant hours came from real-time samples.
    pub fn finish(mut self) -> (Dataset, usize) {
        let mut derived = 0;
        for ((site, p, slot), RealtimeHour(vals, minutes, background, _)) in
            std::mem::take(&mut self.groups)
        {
            // Too few minutes, or an hourly value arrived after the samples.
            if minutes.len() < REALTIME_MINUTES_PER_HOUR
                || self
                    .data
                    .stations
                    .get(&site)
                    .is_some_and(|st| st.grid.get(slot, p).is_some())
            {
                continue;
            }
            if let Some(mean) = lantian_standards::rounding::mean(vals) {
                self.data.station(&site).background |= background;
                self.data
                    .put(Path::new("database"), 0, &site, slot, p, mean);
                derived += 1;
            }
        }
        let ds = Dataset {
            files: 0,
            hours_from_realtime: derived,
            rows: self.data.rows,
            stations: self.data.stations.into_values().collect(),
            issues: self.data.issues,
        };
        (ds, derived)
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

    fn hv<'a>(site: &'a str, code: &'a str, ts: i64, raw: &'a str) -> lantian_store::ValueRow<'a> {
        lantian_store::ValueRow {
            site_code: site,
            assessment: true,
            code,
            ts,
            raw,
            flag: Some("N"),
            unit_overrides: "a34004=ug/m3",
        }
    }

    #[test]
    fn stored_hours_with_real_time_fallback() {
        // 2025-01-01T00:00Z = 08:00 Beijing: the hour 08:00–09:00.
        let t0 = 1_735_689_600;
        let mut r = StoreReader::default();
        r.hourly(hv("S", "a34004", t0, "35"));
        r.hourly(hv("S", "a21005", t0, "0.8"));
        // The next hour has no 2061 PM2.5: 50 one-minute samples of 40 and 44.
        for m in 0..50 {
            r.realtime(hv(
                "S",
                "a34004",
                t0 + 3600 + m * 60,
                if m % 2 == 0 { "40" } else { "44" },
            ));
        }
        // The hour after: only 30 minutes of samples, not enough.
        for m in 0..30 {
            r.realtime(hv("S", "a34004", t0 + 7200 + m * 60, "99"));
        }
        // Real-time samples in an hour that has its 2061 value are ignored.
        r.realtime(hv("S", "a34004", t0 + 60, "500"));
        let (ds, derived) = r.finish();
        assert_eq!(derived, 1);
        let g = &ds.stations[0].grid;
        let pm = &g.values[Pollutant::Pm25.index()];
        let base = g.base.unwrap();
        let at = |slot: i64| pm.get((slot - base) as usize).copied().flatten();
        let slot0 = (t0 + 8 * 3600) / 3600;
        assert_eq!(at(slot0), Some(Decimal::from(35)));
        assert_eq!(at(slot0 + 1), Some(Decimal::from(42)));
        assert_eq!(at(slot0 + 2), None);
        // CO in the table's mg/m³ stays as sent.
        assert_eq!(
            g.values[Pollutant::Co.index()][(slot0 - base) as usize],
            Some("0.8".parse().unwrap())
        );
    }

    #[test]
    fn missing_markers_and_bad_numbers() {
        assert_eq!(parse_value("NA"), Ok(None));
        assert_eq!(parse_value(""), Ok(None));
        assert_eq!(parse_value("0.2856"), Ok(Some("0.2856".parse().unwrap())));
        assert_eq!(parse_value("1e3"), Ok(Some(Decimal::from(1000))));
        assert!(parse_value("12a").is_err());
    }
}
