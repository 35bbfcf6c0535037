//! What ingest writes: the raw-frame journal (`frames`), frames kept aside
//! (`quarantine`), data uploads and their values (`uploads`, `vals`,
//! monthly partitions on PostgreSQL), and the device page's counts
//! (`device_counts`). An upload's key is (device, CN, DataTime): a
//! retransmission is stored once, and the writer — not the connection —
//! decides a frame's [`Verdict::Duplicate`], after its own insert said the
//! key was there. Also the journal's reads and its retention sweep.

use std::collections::{BTreeMap, HashMap, HashSet};

use sqlx::QueryBuilder;

use crate::{BeginWrite, Error, PARAMS_PER_INSERT, Result, Store, Verdict, on, read};

/// The `device_counts` kind of values with a flag other than N.
pub const FLAGGED: &str = "flagged";

/// One received frame for the journal.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameRec {
    pub received_ms: i64,
    pub peer: String,
    pub mn: Option<String>,
    pub qn: Option<String>,
    pub cn: Option<String>,
    /// The registered device the MN names, if any (its counts are kept).
    pub device_id: Option<i64>,
    /// The connection's verdict; [`Verdict::Stored`] becomes
    /// [`Verdict::Duplicate`] in the writer when its upload was there.
    pub verdict: Verdict,
    pub reason: Option<String>,
    pub raw: Vec<u8>,
    /// The upload this frame carries: an index into the batch's `uploads`.
    pub upload: Option<usize>,
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

impl ValueRec {
    /// Flagged: a data flag other than N (maintenance, calibration, fault…).
    pub fn is_flagged(&self) -> bool {
        self.flag.as_deref().is_some_and(|f| f != "N")
    }
}

/// The separators of [`pack`]: ASCII unit (between a value's parts) and
/// record (between values) separators.
const US: char = '\u{1f}';
const RS: char = '\u{1e}';

/// An upload's values in one text (`uploads.packed`), or `None` when a
/// part holds a separator (its values are then read from `vals`).
pub fn pack(values: &[ValueRec]) -> Option<String> {
    let mut out = String::with_capacity(values.len() * 24);
    for (i, v) in values.iter().enumerate() {
        let flag = v.flag.as_deref().unwrap_or("");
        if [v.code.as_str(), &v.field, &v.raw, flag]
            .iter()
            .any(|p| p.contains([US, RS]))
        {
            return None;
        }
        if i > 0 {
            out.push(RS);
        }
        for (k, part) in [v.code.as_str(), &v.field, &v.raw, flag]
            .into_iter()
            .enumerate()
        {
            if k > 0 {
                out.push(US);
            }
            out.push_str(part);
        }
    }
    Some(out)
}

/// One value of a packed upload, borrowed from the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackedValue<'a> {
    pub code: &'a str,
    pub field: &'a str,
    pub raw: &'a str,
    /// `None` when the device sent no flag.
    pub flag: Option<&'a str>,
}

/// The values of a packed text (a malformed part is skipped).
pub fn unpack(packed: &str) -> impl Iterator<Item = PackedValue<'_>> {
    packed.split(RS).filter(|v| !v.is_empty()).filter_map(|v| {
        let mut it = v.split(US);
        let (code, field, raw, flag) = (it.next()?, it.next()?, it.next()?, it.next()?);
        Some(PackedValue {
            code,
            field,
            raw,
            flag: (!flag.is_empty()).then_some(flag),
        })
    })
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
    pub pending: Vec<crate::PendingLogger>,
    /// Rotated SM4 keys: (MN, sealed key), written with the frame that
    /// asked, so the new key is durable before the device is told it.
    pub keys: Vec<(String, String)>,
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

    /// Appends `other` (its frames' upload indexes follow its uploads).
    pub fn append(&mut self, other: Batch) {
        let base = self.uploads.len();
        self.frames.extend(other.frames.into_iter().map(|mut f| {
            f.upload = f.upload.map(|i| i + base);
            f
        }));
        self.quarantine.extend(other.quarantine);
        self.uploads.extend(other.uploads);
        self.seen.extend(other.seen);
        self.pending.extend(other.pending);
        self.keys.extend(other.keys);
    }
}

