//! The report archive: one row per kind and period. The row is also the
//! cluster's lock: a node makes a report only after its INSERT (or, to
//! make it again, its guarded UPDATE) won, so two nodes on one database
//! make each scheduled report once. A running claim older than `stale_ms`
//! (its node died) may be taken over.

use crate::{BeginWrite, Error, Result, Store, now_ms, on, read};

const COLUMNS: &str = "id, kind, period, state, progress, error, params, pdf_sha256, xlsx_sha256, \
     public_pdf_sha256, public, sample, requested_by, node, requested_ms, started_ms, done_ms, version";

/// An archived report (without its model and files).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReportRow {
    pub id: i64,
    pub kind: String,
    pub period: String,
    /// running, done or failed.
    pub state: String,
    pub progress: String,
    pub error: Option<String>,
    pub params: String,
    pub pdf_sha256: Option<String>,
    pub xlsx_sha256: Option<String>,
    /// The public copy's PDF (public reports only).
    pub public_pdf_sha256: Option<String>,
    pub public: i64,
    pub sample: i64,
    pub requested_by: String,
    pub node: Option<String>,
    pub requested_ms: i64,
    pub started_ms: Option<i64>,
    pub done_ms: Option<i64>,
    pub version: i64,
}

/// What a claim got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This caller makes it (the row's id and version).
    Won(i64, i64),
    /// Another node is making it now.
    Busy(i64),
    /// It exists already (and no remake was asked).
    Exists(i64),
}

/// A made report's files and model.
pub struct Made<'a> {
    pub pdf: &'a [u8],
    pub xlsx: &'a [u8],
    pub model: &'a str,
    pub sample: bool,
    /// The public copy of a public report (without what only the county's
    /// offices may read).
    pub public_pdf: Option<&'a [u8]>,
}

