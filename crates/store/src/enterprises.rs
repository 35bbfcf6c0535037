//! The enterprise register and the county's townships. A firm is one row
//! holding its whole record as JSON ([`Firm`]: lines, outlets, facilities,
//! meters, grades with their history, white list, limits) beside the
//! columns lists filter by; its outlets and meters are also rows, rewritten
//! with every change, so that an MN is the device of one outlet in the
//! county and the judging job finds an outlet by its device. Every change
//! keeps the record before and after, with who and when
//! (`enterprise_changes`), in the change's transaction, with its audit row.

use lantian_sources::register::Firm;

use crate::{BeginWrite, Error, Result, Store, now_ms, on, read};

/// A township of the county.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Township {
    pub name: String,
    pub code: Option<String>,
    pub sample: i64,
}

/// A firm as stored: its record, version, and last change.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFirm {
    pub id: i64,
    pub firm: Firm,
    /// Counts changes (a writer that read version n writes n + 1).
    pub version: i64,
    pub updated_ms: i64,
    pub updated_by: String,
}

/// One change of a firm's record.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FirmChange {
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub before_doc: Option<String>,
    pub after_doc: Option<String>,
}

/// What an outlet's device is: the firm and outlet it measures.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutletOf {
    pub credit_code: String,
    pub outlet: String,
    pub mn: String,
}

#[derive(sqlx::FromRow)]
struct FirmRow {
    id: i64,
    doc: String,
    version: i64,
    updated_ms: i64,
    updated_by: String,
}

impl TryFrom<FirmRow> for StoredFirm {
    type Error = Error;
    fn try_from(r: FirmRow) -> Result<StoredFirm> {
        let firm: Firm = serde_json::from_str(&r.doc).map_err(|e| {
            Error::Invalid(format!(
                "enterprise row {}: its record does not read: {e}",
                r.id
            ))
        })?;
        Ok(StoredFirm {
            id: r.id,
            firm,
            version: r.version,
            updated_ms: r.updated_ms,
            updated_by: r.updated_by,
        })
    }
}

/// How a put went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    Created,
    Updated,
    /// The record is what was stored already: nothing written.
    Unchanged,
}

const SELECT_FIRM: &str = "SELECT id, doc, version, updated_ms, updated_by FROM enterprises";

