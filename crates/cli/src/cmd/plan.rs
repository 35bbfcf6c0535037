//! `lantian plan`: the plan's measures as data. `measures` prints the
//! shipped plan (or a county's own file, `--plan`, checked as it is read);
//! `draft` turns a plan's text into a plan file for a reviewer to finish
//! (departments read from each clause's closing parentheses; targets are
//! the reviewer's to add).

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::Datelike;
use lantian_ledger::plan::{self, Plan};
use lantian_ledger::tasks;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Every measure: clause, title, lead, partners, responsible, targets.
    Measures(MeasuresArgs),
    /// A plan file drafted from a plan's text (UTF-8), on stdout.
    Draft(DraftArgs),
    /// The task ledger: every measure split per department and township,
    /// each task's 绿/黄/红 on a day from its progress reports; the 台账 as xlsx.
    Tasks(TasksArgs),
    /// Import a plan file into the database: the ledger of `serve` is kept
    /// by it from now on (checked as it is read: file, line and field).
    Import(ImportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The database (sqlite://PATH or postgres://…).
    #[arg(long)]
    pub database: String,
    /// The first month progress reports are owed for (YYYY-MM-DD; default
    /// the first of this month, Beijing time).
    #[arg(long)]
    pub from: Option<chrono::NaiveDate>,
    /// Who imports it (the audit log's actor).
    #[arg(long, default_value = "admin")]
    pub actor: String,
    /// The plan file (TOML, as crates/ledger/plans/biyang.toml).
    pub file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct TasksArgs {
    /// A plan file (TOML) instead of the shipped plan.
    #[arg(long)]
    pub plan: Option<PathBuf>,
    /// A township, street or zone carrying every measure (repeatable).
    #[arg(long = "township")]
    pub townships: Vec<String>,
    /// The tasks' start (YYYY-MM-DD).
    #[arg(long, default_value = "2024-01-01")]
    pub start: chrono::NaiveDate,
    /// The deadline of a measure without a dated target (the plan's end).
    #[arg(long, default_value = "2025-12-31")]
    pub end: chrono::NaiveDate,
    /// The day the lights are for (default today, Beijing time).
    #[arg(long)]
    pub today: Option<chrono::NaiveDate>,
    /// Progress reports: CSV `task,month,submitted,progress,text,evidence`
    /// (`task` a key such as `16/department:农业农村局`, `month` YYYY-MM).
    #[arg(long)]
    pub progress: Option<PathBuf>,
    /// Only the tasks of this owner (`department:NAME` or `township:NAME`).
    #[arg(long)]
    pub owner: Option<String>,
    /// Write the 台账 (序号, 任务, 牵头单位, 配合单位, 完成时限, 进展情况, 佐证材料, 状态) here.
    #[arg(long)]
    pub xlsx: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
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
        Command::Tasks(a) => tasks(a),
        Command::Import(a) => import(a),
    }
}

fn import(a: ImportArgs) -> Result<()> {
    let p = load(Some(&a.file))?;
    let text = std::fs::read_to_string(&a.file)?;
    let from = a
        .from
        .unwrap_or_else(|| lantian_types::time::now_beijing().date())
        .with_day(1)
        .context("a first of the month")?;
    let file = a
        .file
        .file_name()
        .map_or_else(|| "plan.toml".into(), |n| n.to_string_lossy().to_string());
    super::serve::runtime()?.block_on(async {
        let store = lantian_store::Store::connect(&a.database).await?;
        let id = store
            .import_plan(
                &p.county,
                &p.name,
                &file,
                &text,
                p.measures.len(),
                &from.to_string(),
                false,
                &a.actor,
            )
            .await?;
        println!(
            "plan {id}: {} {} — {} measures, in force; reports owed from {}",
            p.county,
            p.name,
            p.measures.len(),
            from.format("%Y-%m")
        );
        anyhow::Ok(())
    })
}

fn load(plan: Option<&PathBuf>) -> Result<Plan> {
    Ok(match plan {
        Some(f) => {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("cannot read {}", f.display()))?;
            Plan::parse(&text, &f.display().to_string()).map_err(anyhow::Error::msg)?
        }
        None => Plan::biyang(),
    })
}

