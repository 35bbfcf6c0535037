//! # lantian-store
//!
//! The storage edge: one [`Store`] over an embedded SQLite file (the default,
//! zero setup: bundled library, WAL, `synchronous=FULL`) or PostgreSQL (values
//! table partitioned by month). This file keeps the connection, the
//! migrations and the dispatch between the two backends; each domain has its
//! module, with its rows as structs mapped by column name and its SQL written
//! once for both backends (the [`on!`] and [`read!`] macros compile a body
//! once per backend):
//!
//! | module | tables |
//! |---|---|
//! | [`journal`] | `frames`, `quarantine`, `uploads`, `vals`, `device_counts` (what ingest writes; the journal's reads; retention) |
//! | [`registry`] | `sites`, `devices`, `pending_loggers` |
//! | [`users`] | `users`, `api_tokens`, `sessions` |
//! | [`audit`] | `audit_log` |
//! | [`documents`] | `documents` |
//! | [`enterprises`] | `townships`, `enterprises`, `outlets`, `meters`, `enterprise_changes` |
//! | [`alarms`] | `alarms`, `alarm_history`, `alarm_attachments` |
//! | [`intake`] | `uploads`, `vals` of sites' intake devices (pushed and imported hours) |
//! | [`analysis`] | reads of stored values for the assessment |
//!
//! **Three pools per database.** `write` carries ingest's group commits and
//! the administrative writes; `read` carries the API's reads, each cancelled
//! after [`Store::read_limit`] (SQLite: a progress handler interrupts the
//! statement; PostgreSQL: `statement_timeout`), so no API call can hold a
//! connection that ingest needs, or hold one for long; `bulk` carries the
//! background reads that stream for seconds by design (the dashboard's
//! figures, the registry reload).

use std::collections::HashSet;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Row};

pub mod alarms;
pub mod alerts;
pub mod analysis;
pub mod audit;
pub mod documents;
pub mod enterprises;
pub mod fires;
pub mod forward;
pub mod intake;
pub mod journal;
pub mod ledger;
pub mod reduction;
pub mod registry;
pub mod reports;
pub mod reviews;
pub mod testing;
pub mod tickets;
pub mod users;

pub use analysis::{CommitRow, StoredUpload};
pub use audit::AuditEntry;
pub use journal::{
    Batch, BatchOutcome, FrameRec, FrameRow, PackedValue, QuarantineRec, Retention, SweepOutcome,
    UploadRec, ValueRec,
};
pub use lantian_types::Verdict;
pub use registry::{Device, DeviceHealth, DeviceSpec, PendingLogger, Site};
pub use users::{TokenInfo, User};

/// Storage errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database URL `{0}`: use sqlite://PATH or postgres://…")]
    BadUrl(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Invalid(String),
    /// The object changed since the caller read it (another writer won).
    #[error("{0}")]
    Conflict(String),
    /// A read took longer than its limit and was cancelled.
    #[error("the query took longer than {} ms and was cancelled", .0.as_millis())]
    Timeout(Duration),
}

pub type Result<T> = std::result::Result<T, Error>;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The pools of one database (see the crate doc).
#[derive(Clone)]
pub(crate) struct Pools<P> {
    pub write: P,
    pub read: P,
    pub bulk: P,
}

#[derive(Clone)]
pub(crate) enum Db {
    Sqlite(Pools<SqlitePool>),
    Pg(Pools<PgPool>),
}

/// The database, cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) db: Db,
    /// Months (YYYYMM) whose PostgreSQL partition is known to exist.
    pub(crate) partitions: Arc<Mutex<HashSet<i64>>>,
    read_limit: Duration,
}

/// Runs `$body` with `$p` bound to the pool `$which` (`write` or `bulk`)
/// of whichever backend the store has; the body is compiled once per
/// backend, so one text of SQL serves both.
macro_rules! on {
    ($store:expr, $which:ident, |$p:ident| $body:expr) => {
        match &$store.db {
            $crate::Db::Sqlite(pools) => {
                let $p = &pools.$which;
                $body
            }
            $crate::Db::Pg(pools) => {
                let $p = &pools.$which;
                $body
            }
        }
    };
}
pub(crate) use on;

