//! The emergency reduction list (应急减排清单) and the county's emission
//! inventory. A list row is one firm × line × level; every change — made
//! from the templates, imported, or edited — is one transaction with its
//! history row (the row before and after, as JSON) and an audit row. An
//! edit names the version it read: of two edits of one row at once, one
//! wins and the other is a conflict.

use crate::{BeginWrite, Error, Result, Store, on, read};

/// A row of the list as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReductionRow {
    pub credit_code: String,
    pub line: String,
    pub level: String,
    pub action: String,
    pub percent: Option<i64>,
    pub basis: String,
    /// Normal emissions, t/d: `SO2 NOx PM VOCs`.
    pub normal: String,
    /// Expected cuts, t/d, in the same order.
    pub expected: String,
    pub origin: String,
    pub note: String,
    pub sample: i64,
    pub version: i64,
    pub updated_ms: i64,
    pub updated_by: String,
}

/// A row to write: `read_version` for an edit (the version the caller
/// read; a row changed since is a conflict), `None` to make or replace it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReductionPut {
    pub credit_code: String,
    pub line: String,
    pub level: String,
    pub action: String,
    pub percent: Option<i64>,
    pub basis: String,
    pub normal: String,
    pub expected: String,
    pub origin: String,
    pub note: String,
    pub sample: bool,
    pub read_version: Option<i64>,
    /// The row must not exist yet (a new row's edit): one that does is a
    /// conflict, even when another writer made it a moment ago.
    pub must_be_new: bool,
    /// Leave a row the bureau edited or imported as it is (a generation
    /// that does not overwrite), checked inside the transaction.
    pub keep_edited: bool,
}

/// A change of a row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReductionChange {
    pub at_ms: i64,
    pub actor: String,
    pub credit_code: String,
    pub line: String,
    pub level: String,
    pub before_row: Option<String>,
    pub after_row: String,
}

/// The county's whole-society emissions of one pollutant.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InventoryRow {
    pub pollutant: String,
    /// t/d, an exact decimal.
    pub t_per_day: String,
    pub year: Option<i64>,
    pub document: String,
    pub updated_ms: i64,
    pub updated_by: String,
}

const COLUMNS: &str = "credit_code, line, level, action, percent, basis, normal, expected, origin, note, sample, version, updated_ms, updated_by";

fn same(r: &ReductionRow, p: &ReductionPut) -> bool {
    r.action == p.action
        && r.percent == p.percent
        && r.basis == p.basis
        && r.normal == p.normal
        && r.expected == p.expected
        && r.note == p.note
        && r.sample == i64::from(p.sample)
}

fn json_of(r: &ReductionRow) -> String {
    serde_json::json!({
        "action": r.action,
        "percent": r.percent,
        "basis": r.basis,
        "normal": r.normal,
        "expected": r.expected,
        "origin": r.origin,
        "note": r.note,
        "version": r.version,
    })
    .to_string()
}

