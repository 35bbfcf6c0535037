//! Reads of stored uploads for the assessment (`lantian assess --database`
//! and the dashboard's figures) and for the commit feed's subscribers:
//! one row per upload (its values packed), streamed on the background pool,
//! so years of hours never sit in memory twice and no API call waits behind
//! them.

use sqlx::QueryBuilder;

use crate::{Result, Store, on};

/// A stored upload read back with its values (for the assessment and the
/// commit feed's subscribers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUpload<'r> {
    pub device_id: i64,
    pub cn: i64,
    /// DataTime, UTC seconds.
    pub data_time: i64,
    pub received_ms: i64,
    pub values: Vec<crate::journal::PackedValue<'r>>,
}

/// One row of the commit feed's outbox.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CommitRow {
    pub id: i64,
    pub at_ms: i64,
    pub node: String,
    pub keys: String,
}

impl CommitRow {
    /// The upload keys (device_id, cn, data_time) it names.
    pub fn keys(&self) -> Vec<(i64, i64, i64)> {
        self.keys
            .split_whitespace()
            .filter_map(|k| {
                let mut it = k.split(':').map(|x| x.parse::<i64>().ok());
                Some((it.next()??, it.next()??, it.next()??))
            })
            .collect()
    }
}

#[derive(sqlx::FromRow)]
struct UploadRow {
    device_id: i64,
    cn: i64,
    data_time: i64,
    received_ms: i64,
    packed: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ValRow {
    code: String,
    field: String,
    raw: String,
    flag: Option<String>,
}

/// Reads the values of an upload stored without a packed copy.
macro_rules! unpacked_values {
    ($p:expr, $u:expr) => {{
        let rows: Vec<ValRow> = sqlx::query_as(
            "SELECT code, field, raw, flag FROM vals WHERE device_id = $1 AND cn = $2 AND ts = $3",
        )
        .bind($u.device_id)
        .bind($u.cn)
        .bind($u.data_time)
        .fetch_all($p)
        .await?;
        rows
    }};
}

/// Hands one upload row to `f`, its values unpacked (or read from `vals`).
macro_rules! hand_over {
    ($p:expr, $r:expr, $f:expr) => {{
        let r: UploadRow = $r;
        match &r.packed {
            Some(packed) => $f(StoredUpload {
                device_id: r.device_id,
                cn: r.cn,
                data_time: r.data_time,
                received_ms: r.received_ms,
                values: crate::journal::unpack(packed).collect(),
            }),
            None => {
                let vals = unpacked_values!($p, r);
                $f(StoredUpload {
                    device_id: r.device_id,
                    cn: r.cn,
                    data_time: r.data_time,
                    received_ms: r.received_ms,
                    values: vals
                        .iter()
                        .map(|v| crate::journal::PackedValue {
                            code: &v.code,
                            field: &v.field,
                            raw: &v.raw,
                            flag: v.flag.as_deref(),
                        })
                        .collect(),
                })
            }
        }
    }};
}

/// Streams the upload rows of query builder `q` to `f` (values unpacked or
/// read from `vals`); the count.
macro_rules! stream_uploads {
    ($p:expr, $q:expr, $f:expr) => {{
        let (p, mut q, f) = ($p, $q, $f);
        // Rows without a packed copy are read from vals after the
        // stream (one connection cannot serve two statements at once).
        let mut later = Vec::new();
        let mut n = 0;
        {
            let mut rows = q.build_query_as::<UploadRow>().fetch(p);
            while let Some(r) = rows.try_next().await? {
                n += 1;
                if r.packed.is_some() {
                    hand_over!(p, r, f);
                } else {
                    later.push(r);
                }
            }
        }
        for r in later {
            hand_over!(p, r, f);
        }
        Ok(n)
    }};
}

impl Store {
    /// Calls `f` with every stored upload of devices of `kind` with a command
    /// in `cns` (one row per upload: the values come packed), in the order
    /// of the uploads' key; returns the count. On the background pool.
    pub async fn each_upload(
        &self,
        kind: &str,
        cns: &[i64],
        f: &mut (dyn FnMut(StoredUpload<'_>) + Send),
    ) -> Result<u64> {
        self.each_upload_since(kind, cns, i64::MIN, f).await
    }

    /// [`Store::each_upload`] for the uploads whose DataTime is at or after
    /// `since` (UTC seconds).
    pub async fn each_upload_since(
        &self,
        kind: &str,
        cns: &[i64],
        since: i64,
        f: &mut (dyn FnMut(StoredUpload<'_>) + Send),
    ) -> Result<u64> {
        use futures_util::TryStreamExt;
        on!(self, bulk, |p| {
            let mut q = QueryBuilder::new(
                "SELECT u.device_id, u.cn, u.data_time, u.received_ms, u.packed FROM uploads u \
                 JOIN devices d ON d.id = u.device_id WHERE d.kind = ",
            );
            q.push_bind(kind.to_string());
            q.push(" AND u.cn IN (");
            let mut sep = q.separated(", ");
            for c in cns {
                sep.push_bind(*c);
            }
            q.push(")");
            if since > i64::MIN {
                q.push(" AND u.data_time >= ");
                q.push_bind(since);
            }
            stream_uploads!(p, q, f)
        })
    }

    /// [`Store::each_upload`] for the uploads of these devices with a
    /// DataTime in `[from, to)` (UTC seconds), e.g. a firm's meters and
    /// outlets over an alert and its baseline.
    pub async fn each_upload_of(
        &self,
        devices: &[i64],
        cns: &[i64],
        from: i64,
        to: i64,
        f: &mut (dyn FnMut(StoredUpload<'_>) + Send),
    ) -> Result<u64> {
        use futures_util::TryStreamExt;
        if devices.is_empty() || cns.is_empty() {
            return Ok(0);
        }
        on!(self, bulk, |p| {
            let mut q = QueryBuilder::new(
                "SELECT device_id, cn, data_time, received_ms, packed FROM uploads WHERE device_id IN (",
            );
            let mut sep = q.separated(", ");
            for d in devices {
                sep.push_bind(*d);
            }
            q.push(") AND cn IN (");
            let mut sep = q.separated(", ");
            for c in cns {
                sep.push_bind(*c);
            }
            q.push(") AND data_time >= ");
            q.push_bind(from);
            q.push(" AND data_time < ");
            q.push_bind(to);
            q.push(" ORDER BY device_id, cn, data_time");
            stream_uploads!(p, q, f)
        })
    }

    /// The latest DataTime stored of devices of `kind` (UTC seconds).
    pub async fn latest_data_time(&self, kind: &str) -> Result<Option<i64>> {
        on!(self, bulk, |p| {
            Ok(sqlx::query_scalar(
                "SELECT MAX(u.data_time) FROM uploads u JOIN devices d ON d.id = u.device_id WHERE d.kind = $1",
            )
            .bind(kind)
            .fetch_one(p)
            .await?)
        })
    }

    /// Calls `f` with the uploads of these keys (device_id, cn, data_time)
    /// that are stored (the commit feed's rows from another node).
    pub async fn uploads_by_keys(
        &self,
        keys: &[(i64, i64, i64)],
        f: &mut (dyn FnMut(StoredUpload<'_>) + Send),
    ) -> Result<u64> {
        on!(self, bulk, |p| {
            let mut n = 0;
            for chunk in keys.chunks(500) {
                let mut q = QueryBuilder::new(
                    "SELECT device_id, cn, data_time, received_ms, packed FROM uploads WHERE (device_id, cn, data_time) IN (",
                );
                let mut sep = q.separated(", ");
                for (d, c, t) in chunk {
                    sep.push("(");
                    sep.push_bind_unseparated(*d);
                    sep.push_unseparated(", ");
                    sep.push_bind_unseparated(*c);
                    sep.push_unseparated(", ");
                    sep.push_bind_unseparated(*t);
                    sep.push_unseparated(")");
                }
                q.push(")");
                let rows: Vec<UploadRow> = q.build_query_as().fetch_all(p).await?;
                for r in rows {
                    n += 1;
                    hand_over!(p, r, f);
                }
            }
            Ok(n)
        })
    }

    /// The newest row of the commit feed's outbox (0 when there is none).
    pub async fn last_commit_id(&self) -> Result<i64> {
        on!(self, bulk, |p| {
            let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM commits")
                .fetch_one(p)
                .await?;
            Ok(id.unwrap_or(0))
        })
    }

    /// Outbox rows after `after`, oldest first, at most `limit`.
    pub async fn commits_since(&self, after: i64, limit: i64) -> Result<Vec<CommitRow>> {
        on!(self, bulk, |p| {
            Ok(sqlx::query_as(
                "SELECT id, at_ms, node, keys FROM commits WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(limit)
            .fetch_all(p)
            .await?)
        })
    }
}
