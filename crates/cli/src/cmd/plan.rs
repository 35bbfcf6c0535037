//! `lantian plan`: the plan's measures as data. `measures` prints the
//! shipped plan (or a county's own file, `--plan`, checked as it is read);
//! `draft` turns a plan's text into a plan file for a reviewer to finish
//! (departments read from each clause's closing parentheses; targets are
//! the reviewer's to add).

use std::path::PathBuf;

use anyhow::{Context, Result};
use lantian_ledger::plan::{self, Plan};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Every measure: clause, title, lead, partners, responsible, targets.
    Measures(MeasuresArgs),
    /// A plan file drafted from a plan's text (UTF-8), on stdout.
    Draft(DraftArgs),
}

#[derive(Debug, clap::Args)]
pub struct MeasuresArgs {
    /// A plan file (TOML) instead of the shipped plan of Biyang County.
    #[arg(long)]
    pub plan: Option<PathBuf>,
    /// Print JSON: `[{"clause", "title", "lead", "partners", "responsible", "targets"}]`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct DraftArgs {
    /// The county's name as the text writes it before departments (泌阳县).
    #[arg(long)]
    pub county: String,
    /// The plan's title.
    #[arg(long, default_value = "空气质量持续改善行动计划")]
    pub name: String,
    pub text: PathBuf,
}

pub fn run(c: Command) -> Result<()> {
    match c {
        Command::Measures(a) => measures(a),
        Command::Draft(a) => draft(a),
    }
}

fn measures(a: MeasuresArgs) -> Result<()> {
    let p = match &a.plan {
        Some(f) => {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("cannot read {}", f.display()))?;
            Plan::parse(&text, &f.display().to_string()).map_err(anyhow::Error::msg)?
        }
        None => Plan::biyang(),
    };
    if a.json {
        let v: Vec<serde_json::Value> = p
            .measures
            .iter()
            .map(|m| {
                serde_json::json!({
                    "clause": m.clause,
                    "title": m.title,
                    "lead": m.lead,
                    "partners": m.partners,
                    "responsible": m.responsible,
                    "targets": m.targets,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("{} ({}): {} measures", p.name, p.county, p.measures.len());
    if let Some(l) = &p.local {
        println!("各项措施均由 {l} 负责落实 (every measure is also carried by these)");
    }
    for m in &p.measures {
        let who = if m.lead.is_empty() && m.responsible.len() == 1 {
            format!("{} 负责", m.responsible[0])
        } else if m.lead.is_empty() {
            format!("{} 按职责分工负责", m.responsible.join("、"))
        } else if m.partners.is_empty() {
            format!("{} 牵头", m.lead.join("、"))
        } else {
            format!("{} 牵头，{} 配合", m.lead.join("、"), m.partners.join("、"))
        };
        println!("（{}）{} — {}", plan::numeral(m.clause), m.title, who);
        for t in &m.targets {
            let by = t.deadline.map(|d| format!(" by {d}")).unwrap_or_default();
            println!(
                "      目标 {} {} {}{}{}",
                t.indicator, t.op, t.value, t.unit, by
            );
        }
    }
    Ok(())
}

fn draft(a: DraftArgs) -> Result<()> {
    let text = std::fs::read_to_string(&a.text)
        .with_context(|| format!("cannot read {}", a.text.display()))?;
    let measures = plan::draft(&text, &a.county);
    if measures.is_empty() {
        anyhow::bail!(
            "{}: no clause closing with its departments (（县…牵头，…配合）)",
            a.text.display()
        );
    }
    let name = a
        .text
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let local = plan::local_units(&text);
    print!(
        "{}",
        plan::to_toml(&a.name, &a.county, local.as_deref(), &name, &measures)
    );
    eprintln!(
        "drafted {} measures; add their targets, then review",
        measures.len()
    );
    Ok(())
}