impl Store {
    /// The list, of one firm or of all, by firm, line and level.
    pub async fn reduction_rows(&self, credit_code: Option<&str>) -> Result<Vec<ReductionRow>> {
        read!(self, |c| {
            Ok(match credit_code {
                Some(code) => {
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {COLUMNS} FROM reduction_lines WHERE credit_code = $1 ORDER BY credit_code, line, level"
                    )))
                    .bind(code)
                    .fetch_all(&mut *c)
                    .await?
                }
                None => {
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {COLUMNS} FROM reduction_lines ORDER BY credit_code, line, level"
                    )))
                    .fetch_all(&mut *c)
                    .await?
                }
            })
        })
    }

    /// Writes rows in one transaction (each changed row with its history
    /// row; unchanged rows are left alone); the rows changed. An edit whose
    /// row moved past the version it read fails the whole call with
    /// [`Error::Conflict`].
    pub async fn put_reduction(
        &self,
        rows: &[ReductionPut],
        actor: &str,
        at_ms: i64,
    ) -> Result<usize> {
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let mut changed = 0;
            for r in rows {
                let before: Option<ReductionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM reduction_lines WHERE credit_code = $1 AND line = $2 AND level = $3"
                )))
                .bind(&r.credit_code)
                .bind(&r.line)
                .bind(&r.level)
                .fetch_optional(&mut *tx)
                .await?;
                if let (Some(v), b) = (r.read_version, &before)
                    && b.as_ref().map(|b| b.version) != Some(v)
                {
                    return Err(Error::Conflict(format!(
                        "{} {} {}: changed since version {v}",
                        r.credit_code, r.line, r.level
                    )));
                }
                if r.must_be_new && before.is_some() {
                    return Err(Error::Conflict(format!(
                        "{} {} {}: the row exists; send the version read",
                        r.credit_code, r.line, r.level
                    )));
                }
                if r.keep_edited
                    && before
                        .as_ref()
                        .is_some_and(|b| b.origin == "edited" || b.origin == "imported")
                {
                    continue;
                }
                if before
                    .as_ref()
                    .is_some_and(|b| same(b, r) && b.origin == r.origin)
                {
                    continue;
                }
                let n = match (r.read_version, &before) {
                    (Some(v), Some(_)) => sqlx::query(
                        "UPDATE reduction_lines SET action = $4, percent = $5, basis = $6, normal = $7, expected = $8, origin = $9, note = $10, sample = $11, \
                         version = version + 1, updated_ms = $12, updated_by = $13 \
                         WHERE credit_code = $1 AND line = $2 AND level = $3 AND version = $14",
                    )
                    .bind(&r.credit_code)
                    .bind(&r.line)
                    .bind(&r.level)
                    .bind(&r.action)
                    .bind(r.percent)
                    .bind(&r.basis)
                    .bind(&r.normal)
                    .bind(&r.expected)
                    .bind(&r.origin)
                    .bind(&r.note)
                    .bind(i64::from(r.sample))
                    .bind(at_ms)
                    .bind(actor)
                    .bind(v)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
                    _ => sqlx::query(sqlx::AssertSqlSafe(format!(
                        "INSERT INTO reduction_lines (credit_code, line, level, action, percent, basis, normal, expected, origin, note, sample, version, updated_ms, updated_by) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $13) {}",
                        if r.must_be_new {
                            "ON CONFLICT (credit_code, line, level) DO NOTHING".to_string()
                        } else {
                            format!(
                                "ON CONFLICT (credit_code, line, level) DO UPDATE SET action = excluded.action, percent = excluded.percent, basis = excluded.basis, \
                                 normal = excluded.normal, expected = excluded.expected, origin = excluded.origin, note = excluded.note, sample = excluded.sample, \
                                 version = reduction_lines.version + 1, updated_ms = excluded.updated_ms, updated_by = excluded.updated_by{}",
                                if r.keep_edited {
                                    " WHERE reduction_lines.origin NOT IN ('edited', 'imported')"
                                } else {
                                    ""
                                }
                            )
                        }
                    )))
                    .bind(&r.credit_code)
                    .bind(&r.line)
                    .bind(&r.level)
                    .bind(&r.action)
                    .bind(r.percent)
                    .bind(&r.basis)
                    .bind(&r.normal)
                    .bind(&r.expected)
                    .bind(&r.origin)
                    .bind(&r.note)
                    .bind(i64::from(r.sample))
                    .bind(at_ms)
                    .bind(actor)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
                };
                if n == 0 && r.keep_edited && r.read_version.is_none() {
                    // Edited by the bureau since it was read: kept.
                    continue;
                }
                if n == 0 {
                    return Err(Error::Conflict(format!(
                        "{} {} {}: changed by someone else",
                        r.credit_code, r.line, r.level
                    )));
                }
                let after: ReductionRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM reduction_lines WHERE credit_code = $1 AND line = $2 AND level = $3"
                )))
                .bind(&r.credit_code)
                .bind(&r.line)
                .bind(&r.level)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO reduction_history (at_ms, actor, credit_code, line, level, before_row, after_row) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(at_ms)
                .bind(actor)
                .bind(&r.credit_code)
                .bind(&r.line)
                .bind(&r.level)
                .bind(before.as_ref().map(json_of))
                .bind(json_of(&after))
                .execute(&mut *tx)
                .await?;
                changed += 1;
            }
            if changed > 0 {
                let detail = format!("{changed} rows");
                crate::audit::audit_row!(&mut *tx, actor, "reduction.put", Some(detail.as_str()))?;
            }
            tx.commit().await?;
            Ok(changed)
        })
    }

    /// A firm's changes, newest first.
    pub async fn reduction_history(
        &self,
        credit_code: &str,
        limit: i64,
    ) -> Result<Vec<ReductionChange>> {
        read!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT at_ms, actor, credit_code, line, level, before_row, after_row FROM reduction_history \
                 WHERE credit_code = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(credit_code)
            .bind(limit.clamp(1, 10_000))
            .fetch_all(&mut *c)
            .await?)
        })
    }

    /// The county's emission inventory.
    pub async fn inventory(&self) -> Result<Vec<InventoryRow>> {
        read!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT pollutant, t_per_day, year, document, updated_ms, updated_by FROM emission_inventory ORDER BY pollutant",
            )
            .fetch_all(&mut *c)
            .await?)
        })
    }

    /// Sets the inventory of the pollutants given (pollutant, t/d, year,
    /// document), with an audit row.
    pub async fn put_inventory(
        &self,
        rows: &[(String, String, Option<i64>, String)],
        actor: &str,
        at_ms: i64,
    ) -> Result<()> {
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            for (pollutant, t, year, doc) in rows {
                sqlx::query(
                    "INSERT INTO emission_inventory (pollutant, t_per_day, year, document, updated_ms, updated_by) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (pollutant) DO UPDATE SET t_per_day = excluded.t_per_day, year = excluded.year, document = excluded.document, \
                     updated_ms = excluded.updated_ms, updated_by = excluded.updated_by",
                )
                .bind(pollutant)
                .bind(t)
                .bind(year)
                .bind(doc)
                .bind(at_ms)
                .bind(actor)
                .execute(&mut *tx)
                .await?;
            }
            let detail = rows
                .iter()
                .map(|r| format!("{} {}", r.0, r.1))
                .collect::<Vec<_>>()
                .join(", ");
            crate::audit::audit_row!(&mut *tx, actor, "inventory.put", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(())
        })
    }
}
