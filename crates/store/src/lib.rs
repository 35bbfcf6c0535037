//! # lantian-store
//!
//! The storage edge: one [`Store`] over an embedded SQLite file (the default,
//! zero setup: bundled library, WAL, `synchronous=FULL`) or PostgreSQL (values
//! table partitioned by month). The SQL is written once and compiled for both
//! backends (`backend!` below); only migrations and partition upkeep differ.
//!
//! What it stores: sites and devices (the registry), every received frame raw
//! (audit, replay), a quarantine of frames from unknown devices or with a
//! wrong password, and data uploads with their values. An upload's key is
//! (device, CN, DataTime): a retransmission is stored once
//! ([`BatchOutcome::duplicates`]). [`Store::write_batch`] writes many frames in
//! one transaction (group commit); a caller acknowledges only after it returns.

use std::collections::HashSet;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, QueryBuilder, Row};

/// Storage errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database URL `{0}`: use sqlite://PATH or postgres://…")]
    BadUrl(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
enum Db {
    Sqlite(SqlitePool),
    Pg(PgPool),
}

/// The database, cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: Db,
    /// Months (YYYYMM) whose PostgreSQL partition is known to exist.
    partitions: Arc<Mutex<HashSet<i64>>>,
}

/// A site (station, outlet, construction site, …).
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub township: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// Counts in area values (false for background/control sites).
    pub assessment: bool,
}

/// A device as registered: its id, whether it is enabled, and what was registered.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub id: i64,
    pub enabled: bool,
    /// When any accepted frame (data or heartbeat) last came, Unix ms.
    pub last_seen_ms: Option<i64>,
    pub spec: DeviceSpec,
}

impl Device {
    /// Online when any accepted frame (data or heartbeat) came within
    /// `offline_after_ms` of `now_ms`.
    pub fn is_online(&self, now_ms: i64, offline_after_ms: i64) -> bool {
        self.last_seen_ms
            .is_some_and(|t| now_ms - t <= offline_after_ms)
    }
}

/// A device to register (with its site, created or updated by code).
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceSpec {
    pub mn: String,
    pub password: String,
    pub site: Site,
    /// ambient, cems, vocs, dust, fume, water, other.
    pub kind: String,
    pub protocol: String,
    /// `hj212` or `modbus`.
    pub crc: String,
    /// `code=unit;…` overriding the code table's default units.
    pub unit_overrides: String,
    pub rtd_interval_s: Option<i64>,
    pub min_interval_min: Option<i64>,
    /// HJ 212-2025 SM4 key, sealed with the master key (hex); `None`: the
    /// device does not encrypt. This crate never sees a key in clear.
    pub sm4_key_sealed: Option<String>,
}

/// One received frame for the journal.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameRec {
    pub received_ms: i64,
    pub peer: String,
    pub mn: Option<String>,
    pub qn: Option<String>,
    pub cn: Option<String>,
    pub verdict: &'static str,
    pub reason: Option<String>,
    pub raw: Vec<u8>,
}

/// A frame kept aside: unknown device, wrong password, disabled device.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarantineRec {
    pub received_ms: i64,
    pub peer: String,
    pub mn: Option<String>,
    pub reason: String,
    pub raw: Vec<u8>,
}

/// One value of an upload.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueRec {
    pub code: String,
    pub field: String,
    /// Exactly as sent.
    pub raw: String,
    pub num: Option<f64>,
    pub flag: Option<String>,
}

/// A data upload (2011, 2051, 2061, 2031) with its values.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadRec {
    pub device_id: i64,
    pub mn: String,
    pub cn: i64,
    /// DataTime as a UTC instant, seconds.
    pub data_time: i64,
    pub qn: Option<String>,
    pub received_ms: i64,
    /// Sent as history (RF=1 / re-sent after a gap).
    pub late: bool,
    pub values: Vec<ValueRec>,
}

/// Everything one group commit writes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    pub frames: Vec<FrameRec>,
    pub quarantine: Vec<QuarantineRec>,
    pub uploads: Vec<UploadRec>,
    /// Devices heard from: (device id, Unix ms).
    pub seen: Vec<(i64, i64)>,
    /// Data loggers asking to be activated (HJ 212-2025 1001).
    pub pending: Vec<PendingLogger>,
    /// Rotated SM4 keys: (MN, sealed key), written with the frame that
    /// asked, so the new key is durable before the device is told it.
    pub keys: Vec<(String, String)>,
}

/// A user of the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// admin, bureau, department, township, enterprise, public.
    pub role: String,
    /// The department, township or enterprise the user belongs to.
    pub scope: Option<String>,
    pub disabled: bool,
    pub created_ms: i64,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub detail: Option<String>,
}

/// How a device has been doing since a given instant (the device page).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceHealth {
    /// Latest DataTime stored (UTC seconds), of any period.
    pub latest_data_time: Option<i64>,
    /// Journaled frames by verdict (stored, duplicate, rejected, …).
    pub frames: Vec<(String, i64)>,
    /// Frames kept aside (wrong password, disabled, …).
    pub quarantined: i64,
    /// Values whose flag is not N (maintenance, calibration, fault…).
    pub flagged: i64,
}

/// A journaled frame, for the raw-frame audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameRow {
    pub id: i64,
    pub received_ms: i64,
    pub node: String,
    pub peer: String,
    pub mn: Option<String>,
    pub qn: Option<String>,
    pub cn: Option<String>,
    pub verdict: String,
    pub reason: Option<String>,
    /// As received (lossy UTF-8 for display; the journal keeps the bytes).
    pub raw: String,
}

/// A data logger that sent its hardware serials before it had an MN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLogger {
    pub logger_id: String,
    pub cpu_id: Option<String>,
    pub mac1: Option<String>,
    pub mac2: Option<String>,
    pub peer: String,
    /// First and last announcement, Unix ms.
    pub first_ms: i64,
    pub last_ms: i64,
    /// The MN an operator assigned, once approved.
    pub approved_mn: Option<String>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
            && self.quarantine.is_empty()
            && self.uploads.is_empty()
            && self.seen.is_empty()
            && self.pending.is_empty()
            && self.keys.is_empty()
    }
    pub fn append(&mut self, other: Batch) {
        self.frames.extend(other.frames);
        self.quarantine.extend(other.quarantine);
        self.uploads.extend(other.uploads);
        self.seen.extend(other.seen);
        self.pending.extend(other.pending);
        self.keys.extend(other.keys);
    }
}

