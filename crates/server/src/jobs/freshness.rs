//! Data alarms of freshness: every `freshness_every_s`, each device's last
//! activity and each forwarding target's lag are judged by
//! `lantian_sources::freshness`, and a silence or a lag raises an alarm
//! (rule `silent` or `feed_lag`) beside the source alarms — idempotent by
//! key: the same silence judged again extends its alarm, never makes a
//! second. An alarm stays until someone closes it.

use std::collections::HashMap;
use std::time::Duration;

use lantian_sources::freshness::{self, Seen, Settings};
use lantian_sources::judge::Rule;
use lantian_store::Store;
use lantian_store::alarms::NewAlarm;
use lantian_types::time::shanghai_minute;
use tokio::sync::watch;

use crate::jobs::forward::Statuses;

/// The alarms of one pass: devices silent now, targets lagging now.
/// `lag_since` keeps, per target, when its current lag began (so the
/// alarm's key stays the same while it lasts).
pub fn judge(
    devices: &[lantian_store::Device],
    targets: &[crate::jobs::forward::Status],
    lag_since: &mut HashMap<String, i64>,
    now_ms: i64,
    s: &Settings,
) -> Vec<NewAlarm> {
    let mut out = Vec::new();
    let settings = serde_json::to_string(s).unwrap_or_default();
    for d in devices {
        let seen = Seen {
            enabled: d.enabled,
            intake: d.intake,
            last_seen_ms: d.last_seen_ms,
            latest_data_s: d.latest_data_s,
            interval_s: d.spec.rtd_interval_s,
        };
        let Some(x) = freshness::silent(&seen, now_ms, s) else {
            continue;
        };
        let mn = d.spec.mn.as_str();
        out.push(NewAlarm {
            key: format!("silent:{mn}:{}", x.since_ms),
            credit_code: String::new(),
            township: d.spec.site.township.clone().unwrap_or_default(),
            outlet: format!("{} {mn}", d.spec.site.name),
            rule: Rule::Silent.name().into(),
            rule_version: Rule::Silent.version().into(),
            code: if d.intake {
                "intake".into()
            } else {
                d.spec.kind.as_str().into()
            },
            start_label: shanghai_minute(x.since_ms),
            end_label: shanghai_minute(now_ms),
            hours: x.silent_s / 3600,
            minutes: (x.silent_s % 3600) / 60,
            max_value: Some(x.silent_s.to_string()),
            limit_value: Some(x.threshold_s.to_string()),
            settings: settings.clone(),
            evidence: serde_json::json!([{
                "site": d.spec.site.code.as_str(),
                "mn": mn,
                "last": shanghai_minute(x.since_ms),
                "silent_s": x.silent_s,
                "threshold_s": x.threshold_s,
            }])
            .to_string(),
            sample: false,
        });
    }
    for t in targets {
        if !freshness::lagging(t.lag_s, t.lag_alarm_s as i64) {
            lag_since.remove(&t.name);
            continue;
        }
        let since = *lag_since
            .entry(t.name.clone())
            .or_insert(now_ms - t.lag_s * 1000);
        out.push(NewAlarm {
            key: format!("feed_lag:{}:{since}", t.name),
            credit_code: String::new(),
            township: String::new(),
            outlet: format!("{} → {}", t.name, t.target),
            rule: Rule::FeedLag.name().into(),
            rule_version: Rule::FeedLag.version().into(),
            code: "forward".into(),
            start_label: shanghai_minute(since),
            end_label: shanghai_minute(now_ms),
            hours: t.lag_s / 3600,
            minutes: (t.lag_s % 3600) / 60,
            max_value: Some(t.lag_s.to_string()),
            limit_value: Some(t.lag_alarm_s.to_string()),
            settings: serde_json::json!({"lag_alarm_s": t.lag_alarm_s}).to_string(),
            evidence: serde_json::json!([{
                "target": t.target,
                "backlog": t.backlog,
                "lag_s": t.lag_s,
                "connected": t.connected,
                "last_error": t.last_error,
            }])
            .to_string(),
            sample: false,
        });
    }
    out
}

/// Judges freshness every `every` until `stop` says so.
pub async fn run(
    store: Store,
    statuses: Statuses,
    settings: Settings,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut lag_since = HashMap::new();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let devices = match store.devices_bulk().await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "freshness: reading the devices failed");
                continue;
            }
        };
        let targets = match statuses.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        };
        let now = chrono::Utc::now().timestamp_millis();
        let alarms = judge(&devices, &targets, &mut lag_since, now, &settings);
        match store.raise_alarms(&alarms).await {
            Ok(r) if r.opened > 0 => {
                tracing::info!(opened = r.opened, "freshness: data alarms raised")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "freshness: raising alarms failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::forward::Status;

    const H: i64 = 3_600_000;

    fn device(mn: &str, last_seen_ms: Option<i64>) -> lantian_store::Device {
        let mut spec = lantian_store::testing::ambient_spec(mn, "S1");
        spec.site.township = Some("泌水街道".into());
        lantian_store::Device {
            id: 1,
            enabled: true,
            last_seen_ms,
            latest_data_s: None,
            intake: false,
            spec,
        }
    }

    #[test]
    fn a_silence_and_a_lag_raise_alarms_with_keys_that_last() {
        let now = 1_000 * H;
        let s = Settings::default();
        let devices = [
            device("MN1", Some(now - 3 * H)),
            device("MN2", Some(now - H)),
        ];
        let lagging = Status {
            name: "city".into(),
            target: "10.0.0.1:5000".into(),
            lag_s: 1_000,
            lag_alarm_s: 900,
            backlog: 12,
            ..Status::default()
        };
        let mut since = HashMap::new();
        let a = judge(
            &devices,
            std::slice::from_ref(&lagging),
            &mut since,
            now,
            &s,
        );
        assert_eq!(a.len(), 2, "{a:?}");
        assert_eq!(a[0].key, format!("silent:MN1:{}", now - 3 * H));
        assert_eq!(
            (a[0].rule.as_str(), a[0].hours, a[0].township.as_str()),
            ("silent", 3, "泌水街道")
        );
        assert_eq!(a[1].rule, "feed_lag");
        // A minute later: the same two keys (the alarms are extended).
        let lag2 = Status {
            lag_s: 1_060,
            ..lagging.clone()
        };
        let b = judge(
            &devices,
            std::slice::from_ref(&lag2),
            &mut since,
            now + 60_000,
            &s,
        );
        assert_eq!(
            b.iter().map(|x| &x.key).collect::<Vec<_>>(),
            a.iter().map(|x| &x.key).collect::<Vec<_>>()
        );
        // The lag over, then back: a new alarm.
        let ok = Status {
            lag_s: 0,
            ..lagging.clone()
        };
        assert_eq!(
            judge(
                &[],
                std::slice::from_ref(&ok),
                &mut since,
                now + 120_000,
                &s
            )
            .len(),
            0
        );
        let c = judge(
            &[],
            std::slice::from_ref(&lagging),
            &mut since,
            now + 180_000,
            &s,
        );
        assert_ne!(c[0].key, a[1].key);
    }
}
