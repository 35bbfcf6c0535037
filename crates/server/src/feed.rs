//! The commit feed: the writer tells the rest of the server what each batch
//! committed. In process it is a broadcast of [`Committed`] (the new uploads
//! with their values, already in memory); behind it is the outbox table the
//! batch wrote in its own transaction (`commits`), from which a subscriber
//! that fell behind, or a node that did not write the batch, learns the
//! same ([`Cursor::catch_up`]). So a restart or a second node misses
//! nothing, and no subscriber polls the data by time.
//!
//! Subscribers today: the dashboard's figures (`jobs::figures`). The
//! management rules (exceedances, alert compliance, SLA timers) subscribe
//! the same way.

use std::collections::BTreeSet;
use std::sync::Arc;

use lantian_store::{Store, StoredUpload, UploadRec};
use tokio::sync::broadcast;

/// What one batch committed: its outbox row and the uploads it stored
/// (retransmissions left out).
#[derive(Debug)]
pub struct Committed {
    pub id: i64,
    pub uploads: Vec<UploadRec>,
}

impl Committed {
    /// The uploads as the readers of stored uploads see them.
    pub fn stored(&self) -> impl Iterator<Item = StoredUpload<'_>> {
        self.uploads.iter().map(stored_of)
    }
}

/// An in-memory upload as a [`StoredUpload`].
pub fn stored_of(u: &UploadRec) -> StoredUpload<'_> {
    StoredUpload {
        device_id: u.device_id,
        cn: u.cn,
        data_time: u.data_time,
        received_ms: u.received_ms,
        values: u
            .values
            .iter()
            .map(|v| lantian_store::PackedValue {
                code: &v.code,
                field: &v.field,
                raw: &v.raw,
                flag: v.flag.as_deref(),
            })
            .collect(),
    }
}

/// An upload read back, as an owned record (the inverse of
/// [`stored_of`]; kept by a subscriber until its device is known). Its
/// values' numbers are not carried: subscribers read the raw text.
pub fn owned_of(u: &StoredUpload<'_>) -> UploadRec {
    UploadRec {
        device_id: u.device_id,
        mn: String::new(),
        cn: u.cn,
        data_time: u.data_time,
        qn: None,
        received_ms: u.received_ms,
        late: false,
        values: u
            .values
            .iter()
            .map(|v| lantian_store::ValueRec {
                code: v.code.to_string(),
                field: v.field.to_string(),
                raw: v.raw.to_string(),
                num: None,
                flag: v.flag.map(str::to_string),
            })
            .collect(),
    }
}

pub type Sender = broadcast::Sender<Arc<Committed>>;

/// Batches a subscriber may fall behind before it reads the outbox instead.
pub const CAPACITY: usize = 4096;

pub fn channel() -> Sender {
    broadcast::channel(CAPACITY).0
}

/// How long a missing outbox id is waited for (PostgreSQL with several
/// writers commits ids out of order; a rolled-back batch leaves a gap
/// forever) before the cursor moves past it.
pub const GAP_WAIT_MS: i64 = 60_000;

/// Which outbox rows a subscriber has applied: every id up to `floor`, and
/// the ids in `done` above it.
#[derive(Debug, Clone, Default)]
pub struct Cursor {
    floor: i64,
    done: BTreeSet<i64>,
    /// The first missing id above the floor, and since when it is missing.
    gap: Option<(i64, i64)>,
}

impl Cursor {
    /// Everything up to `floor` counts as applied (a full read that began
    /// after the outbox reached it).
    pub fn starting_at(floor: i64) -> Self {
        Cursor {
            floor,
            ..Cursor::default()
        }
    }

    pub fn floor(&self) -> i64 {
        self.floor
    }

    /// Whether row `id` still has to be applied.
    pub fn needs(&self, id: i64) -> bool {
        id > self.floor && !self.done.contains(&id)
    }

    /// Row `id` is applied.
    pub fn mark(&mut self, id: i64) {
        if id > self.floor {
            self.done.insert(id);
        }
        self.advance(None);
    }

    /// Moves the floor over a gap older than [`GAP_WAIT_MS`] at `now_ms`
    /// (a row that will never come: its batch rolled back).
    pub fn settle(&mut self, now_ms: i64) {
        self.advance(Some(now_ms));
    }

    /// Moves the floor over applied ids, and over a gap older than
    /// [`GAP_WAIT_MS`] at `now_ms` (when given).
    fn advance(&mut self, now_ms: Option<i64>) {
        loop {
            while self.done.remove(&(self.floor + 1)) {
                self.floor += 1;
            }
            let Some(&next) = self.done.iter().next() else {
                self.gap = None;
                return;
            };
            let missing = self.floor + 1;
            match (self.gap, now_ms) {
                (Some((id, since)), Some(now)) if id == missing && now - since > GAP_WAIT_MS => {
                    self.floor = next - 1;
                    self.gap = None;
                }
                (Some((id, _)), _) if id == missing => return,
                _ => {
                    self.gap = now_ms.map(|now| (missing, now));
                    return;
                }
            }
        }
    }

    /// Applies every outbox row not applied yet, reading its uploads from
    /// the store; returns how many rows were applied.
    pub async fn catch_up(
        &mut self,
        store: &Store,
        now_ms: i64,
        apply: &mut (dyn FnMut(StoredUpload<'_>) + Send),
    ) -> Result<usize, lantian_store::Error> {
        let mut applied = 0;
        loop {
            let rows = store.commits_since(self.floor, 500).await?;
            let n = rows.len();
            let todo: Vec<_> = rows.into_iter().filter(|r| self.needs(r.id)).collect();
            for row in todo {
                store.uploads_by_keys(&row.keys(), apply).await?;
                self.done.insert(row.id);
                applied += 1;
            }
            let before = self.floor;
            self.advance(Some(now_ms));
            if n < 500 || self.floor == before {
                return Ok(applied);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_moves_over_what_is_applied_and_waits_out_gaps() {
        let mut c = Cursor::starting_at(10);
        assert!(!c.needs(10) && c.needs(11));
        c.mark(11);
        c.mark(13);
        assert_eq!(c.floor(), 11, "12 is missing");
        assert!(c.needs(12) && !c.needs(13));
        // 12 appears (committed late by another writer).
        c.mark(12);
        assert_eq!(c.floor(), 13);
        // A gap that never fills is passed once it is old enough.
        c.mark(15);
        c.advance(Some(1_000));
        assert_eq!(c.floor(), 13);
        c.advance(Some(1_000 + GAP_WAIT_MS));
        assert_eq!(c.floor(), 13, "not yet older than the wait");
        c.advance(Some(1_001 + GAP_WAIT_MS));
        assert_eq!(c.floor(), 15);
    }
}
