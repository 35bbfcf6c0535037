//! The escalation ladder of tickets: every `tickets_every_s` the tickets
//! whose assignee owes an answer are held against the rules' ladder (提醒
//! before the due time, 催办 at it, 黄牌 and 红牌 督办 as the overdue time
//! grows); a step newly reached is recorded once (the store's conditional
//! update: two nodes on one database record it once) with a history row by
//! `system` and notices to the assignee (and, for the cards, the bureau).
//! When several steps were passed while the server was down, only the
//! highest is recorded (written down: the history says when it was seen).

use std::sync::Arc;
use std::time::Duration;

use lantian_store::Store;
use lantian_store::tickets::Notice;
use lantian_tickets::rules::{Rules, Step};
use lantian_types::time::shanghai_ms;
use tokio::sync::watch;

/// One pass at `now`: the steps recorded.
pub async fn check(store: &Store, rules: &Rules, now: i64) -> lantian_store::Result<usize> {
    let mut fired = 0;
    for t in store.tickets_on_the_clock().await? {
        let (Some(due), Some(assignee)) = (t.due_ms, t.assignee.as_ref()) else {
            continue;
        };
        let start = t.clock_ms.unwrap_or(t.created_ms);
        let Some(step) = rules.reached(start, due, now) else {
            continue;
        };
        let last = t.escalation.as_deref().and_then(Step::parse);
        if last.is_some_and(|l| l >= step) {
            continue;
        }
        let due_text = shanghai_ms(due).unwrap_or_default();
        let text = match step {
            Step::Remind => format!("工单 #{} 将于 {due_text} 到期：{}", t.id, t.title),
            Step::Urge => format!("催办：工单 #{} 已于 {due_text} 超期：{}", t.id, t.title),
            Step::Yellow | Step::Red => format!(
                "{}：工单 #{} 超期未办结（限 {due_text}）：{}",
                step.name_zh(),
                t.id,
                t.title
            ),
        };
        let mut notices = vec![Notice {
            to: assignee.clone(),
            kind: step.as_str().into(),
            text: text.clone(),
        }];
        if matches!(step, Step::Yellow | Step::Red) {
            notices.push(Notice {
                to: "bureau".into(),
                kind: step.as_str().into(),
                text: format!("{text}（{assignee}）"),
            });
        }
        let note = format!("{} (rules {})", step.name_zh(), rules.version);
        if store
            .escalate_ticket(
                t.id,
                t.escalation.as_deref(),
                step.as_str(),
                &note,
                now,
                &notices,
            )
            .await?
        {
            fired += 1;
        }
    }
    Ok(fired)
}

/// Checks until `stop` says so.
pub async fn run(
    store: Store,
    rules: Arc<Rules>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut wait = Duration::from_secs(2).min(every);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
        wait = every;
        match check(&store, &rules, chrono::Utc::now().timestamp_millis()).await {
            Ok(n) if n > 0 => tracing::info!(steps = n, "ticket escalation"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "ticket escalation failed"),
        }
    }
}