/// What a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub uploads_new: u64,
    /// Uploads already stored (retransmissions), or twice in the batch.
    pub duplicates: u64,
    pub values: u64,
    /// The final verdict of every frame of the batch, in order.
    pub verdicts: Vec<Verdict>,
    /// Which of the batch's uploads were stored now (not retransmissions).
    pub new_uploads: Vec<bool>,
    /// The batch's row in the commit feed's outbox (when it stored uploads).
    pub commit_id: Option<i64>,
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

#[derive(sqlx::FromRow)]
struct FrameDbRow {
    id: i64,
    received_ms: i64,
    node: String,
    peer: String,
    mn: Option<String>,
    qn: Option<String>,
    cn: Option<String>,
    verdict: String,
    reason: Option<String>,
    raw: Vec<u8>,
}

impl From<FrameDbRow> for FrameRow {
    fn from(r: FrameDbRow) -> Self {
        FrameRow {
            id: r.id,
            received_ms: r.received_ms,
            node: r.node,
            peer: r.peer,
            mn: r.mn,
            qn: r.qn,
            cn: r.cn,
            verdict: r.verdict,
            reason: r.reason,
            raw: String::from_utf8_lossy(&r.raw).into_owned(),
        }
    }
}

/// How much of the journal to keep (the retention sweep): frames and
/// quarantined frames older than their age limit, or beyond their count
/// limit (oldest first), are deleted. Anyone can send frames from an
/// unknown MN, so without a limit the database would grow without bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub frames_days: i64,
    pub frames_rows: i64,
    pub quarantine_days: i64,
    pub quarantine_rows: i64,
}

/// What a sweep deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepOutcome {
    pub frames: u64,
    pub quarantine: u64,
    pub counts: u64,
}

/// An hour bucket of `device_counts` (UTC clock hour of a Unix-ms instant).
pub fn hour_of(ms: i64) -> i64 {
    ms.div_euclid(3_600_000)
}

/// The rows a batch adds to `device_counts`, summed: (device, hour, kind) → n.
fn counts_of(
    b: &Batch,
    verdicts: &[Verdict],
    new: &[bool],
) -> BTreeMap<(i64, i64, &'static str), i64> {
    let mut m = BTreeMap::new();
    for (f, v) in b.frames.iter().zip(verdicts) {
        if let Some(d) = f.device_id {
            *m.entry((d, hour_of(f.received_ms), v.as_str()))
                .or_insert(0) += 1;
        }
    }
    for (u, _) in b.uploads.iter().zip(new).filter(|(_, n)| **n) {
        let flagged = u.values.iter().filter(|v| v.is_flagged()).count() as i64;
        if flagged > 0 {
            *m.entry((u.device_id, hour_of(u.received_ms), FLAGGED))
                .or_insert(0) += flagged;
        }
    }
    m
}

