//! Fire points (火点台账) and the township boundaries that place them: a
//! boundary upload is a new version (the latest places new points); a
//! point is stored once per (source, id) with the township it fell in, and
//! verified once, in one transaction with its audit row (two verifying at
//! once: one wins, the other gets a conflict).

use crate::{BeginWrite, Error, Result, Store, now_ms, on, read};

/// A boundary version.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BoundaryRow {
    pub id: i64,
    pub geojson: String,
    pub name_property: String,
    pub townships: String,
    pub uploaded_by: String,
    pub uploaded_ms: i64,
}

/// A point to store.
#[derive(Debug, Clone)]
pub struct NewFire {
    pub source: String,
    pub ext_id: String,
    pub detected_s: i64,
    pub lon: f64,
    pub lat: f64,
    /// The township it fell in (`None`: outside every township, or no
    /// boundaries yet).
    pub township: Option<String>,
    pub boundary_id: Option<i64>,
    /// straw, other, false or unknown (as the source says; a camera alarm
    /// is unknown until verified).
    pub kind: String,
    pub sample: bool,
}

/// A stored point.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FireRow {
    pub id: i64,
    pub source: String,
    pub ext_id: String,
    pub detected_s: i64,
    pub lon: f64,
    pub lat: f64,
    pub township: Option<String>,
    pub kind: String,
    pub note: String,
    pub verified_by: Option<String>,
    pub verified_ms: Option<i64>,
    pub ticket_id: Option<i64>,
    pub appeal_state: Option<String>,
    pub appeal_reason: Option<String>,
    pub appeal_by: Option<String>,
    pub appeal_decided_by: Option<String>,
    pub appeal_decision: Option<String>,
    pub sample: i64,
    pub created_by: String,
    pub created_ms: i64,
}

const COLUMNS: &str = "id, source, ext_id, detected_s, lon, lat, township, kind, note, verified_by, \
     verified_ms, ticket_id, appeal_state, appeal_reason, appeal_by, appeal_decided_by, appeal_decision, \
     sample, created_by, created_ms";

