//! `lantian sources`: the offline check of a CEMS export with the rules the
//! server judges by (`lantian-sources`), and a generator of sample exports
//! (for trying the check and for its benchmark).

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::{Duration, NaiveDate};
use lantian_sources::check::{self, Report};
use lantian_sources::judge::{Settings, fmt_label};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Judge a CEMS export (hourly means) against limits: exceedances and
    /// data anomalies, as the server would raise them.
    Check(CheckArgs),
    /// Write a sample export and its limits (synthetic outlets with
    /// injected faults) to try `check` on, or to benchmark it.
    Sample(SampleArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// LIMITS.csv: outlet,code,limit,ref_o2[,averaging,from,to,standard,clause].
    #[arg(long)]
    pub limits: PathBuf,
    /// Print JSON: {"exceedances": […], "anomalies": […]}.
    #[arg(long)]
    pub json: bool,
    /// A rule setting, KEY=VALUE (repeatable): constant_hours, zero_hours,
    /// missing_hours, flag_hours, o2_cap, o2_high_hours, zs_tolerance_pct,
    /// over_range_counts, min_day_hours.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Cores to use (default: all).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print how long reading and judging took (stderr).
    #[arg(long)]
    pub timing: bool,
    /// DATA.csv: outlet,time,code,value,flag[,zs] (time: the end of the hour, Beijing time).
    pub data: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct SampleArgs {
    /// Outlets to write.
    #[arg(long, default_value_t = 20)]
    pub outlets: usize,
    /// Days of hourly data from --from.
    #[arg(long, default_value_t = 7)]
    pub days: u32,
    /// First day (YYYY-MM-DD).
    #[arg(long, default_value = "2026-01-01")]
    pub from: NaiveDate,
    /// Folder to write DATA.csv and LIMITS.csv into.
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
}

pub fn run(c: Command) -> Result<()> {
    match c {
        Command::Check(a) => check(a),
        Command::Sample(a) => sample(a),
    }
}

fn check(a: CheckArgs) -> Result<()> {
    let mut s = Settings::default();
    for kv in &a.set {
        let Some((k, v)) = kv.split_once('=') else {
            bail!("--set `{kv}`: expected KEY=VALUE, e.g. constant_hours=6");
        };
        s.set(k, v).map_err(anyhow::Error::msg)?;
    }
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let limits_name = a.limits.display().to_string();
    let limits_text =
        std::fs::read_to_string(&a.limits).with_context(|| format!("reading {limits_name}"))?;
    let (limits, mut issues) = check::read_limits(&limits_name, &limits_text);
    let t0 = Instant::now();
    let data_name = a.data.display().to_string();
    // Read block by block while parsing: the file is never held whole.
    let file = std::fs::File::open(&a.data).with_context(|| format!("reading {data_name}"))?;
    let mut data = check::read_data_from(&data_name, file, threads)
        .with_context(|| format!("reading {data_name}"))?;
    let t_parse = t0.elapsed();
    if data.rows == 0 && !data.issues.is_empty() {
        bail!(
            "{}:{}: {}",
            data.issues[0].file,
            data.issues[0].line,
            data.issues[0].reason
        );
    }
    issues.append(&mut data.issues);
    let report = check::check(&mut data, &limits, &s, threads);
    let t_judge = t0.elapsed();
    for i in issues.iter().take(50) {
        eprintln!("{}:{}: {}", i.file, i.line, i.reason);
    }
    if issues.len() > 50 {
        eprintln!(
            "… and {} more rows that could not be read",
            issues.len() - 50
        );
    }
    if a.timing {
        eprintln!(
            "{} rows, {} outlets: read and parsed {:.2} s, judged {:.2} s ({} threads)",
            data.rows,
            data.outlets.len(),
            t_parse.as_secs_f64(),
            (t_judge - t_parse).as_secs_f64(),
            threads
        );
    }
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    if a.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write_text(&mut out, &report, data.rows, issues.len())?;
    }
    out.flush()?;
    Ok(())
}