/// The body of one group commit on transaction `$tx` (either backend).
macro_rules! write_batch_tx {
    ($tx:ident, $b:expr, $node:expr) => {{
        let b: &Batch = $b;
        let node: &str = $node;
        let mut out = BatchOutcome::default();
        // Uploads first: RETURNING names the keys this insert stored, so a
        // key already there (a retransmission) or twice in the batch (the
        // first wins) is known to be a duplicate before the frames are written.
        let mut inserted: HashSet<(i64, i64, i64)> = HashSet::new();
        for chunk in b.uploads.chunks(PARAMS_PER_INSERT / 8) {
            let mut q = QueryBuilder::new("INSERT INTO uploads (device_id, cn, data_time, mn, qn, received_ms, late, packed) ");
            q.push_values(chunk, |mut r, u| {
                r.push_bind(u.device_id)
                    .push_bind(u.cn)
                    .push_bind(u.data_time)
                    .push_bind(u.mn.clone())
                    .push_bind(u.qn.clone())
                    .push_bind(u.received_ms)
                    .push_bind(i64::from(u.late))
                    .push_bind(pack(&u.values));
            });
            q.push(" ON CONFLICT DO NOTHING RETURNING device_id, cn, data_time");
            let keys: Vec<(i64, i64, i64)> = q.build_query_as().fetch_all(&mut *$tx).await?;
            inserted.extend(keys);
        }
        let new: Vec<bool> = b
            .uploads
            .iter()
            .map(|u| inserted.remove(&(u.device_id, u.cn, u.data_time)))
            .collect();
        out.uploads_new = new.iter().filter(|n| **n).count() as u64;
        out.duplicates = b.uploads.len() as u64 - out.uploads_new;
        let rows: Vec<(&UploadRec, &ValueRec)> = b
            .uploads
            .iter()
            .zip(&new)
            .filter(|(_, n)| **n)
            .flat_map(|(u, _)| u.values.iter().map(move |v| (u, v)))
            .collect();
        for chunk in rows.chunks(PARAMS_PER_INSERT / 8) {
            let mut q = QueryBuilder::new("INSERT INTO vals (device_id, cn, ts, code, field, raw, num, flag) ");
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
            out.values += q.build().execute(&mut *$tx).await?.rows_affected();
        }
        out.verdicts = b
            .frames
            .iter()
            .map(|f| match (f.verdict, f.upload.and_then(|i| new.get(i))) {
                (Verdict::Stored, Some(false)) => Verdict::Duplicate,
                (v, _) => v,
            })
            .collect();
        let frames: Vec<(&FrameRec, Verdict)> = b.frames.iter().zip(out.verdicts.iter().copied()).collect();
        for chunk in frames.chunks(PARAMS_PER_INSERT / 9) {
            let mut q = QueryBuilder::new("INSERT INTO frames (received_ms, node, peer, mn, qn, cn, verdict, reason, raw) ");
            q.push_values(chunk, |mut r, (f, v)| {
                r.push_bind(f.received_ms)
                    .push_bind(node.to_string())
                    .push_bind(f.peer.clone())
                    .push_bind(f.mn.clone())
                    .push_bind(f.qn.clone())
                    .push_bind(f.cn.clone())
                    .push_bind(v.as_str())
                    .push_bind(f.reason.clone())
                    .push_bind(f.raw.clone());
            });
            q.build().execute(&mut *$tx).await?;
        }
        for chunk in b.quarantine.chunks(PARAMS_PER_INSERT / 5) {
            let mut q = QueryBuilder::new("INSERT INTO quarantine (received_ms, peer, mn, reason, raw) ");
            q.push_values(chunk, |mut r, f| {
                r.push_bind(f.received_ms)
                    .push_bind(f.peer.clone())
                    .push_bind(f.mn.clone())
                    .push_bind(f.reason.clone())
                    .push_bind(f.raw.clone());
            });
            q.build().execute(&mut *$tx).await?;
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
            .execute(&mut *$tx)
            .await?;
        }
        for (mn, sealed) in &b.keys {
            sqlx::query("UPDATE devices SET sm4_key_enc = $1 WHERE mn = $2")
                .bind(sealed)
                .bind(mn)
                .execute(&mut *$tx)
                .await?;
        }
        // The device page's counts, in key order (concurrent writers lock
        // the same rows in the same order: they wait, never deadlock).
        let counts = counts_of(b, &out.verdicts, &new);
        let counts: Vec<_> = counts.into_iter().collect();
        for chunk in counts.chunks(PARAMS_PER_INSERT / 4) {
            let mut q = QueryBuilder::new("INSERT INTO device_counts (device_id, hour, kind, n) ");
            q.push_values(chunk, |mut r, ((d, h, k), n)| {
                r.push_bind(*d).push_bind(*h).push_bind(*k).push_bind(*n);
            });
            q.push(" ON CONFLICT (device_id, hour, kind) DO UPDATE SET n = device_counts.n + excluded.n");
            q.build().execute(&mut *$tx).await?;
        }
        // The commit feed's outbox: what this batch stored, by key.
        if out.uploads_new > 0 {
            let keys: Vec<String> = b
                .uploads
                .iter()
                .zip(&new)
                .filter(|(_, n)| **n)
                .map(|(u, _)| format!("{}:{}:{}", u.device_id, u.cn, u.data_time))
                .collect();
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO commits (at_ms, node, uploads, keys) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(crate::now_ms())
            .bind(node)
            .bind(out.uploads_new as i64)
            .bind(keys.join(" "))
            .fetch_one(&mut *$tx)
            .await?;
            out.commit_id = Some(id);
        }
        // Last heard from, and the latest DataTime stored, per device.
        let mut latest: BTreeMap<i64, (Option<i64>, Option<i64>)> = BTreeMap::new();
        for &(id, ms) in &b.seen {
            let e = latest.entry(id).or_default();
            e.0 = e.0.max(Some(ms));
        }
        for (u, _) in b.uploads.iter().zip(&new).filter(|(_, n)| **n) {
            let e = latest.entry(u.device_id).or_default();
            e.1 = e.1.max(Some(u.data_time));
        }
        for (id, (seen, data)) in latest {
            sqlx::query(
                "UPDATE devices SET \
                 last_seen_ms = CASE WHEN $1 IS NOT NULL AND (last_seen_ms IS NULL OR last_seen_ms < $1) THEN $1 ELSE last_seen_ms END, \
                 latest_data_s = CASE WHEN $2 IS NOT NULL AND (latest_data_s IS NULL OR latest_data_s < $2) THEN $2 ELSE latest_data_s END \
                 WHERE id = $3",
            )
            .bind(seen)
            .bind(data)
            .bind(id)
            .execute(&mut *$tx)
            .await?;
        }
        out.new_uploads = new;
        out
    }};
}