impl Store {
    /// Stores a boundary version as `actor`; returns its id.
    pub async fn put_township_boundaries(
        &self,
        geojson: &str,
        name_property: &str,
        townships: &[String],
        actor: &str,
    ) -> Result<i64> {
        let now = now_ms();
        let names = townships.join("、");
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO township_boundaries (geojson, name_property, townships, uploaded_by, uploaded_ms) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(geojson)
            .bind(name_property)
            .bind(&names)
            .bind(actor)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let detail = format!("township boundaries v{id}: {names}");
            crate::audit::audit_row!(&mut *tx, actor, "boundary.townships", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// The latest boundary version.
    pub async fn township_boundaries(&self) -> Result<Option<BoundaryRow>> {
        read!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT id, geojson, name_property, townships, uploaded_by, uploaded_ms \
                 FROM township_boundaries ORDER BY id DESC LIMIT 1",
            )
            .fetch_optional(&mut *c)
            .await?)
        })
    }

    /// Stores points as `actor`, each once per (source, id); returns how
    /// many were new. One transaction with its audit row.
    pub async fn add_fire_points(&self, points: &[NewFire], actor: &str) -> Result<u64> {
        if points.is_empty() {
            return Ok(0);
        }
        let now = now_ms();
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let mut stored = 0;
            for f in points {
                stored += sqlx::query(
                    "INSERT INTO fire_points (source, ext_id, detected_s, lon, lat, township, boundary_id, kind, sample, created_by, created_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (source, ext_id) DO NOTHING",
                )
                .bind(&f.source)
                .bind(&f.ext_id)
                .bind(f.detected_s)
                .bind(f.lon)
                .bind(f.lat)
                .bind(f.township.as_deref())
                .bind(f.boundary_id)
                .bind(&f.kind)
                .bind(i64::from(f.sample))
                .bind(actor)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            if stored > 0 {
                let detail = format!("{stored} fire points stored of {}", points.len());
                crate::audit::audit_row!(&mut *tx, actor, "fire.add", Some(detail.as_str()))?;
            }
            tx.commit().await?;
            Ok(stored)
        })
    }

    /// Points detected in `[from_s, to_s)`, of one township (or all),
    /// oldest first.
    pub async fn fire_points(
        &self,
        township: Option<&str>,
        from_s: i64,
        to_s: i64,
    ) -> Result<Vec<FireRow>> {
        let mut sql =
            format!("SELECT {COLUMNS} FROM fire_points WHERE detected_s >= $1 AND detected_s < $2");
        if township.is_some() {
            sql.push_str(" AND township = $3");
        }
        sql.push_str(" ORDER BY detected_s, id");
        read!(self, |c| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(from_s)
                .bind(to_s);
            if let Some(t) = township {
                q = q.bind(t);
            }
            Ok(q.fetch_all(&mut *c).await?)
        })
    }

    pub async fn fire_point(&self, id: i64) -> Result<Option<FireRow>> {
        read!(self, |c| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM fire_points WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(&mut *c)
            .await?)
        })
    }

    /// The township appeals a verified point (once). `Ok(false)`: no such
    /// point; not verified yet, or appealed already, is a conflict.
    pub async fn appeal_fire(&self, id: i64, reason: &str, actor: &str) -> Result<bool> {
        let now = now_ms();
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let r = sqlx::query(
                "UPDATE fire_points SET appeal_state = 'pending', appeal_reason = $1, appeal_by = $2, appeal_ms = $3 \
                 WHERE id = $4 AND verified_ms IS NOT NULL AND appeal_state IS NULL",
            )
            .bind(reason.trim())
            .bind(actor)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() != 1 {
                let exists: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM fire_points WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                return match exists {
                    None => Ok(false),
                    Some(_) => Err(Error::Conflict(format!(
                        "fire point {id} is not verified yet or was appealed already"
                    ))),
                };
            }
            let detail = format!("fire point {id} appealed: {}", reason.trim());
            crate::audit::audit_row!(&mut *tx, actor, "fire.appeal", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// The bureau decides a pending appeal: upheld (the point is not
    /// charged) or rejected. `Ok(false)`: no such point; no appeal pending
    /// is a conflict.
    pub async fn decide_fire_appeal(
        &self,
        id: i64,
        upheld: bool,
        note: &str,
        actor: &str,
    ) -> Result<bool> {
        let now = now_ms();
        let state = if upheld { "upheld" } else { "rejected" };
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let r = sqlx::query(
                "UPDATE fire_points SET appeal_state = $1, appeal_decided_by = $2, appeal_decided_ms = $3, appeal_decision = $4 \
                 WHERE id = $5 AND appeal_state = 'pending'",
            )
            .bind(state)
            .bind(actor)
            .bind(now)
            .bind(note.trim())
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() != 1 {
                let exists: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM fire_points WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                return match exists {
                    None => Ok(false),
                    Some(_) => Err(Error::Conflict(format!(
                        "fire point {id} has no appeal pending"
                    ))),
                };
            }
            let detail = format!("fire point {id} appeal {state}: {}", note.trim());
            crate::audit::audit_row!(&mut *tx, actor, "fire.appeal_decide", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Verifies a point as `actor` (straw, other or false, with a note).
    /// `Ok(false)`: no such point; a point verified already is a conflict.
    pub async fn verify_fire(&self, id: i64, kind: &str, note: &str, actor: &str) -> Result<bool> {
        if !matches!(kind, "straw" | "other" | "false") {
            return Err(Error::Invalid(format!("`{kind}`: straw, other or false")));
        }
        let now = now_ms();
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let r = sqlx::query(
                "UPDATE fire_points SET kind = $1, note = $2, verified_by = $3, verified_ms = $4 \
                 WHERE id = $5 AND verified_ms IS NULL",
            )
            .bind(kind)
            .bind(note.trim())
            .bind(actor)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() != 1 {
                let exists: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM fire_points WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                return match exists {
                    None => Ok(false),
                    Some(_) => Err(Error::Conflict(format!(
                        "fire point {id} was verified already; reload it"
                    ))),
                };
            }
            let detail = format!("fire point {id}: {kind}: {}", note.trim());
            crate::audit::audit_row!(&mut *tx, actor, "fire.verify", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Adds a photo to a point (the bytes kept once by their SHA-256; the
    /// name a label), with its audit row; its id.
    pub async fn attach_to_fire(
        &self,
        fire_id: i64,
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
                "INSERT INTO fire_photos (fire_id, sha256, name, content_type, size, at_ms, actor) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(fire_id)
            .bind(&hash)
            .bind(&name)
            .bind(content_type)
            .bind(body.len() as i64)
            .bind(at)
            .bind(actor)
            .fetch_one(&mut *tx)
            .await?;
            let detail = format!(
                "fire point {fire_id}: photo {name} ({} bytes, sha256 {hash})",
                body.len()
            );
            crate::audit::audit_row!(&mut *tx, actor, "fire.photo", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// The photos of the points detected in `from_s..to_s`.
    pub async fn fire_photos(&self, from_s: i64, to_s: i64) -> Result<Vec<FirePhoto>> {
        read!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT f.id, f.fire_id, f.sha256, f.name, f.content_type, f.size, f.at_ms, f.actor \
                 FROM fire_photos f JOIN fire_points p ON p.id = f.fire_id \
                 WHERE p.detected_s >= $1 AND p.detected_s < $2 ORDER BY f.id",
            )
            .bind(from_s)
            .bind(to_s)
            .fetch_all(&mut *c)
            .await?)
        })
    }

    /// A photo's facts and, when `bytes`, its bytes.
    pub async fn fire_photo(&self, id: i64, bytes: bool) -> Result<Option<(FirePhoto, Vec<u8>)>> {
        read!(self, |c| {
            let info: Option<FirePhoto> = sqlx::query_as(
                "SELECT id, fire_id, sha256, name, content_type, size, at_ms, actor FROM fire_photos WHERE id = $1",
            )
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
}

/// A photo of a fire point.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FirePhoto {
    pub id: i64,
    pub fire_id: i64,
    pub sha256: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub at_ms: i64,
    pub actor: String,
}