impl Store {
    /// Claims the making of (`kind`, `period`) for `node`: a new row, or
    /// with `remake` an existing one that is not being made (or whose
    /// making went stale); with its audit row.
    #[allow(clippy::too_many_arguments)]
    pub async fn claim_report(
        &self,
        kind: &str,
        period: &str,
        params: &str,
        by: &str,
        node: &str,
        remake: bool,
        stale_ms: i64,
    ) -> Result<Claim> {
        let now = now_ms();
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let new: Option<i64> = sqlx::query_scalar(
                "INSERT INTO reports (kind, period, state, progress, params, requested_by, node, requested_ms, started_ms, version) \
                 VALUES ($1, $2, 'running', 'queued', $3, $4, $5, $6, $6, 1) \
                 ON CONFLICT (kind, period) DO NOTHING RETURNING id",
            )
            .bind(kind)
            .bind(period)
            .bind(params)
            .bind(by)
            .bind(node)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let claim = match new {
                Some(id) => Claim::Won(id, 1),
                None => {
                    let (id, state, started): (i64, String, Option<i64>) = sqlx::query_as(
                        "SELECT id, state, started_ms FROM reports WHERE kind = $1 AND period = $2",
                    )
                    .bind(kind)
                    .bind(period)
                    .fetch_one(&mut *tx)
                    .await?;
                    let stale = state == "running" && started.is_none_or(|s| s < now - stale_ms);
                    if state == "running" && !stale {
                        Claim::Busy(id)
                    } else if !remake && !stale {
                        Claim::Exists(id)
                    } else {
                        let won: Option<i64> = sqlx::query_scalar(
                            "UPDATE reports SET state = 'running', progress = 'queued', error = NULL, params = $1, \
                             requested_by = $2, node = $3, requested_ms = $4, started_ms = $4, done_ms = NULL, \
                             version = version + 1 \
                             WHERE id = $5 AND state = $6 AND (started_ms IS NULL OR started_ms = $7) RETURNING version",
                        )
                        .bind(params)
                        .bind(by)
                        .bind(node)
                        .bind(now)
                        .bind(id)
                        .bind(&state)
                        .bind(started)
                        .fetch_optional(&mut *tx)
                        .await?;
                        match won {
                            Some(v) => Claim::Won(id, v),
                            None => Claim::Busy(id),
                        }
                    }
                }
            };
            if let Claim::Won(id, v) = claim {
                let detail = format!("report {id} ({kind} {period}) v{v} on {node}");
                crate::audit::audit_row!(&mut *tx, by, "report.make", Some(detail.as_str()))?;
            }
            tx.commit().await?;
            Ok(claim)
        })
    }

    /// Says how far the making of version `version` of report `id` got.
    pub async fn report_progress(&self, id: i64, version: i64, progress: &str) -> Result<()> {
        on!(self, write, |p| {
            sqlx::query(
                "UPDATE reports SET progress = $1 WHERE id = $2 AND version = $3 AND state = 'running'",
            )
            .bind(progress)
            .bind(id)
            .bind(version)
            .execute(p)
            .await?;
            Ok(())
        })
    }

    /// Ends the making of version `version` of report `id`: its files kept
    /// (or the error), with the audit row, in one transaction.
    pub async fn finish_report(
        &self,
        id: i64,
        version: i64,
        made: std::result::Result<Made<'_>, String>,
        by: &str,
    ) -> Result<()> {
        let now = now_ms();
        let hashes = match &made {
            Ok(m) => (
                crate::documents::sha256_hex(m.pdf),
                crate::documents::sha256_hex(m.xlsx),
            ),
            Err(_) => (String::new(), String::new()),
        };
        let public_hash = match &made {
            Ok(Made {
                public_pdf: Some(b),
                ..
            }) => Some(crate::documents::sha256_hex(b)),
            _ => None,
        };
        let detail = match &made {
            Ok(m) => format!(
                "report {id} v{version}: pdf {} bytes sha256 {}; xlsx {} bytes sha256 {}",
                m.pdf.len(),
                hashes.0,
                m.xlsx.len(),
                hashes.1
            ),
            Err(e) => format!("report {id} v{version} failed: {e}"),
        };
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let r = match &made {
                Ok(m) => {
                    let (pdf, xlsx) = &hashes;
                    crate::documents::blob_row!(&mut *tx, pdf, "application/pdf", m.pdf)?;
                    crate::documents::blob_row!(
                        &mut *tx,
                        xlsx,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        m.xlsx
                    )?;
                    if let (Some(h), Some(b)) = (&public_hash, m.public_pdf) {
                        crate::documents::blob_row!(&mut *tx, h, "application/pdf", b)?;
                    }
                    sqlx::query(
                        "UPDATE reports SET state = 'done', progress = 'done', pdf_sha256 = $1, xlsx_sha256 = $2, \
                         model = $3, sample = $4, public = $5, public_pdf_sha256 = $9, done_ms = $6 \
                         WHERE id = $7 AND version = $8 AND state = 'running'",
                    )
                    .bind(pdf)
                    .bind(xlsx)
                    .bind(m.model)
                    .bind(i64::from(m.sample))
                    .bind(i64::from(public_hash.is_some()))
                    .bind(now)
                    .bind(id)
                    .bind(version)
                    .bind(&public_hash)
                    .execute(&mut *tx)
                    .await?
                }
                Err(e) => {
                    sqlx::query(
                        "UPDATE reports SET state = 'failed', progress = 'failed', error = $1, done_ms = $2 \
                         WHERE id = $3 AND version = $4 AND state = 'running'",
                    )
                    .bind(e)
                    .bind(now)
                    .bind(id)
                    .bind(version)
                    .execute(&mut *tx)
                    .await?
                }
            };
            if r.rows_affected() != 1 {
                return Err(Error::Conflict(format!(
                    "report {id} v{version} is no longer being made here"
                )));
            }
            crate::audit::audit_row!(&mut *tx, by, "report.done", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The archive (of one kind when given), newest first.
    pub async fn reports(&self, kind: Option<&str>, limit: i64) -> Result<Vec<ReportRow>> {
        let filter = if kind.is_some() {
            "WHERE kind = $2"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM reports {filter} ORDER BY requested_ms DESC, id DESC LIMIT $1"
        );
        read!(self, |c| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(limit);
            if let Some(k) = kind {
                q = q.bind(k);
            }
            Ok(q.fetch_all(&mut *c).await?)
        })
    }

    /// The public reports made, newest period first (all of them: a
    /// county has one a year).
    pub async fn public_reports(&self) -> Result<Vec<ReportRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM reports WHERE public <> 0 AND state = 'done' ORDER BY period DESC, id DESC"
        );
        read!(self, |c| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .fetch_all(&mut *c)
                .await?)
        })
    }

    /// One archived report.
    pub async fn report(&self, id: i64) -> Result<Option<ReportRow>> {
        let sql = format!("SELECT {COLUMNS} FROM reports WHERE id = $1");
        read!(self, |c| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(id)
                .fetch_optional(&mut *c)
                .await?)
        })
    }

    /// A made report's file (`pdf`, `xlsx`, the public copy `public`) or
    /// model (`json`); `None` unless it is made (not while it is made
    /// again, nor after that failed: a file is always of the version shown).
    pub async fn report_file(&self, id: i64, format: &str) -> Result<Option<(ReportRow, Vec<u8>)>> {
        let Some(row) = self.report(id).await?.filter(|r| r.state == "done") else {
            return Ok(None);
        };
        let hash = match format {
            "pdf" => row.pdf_sha256.clone(),
            "public" => row.public_pdf_sha256.clone(),
            "xlsx" => row.xlsx_sha256.clone(),
            "json" => {
                let model: Option<String> = read!(self, |c| {
                    Ok(
                        sqlx::query_scalar("SELECT model FROM reports WHERE id = $1")
                            .bind(id)
                            .fetch_one(&mut *c)
                            .await?,
                    )
                })?;
                return Ok(model.map(|m| (row, m.into_bytes())));
            }
            other => {
                return Err(Error::Invalid(format!(
                    "`{other}`: pdf, xlsx, public or json"
                )));
            }
        };
        let Some(hash) = hash else { return Ok(None) };
        let body = read!(self, |c| Ok(crate::documents::blob_body!(&mut *c, &hash)?))?;
        Ok(Some((row, body)))
    }
}
