//! Counters exported at `/metrics` in the Prometheus text format.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use lantian_types::Verdict;

/// Commit-latency histogram bounds, seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

#[derive(Debug, Default)]
pub struct Metrics {
    pub connections_open: AtomicU64,
    pub connections_total: AtomicU64,
    pub connections_refused: AtomicU64,
    pub http_connections_refused: AtomicU64,
    pub accept_errors: AtomicU64,
    pub connections_idle_closed: AtomicU64,
    pub connections_garbage_closed: AtomicU64,
    /// By [`Verdict::index`].
    frames: [AtomicU64; Verdict::ALL.len()],
    pub bytes_skipped: AtomicU64,
    pub values_stored: AtomicU64,
    pub uploads_stored: AtomicU64,
    pub replies_sent: AtomicU64,
    pub commits: AtomicU64,
    pub commit_errors: AtomicU64,
    commit_micros_sum: AtomicU64,
    commit_buckets: [AtomicU64; 10],
    pub queue_depth: AtomicU64,
    /// HTTP pushes (`POST /api/v1/observations`) answered after their commit.
    pub push_calls: AtomicU64,
    /// Values a push stored, refused as bad rows, or found already stored.
    pub push_values_stored: AtomicU64,
    pub push_rows_refused: AtomicU64,
    pub push_duplicates: AtomicU64,
    /// Each forwarding target's state (`jobs::forward`).
    pub forward: crate::jobs::forward::Statuses,
}

impl Metrics {
    /// A frame's final verdict (counted once, after its commit).
    pub fn frame(&self, verdict: Verdict) {
        self.frames[verdict.index()].fetch_add(1, Relaxed);
    }

    pub fn frames(&self, verdict: Verdict) -> u64 {
        self.frames[verdict.index()].load(Relaxed)
    }

