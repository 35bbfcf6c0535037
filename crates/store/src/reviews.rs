//! Data review (数据审核): marks over hours of a station or an outlet (one
//! pollutant's factor code or all), with a reason, a note and evidence;
//! restored, never deleted. Marking and restoring are each one transaction
//! with their audit row; a mark is restored once (the second of two
//! concurrent restores is a conflict). The figures apply the active marks
//! (`lantian_assess::review`).

use crate::{BeginWrite, Error, Result, Store, now_ms, on, read};

/// Hours one mark may cover at most (a year and a day).
pub const MAX_REVIEW_HOURS: i64 = 366 * 24;

/// A mark to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReview {
    pub site_code: String,
    /// HJ 212 factor code (a34004, …); `None`: every pollutant.
    pub code: Option<String>,
    /// UTC seconds: start of the first hour, end of the last (exclusive).
    pub from_s: i64,
    pub to_s: i64,
    /// `ReviewReason::as_str`.
    pub reason: String,
    pub note: String,
    pub evidence: String,
}

/// A stored mark and its trail.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReviewRow {
    pub id: i64,
    pub site_code: String,
    pub code: Option<String>,
    pub from_s: i64,
    pub to_s: i64,
    pub reason: String,
    pub note: String,
    pub evidence: String,
    pub marked_by: String,
    pub marked_ms: i64,
    pub restored_by: Option<String>,
    pub restored_ms: Option<i64>,
    pub restore_note: Option<String>,
}

const COLUMNS: &str = "r.id, s.code AS site_code, r.code, r.from_s, r.to_s, r.reason, r.note, r.evidence, \
     r.marked_by, r.marked_ms, r.restored_by, r.restored_ms, r.restore_note";

impl Store {
    /// Marks hours as `actor`; returns the mark's id. The site must exist;
    /// the range must start and end on the hour, be non-empty and at most
    /// [`MAX_REVIEW_HOURS`] long.
    pub async fn mark_review(&self, m: &NewReview, actor: &str) -> Result<i64> {
        if m.from_s % 3600 != 0 || m.to_s % 3600 != 0 {
            return Err(Error::Invalid(
                "from and to must be on the hour (HH:00)".into(),
            ));
        }
        if m.to_s <= m.from_s {
            return Err(Error::Invalid("to must be after from".into()));
        }
        if (m.to_s - m.from_s) / 3600 > MAX_REVIEW_HOURS {
            return Err(Error::Invalid(format!(
                "a mark covers at most {MAX_REVIEW_HOURS} hours; split it"
            )));
        }
        if m.note.trim().is_empty() {
            return Err(Error::Invalid("a mark needs a note (why)".into()));
        }
        let now = now_ms();
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let site: Option<i64> = sqlx::query_scalar("SELECT id FROM sites WHERE code = $1")
                .bind(&m.site_code)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(site) = site else {
                return Err(Error::Invalid(format!("no station {}", m.site_code)));
            };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO reviews (site_id, code, from_s, to_s, reason, note, evidence, marked_by, marked_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(site)
            .bind(m.code.as_deref())
            .bind(m.from_s)
            .bind(m.to_s)
            .bind(&m.reason)
            .bind(m.note.trim())
            .bind(m.evidence.trim())
            .bind(actor)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let detail = format!(
                "review {id}: {} {} [{}, {}) {}: {}",
                m.site_code,
                m.code.as_deref().unwrap_or("*"),
                m.from_s,
                m.to_s,
                m.reason,
                m.note.trim()
            );
            crate::audit::audit_row!(&mut *tx, actor, "review.mark", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Restores a mark (its hours count again) as `actor`, with a note.
    /// `Ok(false)`: no such mark; a mark already restored is a conflict.
    pub async fn restore_review(&self, id: i64, actor: &str, note: &str) -> Result<bool> {
        let now = now_ms();
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let r = sqlx::query(
                "UPDATE reviews SET restored_by = $1, restored_ms = $2, restore_note = $3 \
                 WHERE id = $4 AND restored_ms IS NULL",
            )
            .bind(actor)
            .bind(now)
            .bind(note.trim())
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() != 1 {
                let exists: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM reviews WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                return match exists {
                    None => Ok(false),
                    Some(_) => Err(Error::Conflict(format!(
                        "review {id} was already restored; reload it"
                    ))),
                };
            }
            let detail = format!("review {id} restored: {}", note.trim());
            crate::audit::audit_row!(&mut *tx, actor, "review.restore", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Marks, newest first: of one station (or all), active only or with
    /// the restored ones.
    pub async fn reviews(
        &self,
        site_code: Option<&str>,
        active_only: bool,
    ) -> Result<Vec<ReviewRow>> {
        let mut sql =
            format!("SELECT {COLUMNS} FROM reviews r JOIN sites s ON s.id = r.site_id WHERE 1 = 1");
        if site_code.is_some() {
            sql.push_str(" AND s.code = $1");
        }
        if active_only {
            sql.push_str(" AND r.restored_ms IS NULL");
        }
        sql.push_str(" ORDER BY r.id DESC");
        read!(self, |c| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            if let Some(code) = site_code {
                q = q.bind(code);
            }
            Ok(q.fetch_all(&mut *c).await?)
        })
    }

    pub async fn review(&self, id: i64) -> Result<Option<ReviewRow>> {
        read!(self, |c| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM reviews r JOIN sites s ON s.id = r.site_id WHERE r.id = $1"
            )))
            .bind(id)
            .fetch_optional(&mut *c)
            .await?)
        })
    }
}