/// Runs `$body` on a connection `$c` of the read pool, cancelled after the
/// store's read limit (the API's reads).
macro_rules! read {
    ($store:expr, |$c:ident| $body:expr) => {
        match &$store.db {
            $crate::Db::Sqlite(pools) => {
                $store
                    .limited(async {
                        let mut conn = pools.read.acquire().await?;
                        $crate::arm_deadline(&mut conn, $store.read_limit()).await?;
                        let $c: &mut sqlx::SqliteConnection = &mut conn;
                        $body
                    })
                    .await
            }
            $crate::Db::Pg(pools) => {
                $store
                    .limited(async {
                        let mut conn = pools.read.acquire().await?;
                        let $c: &mut sqlx::PgConnection = &mut conn;
                        $body
                    })
                    .await
            }
        }
    };
}
pub(crate) use read;

/// A write transaction. On SQLite it is `BEGIN IMMEDIATE`: it takes the
/// write lock (waiting out the busy timeout) before its first statement, so
/// a transaction that reads before it writes cannot fail with SQLITE_BUSY
/// when another connection wrote in between (a deferred transaction cannot
/// be upgraded then, and SQLite does not wait for it).
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, Self::Db>>;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        self.begin().await
    }
}

/// SQLite: interrupts whatever this connection runs once `limit` has passed
/// (the progress handler is called every few thousand VM steps).
pub(crate) async fn arm_deadline(conn: &mut sqlx::SqliteConnection, limit: Duration) -> Result<()> {
    let deadline = std::time::Instant::now() + limit;
    conn.lock_handle()
        .await?
        .set_progress_handler(4_000, move || std::time::Instant::now() < deadline);
    Ok(())
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
    ("0010_device_counts", include_str!("../migrations/sqlite/0010_device_counts.sql")),
    ("0011_commit_feed", include_str!("../migrations/sqlite/0011_commit_feed.sql")),
    ("0012_enterprises", include_str!("../migrations/sqlite/0012_enterprises.sql")),
    ("0013_alarms", include_str!("../migrations/sqlite/0013_alarms.sql")),
    ("0014_tickets", include_str!("../migrations/sqlite/0014_tickets.sql")),
    ("0015_webhooks", include_str!("../migrations/sqlite/0015_webhooks.sql")),
    ("0016_alerts", include_str!("../migrations/sqlite/0016_alerts.sql")),
    ("0017_intake", include_str!("../migrations/sqlite/0017_intake.sql")),
    ("0018_reviews", include_str!("../migrations/sqlite/0018_reviews.sql")),
    ("0019_forward", include_str!("../migrations/sqlite/0019_forward.sql")),
    ("0020_fires", include_str!("../migrations/sqlite/0020_fires.sql")),
    ("0021_ledger", include_str!("../migrations/sqlite/0021_ledger.sql")),
    ("0022_fire_photos", include_str!("../migrations/sqlite/0022_fire_photos.sql")),
    ("0023_reports", include_str!("../migrations/sqlite/0023_reports.sql")),
    ("0024_alert_tickets", include_str!("../migrations/sqlite/0024_alert_tickets.sql")),
    ("0025_reduction", include_str!("../migrations/sqlite/0025_reduction.sql")),
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
    ("0010_device_counts", include_str!("../migrations/postgres/0010_device_counts.sql")),
    ("0011_commit_feed", include_str!("../migrations/postgres/0011_commit_feed.sql")),
    ("0012_enterprises", include_str!("../migrations/postgres/0012_enterprises.sql")),
    ("0013_alarms", include_str!("../migrations/postgres/0013_alarms.sql")),
    ("0014_tickets", include_str!("../migrations/postgres/0014_tickets.sql")),
    ("0015_webhooks", include_str!("../migrations/postgres/0015_webhooks.sql")),
    ("0016_alerts", include_str!("../migrations/postgres/0016_alerts.sql")),
    ("0017_intake", include_str!("../migrations/postgres/0017_intake.sql")),
    ("0018_reviews", include_str!("../migrations/postgres/0018_reviews.sql")),
    ("0019_forward", include_str!("../migrations/postgres/0019_forward.sql")),
    ("0020_fires", include_str!("../migrations/postgres/0020_fires.sql")),
    ("0021_ledger", include_str!("../migrations/postgres/0021_ledger.sql")),
    ("0022_fire_photos", include_str!("../migrations/postgres/0022_fire_photos.sql")),
    ("0023_reports", include_str!("../migrations/postgres/0023_reports.sql")),
    ("0024_alert_tickets", include_str!("../migrations/postgres/0024_alert_tickets.sql")),
    ("0025_reduction", include_str!("../migrations/postgres/0025_reduction.sql")),
];

