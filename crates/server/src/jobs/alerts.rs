//! Violations during an alert, opened as tickets: every `alerts_every_s`
//! the alert in force (or lifted within the last day, for its last hours)
//! is judged as the compliance API judges it, and each firm with an hour
//! of 应停未停 or 应限不限 — or flagged for raising its load before the
//! alert — becomes one ticket (source `alert_violation`, severity and due
//! time by the ticket rules), assigned to the firm's township for the site
//! check, the bureau told. Once per alert and firm: the ticket's
//! `source_ref` (`alert:ID:CREDIT_CODE`) is unique among these tickets, so
//! two nodes on one database open one. A firm's later hours do not open a
//! second ticket; its evidence is in the compliance view.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use lantian_alerts::compliance::Settings;
use lantian_store::Store;
use lantian_store::tickets::{NewTicket, Notice, TicketFilter};
use lantian_tickets::rules::{Rules, Source};
use tokio::sync::watch;

use crate::compliance::{self, FirmCompliance};

/// The ticket's key of a firm's violations during an alert.
pub fn source_ref(alert: i64, credit_code: &str) -> String {
    format!("alert:{alert}:{credit_code}")
}

fn describe(alert: i64, doc: Option<&str>, f: &FirmCompliance) -> String {
    let first = f
        .hours
        .iter()
        .find(|h| h.verdict == "not_stopped" || h.verdict == "not_limited");
    let mut d = format!(
        "预警 #{alert}（{}）期间，{}（{}）措施：{}。",
        doc.unwrap_or("无文号"),
        f.name,
        f.credit_code,
        f.spans
            .iter()
            .map(|s| format!("{}{}", s.level_zh, s.action_zh))
            .collect::<Vec<_>>()
            .join("，")
    );
    if f.violations > 0 {
        d.push_str(&format!(
            "\n违规 {} 小时（应停未停 {}，应限不限 {}），落实率 {}%，应减 {}%，实减 {}%。",
            f.violations,
            f.not_stopped,
            f.not_limited,
            f.compliance_rate.as_deref().unwrap_or("—"),
            f.required_cut_percent,
            f.achieved_cut_percent.as_deref().unwrap_or("—"),
        ));
    }
    if let Some(h) = first {
        d.push_str(&format!(
            "\n首个违规小时 {}：负荷 {} {}，基准 {} {}。",
            h.hour,
            h.load.as_deref().unwrap_or("—"),
            f.unit,
            h.baseline.as_deref().unwrap_or("—"),
            f.unit
        ));
    }
    if f.raised_before {
        d.push_str(&format!(
            "\n预警前 24 小时平均负荷 {} {}，高于基准 {} {}：预警前抬高负荷。",
            f.before_mean.as_deref().unwrap_or("—"),
            f.unit,
            f.baseline_mean.as_deref().unwrap_or("—"),
            f.unit
        ));
    }
    d.push_str(&format!(
        "\n依据：{}；证据见 /api/v1/alerts/{alert}/compliance。",
        if f.basis == "electricity" {
            "生产用电".to_string()
        } else {
            f.basis.replace("cems:", "CEMS ")
        }
    ));
    d
}

/// One pass at `now_ms`: the tickets opened.
pub async fn check(
    store: &Store,
    set: &Settings,
    rules: &Rules,
    now_ms: i64,
) -> anyhow::Result<usize> {
    // The alert in force, or one lifted within the last day.
    let alerts = store.alerts(5).await?;
    let Some(a) = alerts.into_iter().find(|a| {
        a.state == "issued"
            || (a.state == "lifted" && a.end_ms.is_some_and(|e| now_ms - e < 24 * 3_600_000))
    }) else {
        return Ok(0);
    };
    let stored = store.firms().await?;
    if stored.is_empty() {
        return Ok(0);
    }
    let done: HashSet<String> = store
        .tickets(&TicketFilter {
            source: Some(Source::AlertViolation.as_str().into()),
            limit: 100_000,
            ..TicketFilter::default()
        })
        .await?
        .into_iter()
        .filter_map(|t| t.source_ref)
        .collect();
    let steps = store.alert_history(a.id).await?;
    let refs: Vec<&lantian_sources::register::Firm> = stored.iter().map(|f| &f.firm).collect();
    let e = compliance::evaluate(store, &a, &steps, &refs, set, now_ms).await?;
    let severity = rules.default_severity(Source::AlertViolation);
    let mut opened = 0;
    for f in e
        .firms
        .iter()
        .filter(|f| f.violations > 0 || f.raised_before)
    {
        let key = source_ref(a.id, &f.credit_code);
        if done.contains(&key) {
            continue;
        }
        let title = if f.violations > 0 {
            format!("预警期间未落实减排措施：{}", f.name)
        } else {
            format!("预警前抬高负荷：{}", f.name)
        };
        let assignee = format!("township:{}", f.township);
        let due = rules.due_ms(now_ms, Source::AlertViolation, severity);
        let ticket = NewTicket {
            title: title.clone(),
            description: describe(a.id, a.document_no.as_deref(), f),
            source: Source::AlertViolation.as_str().into(),
            source_ref: Some(key),
            severity: severity.as_str().into(),
            township: Some(f.township.clone()),
            assign: Some((assignee.clone(), due)),
            sample: f.sample || a.sample != 0,
            ..NewTicket::default()
        };
        let notices = [
            Notice {
                to: assignee,
                kind: "assigned".into(),
                text: format!(
                    "工单 #{{id}} 已交办：{title}，请于 {} 前现场核查",
                    lantian_types::time::shanghai_minute(due)
                ),
            },
            Notice {
                to: "bureau".into(),
                kind: "new".into(),
                text: format!("预警违规转为工单 #{{id}}：{title}"),
            },
        ];
        match store
            .create_ticket(&ticket, "system", now_ms, &notices)
            .await
        {
            Ok(_) => opened += 1,
            // Another node opened it first (the unique source_ref).
            Err(lantian_store::Error::Db(e))
                if e.as_database_error()
                    .is_some_and(|d| d.is_unique_violation()) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(opened)
}

/// Checks until `stop` says so.
pub async fn run(
    store: Store,
    set: Settings,
    rules: Arc<Rules>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut wait = Duration::from_secs(5).min(every);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
        wait = every;
        let now = chrono::Utc::now().timestamp_millis();
        match check(&store, &set, &rules, now).await {
            Ok(n) if n > 0 => tracing::info!(tickets = n, "alert violations opened as tickets"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "alert violations check failed"),
        }
    }
}
