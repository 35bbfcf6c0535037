//! `lantian fires`: straw and open-burning fire points from the terminal.
//! `ledger` books a point list (the province's satellite list, FIRMS rows
//! reduced to `id,time,lon,lat,source,type`) against township boundaries by
//! the rule file — the same rules the platform's ledger uses.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use lantian_fires::{Areas, Rules, Totals, ledger, read_points};

use crate::cmd::user::pad;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Each township's fire points and deductions from a point list.
    Ledger(LedgerArgs),
}

#[derive(Debug, clap::Args)]
pub struct LedgerArgs {
    /// Township boundaries: a GeoJSON FeatureCollection of named features.
    #[arg(long)]
    pub boundaries: PathBuf,
    /// The feature property holding a township's name.
    #[arg(long, default_value = "name")]
    pub name_property: String,
    /// A rule file (deductions and merge settings); default the shipped
    /// `fires-2026-1.tsv` (the plan's 500,000 / 100,000 CNY).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Print JSON: `{"areas": {NAME: {points, straw, other, false, pending,
    /// deduction_cny}}, "points": {ID: NAME or "outside"}, …}`.
    #[arg(long)]
    pub json: bool,
    /// `id,time,lon,lat,source,type` CSV (`type` straw, other, false or
    /// unknown; unknown is pending: counted, not charged).
    pub file: PathBuf,
}

pub fn run(c: Command) -> Result<()> {
    match c {
        Command::Ledger(a) => ledger_cmd(a),
    }
}

fn read(p: &PathBuf) -> Result<String> {
    std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))
}

fn ledger_cmd(a: LedgerArgs) -> Result<()> {
    let areas = Areas::from_geojson(&read(&a.boundaries)?, &a.name_property)
        .map_err(|e| anyhow::anyhow!("{}: {e}", a.boundaries.display()))?;
    let rules = match &a.rules {
        Some(p) => Rules::parse(&read(p)?, &p.display().to_string()).map_err(anyhow::Error::msg)?,
        None => Rules::shipped(),
    };
    let (points, bad) =
        read_points(&read(&a.file)?).map_err(|e| anyhow::anyhow!("{}: {e}", a.file.display()))?;
    for b in &bad {
        eprintln!("refused: {}: {b}", a.file.display());
    }
    if points.is_empty() && !bad.is_empty() {
        bail!("no usable point in {}", a.file.display());
    }
    let l = ledger(&points, &areas, &rules);
    if a.json {
        let v = serde_json::json!({
            "areas": l.areas,
            "outside": l.outside,
            "points": l.points,
            "months": l.months,
            "fires": l.fires,
            "rules": l.rules_version,
            "refused": bad.iter().map(|b| serde_json::json!({"line": b.line, "column": b.column, "reason": b.reason})).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!(
        "火点台账 fire ledger: {} points read, {} fires after merging, rules {}",
        points.len(),
        l.fires.len(),
        l.rules_version
    );
    // Numbers right-aligned under their headings; names padded by their
    // terminal width (a Chinese character takes two columns).
    let num = |s: String| format!("{s:>8} ");
    let head = |s: &str| {
        let w = unicode_width::UnicodeWidthStr::width(s);
        format!("{}{s} ", " ".repeat(8usize.saturating_sub(w)))
    };
    println!(
        "{}{}{}{}{}{}{:>14}",
        pad("乡镇 township", 18),
        head("火点"),
        head("秸秆"),
        head("其他"),
        head("误报"),
        head("待核实"),
        "扣减 CNY"
    );
    let row = |name: &str, t: &Totals| {
        println!(
            "{}{}{}{}{}{}{:>14}",
            pad(name, 18),
            num(t.points.to_string()),
            num(t.straw.to_string()),
            num(t.other.to_string()),
            num(t.false_alarms.to_string()),
            num(t.pending.to_string()),
            t.deduction_cny.to_string()
        );
    };
    for (name, t) in &l.areas {
        row(name, t);
    }
    row("境外 outside", &l.outside);
    let total = l
        .areas
        .values()
        .try_fold(rust_decimal::Decimal::ZERO, |s, t| {
            s.checked_add(t.deduction_cny)
        })
        .unwrap_or(rust_decimal::Decimal::MAX);
    println!("合计扣减 total deduction: {total} CNY");
    Ok(())
}