fn write_text(out: &mut impl Write, r: &Report, rows: u64, unread: usize) -> Result<()> {
    writeln!(out, "超标 exceedances: {}", r.exceedances.len())?;
    if !r.exceedances.is_empty() {
        writeln!(
            out,
            "  {:<12} {:<8} {:<16}   {:<16} {:>5} {:>10} {:>8}",
            "outlet", "code", "start", "end", "hours", "max", "limit"
        )?;
    }
    for e in &r.exceedances {
        writeln!(
            out,
            "  {:<12} {:<8} {:<16} – {:<16} {:>5} {:>10} {:>8}",
            e.outlet,
            e.code,
            e.start,
            e.end,
            e.hours,
            e.max.as_deref().unwrap_or(""),
            e.limit.as_deref().unwrap_or("")
        )?;
    }
    writeln!(out, "异常 anomalies: {}", r.anomalies.len())?;
    if !r.anomalies.is_empty() {
        writeln!(
            out,
            "  {:<12} {:<8} {:<14} {:<16}   {:<16} {:>5}",
            "outlet", "code", "kind", "start", "end", "hours"
        )?;
    }
    for a in &r.anomalies {
        writeln!(
            out,
            "  {:<12} {:<8} {:<14} {:<16} – {:<16} {:>5}",
            a.outlet, a.code, a.kind, a.start, a.end, a.hours
        )?;
    }
    writeln!(out, "{rows} rows read, {unread} could not be read")?;
    Ok(())
}

/// A small deterministic generator (xorshift64*), so that a sample is the
/// same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in 0..n.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The factors of a sample outlet: code, limit (mg/m³ at 9 % O2), typical
/// measured value in tenths.
const FACTORS: [(&str, &str, u64); 4] = [
    ("a21026", "35", 200),
    ("a21002", "50", 300),
    ("a34013", "10", 50),
    ("a21001", "2.5", 20),
];

fn sample(a: SampleArgs) -> Result<()> {
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let data_path = a.out.join("DATA.csv");
    let limits_path = a.out.join("LIMITS.csv");
    let mut limits = std::io::BufWriter::new(std::fs::File::create(&limits_path)?);
    writeln!(limits, "outlet,code,limit,ref_o2,averaging,standard,clause")?;
    for o in 0..a.outlets {
        for (code, limit, _) in FACTORS {
            let reference = if code == "a21001" { "" } else { "9" };
            writeln!(
                limits,
                "DA{:04},{code},{limit},{reference},hour,sample,sample",
                o + 1
            )?;
        }
    }
    limits.flush()?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&data_path)?);
    writeln!(w, "outlet,time,code,value,flag")?;
    let hours = i64::from(a.days) * 24;
    let start = a.from.and_hms_opt(0, 0, 0).context("the first day")?;
    let labels: Vec<String> = (1..=hours)
        .map(|h| fmt_label(start + Duration::hours(h)))
        .collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut rows = 0u64;
    for o in 0..a.outlets {
        let name = format!("DA{:04}", o + 1);
        // Each outlet has one fault of each kind at its own hour.
        let fault = |k: u64| (o as i64 * 7 + k as i64 * 53) % hours.max(1);
        for (i, label) in labels.iter().enumerate() {
            let i = i as i64;
            let o2 = 80 + rng.below(30);
            writeln!(w, "{name},{label},a19001,{}.{},N", o2 / 10, o2 % 10)?;
            for (k, (code, _, typ)) in FACTORS.iter().enumerate() {
                let f = fault(k as u64);
                rows += 1;
                let (v, flag) = if (f..f + 3).contains(&i) && k == 0 {
                    (typ * 3, "N") // an exceedance of three hours
                } else if (f..f + 7).contains(&i) && k == 1 {
                    (*typ, "N") // a constant value
                } else if (f..f + 5).contains(&i) && k == 2 {
                    (rng.below(10), "M") // long maintenance
                } else if (f..f + 4).contains(&i) && k == 3 {
                    continue; // missing hours
                } else {
                    (typ / 4 + rng.below(typ / 2), "N")
                };
                writeln!(w, "{name},{label},{code},{}.{},{flag}", v / 10, v % 10)?;
            }
            rows += 1;
        }
    }
    w.flush()?;
    println!(
        "{} and {}: {rows} rows, {} outlets × {hours} hours",
        data_path.display(),
        limits_path.display(),
        a.outlets
    );
    Ok(())
}
