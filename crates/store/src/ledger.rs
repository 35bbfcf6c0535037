//! The plan as a living ledger: plan files imported (the latest is in
//! force), monthly progress reports on its tasks with their evidence files,
//! and the tickets overdue tasks were escalated to. Each change is one
//! transaction with its audit row; a report is never overwritten (a second
//! report for the same month is a new row: the latest counts, the earlier
//! ones stay as history).

use crate::{BeginWrite, Error, Result, Store, now_ms, on, read};

/// An imported plan.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlanRow {
    pub id: i64,
    pub county: String,
    pub name: String,
    pub file: String,
    pub body: String,
    pub measures: i64,
    /// YYYY-MM-DD: progress reports are owed from this month on.
    pub ledger_start: String,
    pub sample: i64,
    pub imported_by: String,
    pub imported_ms: i64,
}

/// A progress report to store.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub plan_id: i64,
    pub task_key: String,
    pub owner: String,
    /// YYYY-MM-01.
    pub month: String,
    pub progress: i64,
    pub text: String,
    pub figures: String,
    pub submitted_by: String,
    pub submitted_ms: i64,
    pub sample: bool,
}

/// A stored report.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportRow {
    pub id: i64,
    pub plan_id: i64,
    pub task_key: String,
    pub owner: String,
    pub month: String,
    pub progress: i64,
    pub text: String,
    pub figures: String,
    pub submitted_by: String,
    pub submitted_ms: i64,
    pub sample: i64,
}

/// An evidence file of a report.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LedgerFile {
    pub id: i64,
    pub report_id: i64,
    pub sha256: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub at_ms: i64,
    pub actor: String,
}

const REPORT_COLUMNS: &str = "id, plan_id, task_key, owner, month, progress, text, figures, submitted_by, submitted_ms, sample";
const FILE_COLUMNS: &str = "id, report_id, sha256, name, content_type, size, at_ms, actor";

macro_rules! insert_report {
    ($ex:expr, $r:expr) => {{
        let r: &NewReport = $r;
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO ledger_reports (plan_id, task_key, owner, month, progress, text, figures, submitted_by, submitted_ms, sample) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(r.plan_id)
        .bind(&r.task_key)
        .bind(&r.owner)
        .bind(&r.month)
        .bind(r.progress)
        .bind(&r.text)
        .bind(&r.figures)
        .bind(&r.submitted_by)
        .bind(r.submitted_ms)
        .bind(i64::from(r.sample))
        .fetch_one($ex)
        .await
    }};
}

