//! `lantian review`: the data review (数据审核) from the terminal — mark
//! hours of a station invalid (or as an exceptional event), restore a
//! mark, list the marks — with the same checks (hours on the hour, a known
//! station, pollutant and reason, a note) and the same audit rows as the
//! page and `POST /api/v1/reviews`; `serve` follows the marks at its next
//! rebuild.

use anyhow::{Result, bail};
use lantian_server::http::error::ApiError;
use lantian_server::http::routes::reviews::{boundary, code_of};
use lantian_store::Store;
use lantian_store::reviews::NewReview;
use lantian_types::ReviewReason;
use lantian_types::time::shanghai_minute;

use crate::cmd::serve::runtime;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Mark hours of a station invalid (or as sand and dust, fireworks).
    Mark {
        /// The database (sqlite://PATH or postgres://…).
        #[arg(long)]
        database: String,
        /// The station's site code.
        #[arg(long)]
        station: String,
        /// One pollutant (PM2.5, …, or an HJ 212 code); default every one.
        #[arg(long)]
        pollutant: Option<String>,
        /// The first hour's start, Beijing time (`2026-01-05 00:00`, or a date).
        #[arg(long)]
        from: String,
        /// The end (exclusive), Beijing time.
        #[arg(long)]
        to: String,
        /// calibration, fault, sand_dust, fireworks or other.
        #[arg(long)]
        reason: String,
        /// Why (required).
        #[arg(long)]
        note: String,
        /// What shows it (a document, a log).
        #[arg(long, default_value = "")]
        evidence: String,
        /// Who marks (the audit log's actor).
        #[arg(long, default_value = "admin")]
        actor: String,
    },
    /// Restore a mark (its hours count again).
    Restore {
        #[arg(long)]
        database: String,
        /// Why it is restored.
        #[arg(long)]
        note: String,
        #[arg(long, default_value = "admin")]
        actor: String,
        id: i64,
    },
    /// The marks (of one station; `--active`: only those in force).
    List {
        #[arg(long)]
        database: String,
        #[arg(long)]
        station: Option<String>,
        #[arg(long)]
        active: bool,
    },
}

fn plain(e: ApiError) -> anyhow::Error {
    match e {
        ApiError::BadRequest(m) | ApiError::NotFound(m) | ApiError::Conflict(m) => {
            anyhow::anyhow!(m)
        }
        e => anyhow::anyhow!("{e:?}"),
    }
}

pub fn run(c: Command) -> Result<()> {
    runtime()?.block_on(async {
        match c {
            Command::Mark {
                database,
                station,
                pollutant,
                from,
                to,
                reason,
                note,
                evidence,
                actor,
            } => {
                let Some(why) = ReviewReason::ALL.into_iter().find(|r| r.as_str() == reason) else {
                    bail!("reason `{reason}`: calibration, fault, sand_dust, fireworks or other");
                };
                let m = NewReview {
                    site_code: station.trim().to_string(),
                    code: pollutant
                        .as_deref()
                        .filter(|p| !p.trim().is_empty())
                        .map(code_of)
                        .transpose()
                        .map_err(plain)?,
                    from_s: boundary("from", &from).map_err(plain)?,
                    to_s: boundary("to", &to).map_err(plain)?,
                    reason: why.as_str().to_string(),
                    note,
                    evidence,
                };
                let store = Store::connect(&database).await?;
                let id = store.mark_review(&m, &actor).await?;
                println!(
                    "review {id}: {} {} … {} marked {} ({})",
                    m.site_code,
                    shanghai_minute(m.from_s * 1000),
                    shanghai_minute(m.to_s * 1000),
                    why.as_str(),
                    why.name_zh()
                );
            }
            Command::Restore {
                database,
                note,
                actor,
                id,
            } => {
                let store = Store::connect(&database).await?;
                if !store.restore_review(id, &actor, &note).await? {
                    bail!("review {id}: no such mark");
                }
                println!("review {id}: restored");
            }
            Command::List {
                database,
                station,
                active,
            } => {
                let store = Store::connect(&database).await?;
                for r in store.reviews(station.as_deref(), active).await? {
                    println!(
                        "{}\t{}\t{}\t{} … {}\t{}\t{}\t{}",
                        r.id,
                        r.site_code,
                        r.code.as_deref().unwrap_or("*"),
                        shanghai_minute(r.from_s * 1000),
                        shanghai_minute(r.to_s * 1000),
                        r.reason,
                        if r.restored_ms.is_some() {
                            "restored"
                        } else {
                            "active"
                        },
                        r.note
                    );
                }
            }
        }
        Ok(())
    })
}