    pub fn commit(&self, seconds: f64) {
        self.commits.fetch_add(1, Relaxed);
        self.commit_micros_sum
            .fetch_add((seconds * 1e6) as u64, Relaxed);
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                self.commit_buckets[i].fetch_add(1, Relaxed);
            }
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let mut gauge = |name: &str, help: &str, kind: &str, v: u64| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}");
        };
        gauge(
            "lantian_connections_open",
            "HJ 212 connections open now.",
            "gauge",
            self.connections_open.load(Relaxed),
        );
        gauge(
            "lantian_connections_total",
            "HJ 212 connections accepted.",
            "counter",
            self.connections_total.load(Relaxed),
        );
        gauge(
            "lantian_connections_refused_total",
            "Connections closed at once: max_connections reached.",
            "counter",
            self.connections_refused.load(Relaxed),
        );
        gauge(
            "lantian_http_connections_refused_total",
            "HTTP connections closed at once: http_max_connections reached.",
            "counter",
            self.http_connections_refused.load(Relaxed),
        );
        gauge(
            "lantian_accept_errors_total",
            "Failed accepts (e.g. no descriptor left), each followed by a back-off.",
            "counter",
            self.accept_errors.load(Relaxed),
        );
        gauge(
            "lantian_connections_idle_closed_total",
            "Connections closed after the idle timeout.",
            "counter",
            self.connections_idle_closed.load(Relaxed),
        );
        gauge(
            "lantian_connections_garbage_closed_total",
            "Connections closed for sending only garbage.",
            "counter",
            self.connections_garbage_closed.load(Relaxed),
        );
        gauge(
            "lantian_bytes_skipped_total",
            "Bytes between frames skipped to resynchronise.",
            "counter",
            self.bytes_skipped.load(Relaxed),
        );
        gauge(
            "lantian_values_stored_total",
            "Values stored.",
            "counter",
            self.values_stored.load(Relaxed),
        );
        gauge(
            "lantian_uploads_stored_total",
            "Data uploads stored (retransmissions excluded).",
            "counter",
            self.uploads_stored.load(Relaxed),
        );
        gauge(
            "lantian_replies_sent_total",
            "Replies (9014/9013) sent after commit.",
            "counter",
            self.replies_sent.load(Relaxed),
        );
        gauge(
            "lantian_commit_errors_total",
            "Commits that failed (nothing acknowledged).",
            "counter",
            self.commit_errors.load(Relaxed),
        );
        gauge(
            "lantian_queue_depth",
            "Jobs waiting for the writer.",
            "gauge",
            self.queue_depth.load(Relaxed),
        );
        gauge(
            "lantian_push_calls_total",
            "HTTP pushes of observations answered after their commit.",
            "counter",
            self.push_calls.load(Relaxed),
        );
        gauge(
            "lantian_push_values_stored_total",
            "Values stored from HTTP pushes (beside the HJ 212 frames).",
            "counter",
            self.push_values_stored.load(Relaxed),
        );
        gauge(
            "lantian_push_duplicates_total",
            "Pushed values already stored (station, hour and code).",
            "counter",
            self.push_duplicates.load(Relaxed),
        );
        gauge(
            "lantian_push_rows_refused_total",
            "Pushed rows refused (unknown station, bad time, value or flag).",
            "counter",
            self.push_rows_refused.load(Relaxed),
        );
        let forward = match self.forward.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        };
        if !forward.is_empty() {
            type Pick = fn(&crate::jobs::forward::Status) -> i64;
            let series: [(&str, &str, &str, Pick); 7] = [
                (
                    "lantian_forward_sent_total",
                    "Frames forwarded (re-sends included).",
                    "counter",
                    |x| x.sent as i64,
                ),
                (
                    "lantian_forward_acked_total",
                    "Forwarded frames the upper platform acknowledged (9014).",
                    "counter",
                    |x| x.acked as i64,
                ),
                (
                    "lantian_forward_resent_total",
                    "Frames sent again after a dropped line or a missing 9014.",
                    "counter",
                    |x| x.resent as i64,
                ),
                (
                    "lantian_forward_given_up_total",
                    "Uploads given up: never acknowledged after max_tries sends, or too long for a frame.",
                    "counter",
                    |x| x.given_up as i64,
                ),
                (
                    "lantian_forward_backlog",
                    "Uploads read from the outbox and not acknowledged yet.",
                    "gauge",
                    |x| x.backlog as i64,
                ),
                (
                    "lantian_forward_lag_seconds",
                    "Age of the oldest unacknowledged upload (0: none).",
                    "gauge",
                    |x| x.lag_s,
                ),
                (
                    "lantian_forward_connected",
                    "1 while the line to the upper platform is up.",
                    "gauge",
                    |x| i64::from(x.connected),
                ),
            ];
            for (name, help, kind, pick) in series {
                let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} {kind}");
                for t in &forward {
                    let _ = writeln!(s, "{name}{{target=\"{}\"}} {}", t.name, pick(t));
                }
            }
        }
        let _ = writeln!(
            s,
            "# HELP lantian_frames_total Frames received, by verdict.\n# TYPE lantian_frames_total counter"
        );
        for v in Verdict::ALL {
            let _ = writeln!(
                s,
                "lantian_frames_total{{verdict=\"{v}\"}} {}",
                self.frames(v)
            );
        }
        let _ = writeln!(
            s,
            "# HELP lantian_commit_seconds Group-commit latency.\n# TYPE lantian_commit_seconds histogram"
        );
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                s,
                "lantian_commit_seconds_bucket{{le=\"{b}\"}} {}",
                self.commit_buckets[i].load(Relaxed)
            );
        }
        let n = self.commits.load(Relaxed);
        let _ = writeln!(s, "lantian_commit_seconds_bucket{{le=\"+Inf\"}} {n}");
        let _ = writeln!(
            s,
            "lantian_commit_seconds_sum {}",
            self.commit_micros_sum.load(Relaxed) as f64 / 1e6
        );
        let _ = writeln!(s, "lantian_commit_seconds_count {n}");
        s
    }
}