impl Store {
    /// Replaces the county's townships' list entries named in `list`
    /// (adding new ones); returns how many were added.
    pub async fn put_townships(&self, list: &[Township], actor: &str) -> Result<usize> {
        for t in list {
            lantian_types::text::plain(&t.name, "township", 32).map_err(Error::Invalid)?;
        }
        let now = now_ms();
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let mut added = 0;
            for t in list {
                let r = sqlx::query(
                    "INSERT INTO townships (name, code, sample, updated_ms) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (name) DO UPDATE SET code = excluded.code, sample = excluded.sample, updated_ms = excluded.updated_ms \
                     WHERE townships.code IS DISTINCT FROM excluded.code OR townships.sample <> excluded.sample",
                )
                .bind(t.name.trim())
                .bind(&t.code)
                .bind(t.sample)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                added += r.rows_affected() as usize;
            }
            let detail = format!("{} townships", list.len());
            crate::audit::audit_row!(&mut *tx, actor, "townships.put", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(added)
        })
    }

    pub async fn townships(&self) -> Result<Vec<Township>> {
        read!(self, |c| {
            Ok(
                sqlx::query_as("SELECT name, code, sample FROM townships ORDER BY name")
                    .fetch_all(&mut *c)
                    .await?,
            )
        })
    }

    /// Registers or replaces a firm (and its outlets and meters), keeping
    /// the change with who and when. `expect_version`: the version the
    /// writer read (a concurrent change makes the put fail), or `None` to
    /// replace whatever is there (an import).
    pub async fn put_firm(
        &self,
        firm: &Firm,
        expect_version: Option<i64>,
        actor: &str,
    ) -> Result<Put> {
        lantian_types::text::plain(&firm.name, "enterprise name", 100).map_err(Error::Invalid)?;
        lantian_types::text::lon_lat(firm.lon, firm.lat).map_err(Error::Invalid)?;
        let doc = serde_json::to_string(firm).map_err(|e| Error::Invalid(e.to_string()))?;
        let now = now_ms();
        let code = firm.credit_code.as_str();
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let old: Option<(i64, String, i64)> =
                sqlx::query_as("SELECT id, doc, version FROM enterprises WHERE credit_code = $1")
                    .bind(code)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let (Some(want), Some((_, _, have))) = (expect_version, &old)
                && want != *have
            {
                return Err(Error::Conflict(format!(
                    "enterprise {code} was changed by someone else (version {have}, not {want}); reload it"
                )));
            }
            if let Some((_, before, _)) = &old
                && *before == doc
            {
                return Ok(Put::Unchanged);
            }
            let (id, put) = match &old {
                Some((id, _, _)) => {
                    sqlx::query(
                        "UPDATE enterprises SET name = $1, township = $2, industry = $3, key_industry = $4, sample = $5, doc = $6, \
                         version = version + 1, updated_ms = $7, updated_by = $8 WHERE id = $9",
                    )
                    .bind(&firm.name)
                    .bind(&firm.township)
                    .bind(&firm.industry)
                    .bind(&firm.key_industry)
                    .bind(i64::from(firm.sample))
                    .bind(&doc)
                    .bind(now)
                    .bind(actor)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    (*id, Put::Updated)
                }
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO enterprises (credit_code, name, township, industry, key_industry, sample, doc, version, updated_ms, updated_by) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9) RETURNING id",
                    )
                    .bind(code)
                    .bind(&firm.name)
                    .bind(&firm.township)
                    .bind(&firm.industry)
                    .bind(&firm.key_industry)
                    .bind(i64::from(firm.sample))
                    .bind(&doc)
                    .bind(now)
                    .bind(actor)
                    .fetch_one(&mut *tx)
                    .await?;
                    (id, Put::Created)
                }
            };
            sqlx::query("DELETE FROM outlets WHERE enterprise_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM meters WHERE enterprise_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            for o in &firm.outlets {
                if let Some(mn) = &o.mn {
                    let taken: Option<(String, String)> = sqlx::query_as(
                        "SELECT e.credit_code, o.code FROM outlets o JOIN enterprises e ON e.id = o.enterprise_id WHERE o.mn = $1",
                    )
                    .bind(mn)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some((firm_code, outlet)) = taken {
                        return Err(Error::Invalid(format!(
                            "outlet {} of {code}: MN {mn} is already the device of outlet {outlet} of {firm_code}",
                            o.code
                        )));
                    }
                }
                sqlx::query("INSERT INTO outlets (enterprise_id, code, mn) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(&o.code)
                    .bind(&o.mn)
                    .execute(&mut *tx)
                    .await?;
            }
            for m in &firm.meters {
                sqlx::query(
                    "INSERT INTO meters (enterprise_id, code, mn, factor) VALUES ($1, $2, $3, $4)",
                )
                .bind(id)
                .bind(&m.code)
                .bind(&m.mn)
                .bind(&m.factor)
                .execute(&mut *tx)
                .await?;
            }
            let action = if put == Put::Created {
                "create"
            } else {
                "update"
            };
            sqlx::query(
                "INSERT INTO enterprise_changes (at_ms, actor, credit_code, action, before_doc, after_doc) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(now)
            .bind(actor)
            .bind(code)
            .bind(action)
            .bind(old.as_ref().map(|o| o.1.as_str()))
            .bind(&doc)
            .execute(&mut *tx)
            .await?;
            let what = format!("enterprise.{action}");
            crate::audit::audit_row!(&mut *tx, actor, what.as_str(), Some(code))?;
            tx.commit().await?;
            Ok(put)
        })
    }

    /// Removes a firm from the register (its history stays).
    pub async fn delete_firm(&self, code: &str, actor: &str) -> Result<bool> {
        let now = now_ms();
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let old: Option<(i64, String)> =
                sqlx::query_as("SELECT id, doc FROM enterprises WHERE credit_code = $1")
                    .bind(code)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((id, doc)) = old else {
                return Ok(false);
            };
            sqlx::query("DELETE FROM outlets WHERE enterprise_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM meters WHERE enterprise_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM enterprises WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO enterprise_changes (at_ms, actor, credit_code, action, before_doc, after_doc) VALUES ($1, $2, $3, 'delete', $4, NULL)",
            )
            .bind(now)
            .bind(actor)
            .bind(code)
            .bind(&doc)
            .execute(&mut *tx)
            .await?;
            crate::audit::audit_row!(&mut *tx, actor, "enterprise.delete", Some(code))?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Every firm, by name (an API read).
    pub async fn firms(&self) -> Result<Vec<StoredFirm>> {
        let rows: Vec<FirmRow> = read!(self, |c| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{SELECT_FIRM} ORDER BY name, credit_code"
            )))
            .fetch_all(&mut *c)
            .await?)
        })?;
        rows.into_iter().map(StoredFirm::try_from).collect()
    }

    /// Every firm, on the background pool (the judging job's reload).
    pub async fn firms_bulk(&self) -> Result<Vec<StoredFirm>> {
        let rows: Vec<FirmRow> = on!(self, bulk, |p| {
            Ok::<_, Error>(
                sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT_FIRM} ORDER BY id")))
                    .fetch_all(p)
                    .await?,
            )
        })?;
        rows.into_iter().map(StoredFirm::try_from).collect()
    }

    pub async fn firm(&self, code: &str) -> Result<Option<StoredFirm>> {
        let row: Option<FirmRow> = read!(self, |c| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{SELECT_FIRM} WHERE credit_code = $1"
            )))
            .bind(code)
            .fetch_optional(&mut *c)
            .await?)
        })?;
        row.map(StoredFirm::try_from).transpose()
    }

    /// The firm and outlet an outlet MN belongs to.
    pub async fn outlet_of_mn(&self, mn: &str) -> Result<Option<OutletOf>> {
        read!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT e.credit_code, o.code AS outlet, o.mn FROM outlets o JOIN enterprises e ON e.id = o.enterprise_id WHERE o.mn = $1",
            )
            .bind(mn)
            .fetch_optional(&mut *c)
            .await?)
        })
    }

    /// Every outlet MN and its firm (what an import checks against).
    pub async fn outlet_mns(&self) -> Result<Vec<OutletOf>> {
        read!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT e.credit_code, o.code AS outlet, o.mn FROM outlets o JOIN enterprises e ON e.id = o.enterprise_id WHERE o.mn IS NOT NULL",
            )
            .fetch_all(&mut *c)
            .await?)
        })
    }

    /// A firm's changes, newest first.
    pub async fn firm_changes(&self, code: &str, limit: i64) -> Result<Vec<FirmChange>> {
        read!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT at_ms, actor, action, before_doc, after_doc FROM enterprise_changes WHERE credit_code = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(code)
            .bind(limit)
            .fetch_all(&mut *c)
            .await?)
        })
    }

    /// The register's last change (Unix ms; 0 when empty): the judging job
    /// reloads limits when it moves.
    pub async fn register_stamp(&self) -> Result<i64> {
        on!(self, bulk, |p| {
            let v: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM enterprise_changes")
                .fetch_one(p)
                .await?;
            Ok(v.unwrap_or(0))
        })
    }

    /// Every firm's name by credit code (what alarm lists show; no record
    /// is parsed).
    pub async fn firm_names(&self) -> Result<Vec<(String, String)>> {
        read!(self, |c| {
            Ok(sqlx::query_as("SELECT credit_code, name FROM enterprises")
                .fetch_all(&mut *c)
                .await?)
        })
    }

    /// What a register workbook is read against: the townships, and which
    /// firm holds each outlet MN.
    pub async fn register_known(&self) -> Result<lantian_sources::register::Known> {
        Ok(lantian_sources::register::Known {
            townships: self
                .townships()
                .await?
                .into_iter()
                .map(|t| t.name)
                .collect(),
            outlet_mns: self
                .outlet_mns()
                .await?
                .into_iter()
                .map(|o| (o.mn, o.credit_code))
                .collect(),
        })
    }

    /// Puts every firm read from a workbook (each its own transaction, so
    /// one refused firm loses nothing else); how each went, or why not.
    pub async fn import_firms(
        &self,
        firms: &[Firm],
        actor: &str,
    ) -> Result<Vec<(String, std::result::Result<Put, String>)>> {
        let mut out = Vec::with_capacity(firms.len());
        for f in firms {
            let r = match self.put_firm(f, None, actor).await {
                Ok(p) => Ok(p),
                Err(Error::Invalid(m) | Error::Conflict(m)) => Err(m),
                Err(e) => return Err(e),
            };
            out.push((f.credit_code.clone(), r));
        }
        Ok(out)
    }
}