impl Store {
    /// Imports a plan file (already checked by its reader); it is in force
    /// from now on. Its id.
    #[allow(clippy::too_many_arguments)]
    pub async fn import_plan(
        &self,
        county: &str,
        name: &str,
        file: &str,
        body: &str,
        measures: usize,
        ledger_start: &str,
        sample: bool,
        actor: &str,
    ) -> Result<i64> {
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO plans (county, name, file, body, measures, ledger_start, sample, imported_by, imported_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(county)
            .bind(name)
            .bind(file)
            .bind(body)
            .bind(measures as i64)
            .bind(ledger_start)
            .bind(i64::from(sample))
            .bind(actor)
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await?;
            // A new version of the same plan (county and name) keeps the
            // ledger: its reports and escalations move to it, so progress
            // is not lost and no task is escalated twice in a year.
            for table in ["ledger_reports", "ledger_escalations"] {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE {table} SET plan_id = $1 WHERE plan_id IN (SELECT id FROM plans WHERE county = $2 AND name = $3 AND id <> $1)"
                )))
                .bind(id)
                .bind(county)
                .bind(name)
                .execute(&mut *tx)
                .await?;
            }
            let detail = format!(
                "plan {id}: {county} {name} ({file}, {measures} measures, reports owed from {ledger_start})"
            );
            crate::audit::audit_row!(&mut *tx, actor, "plan.import", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// The plan in force (the latest imported), if any.
    pub async fn plan(&self) -> Result<Option<PlanRow>> {
        read!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT id, county, name, file, body, measures, ledger_start, sample, imported_by, imported_ms FROM plans ORDER BY id DESC LIMIT 1",
            )
            .fetch_optional(&mut *c)
            .await?)
        })
    }

    /// Stores a progress report with its audit row; its id.
    pub async fn add_ledger_report(&self, r: &NewReport) -> Result<i64> {
        if !(0..=100).contains(&r.progress) {
            return Err(Error::Invalid(format!("progress {}: 0–100", r.progress)));
        }
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let id = insert_report!(&mut *tx, r)?;
            let detail = format!(
                "report {id}: {} {} {} %",
                r.task_key,
                r.month.get(..7).unwrap_or(&r.month),
                r.progress
            );
            crate::audit::audit_row!(
                &mut *tx,
                &r.submitted_by,
                "ledger.report",
                Some(detail.as_str())
            )?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Stores many reports in one transaction (the demo's history) with
    /// one audit row.
    pub async fn add_ledger_reports(&self, rs: &[NewReport], actor: &str) -> Result<usize> {
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            for r in rs {
                insert_report!(&mut *tx, r)?;
            }
            let detail = format!("{} reports", rs.len());
            crate::audit::audit_row!(&mut *tx, actor, "ledger.report", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(rs.len())
        })
    }

    /// The reports of a plan, of one owner or one task when given, oldest
    /// first.
    pub async fn ledger_reports(
        &self,
        plan_id: i64,
        owner: Option<&str>,
        task: Option<&str>,
    ) -> Result<Vec<ReportRow>> {
        let sql = format!(
            "SELECT {REPORT_COLUMNS} FROM ledger_reports WHERE plan_id = $1 \
             AND ($2 IS NULL OR owner = $2) AND ($3 IS NULL OR task_key = $3) ORDER BY month, submitted_ms, id"
        );
        read!(self, |c| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(plan_id)
                .bind(owner)
                .bind(task)
                .fetch_all(&mut *c)
                .await?)
        })
    }

    pub async fn ledger_report(&self, id: i64) -> Result<Option<ReportRow>> {
        let sql = format!("SELECT {REPORT_COLUMNS} FROM ledger_reports WHERE id = $1");
        read!(self, |c| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(id)
                .fetch_optional(&mut *c)
                .await?)
        })
    }

    /// Attaches an evidence file to a report (the bytes kept once by their
    /// SHA-256; the name is a label, never a path); its id.
    pub async fn attach_to_report(
        &self,
        report_id: i64,
        name: &str,
        content_type: &str,
        body: &[u8],
        actor: &str,
    ) -> Result<i64> {
        let name = lantian_types::text::plain(name, "file name", 120).map_err(Error::Invalid)?;
        let hash = crate::documents::sha256_hex(body);
        let at = now_ms();
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            crate::documents::blob_row!(&mut *tx, &hash, content_type, body)?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO ledger_files (report_id, sha256, name, content_type, size, at_ms, actor) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(report_id)
            .bind(&hash)
            .bind(&name)
            .bind(content_type)
            .bind(body.len() as i64)
            .bind(at)
            .bind(actor)
            .fetch_one(&mut *tx)
            .await?;
            let detail = format!(
                "report {report_id}: {name} ({} bytes, sha256 {hash})",
                body.len()
            );
            crate::audit::audit_row!(&mut *tx, actor, "ledger.attach", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// The evidence files of a plan's reports (of one owner when given).
    pub async fn ledger_files(&self, plan_id: i64, owner: Option<&str>) -> Result<Vec<LedgerFile>> {
        let sql = format!(
            "SELECT f.{} FROM ledger_files f JOIN ledger_reports r ON r.id = f.report_id \
             WHERE r.plan_id = $1 AND ($2 IS NULL OR r.owner = $2) ORDER BY f.id",
            FILE_COLUMNS.replace(", ", ", f.")
        );
        read!(self, |c| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(plan_id)
                .bind(owner)
                .fetch_all(&mut *c)
                .await?)
        })
    }

    /// An evidence file's facts and, when `bytes`, its bytes (the route
    /// asks whose it is before it reads them).
    pub async fn ledger_file(&self, id: i64, bytes: bool) -> Result<Option<(LedgerFile, Vec<u8>)>> {
        let sql = format!("SELECT {FILE_COLUMNS} FROM ledger_files WHERE id = $1");
        read!(self, |c| {
            let info: Option<LedgerFile> = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(id)
                .fetch_optional(&mut *c)
                .await?;
            let Some(info) = info else { return Ok(None) };
            let body = if bytes {
                crate::documents::blob_body!(&mut *c, &info.sha256)?
            } else {
                Vec::new()
            };
            Ok(Some((info, body)))
        })
    }

    /// The tasks of a plan escalated in a year: (task key, ticket id).
    pub async fn ledger_escalations(&self, plan_id: i64, year: i32) -> Result<Vec<(String, i64)>> {
        read!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT task_key, ticket_id FROM ledger_escalations WHERE plan_id = $1 AND year = $2 ORDER BY task_key",
            )
            .bind(plan_id)
            .bind(i64::from(year))
            .fetch_all(&mut *c)
            .await?)
        })
    }
}
