//! Forwarding up (数据转发): each target's floor in the commit outbox and
//! the uploads its upper platform acknowledged. The outbox (`commits`) is
//! the durable queue: a forwarder reads the rows above its floor, sends
//! their uploads that are not acknowledged yet, records each 9014 here and
//! moves the floor over the rows whose uploads are all acknowledged.

use std::collections::HashSet;

use sqlx::QueryBuilder;

use crate::{BeginWrite, Result, Store, now_ms, on, read};

/// An upload's key: (device_id, cn, data_time).
pub type UploadKey = (i64, i64, i64);

/// One acknowledged upload and how many times it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack {
    pub key: UploadKey,
    pub tries: i64,
}

/// What a target has had acknowledged, for the audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct AckRow {
    pub device_id: i64,
    pub cn: i64,
    pub data_time: i64,
    pub acked_ms: i64,
    pub tries: i64,
}

impl Store {
    /// The target's floor, if it ever forwarded.
    pub async fn forward_floor(&self, target: &str) -> Result<Option<i64>> {
        read!(self, |c| {
            Ok(
                sqlx::query_scalar("SELECT floor FROM forward_cursors WHERE target = $1")
                    .bind(target)
                    .fetch_optional(&mut *c)
                    .await?,
            )
        })
    }

    /// Records acknowledged uploads and the target's new floor, in one
    /// transaction (an ack recorded twice keeps the first).
    pub async fn record_forward(&self, target: &str, acks: &[Ack], floor: i64) -> Result<()> {
        let now = now_ms();
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            for chunk in acks.chunks(500) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO forward_acks (target, device_id, cn, data_time, acked_ms, tries) ",
                );
                q.push_values(chunk, |mut b, a| {
                    b.push_bind(target)
                        .push_bind(a.key.0)
                        .push_bind(a.key.1)
                        .push_bind(a.key.2)
                        .push_bind(now)
                        .push_bind(a.tries);
                });
                q.push(" ON CONFLICT (target, device_id, cn, data_time) DO NOTHING");
                q.build().execute(&mut *tx).await?;
            }
            sqlx::query(
                "INSERT INTO forward_cursors (target, floor, updated_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (target) DO UPDATE SET floor = excluded.floor, updated_ms = excluded.updated_ms \
                 WHERE forward_cursors.floor <= excluded.floor",
            )
            .bind(target)
            .bind(floor)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Uploads the forwarder gave up on (never acknowledged): recorded
    /// with `acked_ms` 0, so they are not sent again after a restart and
    /// can be listed.
    pub async fn record_forward_given_up(&self, target: &str, given_up: &[Ack]) -> Result<()> {
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            for a in given_up {
                sqlx::query(
                    "INSERT INTO forward_acks (target, device_id, cn, data_time, acked_ms, tries) VALUES ($1, $2, $3, $4, 0, $5) \
                     ON CONFLICT (target, device_id, cn, data_time) DO NOTHING",
                )
                .bind(target)
                .bind(a.key.0)
                .bind(a.key.1)
                .bind(a.key.2)
                .bind(a.tries)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Which of `keys` the target has had acknowledged (or given up).
    pub async fn forward_acked(
        &self,
        target: &str,
        keys: &[UploadKey],
    ) -> Result<HashSet<UploadKey>> {
        let mut out = HashSet::new();
        if keys.is_empty() {
            return Ok(out);
        }
        on!(self, bulk, |p| {
            for chunk in keys.chunks(300) {
                let mut q = QueryBuilder::new(
                    "SELECT device_id, cn, data_time FROM forward_acks WHERE target = ",
                );
                q.push_bind(target);
                q.push(" AND (device_id, cn, data_time) IN (");
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
                let rows: Vec<(i64, i64, i64)> = q.build_query_as().fetch_all(p).await?;
                out.extend(rows);
            }
            Ok(out)
        })
    }

    /// Every upload the target has had acknowledged.
    pub async fn forward_acks(&self, target: &str) -> Result<Vec<AckRow>> {
        on!(self, bulk, |p| {
            Ok(sqlx::query_as(
                "SELECT device_id, cn, data_time, acked_ms, tries FROM forward_acks WHERE target = $1 ORDER BY device_id, cn, data_time",
            )
            .bind(target)
            .fetch_all(p)
            .await?)
        })
    }
}
