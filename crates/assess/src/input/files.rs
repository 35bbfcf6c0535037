//! Files and folders of station data: the format of each file from its
//! header, files read in parallel, stations merged by name.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};

use super::{Dataset, FileData, Format, Issue, IssueKind, ReadOptions, Station, cnemc, long, uci};

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
        Format::UciPrsa => uci::read(path, &bytes, opts.uci_hours, opts.window, &mut data),
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
                    existing.wind.extend(st.wind);
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