/// What a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub uploads_new: u64,
    /// Uploads already stored (retransmissions).
    pub duplicates: u64,
    pub values: u64,
}

/// A value of an ambient device read back for assessment (borrowed from the
/// database row).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueRow<'r> {
    pub site_code: &'r str,
    pub assessment: bool,
    pub code: &'r str,
    /// DataTime, UTC seconds (start of the hour for 2061).
    pub ts: i64,
    pub raw: &'r str,
    pub flag: Option<&'r str>,
    pub unit_overrides: &'r str,
}

#[rustfmt::skip]
const SQLITE_MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../migrations/sqlite/0001_init.sql")),
    ("0002_last_seen", include_str!("../migrations/sqlite/0002_last_seen.sql")),
    ("0003_device_key", include_str!("../migrations/sqlite/0003_device_key.sql")),
    ("0004_pending_loggers", include_str!("../migrations/sqlite/0004_pending_loggers.sql")),
    ("0005_users", include_str!("../migrations/sqlite/0005_users.sql")),
    ("0006_api_tokens", include_str!("../migrations/sqlite/0006_api_tokens.sql")),
    ("0007_sessions", include_str!("../migrations/sqlite/0007_sessions.sql")),
    ("0008_documents", include_str!("../migrations/sqlite/0008_documents.sql")),
    ("0009_uploads_received", include_str!("../migrations/sqlite/0009_uploads_received.sql")),
];
#[rustfmt::skip]
const PG_MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../migrations/postgres/0001_init.sql")),
    ("0002_last_seen", include_str!("../migrations/postgres/0002_last_seen.sql")),
    ("0003_device_key", include_str!("../migrations/postgres/0003_device_key.sql")),
    ("0004_pending_loggers", include_str!("../migrations/postgres/0004_pending_loggers.sql")),
    ("0005_users", include_str!("../migrations/postgres/0005_users.sql")),
    ("0006_api_tokens", include_str!("../migrations/postgres/0006_api_tokens.sql")),
    ("0007_sessions", include_str!("../migrations/postgres/0007_sessions.sql")),
    ("0008_documents", include_str!("../migrations/postgres/0008_documents.sql")),
    ("0009_uploads_received", include_str!("../migrations/postgres/0009_uploads_received.sql")),
];

/// Bind parameters per multi-row INSERT: below SQLite's 32,766 and
/// PostgreSQL's 65,535.
const PARAMS_PER_INSERT: usize = 16_000;