/// Deletes journal rows by retention (either backend, on pool `$p`): the
/// oldest first, in chunks, so the writer never waits long.
macro_rules! sweep_table {
    ($p:expr, $table:literal, $days:expr, $rows:expr, $now:expr) => {{
        const CHUNK: i64 = 5_000;
        let mut deleted = 0u64;
        // By count: everything below the id that keeps the newest `rows`.
        let max: Option<i64> = sqlx::query_scalar(concat!("SELECT MAX(id) FROM ", $table))
            .fetch_one($p)
            .await?;
        if let Some(max) = max {
            let below = max - $rows.max(0);
            loop {
                let n = sqlx::query(concat!(
                    "DELETE FROM ",
                    $table,
                    " WHERE id IN (SELECT id FROM ",
                    $table,
                    " WHERE id <= $1 ORDER BY id LIMIT $2)"
                ))
                .bind(below)
                .bind(CHUNK)
                .execute($p)
                .await?
                .rows_affected();
                deleted += n;
                if n < CHUNK as u64 {
                    break;
                }
            }
        }
        // By age: ids grow with the time received (per node, and nodes
        // share a clock), so the oldest rows are the lowest ids; delete the
        // prefix older than the cutoff, chunk by chunk.
        let cutoff = $now - $days.max(0) * 86_400_000;
        loop {
            let head: Vec<(i64, i64)> = sqlx::query_as(concat!(
                "SELECT id, received_ms FROM ",
                $table,
                " ORDER BY id LIMIT $1"
            ))
            .bind(CHUNK)
            .fetch_all($p)
            .await?;
            let old: Vec<i64> = head
                .iter()
                .take_while(|(_, t)| *t < cutoff)
                .map(|(id, _)| *id)
                .collect();
            let Some(&last) = old.last() else { break };
            deleted += sqlx::query(concat!("DELETE FROM ", $table, " WHERE id <= $1"))
                .bind(last)
                .execute($p)
                .await?
                .rows_affected();
            if old.len() < head.len() || head.len() < CHUNK as usize {
                break;
            }
        }
        deleted
    }};
}

