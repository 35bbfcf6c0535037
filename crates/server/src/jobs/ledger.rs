//! The ledger's overdue tasks, escalated: every `ledger_every_s` the
//! tasks of the plan in force are lit for today, and each task gone 红
//! (past its deadline, or its monthly reports missing) that was not yet
//! escalated this year becomes a ticket assigned to its department or
//! township (source `ledger_task`, due by the ticket rules), so the
//! tickets' ladder (提醒 催办 黄牌 红牌) carries it on. Once per task and
//! year: the escalation row is written in the ticket's own transaction
//! with a unique key, so two nodes on one database open one ticket.

use std::sync::Arc;
use std::time::Duration;

use lantian_store::Store;
use lantian_store::tickets::{NewTicket, Notice};
use lantian_tickets::rules::{Rules, Source};
use tokio::sync::watch;

use crate::http::routes::ledger::{LedgerSettings, book};

/// One pass on `today` at `now_ms`: the tickets opened.
pub async fn check(
    store: &Store,
    settings: &LedgerSettings,
    rules: &Rules,
    today: chrono::NaiveDate,
    now_ms: i64,
) -> anyhow::Result<usize> {
    let Some(b) = book(store, &settings.rules, today, None)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
    else {
        return Ok(0);
    };
    let done: std::collections::HashSet<String> = store
        .ledger_escalations(b.plan.id, b.year)
        .await?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let severity = rules.default_severity(Source::LedgerTask);
    let mut opened = 0;
    for (t, st, _) in &b.tasks {
        if st.done || st.light != lantian_ledger::tasks::Light::Red || done.contains(&t.key) {
            continue;
        }
        let owner = lantian_ledger::tasks::owner_name(&t.owner);
        let title = format!(
            "任务逾期：（{}）{}（{owner}）",
            lantian_ledger::plan::numeral(t.clause),
            t.title
        );
        let due = rules.due_ms(now_ms, Source::LedgerTask, severity);
        let description = format!(
            "任务 {}：{} {}，完成时限 {}，进度 {} %。\n红灯原因：{}\n（台账规则 {}）",
            t.key,
            t.indicator,
            t.target,
            t.deadline,
            st.progress,
            st.reasons.join("；"),
            settings.rules.version
        );
        let ticket = NewTicket {
            title: title.clone(),
            description,
            source: Source::LedgerTask.as_str().into(),
            source_ref: Some(t.key.clone()),
            severity: severity.as_str().into(),
            township: t.owner.strip_prefix("township:").map(String::from),
            assign: Some((t.owner.clone(), due)),
            escalates_task: Some((b.plan.id, t.key.clone(), b.year)),
            sample: b.plan.sample != 0,
            ..NewTicket::default()
        };
        let notices = [
            Notice {
                to: t.owner.clone(),
                kind: "assigned".into(),
                text: format!(
                    "工单 #{{id}} 已交办：{title}，请于 {} 前办结",
                    lantian_types::time::shanghai_minute(due)
                ),
            },
            Notice {
                to: "bureau".into(),
                kind: "new".into(),
                text: format!("台账任务转为工单 #{{id}}：{title}"),
            },
        ];
        match store
            .create_ticket(&ticket, "system", now_ms, &notices)
            .await
        {
            Ok(_) => opened += 1,
            // Another node escalated it first.
            Err(lantian_store::Error::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(opened)
}

/// Checks until `stop` says so.
pub async fn run(
    store: Store,
    settings: Arc<LedgerSettings>,
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
        let today = lantian_types::time::now_beijing().date();
        let now = chrono::Utc::now().timestamp_millis();
        match check(&store, &settings, &rules, today, now).await {
            Ok(n) if n > 0 => tracing::info!(tickets = n, "ledger escalation"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "ledger escalation failed"),
        }
    }
}
