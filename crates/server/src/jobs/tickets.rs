//! The escalation ladder of tickets: every `tickets_every_s` the tickets
//! whose assignee owes an answer are held against the rules' ladder (提醒
//! before the due time, 催办 at it, 黄牌 and 红牌 督办 as the overdue time
//! grows); a step newly reached is recorded once (the store's conditional
//! update: two nodes on one database record it once) with a history row by
//! `system` and notices to the assignee (and, for the cards, the bureau).
//! When several steps were passed while the server was down, only the
//! highest is recorded (written down: the history says when it was seen).
//!
//! And the webhooks: each notice to an assignee with a webhook waits in
//! the outbox (queued in the notice's own transaction) and is POSTed as
//! JSON, signed `X-Lantian-Signature: sha256=HMAC-SHA256(secret, body)`,
//! retried with doubling waits until answered 2xx. Plain `http://` only
//! (no TLS client is built in: an `https` receiver sits behind a local
//! relay — written down).

use std::sync::Arc;
use std::time::Duration;

use lantian_store::Store;
use lantian_store::tickets::Notice;
use lantian_tickets::rules::{Rules, Step};
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
        let due_text = lantian_types::time::shanghai_minute(due);
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
                text: format!(
                    "{text}（{}）",
                    assignee
                        .split_once(':')
                        .map_or(assignee.as_str(), |(_, n)| n)
                ),
            });
        }
        let note = format!("{} (rules {})", step.name_zh(), rules.version);
        if store
            .escalate_ticket(
                t.id,
                t.version,
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

/// Tries a webhook delivery gets before it is given up (the outbox keeps it,
/// marked failed).
pub const MAX_ATTEMPTS: i64 = 8;

/// The wait before try `attempts + 1`: 30 s, doubling (30 s, 1, 2, 4 … 64 min).
pub fn backoff_ms(attempts: i64) -> i64 {
    30_000 << attempts.clamp(0, 7)
}

/// The signature of a body: `sha256=` + hex HMAC-SHA256 with the secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    use hmac::{KeyInit, Mac};
    let Ok(mut m) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    m.update(body);
    let tag = m.finalize().into_bytes();
    format!(
        "sha256={}",
        tag.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

type Client = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    http_body_util::Full<axum::body::Bytes>,
>;

async fn post(client: &Client, url: &str, secret: &str, id: i64, body: &str) -> Result<(), String> {
    let req = hyper::Request::post(url)
        .header("content-type", "application/json")
        .header("user-agent", "lantian-webhook")
        .header("x-lantian-delivery", id.to_string())
        .header("x-lantian-signature", signature(secret, body.as_bytes()))
        .body(http_body_util::Full::new(axum::body::Bytes::from(
            body.to_string(),
        )))
        .map_err(|e| format!("bad request: {e}"))?;
    match tokio::time::timeout(Duration::from_secs(10), client.request(req)).await {
        Err(_) => Err("no answer in 10 s".into()),
        Ok(Err(e)) => Err(format!("cannot reach it: {e}")),
        Ok(Ok(r)) if r.status().is_success() => Ok(()),
        Ok(Ok(r)) => Err(format!("answered {}", r.status())),
    }
}

/// Sends the deliveries due at `now`: each signed with its assignee's
/// secret (opened with the master key), retried with backoff until it is
/// answered 2xx or has had [`MAX_ATTEMPTS`]. How many were delivered.
pub async fn deliver(
    store: &Store,
    master: Option<&[u8; 16]>,
    now: i64,
) -> lantian_store::Result<usize> {
    // A few at a time, each claimed for longer than sending them all can
    // take (10 s a try), so that another node never sends one meanwhile;
    // an outcome is written only while the claim still holds.
    const BATCH: i64 = 10;
    let lease = BATCH * 10_000 + 30_000;
    let due = store.claim_deliveries(now, lease, BATCH).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let hooks = store.webhooks().await?;
    let client: Client =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http();
    let mut sent = 0;
    for d in due {
        // The webhook as it is now: a changed address takes the deliveries
        // still waiting.
        let hook = hooks.iter().find(|h| h.assignee == d.assignee);
        let secret =
            hook.and_then(|h| master.and_then(|m| crate::keys::open_text(m, &h.secret_sealed)));
        let outcome = match (hook, secret) {
            (Some(h), Some(secret)) => post(&client, &h.url, &secret, d.id, &d.body).await,
            _ => Err(
                "no secret to sign with (the webhook was removed or the master key changed)"
                    .to_string(),
            ),
        };
        let at = chrono::Utc::now().timestamp_millis();
        let record = match outcome {
            Ok(()) => {
                sent += 1;
                Ok(())
            }
            Err(why) => {
                tracing::warn!(delivery = d.id, assignee = %d.assignee, error = %why, "webhook delivery failed");
                let next = (d.attempts + 1 < MAX_ATTEMPTS).then(|| at + backoff_ms(d.attempts));
                Err((why, next))
            }
        };
        store.delivery_done(d.id, now + lease, at, record).await?;
    }
    Ok(sent)
}

/// Sends webhook deliveries every `every` until `stop` says so.
pub async fn run_webhooks(
    store: Store,
    master: Option<[u8; 16]>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        if let Err(e) = deliver(
            &store,
            master.as_ref(),
            chrono::Utc::now().timestamp_millis(),
        )
        .await
        {
            tracing::warn!(error = %e, "webhook deliveries failed");
        }
    }
}