/// Bind parameters per multi-row INSERT: below SQLite's 32,766 and
/// PostgreSQL's 65,535.
pub(crate) const PARAMS_PER_INSERT: usize = 16_000;

/// The default limit of an API read.
pub const DEFAULT_READ_LIMIT: Duration = Duration::from_secs(5);

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Store {
    /// Opens (creating and migrating on first use) `sqlite://PATH` or
    /// `postgres://…`.
    pub async fn connect(url: &str) -> Result<Store> {
        Self::connect_with(url, DEFAULT_READ_LIMIT).await
    }

    /// As [`Store::connect`], with the limit after which an API read is
    /// cancelled.
    pub async fn connect_with(url: &str, read_limit: Duration) -> Result<Store> {
        Self::connect_tuned(url, read_limit, 2_000).await
    }

    /// As [`Store::connect`] for a bulk load (`lantian import`): SQLite's
    /// write connections keep up to `write_cache_kib` KiB of pages each
    /// (the default, 2,000 KiB, suits a server's small commits).
    pub async fn connect_for_bulk(url: &str, write_cache_kib: u32) -> Result<Store> {
        Self::connect_tuned(url, DEFAULT_READ_LIMIT, write_cache_kib).await
    }

    async fn connect_tuned(url: &str, read_limit: Duration, write_cache_kib: u32) -> Result<Store> {
        let read_limit = read_limit.max(Duration::from_millis(1));
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
            let write = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(
                    opts.clone()
                        .pragma("cache_size", format!("-{}", write_cache_kib)),
                )
                .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(4)
                .acquire_timeout(read_limit)
                .connect_lazy_with(opts.clone());
            let bulk = SqlitePoolOptions::new()
                .max_connections(2)
                .connect_lazy_with(opts);
            Db::Sqlite(Pools { write, read, bulk })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?
                .log_slow_statements(log::LevelFilter::Info, Duration::from_secs(1));
            let write = PgPoolOptions::new()
                .max_connections(8)
                .connect_with(opts.clone())
                .await?;
            // The server cancels an API read that runs past the limit, even
            // when the client has gone.
            let timeout = format!("{}", read_limit.as_millis());
            let read = PgPoolOptions::new()
                .max_connections(4)
                .acquire_timeout(read_limit)
                .connect_lazy_with(
                    opts.clone()
                        .options([("statement_timeout", timeout.as_str())]),
                );
            let bulk = PgPoolOptions::new()
                .max_connections(2)
                .connect_lazy_with(opts);
            Db::Pg(Pools { write, read, bulk })
        } else {
            return Err(Error::BadUrl(url.to_string()));
        };
        let store = Store {
            db,
            partitions: Arc::default(),
            read_limit,
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

    /// How long an API read may run before it is cancelled.
    pub fn read_limit(&self) -> Duration {
        self.read_limit
    }

    /// `f`, or [`Error::Timeout`] once the read limit has passed.
    pub(crate) async fn limited<T>(
        &self,
        f: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        match tokio::time::timeout(self.read_limit, f).await {
            Ok(r) => r.map_err(|e| match e {
                // SQLite's answer to the progress handler's interruption.
                Error::Db(sqlx::Error::Database(d)) if d.message().contains("interrupted") => {
                    Error::Timeout(self.read_limit)
                }
                Error::Db(sqlx::Error::Database(d)) if d.code().as_deref() == Some("57014") => {
                    Error::Timeout(self.read_limit)
                }
                Error::Db(sqlx::Error::PoolTimedOut) => Error::Timeout(self.read_limit),
                other => other,
            }),
            Err(_) => Err(Error::Timeout(self.read_limit)),
        }
    }

    async fn migrate(&self) -> Result<()> {
        let (pre, list): (&[&str], _) = match self.backend() {
            Backend::Sqlite => (
                &[
                    "CREATE TABLE IF NOT EXISTS lantian_migrations (name TEXT PRIMARY KEY, applied_ms INTEGER NOT NULL)",
                ],
                SQLITE_MIGRATIONS,
            ),
            // Several nodes may start at once: one migrates, the others wait.
            Backend::Postgres => (
                &[
                    "SELECT pg_advisory_xact_lock(7410212)",
                    "CREATE TABLE IF NOT EXISTS lantian_migrations (name TEXT PRIMARY KEY, applied_ms BIGINT NOT NULL)",
                ],
                PG_MIGRATIONS,
            ),
        };
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            for sql in pre {
                sqlx::query(*sql).execute(&mut *tx).await?;
            }
            for (name, sql) in list {
                let done: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM lantian_migrations WHERE name = $1")
                        .bind(*name)
                        .fetch_one(&mut *tx)
                        .await?;
                if done == 0 {
                    sqlx::raw_sql(*sql).execute(&mut *tx).await?;
                    sqlx::query(
                        "INSERT INTO lantian_migrations (name, applied_ms) VALUES ($1, $2)",
                    )
                    .bind(*name)
                    .bind(now_ms())
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Rows in one of lantian's tables (for tests, health and metrics).
    pub async fn count(&self, table: &str) -> Result<i64> {
        if !matches!(
            table,
            "frames" | "quarantine" | "uploads" | "vals" | "devices" | "sites"
        ) {
            return Err(Error::Invalid(format!("no table {table}")));
        }
        // `table` is one of a fixed list (checked above).
        let sql = format!("SELECT COUNT(*) FROM {table}");
        read!(self, |c| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut *c)
                .await?;
            Ok(row.try_get::<i64, _>(0)?)
        })
    }

    /// Whether the database answers (a trivial read on the read pool, so a
    /// busy writer does not make the node look dead).
    pub async fn ping(&self) -> Result<()> {
        read!(self, |c| {
            sqlx::query("SELECT 1").execute(&mut *c).await?;
            Ok(())
        })
    }

    /// Drops every lantian table (tests of the PostgreSQL backend share one database).
    pub async fn reset_for_tests(url: &str) -> Result<()> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new().max_connections(1).connect(url).await?;
            sqlx::raw_sql(
                "DROP TABLE IF EXISTS vals CASCADE; DROP TABLE IF EXISTS uploads, quarantine, frames, devices, sites, device_counts, commits, lantian_migrations CASCADE;",
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

    /// A read the API could never make: it runs until it is cancelled.
    async fn endless_read(store: &Store) -> Result<i64> {
        let sql = match store.backend() {
            Backend::Sqlite => {
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c"
            }
            Backend::Postgres => "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT pg_sleep(60)) s",
        };
        read!(store, |c| Ok(sqlx::query_scalar(sql)
            .fetch_one(&mut *c)
            .await?))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_read_past_its_limit_is_cancelled_and_never_holds_the_writer() {
        for url in testing::databases("readlimit").await {
            let store = Store::connect_with(&url, Duration::from_millis(800))
                .await
                .unwrap();
            // Enough endless reads to take every read connection.
            let reads: Vec<_> = (0..6)
                .map(|_| {
                    let s = store.clone();
                    tokio::spawn(async move { endless_read(&s).await })
                })
                .collect();
            tokio::time::sleep(Duration::from_millis(100)).await;
            // Ingest commits meanwhile, on its own pool: the batch is
            // written while every read is still running.
            let b = journal::Batch {
                frames: vec![journal::FrameRec {
                    received_ms: now_ms(),
                    peer: "test".into(),
                    mn: None,
                    qn: None,
                    cn: None,
                    device_id: None,
                    verdict: Verdict::Rejected,
                    reason: None,
                    raw: b"##".to_vec(),
                    upload: None,
                }],
                ..Default::default()
            };
            store.write_batch(&b, "test").await.unwrap();
            assert!(
                reads.iter().all(|r| !r.is_finished()),
                "{url}: the write waited for the reads"
            );
            for r in reads {
                match r.await.unwrap() {
                    Err(Error::Timeout(d)) => assert_eq!(d, Duration::from_millis(800)),
                    other => panic!("{url}: an endless read ended with {other:?}"),
                }
            }
            // The connections came back and answer.
            assert_eq!(store.count("frames").await.unwrap(), 1, "{url}");
        }
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        fn names(l: &[(&'static str, &'static str)]) -> Vec<&'static str> {
            l.iter().map(|(n, _)| *n).collect()
        }
        assert_eq!(names(SQLITE_MIGRATIONS), names(PG_MIGRATIONS));
        // Each file says what it is for, on both sides.
        for (n, sql) in SQLITE_MIGRATIONS.iter().chain(PG_MIGRATIONS) {
            assert!(
                sql.trim_start().starts_with("--"),
                "{n}: starts with a comment"
            );
        }
        let mut sorted = names(SQLITE_MIGRATIONS);
        sorted.sort_unstable();
        assert_eq!(sorted, names(SQLITE_MIGRATIONS), "applied in name order");
    }
}