impl Store {
    /// Writes a batch in one transaction and commits it; the outcome holds
    /// every frame's final verdict.
    pub async fn write_batch(&self, b: &Batch, node: &str) -> Result<BatchOutcome> {
        if let crate::Db::Pg(pools) = &self.db {
            self.ensure_partitions(&pools.write, b.uploads.iter().map(|u| u.data_time))
                .await?;
        }
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let out = write_batch_tx!(tx, b, node);
            tx.commit().await?;
            Ok(out)
        })
    }

    /// Makes sure the monthly partitions of `vals` exist for these
    /// DataTimes (UTC seconds).
    pub(crate) async fn ensure_partitions(
        &self,
        pool: &sqlx::PgPool,
        times: impl Iterator<Item = i64>,
    ) -> Result<()> {
        let mut needed = Vec::new();
        {
            let known = self
                .partitions
                .lock()
                .map_err(|_| Error::Invalid("partition cache poisoned".into()))?;
            for t in times {
                let m = month_of(t);
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

    /// The latest journaled frames, newest first, optionally of one MN or verdict.
    pub async fn recent_frames(
        &self,
        mn: Option<&str>,
        verdict: Option<Verdict>,
        limit: i64,
    ) -> Result<Vec<FrameRow>> {
        let verdict = verdict.map(Verdict::as_str);
        read!(self, |c| {
            // With an MN the index (mn, received_ms) serves the order.
            let sql = if mn.is_some() {
                "SELECT id, received_ms, node, peer, mn, qn, cn, verdict, reason, raw FROM frames \
                 WHERE mn = $1 AND ($2 IS NULL OR verdict = $2) ORDER BY received_ms DESC, id DESC LIMIT $3"
            } else {
                "SELECT id, received_ms, node, peer, mn, qn, cn, verdict, reason, raw FROM frames \
                 WHERE ($1 IS NULL OR mn = $1) AND ($2 IS NULL OR verdict = $2) ORDER BY id DESC LIMIT $3"
            };
            let rows: Vec<FrameDbRow> = sqlx::query_as(sql)
                .bind(mn)
                .bind(verdict)
                .bind(limit)
                .fetch_all(&mut *c)
                .await?;
            Ok(rows.into_iter().map(FrameRow::from).collect())
        })
    }

    /// The latest quarantined frames, newest first (verdict `quarantine`).
    pub async fn recent_quarantine(&self, limit: i64) -> Result<Vec<FrameRow>> {
        read!(self, |c| {
            let rows: Vec<FrameDbRow> = sqlx::query_as(
                "SELECT id, received_ms, '' AS node, peer, mn, CAST(NULL AS TEXT) AS qn, CAST(NULL AS TEXT) AS cn, \
                 'quarantine' AS verdict, reason, raw FROM quarantine ORDER BY id DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(&mut *c)
            .await?;
            Ok(rows.into_iter().map(FrameRow::from).collect())
        })
    }

    /// Whether an upload of `mn` at `data_time` (UTC seconds) is stored.
    pub async fn upload_exists(&self, mn: &str, data_time: i64) -> Result<bool> {
        read!(self, |c| {
            let n: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM uploads WHERE mn = $1 AND data_time = $2")
                    .bind(mn)
                    .bind(data_time)
                    .fetch_one(&mut *c)
                    .await?;
            Ok(n > 0)
        })
    }

    /// The stored values of a device's uploads at `data_time` (every CN),
    /// as (cn, code, field, raw, flag), sorted: what forwarding is checked by.
    pub async fn upload_values(
        &self,
        mn: &str,
        data_time: i64,
    ) -> Result<Vec<(i64, String, String, String, Option<String>)>> {
        read!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT v.cn, v.code, v.field, v.raw, v.flag FROM vals v JOIN uploads u \
                 ON u.device_id = v.device_id AND u.cn = v.cn AND u.data_time = v.ts \
                 WHERE u.mn = $1 AND u.data_time = $2 ORDER BY v.cn, v.code, v.field",
            )
            .bind(mn)
            .bind(data_time)
            .fetch_all(&mut *c)
            .await?)
        })
    }

    /// Uploads that arrived as re-sends (HJ 212-2025 `RF=1`).
    pub async fn late_uploads(&self) -> Result<i64> {
        read!(self, |c| {
            Ok(
                sqlx::query_scalar("SELECT COUNT(*) FROM uploads WHERE late = 1")
                    .fetch_one(&mut *c)
                    .await?,
            )
        })
    }

    /// Frames journaled per verdict (every row; for tests and audits).
    pub async fn frame_verdicts(&self) -> Result<HashMap<String, i64>> {
        on!(self, bulk, |p| {
            let rows: Vec<(String, i64)> =
                sqlx::query_as("SELECT verdict, COUNT(*) FROM frames GROUP BY verdict")
                    .fetch_all(p)
                    .await?;
            Ok(rows.into_iter().collect())
        })
    }

    /// Deletes what the retention keeps no longer (see [`Retention`]), and
    /// device counts older than two days, as of `now_ms`.
    pub async fn sweep(&self, keep: Retention, now_ms: i64) -> Result<SweepOutcome> {
        on!(self, write, |p| {
            let frames = sweep_table!(p, "frames", keep.frames_days, keep.frames_rows, now_ms);
            let quarantine = sweep_table!(
                p,
                "quarantine",
                keep.quarantine_days,
                keep.quarantine_rows,
                now_ms
            );
            let counts = sqlx::query("DELETE FROM device_counts WHERE hour < $1")
                .bind(hour_of(now_ms) - 48)
                .execute(p)
                .await?
                .rows_affected();
            // The outbox serves subscribers that fell behind; two days is
            // far more than any needs — but it is also the forwarding
            // queue: rows above a forwarding target's floor (not yet
            // acknowledged by its upper platform) stay however old.
            sqlx::query(
                "DELETE FROM commits WHERE at_ms < $1 \
                 AND id <= COALESCE((SELECT MIN(floor) FROM forward_cursors), id)",
            )
            .bind(now_ms - 2 * 86_400_000)
            .execute(p)
            .await?;
            Ok(SweepOutcome {
                frames,
                quarantine,
                counts,
            })
        })
    }
}

