//! The journal's retention: anyone can send frames (an unknown MN is
//! journaled and quarantined), so without a limit the database would grow
//! without bound. Every `retention_sweep_every_s` (and once shortly after
//! start) frames and quarantined frames beyond their age or count limit are
//! deleted, oldest first; so are device counts older than two days.

use std::time::Duration;

use lantian_store::{Retention, Store};
use tokio::sync::watch;

use crate::Config;

/// The limits of `cfg`.
pub fn limits(cfg: &Config) -> Retention {
    Retention {
        frames_days: cfg.frames_keep_days,
        frames_rows: cfg.frames_keep_rows,
        quarantine_days: cfg.quarantine_keep_days,
        quarantine_rows: cfg.quarantine_keep_rows,
    }
}

/// Sweeps until `stop` says so.
pub async fn run(store: Store, cfg: Config, mut stop: watch::Receiver<bool>) {
    let keep = limits(&cfg);
    let every = Duration::from_secs(cfg.retention_sweep_every_s.max(1));
    let mut wait = Duration::from_secs(30).min(every);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
        wait = every;
        let now = chrono::Utc::now().timestamp_millis();
        match store.sweep(keep, now).await {
            Ok(o) if o.frames + o.quarantine > 0 => {
                tracing::info!(
                    frames = o.frames,
                    quarantine = o.quarantine,
                    counts = o.counts,
                    "journal swept"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "journal sweep failed"),
        }
    }
}
