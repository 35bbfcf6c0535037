//! `lantian enterprise import|export|list|template` and `lantian township
//! import|list`: the enterprise register from the terminal, by the same
//! rules as the API (`lantian_sources::register`), each change kept with
//! who and when. A row that cannot be read is named by sheet, row and
//! column, and left out; every other row is loaded.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use lantian_sources::register::{self, Table};
use lantian_sources::workbook;
use lantian_store::Store;
use lantian_store::enterprises::{Put, Township};

use crate::cmd::serve::{DEFAULT_DB, runtime};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Import a register workbook (xlsx, xls, ods), or CSV files named by
    /// their sheet (企业.csv, 排口.csv, … or enterprises.csv, outlets.csv, …),
    /// or a folder of them. Firms are matched by credit code and replaced.
    Import {
        #[arg(long, default_value = DEFAULT_DB)]
        database: String,
        /// Check only: report every bad row, store nothing.
        #[arg(long)]
        dry_run: bool,
        /// Who the change is recorded as.
        #[arg(long, default_value = "cli")]
        actor: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Write the register (every firm) as an xlsx workbook that imports back.
    Export {
        #[arg(long, default_value = DEFAULT_DB)]
        database: String,
        /// The workbook to write.
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Write an empty register workbook: every sheet with its headers.
    Template {
        #[arg(long, short)]
        out: PathBuf,
    },
    /// List the firms: credit code, name, township, key industry, today's
    /// grade (short-board rule), outlets.
    List {
        #[arg(long, default_value = DEFAULT_DB)]
        database: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum TownshipCommand {
    /// Add townships (or change their codes) from a CSV: `name,code` (or
    /// `乡镇街道,区划代码`), UTF-8.
    Import {
        #[arg(long, default_value = DEFAULT_DB)]
        database: String,
        #[arg(long, default_value = "cli")]
        actor: String,
        file: PathBuf,
    },
    /// List the county's townships.
    List {
        #[arg(long, default_value = DEFAULT_DB)]
        database: String,
    },
}

/// Reads the tables of each file (a workbook's sheets, or a CSV as the
/// sheet its name says).
fn read_tables(files: &[PathBuf]) -> Result<Vec<Table>> {
    let mut paths = Vec::new();
    for f in files {
        if f.is_dir() {
            let mut inner: Vec<PathBuf> = std::fs::read_dir(f)
                .with_context(|| format!("cannot read folder {}", f.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            inner.sort();
            paths.extend(inner);
        } else {
            paths.push(f.clone());
        }
    }
    let mut out = Vec::new();
    for p in paths {
        let bytes = std::fs::read(&p).with_context(|| format!("cannot read {}", p.display()))?;
        let ext = p
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if ext == "csv" {
            let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            let sheet = register::SHEETS
                .iter()
                .find(|(k, _, _)| Some(*k) == register::sheet_key(stem))
                .map(|(_, zh, _)| zh.to_string())
                .with_context(|| {
                    format!(
                        "{}: the file name must be a sheet's: {}",
                        p.display(),
                        register::SHEETS
                            .iter()
                            .map(|(k, zh, _)| format!("{zh}.csv or {k}.csv"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
            out.push(
                workbook::read_csv(&sheet, &bytes)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
            );
        } else {
            out.extend(
                workbook::read_xlsx(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
            );
        }
    }
    Ok(out)
}

pub fn run(c: Command) -> Result<()> {
    match c {
        Command::Template { out } => write_book(&out, &workbook::template()),
        Command::Import {
            database,
            dry_run,
            actor,
            files,
        } => {
            let tables = read_tables(&files)?;
            runtime()?.block_on(async {
                let store = Store::connect(&database).await?;
                let known = store.register_known().await?;
                let r = register::read(&tables, &known);
                for i in &r.issues {
                    eprintln!("{i}");
                }
                let (mut created, mut updated, mut unchanged, mut refused) = (0, 0, 0, 0);
                if !dry_run {
                    for (code, put) in store.import_firms(&r.firms, &actor).await? {
                        match put {
                            Ok(Put::Created) => created += 1,
                            Ok(Put::Updated) => updated += 1,
                            Ok(Put::Unchanged) => unchanged += 1,
                            Err(m) => {
                                refused += 1;
                                eprintln!("enterprise {code}: {m}");
                            }
                        }
                    }
                }
                println!(
                    "{} firms read from {} rows: {created} new, {updated} changed, {unchanged} unchanged{}; {} rows refused{}",
                    r.firms.len(),
                    r.rows,
                    if refused > 0 { format!(", {refused} refused") } else { String::new() },
                    r.issues.len(),
                    if dry_run { " (dry run: nothing stored)" } else { "" }
                );
                if r.issues.is_empty() && refused == 0 {
                    Ok(())
                } else {
                    bail!("{} rows and {refused} firms not loaded (listed above)", r.issues.len())
                }
            })
        }
        Command::Export { database, out } => runtime()?.block_on(async {
            let store = Store::connect(&database).await?;
            let firms: Vec<_> = store.firms().await?.into_iter().map(|f| f.firm).collect();
            write_book(&out, &register::tables(&firms))?;
            println!("{} firms written to {}", firms.len(), out.display());
            Ok(())
        }),
        Command::List { database, json } => runtime()?.block_on(async {
            let store = Store::connect(&database).await?;
            let day = lantian_types::time::now_beijing().date();
            let rows: Vec<serde_json::Value> = store
                .firms()
                .await?
                .into_iter()
                .map(|sf| {
                    let f = sf.firm;
                    serde_json::json!({
                        "credit_code": f.credit_code,
                        "name": f.name,
                        "township": f.township,
                        "key_industry": f.key_industry,
                        "grade": f.grade_on(day).map(|g| g.as_str()),
                        "outlets": f.outlets.iter().map(|o| &o.code).collect::<Vec<_>>(),
                        "meters": f.meters.len(),
                        "sample": f.sample,
                        "version": sf.version,
                    })
                })
                .collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in &rows {
                    println!(
                        "{}  {}  {}  {}  {}  {}",
                        r["credit_code"].as_str().unwrap_or(""),
                        r["name"].as_str().unwrap_or(""),
                        r["township"].as_str().unwrap_or(""),
                        r["key_industry"]
                            .as_str()
                            .filter(|s| !s.is_empty())
                            .unwrap_or("-"),
                        r["grade"].as_str().unwrap_or("-"),
                        r["outlets"]
                            .as_array()
                            .map(|o| o
                                .iter()
                                .filter_map(|x| x.as_str())
                                .collect::<Vec<_>>()
                                .join(","))
                            .unwrap_or_default(),
                    );
                }
                println!("{} firms", rows.len());
            }
            Ok(())
        }),
    }
}

fn write_book(out: &Path, tables: &[Table]) -> Result<()> {
    let bytes = workbook::write_xlsx(tables).map_err(anyhow::Error::msg)?;
    std::fs::write(out, bytes).with_context(|| format!("cannot write {}", out.display()))
}

/// Townships from a CSV: `name,code` or `乡镇街道,区划代码` (a header row
/// first); the error names the line.
pub fn read_townships(bytes: &[u8]) -> Result<Vec<Township>> {
    let t = workbook::read_csv("townships", bytes).map_err(anyhow::Error::msg)?;
    let col = |names: &[&str]| t.header.iter().position(|h| names.contains(&h.trim()));
    let name = col(&["name", "乡镇街道", "名称"])
        .context("townships CSV: no column `name` (or 乡镇街道) in the header")?;
    let code = col(&["code", "区划代码", "代码"]);
    let mut out = Vec::new();
    for (line, cells) in &t.rows {
        let n = cells.get(name).map(|s| s.trim()).unwrap_or("");
        if n.is_empty() {
            bail!("townships CSV, line {line}: the name is empty");
        }
        let c = code
            .and_then(|i| cells.get(i))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        if let Some(c) = &c
            && !((c.len() == 9 || c.len() == 12) && c.bytes().all(|b| b.is_ascii_digit()))
        {
            bail!("townships CSV, line {line}: code `{c}` is not 9 or 12 digits");
        }
        out.push(Township {
            name: n.to_string(),
            code: c,
            sample: 0,
        });
    }
    Ok(out)
}

pub fn township(c: TownshipCommand) -> Result<()> {
    match c {
        TownshipCommand::Import {
            database,
            actor,
            file,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let list = read_townships(&bytes).with_context(|| file.display().to_string())?;
            runtime()?.block_on(async {
                let store = Store::connect(&database).await?;
                let n = store.put_townships(&list, &actor).await?;
                println!("{} townships read, {n} added or changed", list.len());
                Ok(())
            })
        }
        TownshipCommand::List { database } => runtime()?.block_on(async {
            let store = Store::connect(&database).await?;
            let list = store.townships().await?;
            for t in &list {
                println!(
                    "{}  {}{}",
                    t.name,
                    t.code.as_deref().unwrap_or("-"),
                    if t.sample != 0 { "  (示例)" } else { "" }
                );
            }
            println!("{} townships", list.len());
            Ok(())
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_townships_csv_is_read_and_a_bad_line_named() {
        let t =
            read_townships("乡镇街道,区划代码\n羊册镇,411726102\n泌水街道,\n".as_bytes()).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].code.as_deref(), Some("411726102"));
        assert_eq!(t[1].code, None);
        let e = read_townships("name,code\n羊册镇,41172\n".as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "townships CSV, line 2: code `41172` is not 9 or 12 digits"
        );
        let e = read_townships("x,y\n1,2\n".as_bytes()).unwrap_err();
        assert!(e.to_string().contains("no column `name`"), "{e}");
    }
}
