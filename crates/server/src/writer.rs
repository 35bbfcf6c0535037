//! The writer: group commit. It takes every job waiting (up to
//! `batch_max_frames` frames), writes them in one transaction, commits, and
//! only then tells each connection, which then sends its replies. Under load
//! jobs pile up while a commit runs, so the next commit takes them all: one
//! fsync serves many frames. A small batch waits up to 2 ms for company.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use lantian_store::{Batch, Store};
use tokio::sync::{Mutex, mpsc};

use crate::feed::{self, Committed};
use crate::ingest::Job;
use crate::metrics::Metrics;

/// Longest wait for more frames when a batch is small.
const LINGER: std::time::Duration = std::time::Duration::from_millis(2);
/// A batch this large is committed without lingering.
const LINGER_BELOW: usize = 64;

pub async fn run(
    store: Store,
    rx: Arc<Mutex<mpsc::Receiver<Job>>>,
    metrics: Arc<Metrics>,
    feed: feed::Sender,
    node: String,
    max_frames: usize,
) {
    loop {
        let jobs = {
            let mut rx = rx.lock().await;
            let Some(first) = rx.recv().await else { return };
            let mut frames = first.batch.frames.len();
            let mut jobs = vec![first];
            // Take what is waiting; if that is little, linger a moment for
            // more, so that one fsync serves many frames (LINGER bounds the
            // latency this adds).
            let linger_until = tokio::time::Instant::now() + LINGER;
            while frames < max_frames {
                match rx.try_recv() {
                    Ok(j) => {
                        frames += j.batch.frames.len();
                        jobs.push(j);
                    }
                    Err(_) if frames >= LINGER_BELOW => break,
                    Err(_) => match tokio::time::timeout_at(linger_until, rx.recv()).await {
                        Ok(Some(j)) => {
                            frames += j.batch.frames.len();
                            jobs.push(j);
                        }
                        _ => break,
                    },
                }
            }
            jobs
        };
        metrics.queue_depth.fetch_sub(jobs.len() as u64, Relaxed);
        let mut batch = Batch::default();
        let mut done = Vec::with_capacity(jobs.len());
        for j in jobs {
            done.push((j.batch.frames.len(), j.done));
            batch.append(j.batch);
        }
        let t = Instant::now();
        match store.write_batch(&batch, &node).await {
            Ok(outcome) => {
                metrics.commit(t.elapsed().as_secs_f64());
                metrics.values_stored.fetch_add(outcome.values, Relaxed);
                metrics
                    .uploads_stored
                    .fetch_add(outcome.uploads_new, Relaxed);
                // Each connection learns its frames' final verdicts (a
                // retransmission is `duplicate`, decided by this commit).
                let mut verdicts = outcome.verdicts.into_iter();
                for (n, d) in done {
                    let _ = d.send(Ok(verdicts.by_ref().take(n).collect()));
                }
                // The rest of the server learns what was stored.
                if let Some(id) = outcome.commit_id {
                    let uploads = batch
                        .uploads
                        .into_iter()
                        .zip(outcome.new_uploads)
                        .filter_map(|(u, new)| new.then_some(u))
                        .collect();
                    let _ = feed.send(Arc::new(Committed { id, uploads }));
                }
            }
            Err(e) => {
                metrics.commit_errors.fetch_add(1, Relaxed);
                tracing::error!(error = %e, frames = batch.frames.len(), "commit failed");
                for (_, d) in done {
                    let _ = d.send(Err(e.to_string()));
                }
            }
        }
    }
}
