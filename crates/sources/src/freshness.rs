//! Freshness (数据时效): a device that stopped reporting, a station whose
//! pushed or imported feed stopped, an upper platform's feed that lags.
//! Pure: the clock is a parameter.
//!
//! Readings written down here (none of these numbers is in a standard;
//! each is a setting with this default):
//! - A device with a line of its own is silent when no accepted frame (data
//!   or heartbeat) came for longer than the larger of `silent_after_s`
//!   (7,200 s: an hourly device missed an hour and its grace) and
//!   `interval_factor` (3) × its expected interval (its real-time interval
//!   when set).
//! - A station's intake device (hours pushed over HTTP or imported) is
//!   silent when its latest hour ended longer than `intake_silent_after_s`
//!   (10,800 s) ago: upper platforms relay national hours with a delay.
//!   One whose latest hour is older than `intake_archive_after_s` (30 days)
//!   holds history back-filled from files, not a live feed: not judged.
//! - A device never heard from, or disabled, is not judged.
//! - A forwarding target lags when its oldest unacknowledged upload is
//!   older than its `lag_alarm_s` (900 s).

/// The thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Settings {
    pub silent_after_s: i64,
    pub intake_silent_after_s: i64,
    pub interval_factor: i64,
    pub intake_archive_after_s: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            silent_after_s: 7_200,
            intake_silent_after_s: 10_800,
            interval_factor: 3,
            intake_archive_after_s: 30 * 86_400,
        }
    }
}

/// What is known of a device's last activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub enabled: bool,
    pub intake: bool,
    /// Last accepted frame, UTC ms (devices with a line).
    pub last_seen_ms: Option<i64>,
    /// Latest DataTime stored, UTC seconds (intake devices: the hour's start).
    pub latest_data_s: Option<i64>,
    /// The device's real-time interval, seconds, when configured.
    pub interval_s: Option<i64>,
}

/// A silence: since when (UTC ms), and the threshold it passed (seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Silence {
    pub since_ms: i64,
    pub silent_s: i64,
    pub threshold_s: i64,
}

/// Whether the device is silent at `now_ms`.
pub fn silent(d: &Seen, now_ms: i64, s: &Settings) -> Option<Silence> {
    if !d.enabled && !d.intake {
        return None;
    }
    let (since_ms, threshold_s) = if d.intake {
        // The hour's end, not its start.
        (d.latest_data_s? * 1000 + 3_600_000, s.intake_silent_after_s)
    } else {
        let by_interval = d
            .interval_s
            .map_or(0, |i| i.saturating_mul(s.interval_factor));
        (d.last_seen_ms?, s.silent_after_s.max(by_interval))
    };
    let silent_s = (now_ms - since_ms) / 1000;
    if d.intake && silent_s > s.intake_archive_after_s {
        return None;
    }
    (silent_s > threshold_s).then_some(Silence {
        since_ms,
        silent_s,
        threshold_s,
    })
}

/// Whether a forwarding target's lag (seconds) passes its threshold.
pub fn lagging(lag_s: i64, lag_alarm_s: i64) -> bool {
    lag_alarm_s > 0 && lag_s > lag_alarm_s
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn line(last: i64, interval: Option<i64>) -> Seen {
        Seen {
            enabled: true,
            intake: false,
            last_seen_ms: Some(last),
            latest_data_s: None,
            interval_s: interval,
        }
    }

    #[test]
    fn silence_by_device_kind_and_interval() {
        let s = Settings::default();
        let now = 100 * H;
        // Two hours exactly is not yet silent; a second more is.
        assert_eq!(silent(&line(now - 2 * H, None), now, &s), None);
        let x = silent(&line(now - 2 * H - 1000, None), now, &s).unwrap();
        assert_eq!((x.silent_s, x.threshold_s), (7_201, 7_200));
        // A device configured for a 1-hour real-time interval: 3 hours.
        assert_eq!(silent(&line(now - 2 * H - 1000, Some(3600)), now, &s), None);
        assert!(silent(&line(now - 3 * H - 1000, Some(3600)), now, &s).is_some());
        // Never heard from, or disabled: not judged.
        let never = Seen {
            last_seen_ms: None,
            ..line(0, None)
        };
        assert_eq!(silent(&never, now, &s), None);
        let off = Seen {
            enabled: false,
            ..line(0, None)
        };
        assert_eq!(silent(&off, now, &s), None);
        // An intake feed: its latest hour's end, three hours' patience.
        let feed = Seen {
            enabled: false,
            intake: true,
            last_seen_ms: None,
            latest_data_s: Some((now - 4 * H) / 1000),
            interval_s: None,
        };
        assert_eq!(silent(&feed, now, &s), None, "the hour ended 3 h ago");
        let late = Seen {
            latest_data_s: Some((now - 4 * H - 1000) / 1000),
            ..feed
        };
        assert_eq!(
            silent(&late, now, &s).map(|x| x.since_ms),
            Some(now - 3 * H - 1000)
        );
        let archive = Seen {
            latest_data_s: Some((now - 31 * 24 * H) / 1000),
            ..feed
        };
        assert_eq!(silent(&archive, now, &s), None, "back-filled history");
        assert!(lagging(901, 900) && !lagging(900, 900) && !lagging(5000, 0));
    }
}