/// `YYYYMM` of a UTC instant in seconds, and the month's bounds (UTC seconds).
pub(crate) fn month_of(ts: i64) -> (i64, i64, i64) {
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

    fn frame(upload: Option<usize>, verdict: Verdict) -> FrameRec {
        FrameRec {
            received_ms: 7_200_000,
            peer: "p".into(),
            mn: Some("MN".into()),
            qn: None,
            cn: None,
            device_id: Some(1),
            verdict,
            reason: None,
            raw: Vec::new(),
            upload,
        }
    }

    fn upload(t: i64, flags: &[&str]) -> UploadRec {
        UploadRec {
            device_id: 1,
            mn: "MN".into(),
            cn: 2061,
            data_time: t,
            qn: None,
            received_ms: 7_200_000,
            late: false,
            values: flags
                .iter()
                .map(|f| ValueRec {
                    code: "a34004".into(),
                    field: "Avg".into(),
                    raw: "1".into(),
                    num: Some(1.0),
                    flag: Some(f.to_string()),
                })
                .collect(),
        }
    }

    #[test]
    fn packed_values_come_back_as_they_went_in() {
        let mut u = upload(0, &["N", "M"]);
        u.values[1].flag = None;
        u.values[0].raw = "35.50".into();
        let p = pack(&u.values).unwrap();
        let back: Vec<_> = unpack(&p).collect();
        assert_eq!(back.len(), 2);
        assert_eq!(
            (back[0].code, back[0].field, back[0].raw, back[0].flag),
            ("a34004", "Avg", "35.50", Some("N"))
        );
        assert_eq!(back[1].flag, None);
        u.values[0].raw = "3\u{1e}5".into();
        assert_eq!(pack(&u.values), None, "a separator in a value: not packed");
        assert_eq!(pack(&[]).as_deref(), Some(""));
        assert_eq!(unpack("").count(), 0);
    }

    #[test]
    fn appending_batches_keeps_each_frame_on_its_upload() {
        let mut a = Batch {
            frames: vec![
                frame(Some(0), Verdict::Stored),
                frame(None, Verdict::Heartbeat),
            ],
            uploads: vec![upload(0, &[])],
            ..Batch::default()
        };
        let b = Batch {
            frames: vec![frame(Some(0), Verdict::Stored)],
            uploads: vec![upload(3600, &[])],
            ..Batch::default()
        };
        a.append(b);
        let ups: Vec<_> = a.frames.iter().map(|f| f.upload).collect();
        assert_eq!(ups, [Some(0), None, Some(1)]);
        assert_eq!(a.uploads[1].data_time, 3600);
    }

    #[test]
    fn counts_are_by_final_verdict_and_flags_of_new_uploads_only() {
        let b = Batch {
            frames: vec![
                frame(Some(0), Verdict::Stored),
                frame(Some(1), Verdict::Stored),
            ],
            uploads: vec![upload(0, &["N", "M", "D"]), upload(0, &["M"])],
            ..Batch::default()
        };
        let m = counts_of(&b, &[Verdict::Stored, Verdict::Duplicate], &[true, false]);
        assert_eq!(m.get(&(1, 2, "stored")), Some(&1));
        assert_eq!(m.get(&(1, 2, "duplicate")), Some(&1));
        assert_eq!(
            m.get(&(1, 2, FLAGGED)),
            Some(&2),
            "M and D of the new upload"
        );
    }
}