/// The SQL shared by both backends, compiled once per backend.
macro_rules! backend {
    ($m:ident, $DB:ty, $Pool:ty) => {
        mod $m {
            use super::*;

            /// Runs `pre`, then every migration not yet recorded, in one transaction.
            pub async fn migrate(pool: &$Pool, pre: &[&'static str], list: &[(&'static str, &'static str)]) -> Result<()> {
                let mut tx = pool.begin().await?;
                for sql in pre {
                    sqlx::query(*sql).execute(&mut *tx).await?;
                }
                for (name, sql) in list {
                    let done = sqlx::query("SELECT COUNT(*) FROM lantian_migrations WHERE name = $1")
                        .bind(*name)
                        .fetch_one(&mut *tx)
                        .await?
                        .try_get::<i64, _>(0)?;
                    if done == 0 {
                        sqlx::raw_sql(*sql).execute(&mut *tx).await?;
                        sqlx::query("INSERT INTO lantian_migrations (name, applied_ms) VALUES ($1, $2)")
                            .bind(*name)
                            .bind(now_ms())
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            pub async fn upsert_site(pool: &$Pool, s: &Site) -> Result<i64> {
                let row = sqlx::query(
                    "INSERT INTO sites (code, name, kind, township, lon, lat, assessment) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, township = excluded.township, \
                     lon = excluded.lon, lat = excluded.lat, assessment = excluded.assessment RETURNING id",
                )
                .bind(&s.code)
                .bind(&s.name)
                .bind(&s.kind)
                .bind(&s.township)
                .bind(s.lon)
                .bind(s.lat)
                .bind(i64::from(s.assessment))
                .fetch_one(pool)
                .await?;
                Ok(row.try_get::<i64, _>(0)?)
            }

            pub async fn add_device(pool: &$Pool, d: &DeviceSpec, now_ms: i64) -> Result<i64> {
                let site_id = upsert_site(pool, &d.site).await?;
                let row = sqlx::query(
                    "INSERT INTO devices (mn, password, site_id, kind, protocol, crc, unit_overrides, rtd_interval_s, min_interval_min, enabled, created_ms, sm4_key_enc) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11) \
                     ON CONFLICT (mn) DO UPDATE SET password = excluded.password, site_id = excluded.site_id, kind = excluded.kind, \
                     protocol = excluded.protocol, crc = excluded.crc, unit_overrides = excluded.unit_overrides, \
                     rtd_interval_s = excluded.rtd_interval_s, min_interval_min = excluded.min_interval_min, enabled = 1, \
                     sm4_key_enc = excluded.sm4_key_enc RETURNING id",
                )
                .bind(&d.mn)
                .bind(&d.password)
                .bind(site_id)
                .bind(&d.kind)
                .bind(&d.protocol)
                .bind(&d.crc)
                .bind(&d.unit_overrides)
                .bind(d.rtd_interval_s)
                .bind(d.min_interval_min)
                .bind(now_ms)
                .bind(&d.sm4_key_sealed)
                .fetch_one(pool)
                .await?;
                Ok(row.try_get::<i64, _>(0)?)
            }

            pub async fn add_user(pool: &$Pool, username: &str, hash: &str, role: &str, scope: Option<&str>, now: i64) -> Result<i64> {
                let row = sqlx::query(
                    "INSERT INTO users (username, password_hash, role, scope, created_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(username)
                .bind(hash)
                .bind(role)
                .bind(scope)
                .bind(now)
                .fetch_one(pool)
                .await?;
                Ok(row.try_get::<i64, _>(0)?)
            }

            pub async fn set_password_hash(pool: &$Pool, username: &str, hash: &str) -> Result<bool> {
                let r = sqlx::query("UPDATE users SET password_hash = $1 WHERE username = $2")
                    .bind(hash)
                    .bind(username)
                    .execute(pool)
                    .await?;
                Ok(r.rows_affected() > 0)
            }

            pub async fn set_user_disabled(pool: &$Pool, username: &str, disabled: bool) -> Result<bool> {
                let r = sqlx::query("UPDATE users SET disabled = $1 WHERE username = $2")
                    .bind(i64::from(disabled))
                    .bind(username)
                    .execute(pool)
                    .await?;
                Ok(r.rows_affected() > 0)
            }

            pub async fn user(pool: &$Pool, username: &str) -> Result<Option<User>> {
                let row = sqlx::query(
                    "SELECT id, username, password_hash, role, scope, disabled, created_ms FROM users WHERE username = $1",
                )
                .bind(username)
                .fetch_optional(pool)
                .await?;
                row.as_ref().map(user_row).transpose()
            }

            pub async fn users(pool: &$Pool) -> Result<Vec<User>> {
                let rows = sqlx::query(
                    "SELECT id, username, password_hash, role, scope, disabled, created_ms FROM users ORDER BY username",
                )
                .fetch_all(pool)
                .await?;
                rows.iter().map(user_row).collect()
            }

            pub async fn add_token(pool: &$Pool, user_id: i64, token_hash: &str, label: Option<&str>, now: i64) -> Result<()> {
                sqlx::query("INSERT INTO api_tokens (user_id, token_hash, label, created_ms) VALUES ($1, $2, $3, $4)")
                    .bind(user_id)
                    .bind(token_hash)
                    .bind(label)
                    .bind(now)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub async fn create_session(pool: &$Pool, id_hash: &str, user_id: i64, csrf: &str, now: i64, expires: i64) -> Result<()> {
                sqlx::query("DELETE FROM sessions WHERE expires_ms <= $1").bind(now).execute(pool).await?;
                sqlx::query("INSERT INTO sessions (id_hash, user_id, csrf, created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5)")
                    .bind(id_hash)
                    .bind(user_id)
                    .bind(csrf)
                    .bind(now)
                    .bind(expires)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub async fn session_user(pool: &$Pool, id_hash: &str, now: i64) -> Result<Option<(User, String)>> {
                let row = sqlx::query(
                    "SELECT u.id, u.username, u.password_hash, u.role, u.scope, u.disabled, u.created_ms, s.csrf \
                     FROM sessions s JOIN users u ON u.id = s.user_id \
                     WHERE s.id_hash = $1 AND s.expires_ms > $2 AND u.disabled = 0",
                )
                .bind(id_hash)
                .bind(now)
                .fetch_optional(pool)
                .await?;
                row.map(|r| Ok((user_row(&r)?, r.try_get(7)?))).transpose()
            }

            pub async fn delete_session(pool: &$Pool, id_hash: &str) -> Result<()> {
                sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(pool).await?;
                Ok(())
            }

            fn user_row(r: &<$DB as sqlx::Database>::Row) -> Result<User> {
                Ok(User {
                    id: r.try_get(0)?,
                    username: r.try_get(1)?,
                    password_hash: r.try_get(2)?,
                    role: r.try_get(3)?,
                    scope: r.try_get(4)?,
                    disabled: r.try_get::<i64, _>(5)? != 0,
                    created_ms: r.try_get(6)?,
                })
            }

            pub async fn user_by_token(pool: &$Pool, token_hash: &str) -> Result<Option<User>> {
                let row = sqlx::query(
                    "SELECT u.id, u.username, u.password_hash, u.role, u.scope, u.disabled, u.created_ms \
                     FROM api_tokens t JOIN users u ON u.id = t.user_id \
                     WHERE t.token_hash = $1 AND t.revoked = 0 AND u.disabled = 0",
                )
                .bind(token_hash)
                .fetch_optional(pool)
                .await?;
                row.as_ref().map(user_row).transpose()
            }

            pub async fn audit(pool: &$Pool, e: &AuditEntry) -> Result<()> {
                sqlx::query("INSERT INTO audit_log (at_ms, actor, action, detail) VALUES ($1, $2, $3, $4)")
                    .bind(e.at_ms)
                    .bind(&e.actor)
                    .bind(&e.action)
                    .bind(&e.detail)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub async fn put_document(pool: &$Pool, key: &str, body: &str, by: &str, now: i64) -> Result<()> {
                sqlx::query("INSERT INTO documents (key, body, updated_ms, updated_by) VALUES ($1, $2, $3, $4) \
                             ON CONFLICT (key) DO UPDATE SET body = excluded.body, updated_ms = excluded.updated_ms, updated_by = excluded.updated_by")
                    .bind(key)
                    .bind(body)
                    .bind(now)
                    .bind(by)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub async fn document(pool: &$Pool, key: &str) -> Result<Option<String>> {
                let row = sqlx::query("SELECT body FROM documents WHERE key = $1").bind(key).fetch_optional(pool).await?;
                Ok(row.map(|r| r.try_get(0)).transpose()?)
            }

            pub async fn audit_log(pool: &$Pool, limit: i64) -> Result<Vec<AuditEntry>> {
                let rows = sqlx::query("SELECT at_ms, actor, action, detail FROM audit_log ORDER BY id DESC LIMIT $1")
                    .bind(limit)
                    .fetch_all(pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok(AuditEntry {
                            at_ms: r.try_get(0)?,
                            actor: r.try_get(1)?,
                            action: r.try_get(2)?,
                            detail: r.try_get(3)?,
                        })
                    })
                    .collect()
            }

            pub async fn pending_loggers(pool: &$Pool) -> Result<Vec<PendingLogger>> {
                let rows = sqlx::query(
                    "SELECT logger_id, cpu_id, mac1, mac2, peer, first_ms, last_ms, approved_mn FROM pending_loggers ORDER BY first_ms",
                )
                .fetch_all(pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(PendingLogger {
                            logger_id: r.try_get(0)?,
                            cpu_id: r.try_get(1)?,
                            mac1: r.try_get(2)?,
                            mac2: r.try_get(3)?,
                            peer: r.try_get(4)?,
                            first_ms: r.try_get(5)?,
                            last_ms: r.try_get(6)?,
                            approved_mn: r.try_get(7)?,
                        })
                    })
                    .collect()
            }

            pub async fn approve_logger(pool: &$Pool, logger_id: &str, mn: &str) -> Result<bool> {
                let r = sqlx::query("UPDATE pending_loggers SET approved_mn = $1 WHERE logger_id = $2")
                    .bind(mn)
                    .bind(logger_id)
                    .execute(pool)
                    .await?;
                Ok(r.rows_affected() > 0)
            }

            pub async fn set_key(pool: &$Pool, mn: &str, sealed: &str) -> Result<bool> {
                let r = sqlx::query("UPDATE devices SET sm4_key_enc = $1 WHERE mn = $2")
                    .bind(sealed)
                    .bind(mn)
                    .execute(pool)
                    .await?;
                Ok(r.rows_affected() > 0)
            }

            pub async fn set_enabled(pool: &$Pool, mn: &str, enabled: bool) -> Result<bool> {
                let r = sqlx::query("UPDATE devices SET enabled = $1 WHERE mn = $2")
                    .bind(i64::from(enabled))
                    .bind(mn)
                    .execute(pool)
                    .await?;
                Ok(r.rows_affected() > 0)
            }

            pub async fn device_health(pool: &$Pool, since_ms: i64) -> Result<std::collections::HashMap<String, DeviceHealth>> {
                let mut out: std::collections::HashMap<String, DeviceHealth> = Default::default();
                for r in sqlx::query("SELECT mn, MAX(data_time) FROM uploads GROUP BY mn").fetch_all(pool).await? {
                    out.entry(r.try_get(0)?).or_default().latest_data_time = r.try_get(1)?;
                }
                let rows = sqlx::query(
                    "SELECT mn, verdict, COUNT(*) FROM frames WHERE received_ms >= $1 AND mn IS NOT NULL GROUP BY mn, verdict ORDER BY mn, verdict",
                )
                .bind(since_ms)
                .fetch_all(pool)
                .await?;
                for r in rows {
                    out.entry(r.try_get(0)?).or_default().frames.push((r.try_get(1)?, r.try_get(2)?));
                }
                let rows = sqlx::query("SELECT mn, COUNT(*) FROM quarantine WHERE received_ms >= $1 AND mn IS NOT NULL GROUP BY mn")
                    .bind(since_ms)
                    .fetch_all(pool)
                    .await?;
                for r in rows {
                    out.entry(r.try_get(0)?).or_default().quarantined = r.try_get(1)?;
                }
                let rows = sqlx::query(
                    "SELECT u.mn, COUNT(*) FROM uploads u JOIN vals v ON v.device_id = u.device_id AND v.cn = u.cn AND v.ts = u.data_time \
                     WHERE u.received_ms >= $1 AND v.flag IS NOT NULL AND v.flag <> 'N' GROUP BY u.mn",
                )
                .bind(since_ms)
                .fetch_all(pool)
                .await?;
                for r in rows {
                    out.entry(r.try_get(0)?).or_default().flagged = r.try_get(1)?;
                }
                Ok(out)
            }

            pub async fn recent_frames(pool: &$Pool, mn: Option<&str>, verdict: Option<&str>, limit: i64) -> Result<Vec<FrameRow>> {
                let rows = sqlx::query(
                    "SELECT id, received_ms, node, peer, mn, qn, cn, verdict, reason, raw FROM frames \
                     WHERE ($1 IS NULL OR mn = $1) AND ($2 IS NULL OR verdict = $2) ORDER BY id DESC LIMIT $3",
                )
                .bind(mn)
                .bind(verdict)
                .bind(limit)
                .fetch_all(pool)
                .await?;
                rows.iter().map(frame_row).collect()
            }

            pub async fn recent_quarantine(pool: &$Pool, limit: i64) -> Result<Vec<FrameRow>> {
                let rows = sqlx::query(
                    "SELECT id, received_ms, '' AS node, peer, mn, NULL AS qn, NULL AS cn, 'quarantine' AS verdict, reason, raw \
                     FROM quarantine ORDER BY id DESC LIMIT $1",
                )
                .bind(limit)
                .fetch_all(pool)
                .await?;
                rows.iter().map(frame_row).collect()
            }

            pub async fn devices(pool: &$Pool) -> Result<Vec<Device>> {
                let rows = sqlx::query(
                    "SELECT d.id, d.mn, d.password, d.kind, d.protocol, d.crc, d.unit_overrides, d.rtd_interval_s, d.min_interval_min, d.enabled, \
                     s.code, s.name, s.kind, s.township, s.lon, s.lat, s.assessment, d.last_seen_ms, d.sm4_key_enc \
                     FROM devices d JOIN sites s ON s.id = d.site_id ORDER BY d.mn",
                )
                .fetch_all(pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(Device {
                            id: r.try_get(0)?,
                            enabled: r.try_get::<i64, _>(9)? != 0,
                            last_seen_ms: r.try_get(17)?,
                            spec: DeviceSpec {
                                mn: r.try_get(1)?,
                                password: r.try_get(2)?,
                                kind: r.try_get(3)?,
                                protocol: r.try_get(4)?,
                                crc: r.try_get(5)?,
                                unit_overrides: r.try_get(6)?,
                                rtd_interval_s: r.try_get(7)?,
                                min_interval_min: r.try_get(8)?,
                                sm4_key_sealed: r.try_get(18)?,
                                site: Site {
                                    code: r.try_get(10)?,
                                    name: r.try_get(11)?,
                                    kind: r.try_get(12)?,
                                    township: r.try_get(13)?,
                                    lon: r.try_get(14)?,
                                    lat: r.try_get(15)?,
                                    assessment: r.try_get::<i64, _>(16)? != 0,
                                },
                            },
                        })
                    })
                    .collect()
            }

            pub async fn write_batch(tx: &mut sqlx::Transaction<'_, $DB>, b: &Batch, node: &str) -> Result<BatchOutcome> {
                let mut out = BatchOutcome::default();
                for chunk in b.frames.chunks(PARAMS_PER_INSERT / 9) {
                    let mut q = QueryBuilder::<$DB>::new("INSERT INTO frames (received_ms, node, peer, mn, qn, cn, verdict, reason, raw) ");
                    q.push_values(chunk, |mut r, f| {
                        r.push_bind(f.received_ms)
                            .push_bind(node.to_string())
                            .push_bind(f.peer.clone())
                            .push_bind(f.mn.clone())
                            .push_bind(f.qn.clone())
                            .push_bind(f.cn.clone())
                            .push_bind(f.verdict.to_string())
                            .push_bind(f.reason.clone())
                            .push_bind(f.raw.clone());
                    });
                    q.build().execute(&mut **tx).await?;
                }
                for chunk in b.quarantine.chunks(PARAMS_PER_INSERT / 5) {
                    let mut q = QueryBuilder::<$DB>::new("INSERT INTO quarantine (received_ms, peer, mn, reason, raw) ");
                    q.push_values(chunk, |mut r, f| {
                        r.push_bind(f.received_ms)
                            .push_bind(f.peer.clone())
                            .push_bind(f.mn.clone())
                            .push_bind(f.reason.clone())
                            .push_bind(f.raw.clone());
                    });
                    q.build().execute(&mut **tx).await?;
                }
                // A retransmission has the same upload key and the same value
                // keys, so ON CONFLICT DO NOTHING on both tables stores it once
                // (the first copy wins) without a round trip per upload.
                for chunk in b.uploads.chunks(PARAMS_PER_INSERT / 7) {
                    let mut q = QueryBuilder::<$DB>::new("INSERT INTO uploads (device_id, cn, data_time, mn, qn, received_ms, late) ");
                    q.push_values(chunk, |mut r, u| {
                        r.push_bind(u.device_id)
                            .push_bind(u.cn)
                            .push_bind(u.data_time)
                            .push_bind(u.mn.clone())
                            .push_bind(u.qn.clone())
                            .push_bind(u.received_ms)
                            .push_bind(i64::from(u.late));
                    });
                    q.push(" ON CONFLICT DO NOTHING");
                    out.uploads_new += q.build().execute(&mut **tx).await?.rows_affected();
                }
                out.duplicates = b.uploads.len() as u64 - out.uploads_new;
                let rows: Vec<(&UploadRec, &ValueRec)> =
                    b.uploads.iter().flat_map(|u| u.values.iter().map(move |v| (u, v))).collect();
                for chunk in rows.chunks(PARAMS_PER_INSERT / 8) {
                    let mut q = QueryBuilder::<$DB>::new("INSERT INTO vals (device_id, cn, ts, code, field, raw, num, flag) ");
                    q.push_values(chunk, |mut r, (u, v)| {
                        r.push_bind(u.device_id)
                            .push_bind(u.cn)
                            .push_bind(u.data_time)
                            .push_bind(v.code.clone())
                            .push_bind(v.field.clone())
                            .push_bind(v.raw.clone())
                            .push_bind(v.num)
                            .push_bind(v.flag.clone());
                    });
                    q.push(" ON CONFLICT DO NOTHING");
                    let r = q.build().execute(&mut **tx).await?;
                    out.values += r.rows_affected();
                }
                for l in &b.pending {
                    sqlx::query(
                        "INSERT INTO pending_loggers (logger_id, cpu_id, mac1, mac2, peer, first_ms, last_ms) VALUES ($1, $2, $3, $4, $5, $6, $6) \
                         ON CONFLICT (logger_id) DO UPDATE SET cpu_id = excluded.cpu_id, mac1 = excluded.mac1, mac2 = excluded.mac2, \
                         peer = excluded.peer, last_ms = excluded.last_ms",
                    )
                    .bind(&l.logger_id)
                    .bind(&l.cpu_id)
                    .bind(&l.mac1)
                    .bind(&l.mac2)
                    .bind(&l.peer)
                    .bind(l.last_ms)
                    .execute(&mut **tx)
                    .await?;
                }
                for (mn, sealed) in &b.keys {
                    sqlx::query("UPDATE devices SET sm4_key_enc = $1 WHERE mn = $2")
                        .bind(sealed)
                        .bind(mn)
                        .execute(&mut **tx)
                        .await?;
                }
                // Last seen: the latest time per device in this batch.
                let mut seen: Vec<(i64, i64)> = b.seen.clone();
                seen.sort_unstable();
                seen.reverse();
                seen.dedup_by_key(|(id, _)| *id);
                for (id, ms) in seen {
                    sqlx::query("UPDATE devices SET last_seen_ms = $1 WHERE id = $2 AND (last_seen_ms IS NULL OR last_seen_ms < $1)")
                        .bind(ms)
                        .bind(id)
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(out)
            }

            pub async fn upload_exists(pool: &$Pool, mn: &str, data_time: i64) -> Result<bool> {
                let row = sqlx::query("SELECT COUNT(*) FROM uploads WHERE mn = $1 AND data_time = $2")
                    .bind(mn)
                    .bind(data_time)
                    .fetch_one(pool)
                    .await?;
                Ok(row.try_get::<i64, _>(0)? > 0)
            }

            pub async fn late_uploads(pool: &$Pool) -> Result<i64> {
                let row = sqlx::query("SELECT COUNT(*) FROM uploads WHERE late = 1").fetch_one(pool).await?;
                Ok(row.try_get::<i64, _>(0)?)
            }

            pub async fn count(pool: &$Pool, table: &str) -> Result<i64> {
                // `table` is one of a fixed list (checked by the caller).
                let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"))).fetch_one(pool).await?;
                Ok(row.try_get::<i64, _>(0)?)
            }

            pub async fn each_ambient_value(
                pool: &$Pool,
                cn: i64,
                codes: &[&str],
                fields: &[&str],
                received: Option<(i64, i64)>,
                f: &mut (dyn FnMut(ValueRow<'_>) + Send),
            ) -> Result<u64> {
                use futures_util::TryStreamExt;
                let mut q = QueryBuilder::<$DB>::new(
                    "SELECT s.code, s.assessment, v.code, v.ts, v.raw, v.flag, d.unit_overrides \
                     FROM vals v JOIN devices d ON d.id = v.device_id JOIN sites s ON s.id = d.site_id ",
                );
                if let Some((from, until)) = received {
                    q.push("JOIN uploads u ON u.device_id = v.device_id AND u.cn = v.cn AND u.data_time = v.ts AND u.received_ms >= ");
                    q.push_bind(from);
                    q.push(" AND u.received_ms < ");
                    q.push_bind(until);
                }
                q.push(" WHERE d.kind = 'ambient' AND v.cn = ");
                q.push_bind(cn);
                q.push(" AND v.code IN (");
                let mut sep = q.separated(", ");
                for c in codes {
                    sep.push_bind(c.to_string());
                }
                q.push(") AND v.field IN (");
                let mut sep = q.separated(", ");
                for fl in fields {
                    sep.push_bind(fl.to_string());
                }
                q.push(")");
                // Streamed row by row: a province's years of hours never sit in memory twice.
                let mut rows = q.build().fetch(pool);
                let mut n = 0;
                while let Some(r) = rows.try_next().await? {
                    f(ValueRow {
                        site_code: r.try_get(0)?,
                        assessment: r.try_get::<i64, _>(1)? != 0,
                        code: r.try_get(2)?,
                        ts: r.try_get(3)?,
                        raw: r.try_get(4)?,
                        flag: r.try_get(5)?,
                        unit_overrides: r.try_get(6)?,
                    });
                    n += 1;
                }
                Ok(n)
            }
        }
    };
}

fn frame_row<R: Row>(r: &R) -> Result<FrameRow>
where
    usize: sqlx::ColumnIndex<R>,
    i64: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Vec<u8>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(FrameRow {
        id: r.try_get(0)?,
        received_ms: r.try_get(1)?,
        node: r.try_get(2)?,
        peer: r.try_get(3)?,
        mn: r.try_get(4)?,
        qn: r.try_get(5)?,
        cn: r.try_get(6)?,
        verdict: r.try_get(7)?,
        reason: r.try_get(8)?,
        raw: String::from_utf8_lossy(&r.try_get::<Vec<u8>, _>(9)?).into_owned(),
    })
}

backend!(lite, sqlx::Sqlite, SqlitePool);
backend!(pg, sqlx::Postgres, PgPool);

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// `YYYYMM` of a UTC instant in seconds, and the month's bounds (UTC seconds).
fn month_of(ts: i64) -> (i64, i64, i64) {
    use chrono::{Datelike, NaiveDate};
    let d = chrono::DateTime::from_timestamp(ts, 0).map_or(NaiveDate::MIN, |t| t.date_naive());
    let first = NaiveDate::from_ymd_opt(d.year(), d.month(), 1).unwrap_or(d);
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    let secs = |x: NaiveDate| {
        x.and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp())
    };
    (
        i64::from(d.year()) * 100 + i64::from(d.month()),
        secs(first),
        secs(next),
    )
}

impl Store {
    /// Opens (creating and migrating on first use) `sqlite://PATH` or
    /// `postgres://…`.
    pub async fn connect(url: &str) -> Result<Store> {
        let db = if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let opts = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a committed (and so acknowledged) batch survives power loss.
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
                // Reading years of values streams for seconds by design: info, not a warning.
                .log_slow_statements(log::LevelFilter::Info, Duration::from_secs(1));
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(opts)
                .await?;
            Db::Sqlite(pool)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?
                .log_slow_statements(log::LevelFilter::Info, Duration::from_secs(1));
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .connect_with(opts)
                .await?;
            Db::Pg(pool)
        } else {
            return Err(Error::BadUrl(url.to_string()));
        };
        let store = Store {
            db,
            partitions: Arc::default(),
        };
        store.migrate().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Pg(_) => Backend::Postgres,
        }
    }

    async fn migrate(&self) -> Result<()> {
        match &self.db {
            Db::Sqlite(pool) => {
                let ddl = "CREATE TABLE IF NOT EXISTS lantian_migrations (name TEXT PRIMARY KEY, applied_ms INTEGER NOT NULL)";
                lite::migrate(pool, &[ddl], SQLITE_MIGRATIONS).await
            }
            Db::Pg(pool) => {
                // Several nodes may start at once: one migrates, the others wait.
                let pre = [
                    "SELECT pg_advisory_xact_lock(7410212)",
                    "CREATE TABLE IF NOT EXISTS lantian_migrations (name TEXT PRIMARY KEY, applied_ms BIGINT NOT NULL)",
                ];
                pg::migrate(pool, &pre, PG_MIGRATIONS).await
            }
        }
    }

    /// Registers (or updates) a device and its site.
    pub async fn add_device(&self, d: &DeviceSpec) -> Result<i64> {
        if d.mn.trim().is_empty() {
            return Err(Error::Invalid("device MN is empty".into()));
        }
        if d.crc != "hj212" && d.crc != "modbus" {
            return Err(Error::Invalid(format!(
                "CRC variant `{}`: hj212 or modbus",
                d.crc
            )));
        }
        match &self.db {
            Db::Sqlite(p) => lite::add_device(p, d, now_ms()).await,
            Db::Pg(p) => pg::add_device(p, d, now_ms()).await,
        }
    }

    /// Adds a user (the hash is an argon2id PHC string made by the caller).
    pub async fn add_user(
        &self,
        username: &str,
        password_hash: &str,
        role: &str,
        scope: Option<&str>,
    ) -> Result<i64> {
        if username.trim().is_empty() {
            return Err(Error::Invalid("empty username".into()));
        }
        if self.user(username).await?.is_some() {
            return Err(Error::Invalid(format!("user {username} already exists")));
        }
        match &self.db {
            Db::Sqlite(p) => {
                lite::add_user(p, username, password_hash, role, scope, now_ms()).await
            }
            Db::Pg(p) => pg::add_user(p, username, password_hash, role, scope, now_ms()).await,
        }
    }

    /// Replaces a user's password hash; false if there is no such user.
    pub async fn set_password_hash(&self, username: &str, password_hash: &str) -> Result<bool> {
        match &self.db {
            Db::Sqlite(p) => lite::set_password_hash(p, username, password_hash).await,
            Db::Pg(p) => pg::set_password_hash(p, username, password_hash).await,
        }
    }

    /// Disables (or enables again) a user: a disabled user's sessions and
    /// tokens stop working at once. False if there is no such user.
    pub async fn set_user_disabled(&self, username: &str, disabled: bool) -> Result<bool> {
        match &self.db {
            Db::Sqlite(p) => lite::set_user_disabled(p, username, disabled).await,
            Db::Pg(p) => pg::set_user_disabled(p, username, disabled).await,
        }
    }

    /// One user by name.
    pub async fn user(&self, username: &str) -> Result<Option<User>> {
        match &self.db {
            Db::Sqlite(p) => lite::user(p, username).await,
            Db::Pg(p) => pg::user(p, username).await,
        }
    }

    /// Every user.
    pub async fn users(&self) -> Result<Vec<User>> {
        match &self.db {
            Db::Sqlite(p) => lite::users(p).await,
            Db::Pg(p) => pg::users(p).await,
        }
    }

    /// Stores an API token of a user by its hash (the token itself is never stored).
    pub async fn add_token(
        &self,
        username: &str,
        token_hash: &str,
        label: Option<&str>,
    ) -> Result<()> {
        let Some(user) = self.user(username).await? else {
            return Err(Error::Invalid(format!("no user {username}")));
        };
        match &self.db {
            Db::Sqlite(p) => lite::add_token(p, user.id, token_hash, label, now_ms()).await,
            Db::Pg(p) => pg::add_token(p, user.id, token_hash, label, now_ms()).await,
        }
    }

    /// Opens a browser session (by the hash of its id) lasting until
    /// `expires_ms`; expired sessions are swept on the way.
    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_ms: i64,
    ) -> Result<()> {
        match &self.db {
            Db::Sqlite(p) => {
                lite::create_session(p, id_hash, user_id, csrf, now_ms(), expires_ms).await
            }
            Db::Pg(p) => pg::create_session(p, id_hash, user_id, csrf, now_ms(), expires_ms).await,
        }
    }

    /// The enabled user of an unexpired session, with the session's CSRF token.
    pub async fn session_user(&self, id_hash: &str) -> Result<Option<(User, String)>> {
        match &self.db {
            Db::Sqlite(p) => lite::session_user(p, id_hash, now_ms()).await,
            Db::Pg(p) => pg::session_user(p, id_hash, now_ms()).await,
        }
    }

    /// Ends a session (logout).
    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        match &self.db {
            Db::Sqlite(p) => lite::delete_session(p, id_hash).await,
            Db::Pg(p) => pg::delete_session(p, id_hash).await,
        }
    }

    /// The enabled user holding the unrevoked token with this hash.
    pub async fn user_by_token(&self, token_hash: &str) -> Result<Option<User>> {
        match &self.db {
            Db::Sqlite(p) => lite::user_by_token(p, token_hash).await,
            Db::Pg(p) => pg::user_by_token(p, token_hash).await,
        }
    }

    /// Appends to the audit log (logins, administrative changes).
    pub async fn audit(&self, actor: &str, action: &str, detail: Option<&str>) -> Result<()> {
        let e = AuditEntry {
            at_ms: now_ms(),
            actor: actor.to_string(),
            action: action.to_string(),
            detail: detail.map(str::to_string),
        };
        match &self.db {
            Db::Sqlite(p) => lite::audit(p, &e).await,
            Db::Pg(p) => pg::audit(p, &e).await,
        }
    }

    /// Per device (by MN): latest data time, and since `since_ms` the frames
    /// by verdict, quarantined frames and flagged values.
    pub async fn device_health(
        &self,
        since_ms: i64,
    ) -> Result<std::collections::HashMap<String, DeviceHealth>> {
        match &self.db {
            Db::Sqlite(p) => lite::device_health(p, since_ms).await,
            Db::Pg(p) => pg::device_health(p, since_ms).await,
        }
    }

    /// The latest journaled frames, newest first, optionally of one MN or verdict.
    pub async fn recent_frames(
        &self,
        mn: Option<&str>,
        verdict: Option<&str>,
        limit: i64,
    ) -> Result<Vec<FrameRow>> {
        match &self.db {
            Db::Sqlite(p) => lite::recent_frames(p, mn, verdict, limit).await,
            Db::Pg(p) => pg::recent_frames(p, mn, verdict, limit).await,
        }
    }

    /// The latest quarantined frames, newest first (verdict `quarantine`).
    pub async fn recent_quarantine(&self, limit: i64) -> Result<Vec<FrameRow>> {
        match &self.db {
            Db::Sqlite(p) => lite::recent_quarantine(p, limit).await,
            Db::Pg(p) => pg::recent_quarantine(p, limit).await,
        }
    }

    /// Stores (replacing) an uploaded document such as the boundary GeoJSON.
    pub async fn put_document(&self, key: &str, body: &str, by: &str) -> Result<()> {
        match &self.db {
            Db::Sqlite(p) => lite::put_document(p, key, body, by, now_ms()).await,
            Db::Pg(p) => pg::put_document(p, key, body, by, now_ms()).await,
        }
    }

    /// An uploaded document, if any.
    pub async fn document(&self, key: &str) -> Result<Option<String>> {
        match &self.db {
            Db::Sqlite(p) => lite::document(p, key).await,
            Db::Pg(p) => pg::document(p, key).await,
        }
    }

    /// The latest `limit` audit entries, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        match &self.db {
            Db::Sqlite(p) => lite::audit_log(p, limit).await,
            Db::Pg(p) => pg::audit_log(p, limit).await,
        }
    }

    /// Data loggers that announced themselves (1001) and their approval.
    pub async fn pending_loggers(&self) -> Result<Vec<PendingLogger>> {
        match &self.db {
            Db::Sqlite(p) => lite::pending_loggers(p).await,
            Db::Pg(p) => pg::pending_loggers(p).await,
        }
    }

    /// Assigns `mn` to a pending logger (register the device with that MN
    /// too); false if the logger never announced itself.
    pub async fn approve_logger(&self, logger_id: &str, mn: &str) -> Result<bool> {
        match &self.db {
            Db::Sqlite(p) => lite::approve_logger(p, logger_id, mn).await,
            Db::Pg(p) => pg::approve_logger(p, logger_id, mn).await,
        }
    }

    /// Replaces a device's sealed SM4 key (key rotation); false if no such MN.
    pub async fn set_key(&self, mn: &str, sealed: &str) -> Result<bool> {
        match &self.db {
            Db::Sqlite(p) => lite::set_key(p, mn, sealed).await,
            Db::Pg(p) => pg::set_key(p, mn, sealed).await,
        }
    }

    /// Enables or disables a device; false if there is no such MN.
    pub async fn set_enabled(&self, mn: &str, enabled: bool) -> Result<bool> {
        match &self.db {
            Db::Sqlite(p) => lite::set_enabled(p, mn, enabled).await,
            Db::Pg(p) => pg::set_enabled(p, mn, enabled).await,
        }
    }

    /// Every registered device with its site.
    pub async fn devices(&self) -> Result<Vec<Device>> {
        match &self.db {
            Db::Sqlite(p) => lite::devices(p).await,
            Db::Pg(p) => pg::devices(p).await,
        }
    }

    /// Writes a batch in one transaction and commits it.
    pub async fn write_batch(&self, b: &Batch, node: &str) -> Result<BatchOutcome> {
        match &self.db {
            Db::Sqlite(p) => {
                let mut tx = p.begin().await?;
                let out = lite::write_batch(&mut tx, b, node).await?;
                tx.commit().await?;
                Ok(out)
            }
            Db::Pg(p) => {
                self.ensure_partitions(p, b).await?;
                let mut tx = p.begin().await?;
                let out = pg::write_batch(&mut tx, b, node).await?;
                tx.commit().await?;
                Ok(out)
            }
        }
    }

    async fn ensure_partitions(&self, pool: &PgPool, b: &Batch) -> Result<()> {
        let mut needed = Vec::new();
        {
            let known = self
                .partitions
                .lock()
                .map_err(|_| Error::Invalid("partition cache poisoned".into()))?;
            for u in &b.uploads {
                let m = month_of(u.data_time);
                if !known.contains(&m.0) && !needed.iter().any(|x: &(i64, i64, i64)| x.0 == m.0) {
                    needed.push(m);
                }
            }
        }
        for (ym, start, end) in needed {
            let mut tx = pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock(7410213)")
                .execute(&mut *tx)
                .await?;
            // Only integers computed here go into this statement.
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "CREATE TABLE IF NOT EXISTS vals_{ym} PARTITION OF vals FOR VALUES FROM ({start}) TO ({end})"
            )))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            if let Ok(mut known) = self.partitions.lock() {
                known.insert(ym);
            }
        }
        Ok(())
    }

    /// Whether an upload of `mn` at `data_time` (UTC seconds) is stored.
    pub async fn upload_exists(&self, mn: &str, data_time: i64) -> Result<bool> {
        match &self.db {
            Db::Sqlite(p) => lite::upload_exists(p, mn, data_time).await,
            Db::Pg(p) => pg::upload_exists(p, mn, data_time).await,
        }
    }

    /// Uploads that arrived as re-sends (HJ 212-2025 `RF=1`).
    pub async fn late_uploads(&self) -> Result<i64> {
        match &self.db {
            Db::Sqlite(p) => lite::late_uploads(p).await,
            Db::Pg(p) => pg::late_uploads(p).await,
        }
    }

    /// Rows in one of lantian's tables (for tests and metrics).
    pub async fn count(&self, table: &str) -> Result<i64> {
        if !matches!(
            table,
            "frames" | "quarantine" | "uploads" | "vals" | "devices" | "sites"
        ) {
            return Err(Error::Invalid(format!("no table {table}")));
        }
        match &self.db {
            Db::Sqlite(p) => lite::count(p, table).await,
            Db::Pg(p) => pg::count(p, table).await,
        }
    }

    /// Calls `f` with every value of ambient devices with command `cn` (2061
    /// hourly, 2011 real-time) for `codes` and `fields` — with `received`
    /// `(from, until)`, only those of uploads received in `from..until` (Unix
    /// ms); returns the count.
    pub async fn each_ambient_value(
        &self,
        cn: i64,
        codes: &[&str],
        fields: &[&str],
        received: Option<(i64, i64)>,
        f: &mut (dyn FnMut(ValueRow<'_>) + Send),
    ) -> Result<u64> {
        match &self.db {
            Db::Sqlite(p) => lite::each_ambient_value(p, cn, codes, fields, received, f).await,
            Db::Pg(p) => pg::each_ambient_value(p, cn, codes, fields, received, f).await,
        }
    }

    /// Drops every lantian table (tests of the PostgreSQL backend share one database).
    pub async fn reset_for_tests(url: &str) -> Result<()> {
        if let Some(rest) = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
        {
            let _ = rest;
            let pool = PgPoolOptions::new().max_connections(1).connect(url).await?;
            sqlx::raw_sql(
                "DROP TABLE IF EXISTS vals CASCADE; DROP TABLE IF EXISTS uploads, quarantine, frames, devices, sites, lantian_migrations CASCADE;",
            )
            .execute(&pool)
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months() {
        // 2016-02-29T12:00:00Z
        let (ym, start, end) = month_of(1_456_747_200);
        assert_eq!(ym, 201602);
        assert_eq!(start, 1_454_284_800); // 2016-02-01
        assert_eq!(end, 1_456_790_400); // 2016-03-01
        assert_eq!(month_of(0).0, 197001);
        assert_eq!(month_of(1_767_225_599).0, 202512);
    }
}
