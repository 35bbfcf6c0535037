//! `lantian alert`: heavy-pollution alerts from the terminal. `classify`
//! reads forecast days (`date,aqi,primary,cause` CSV, or a JSON array) and
//! prints the level the rules give them, with the days that decided it.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use lantian_alerts::classify::{self, Level};
use lantian_alerts::{Bound, Rules, forecast};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// The alert level of forecast days: none, advisory, yellow, orange or red.
    Classify(ClassifyArgs),
}

#[derive(Debug, clap::Args)]
pub struct ClassifyArgs {
    /// `date,aqi,primary,cause` CSV (a header optional; AQI may be a range
    /// such as 180-220) or a JSON array of such objects; `-` reads stdin.
    pub file: PathBuf,
    /// The rule set: 2024 (环大气〔2024〕6号), 2017, or auto (the set in
    /// force on the first day: 2024 from 2024-01-23).
    #[arg(long, default_value = "auto")]
    pub rules: String,
    /// Which bound of an AQI range counts.
    #[arg(long, default_value = "upper", value_parser = ["upper", "lower"])]
    pub bound: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(c: Command) -> Result<()> {
    match c {
        Command::Classify(a) => classify_cmd(a),
    }
}

fn classify_cmd(a: ClassifyArgs) -> Result<()> {
    let text = if a.file.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading stdin")?;
        s
    } else {
        std::fs::read_to_string(&a.file)
            .with_context(|| format!("cannot read {}", a.file.display()))?
    };
    let bound = if a.bound == "lower" {
        Bound::Lower
    } else {
        Bound::Upper
    };
    let days = if text.trim_start().starts_with('[') {
        forecast::read_json(&text, bound)
    } else {
        forecast::read_csv(&text, bound)
    }
    .map_err(|errors| {
        let name = a.file.display();
        anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|e| format!("{name}: {e}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    })?;
    if days.is_empty() {
        bail!("{}: no forecast day", a.file.display());
    }
    let rules = Rules::default();
    let set = match a.rules.as_str() {
        "auto" => rules.on(days.iter().map(|d| d.date).min().unwrap_or_default()),
        name => rules
            .named(name)
            .with_context(|| format!("--rules {name}: 2024, 2017 or auto"))?,
    };
    let c = classify::classify(&days, set).map_err(anyhow::Error::msg)?;
    if a.json {
        let v = serde_json::json!({
            "level": c.level,
            "level_zh": c.level.name_zh(),
            "rules": c.rules,
            "because": c.because,
            "days": c.days,
            "not_counted": c.not_counted.iter().map(|(d, why)| serde_json::json!({"date": d, "why": why})).collect::<Vec<_>>(),
        });
        println!("{v}");
    } else {
        println!("{} {}", c.level, c.level.name_zh());
        println!("  rules: {}", c.rules);
        if c.level != Level::None {
            println!("  because: {}", c.because);
            let days: Vec<String> = c.days.iter().map(|d| d.to_string()).collect();
            println!("  days: {}", days.join(", "));
        }
        for (d, why) in &c.not_counted {
            println!("  not counted: {d} ({why})");
        }
    }
    Ok(())
}