fn measures(a: MeasuresArgs) -> Result<()> {
    let p = load(a.plan.as_ref())?;
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

/// A progress report as the CSV gives it, with its words.
struct Row {
    task: String,
    report: tasks::Report,
    text: String,
    evidence: String,
}

fn read_progress(path: &PathBuf, keys: &std::collections::HashSet<&str>) -> Result<Vec<Row>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(&bytes[..]);
    let mut out = Vec::new();
    let mut bad = 0;
    for rec in rdr.records() {
        // The file's line (blank lines and quoted line breaks counted).
        let line = match &rec {
            Ok(r) => r.position().map_or(0, |p| p.line()),
            Err(e) => e.position().map_or(0, |p| p.line()),
        };
        let fail = |col: &str, why: String| {
            eprintln!(
                "refused: {}: line {line}, column {col}: {why}",
                path.display()
            )
        };
        let Ok(rec) = rec else {
            fail("-", "not a CSV row".into());
            bad += 1;
            continue;
        };
        let get = |k: usize| rec.get(k).unwrap_or("").to_string();
        let task = get(0);
        if !keys.contains(task.as_str()) {
            fail(
                "task",
                format!("`{task}` is no task of the plan (16/department:农业农村局)"),
            );
            bad += 1;
            continue;
        }
        let Some(month) =
            chrono::NaiveDate::parse_from_str(&format!("{}-01", get(1)), "%Y-%m-%d").ok()
        else {
            fail("month", format!("`{}` is not a month (YYYY-MM)", get(1)));
            bad += 1;
            continue;
        };
        let Ok(submitted) = chrono::NaiveDate::parse_from_str(&get(2), "%Y-%m-%d") else {
            fail(
                "submitted",
                format!("`{}` is not a date (YYYY-MM-DD)", get(2)),
            );
            bad += 1;
            continue;
        };
        let Some(progress) = get(3)
            .trim_end_matches('%')
            .parse::<u32>()
            .ok()
            .filter(|p| *p <= 100)
        else {
            fail("progress", format!("`{}` is not 0–100", get(3)));
            bad += 1;
            continue;
        };
        out.push(Row {
            task,
            report: tasks::Report {
                month,
                submitted,
                progress,
            },
            text: get(4),
            evidence: get(5),
        });
    }
    if bad > 0 {
        eprintln!("{bad} rows refused, {} read", out.len());
    }
    Ok(out)
}

fn tasks(a: TasksArgs) -> Result<()> {
    let p = load(a.plan.as_ref())?;
    let rules = tasks::LedgerRules::shipped();
    let today = a
        .today
        .unwrap_or_else(|| (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive());
    let all = tasks::split(&p, &a.townships, a.start, a.end);
    let keys: std::collections::HashSet<&str> = all.iter().map(|t| t.key.as_str()).collect();
    let rows = match &a.progress {
        Some(f) => read_progress(f, &keys)?,
        None => Vec::new(),
    };
    let mine: Vec<&tasks::Task> = all
        .iter()
        .filter(|t| a.owner.as_ref().is_none_or(|o| &t.owner == o))
        .collect();
    if mine.is_empty() {
        anyhow::bail!("no task of owner {}", a.owner.as_deref().unwrap_or("-"));
    }
    let mut table = Vec::new();
    let mut out = Vec::new();
    for (i, t) in mine.iter().enumerate() {
        let of: Vec<&Row> = rows.iter().filter(|r| r.task == t.key).collect();
        let reports: Vec<tasks::Report> = of.iter().map(|r| r.report.clone()).collect();
        let s = tasks::status(t, &reports, today, &rules);
        let last = of
            .iter()
            .filter(|r| r.report.submitted <= today)
            .max_by_key(|r| (r.report.month, r.report.submitted));
        let evidence: Vec<&str> = of
            .iter()
            .map(|r| r.evidence.as_str())
            .filter(|e| !e.is_empty())
            .collect();
        table.push((
            i as u32 + 2,
            tasks::ledger_row(
                i + 1,
                t,
                &s,
                last.map_or("", |r| r.text.as_str()),
                &evidence.join("；"),
            ),
        ));
        out.push(serde_json::json!({"task": t, "status": s}));
    }
    if let Some(x) = &a.xlsx {
        let sheet = lantian_sources::register::Table {
            sheet: "任务清单台账".into(),
            header: tasks::LEDGER_HEADER.iter().map(|h| h.to_string()).collect(),
            rows: table.clone(),
        };
        let bytes = lantian_sources::workbook::write_xlsx(&[sheet]).map_err(anyhow::Error::msg)?;
        std::fs::write(x, bytes).with_context(|| format!("cannot write {}", x.display()))?;
        eprintln!("wrote {} ({} tasks)", x.display(), table.len());
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let count = |l: tasks::Light| {
        out.iter()
            .filter(|v| v["status"]["light"] == serde_json::json!(l))
            .count()
    };
    println!(
        "任务清单台账 {} tasks on {today}: 绿 {} 黄 {} 红 {} (rules {})",
        out.len(),
        count(tasks::Light::Green),
        count(tasks::Light::Yellow),
        count(tasks::Light::Red),
        rules.version
    );
    for (t, (_, row)) in mine.iter().zip(&table) {
        println!(
            "{:>4} [{}] {} — {} — {}",
            row[0],
            row[7],
            tasks::owner_name(&t.owner),
            row[1],
            row[5]
        );
    }
    Ok(())
}
