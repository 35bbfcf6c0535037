//! Problem tickets: creation (with its first history row), transitions
//! (one transaction each: the `UPDATE … WHERE state = from` changes the
//! ticket only from the state it was read in, so of two concurrent
//! transitions one wins; its history, audit and inbox rows commit with
//! it), the escalation ladder's steps (idempotent per step), attachments
//! kept once by their SHA-256, reporters' sealed contacts, and each user's
//! inbox. The moment of a change is a parameter (`at_ms`).

use lantian_tickets::machine::{Action, Finding, State};

use crate::{BeginWrite, Error, Result, Store, on, read};

/// A ticket to open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewTicket {
    pub title: String,
    pub description: String,
    pub source: String,
    pub source_ref: Option<String>,
    pub category: Option<String>,
    pub severity: String,
    pub township: Option<String>,
    pub lon: Option<String>,
    pub lat: Option<String>,
    pub address: Option<String>,
    /// Assigned at once (the bureau opening it for someone): assignee, due.
    pub assign: Option<(String, i64)>,
    pub tracking_code: Option<String>,
    /// The reporter's contact, sealed by the caller.
    pub sealed_contact: Option<String>,
    /// The alarm this ticket escalates, and the state it was read in: the
    /// alarm moves to `escalated` in the same transaction, or neither
    /// happens (a conflict when someone moved the alarm first).
    pub escalates_alarm: Option<(i64, String)>,
    /// The fire point this ticket hands to its township, with the verdict
    /// (straw or other) and note: the point is verified and linked in the
    /// same transaction, or neither happens (a conflict when someone
    /// verified it first).
    pub verifies_fire: Option<(i64, String, String)>,
    /// The ledger task this ticket escalates (plan, task key, year): kept
    /// once in the same transaction, or neither (a conflict when the task
    /// was escalated first).
    pub escalates_task: Option<(i64, String, i32)>,
    pub sample: bool,
}

/// A ticket as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TicketRow {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub source: String,
    pub source_ref: Option<String>,
    pub category: Option<String>,
    pub severity: String,
    pub state: String,
    pub assignee: Option<String>,
    pub township: Option<String>,
    pub lon: Option<String>,
    pub lat: Option<String>,
    pub address: Option<String>,
    pub finding: Option<String>,
    pub due_ms: Option<i64>,
    pub clock_ms: Option<i64>,
    pub extensions: i64,
    pub escalation: Option<String>,
    pub tracking_code: Option<String>,
    pub sample: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub ended_ms: Option<i64>,
    pub version: i64,
}

const COLUMNS: &str = "id, title, description, source, source_ref, category, severity, state, assignee, township, lon, lat, address, \
     finding, due_ms, clock_ms, extensions, escalation, tracking_code, sample, created_ms, updated_ms, ended_ms, version";

/// A step of a ticket's history.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TicketStep {
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub note: String,
    /// JSON.
    pub detail: String,
}

/// Which tickets a list wants.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub state: Option<String>,
    pub source: Option<String>,
    pub assignee: Option<String>,
    pub township: Option<String>,
    /// Only those past their due time at `now_ms` while the assignee owes an answer.
    pub overdue_at: Option<i64>,
    /// Created at or after / before (ms).
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// A scoped caller: its tickets (assignee) or, for a township, those
    /// located in it.
    pub visible_to: Option<(String, Option<String>)>,
    pub limit: i64,
}

/// What a transition changes besides the state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub assignee: Option<String>,
    pub due_ms: Option<i64>,
    /// Restart the due clock (a new assignment): resets the ladder.
    pub clock_ms: Option<i64>,
    pub finding: Option<Finding>,
    pub extended: bool,
    /// The ticket ends (closed or unfounded).
    pub ends: bool,
    /// Where it lies, when not yet known (an assignment to a township).
    pub township: Option<String>,
}

/// A transition of one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketMove {
    pub id: i64,
    pub from: State,
    pub action: Action,
    pub to: State,
    /// The version read (a change meanwhile is a conflict), when given.
    pub version: Option<i64>,
    pub changes: Changes,
    /// JSON detail for the history row.
    pub detail: String,
}

/// A notice for the inbox: to the users of a scope (`township:NAME`, …)
/// or to every bureau user (`bureau`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub to: String,
    pub kind: String,
    pub text: String,
}

/// A file attached to a ticket.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TicketFile {
    pub id: i64,
    pub ticket_id: i64,
    pub sha256: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub kind: String,
    pub at_ms: i64,
    pub actor: String,
}

/// One inbox entry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InboxRow {
    pub id: i64,
    pub at_ms: i64,
    pub kind: String,
    pub ticket_id: Option<i64>,
    pub text: String,
    pub read_ms: Option<i64>,
}

/// What the SLA figures need of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketFacts {
    pub id: i64,
    pub assignee: String,
    pub state: String,
    pub created_ms: i64,
    pub due_ms: Option<i64>,
    pub ended_ms: Option<i64>,
    /// The assignee's last answer (verify or feedback).
    pub answered_ms: Option<i64>,
    /// Every answer (verify or feedback), oldest first.
    pub answers_ms: Vec<i64>,
    /// When the bureau returned it (each return).
    pub returns_ms: Vec<i64>,
}

/// Inserts inbox rows for a notice (inside a transaction).
macro_rules! notify {
    ($tx:expr, $n:expr, $ticket:expr, $at:expr) => {{
        let n: &Notice = $n;
        let (role, scope) = match n.to.split_once(':') {
            Some((r, s)) => (r.to_string(), Some(s.to_string())),
            None => (n.to.clone(), None),
        };
        sqlx::query(
            "INSERT INTO inbox (username, at_ms, kind, ticket_id, text) \
             SELECT username, $1, $2, $3, $4 FROM users WHERE role = $5 AND disabled = 0 AND ($6 IS NULL OR scope = $6)",
        )
        .bind($at)
        .bind(&n.kind)
        .bind($ticket)
        .bind(&n.text)
        .bind(role)
        .bind(scope)
        .execute(&mut *$tx)
        .await?;
        // And to the assignee's webhook, if it has one.
        let body = serde_json::json!({
            "kind": n.kind,
            "ticket_id": $ticket,
            "text": n.text,
            "at_ms": $at,
        })
        .to_string();
        sqlx::query(
            "INSERT INTO webhook_outbox (assignee, url, body, attempts, next_ms, created_ms) \
             SELECT assignee, url, $1, 0, $2, $2 FROM webhooks WHERE assignee = $3",
        )
        .bind(body)
        .bind($at)
        .bind(&n.to)
        .execute(&mut *$tx)
        .await
        .map(|_| ())
    }};
}

/// A configured webhook (its secret sealed).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Webhook {
    pub assignee: String,
    pub url: String,
    pub secret_sealed: String,
    pub updated_ms: i64,
    pub actor: String,
}

/// A delivery waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Delivery {
    pub id: i64,
    pub assignee: String,
    pub url: String,
    pub body: String,
    pub attempts: i64,
    pub next_ms: i64,
    pub delivered_ms: Option<i64>,
    pub failed: i64,
    pub last_error: Option<String>,
}

impl Store {
    /// Opens a ticket at `at_ms` as `actor`: its row, its first history
    /// step (and its assignment when it is assigned at once), the sealed
    /// contact, the audit row and the notices (`{id}` in a notice's text
    /// becomes the new ticket's id), in one transaction.
    pub async fn create_ticket(
        &self,
        t: &NewTicket,
        actor: &str,
        at_ms: i64,
        notices: &[Notice],
    ) -> Result<i64> {
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let (state, assignee, due, clock) = match &t.assign {
                Some((a, due)) => ("assigned", Some(a.clone()), Some(*due), Some(at_ms)),
                None => ("new", None, None, None),
            };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO tickets (title, description, source, source_ref, category, severity, state, assignee, township, lon, lat, address, \
                 due_ms, clock_ms, tracking_code, sample, created_ms, updated_ms, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, 1) RETURNING id",
            )
            .bind(&t.title)
            .bind(&t.description)
            .bind(&t.source)
            .bind(&t.source_ref)
            .bind(&t.category)
            .bind(&t.severity)
            .bind(state)
            .bind(&assignee)
            .bind(&t.township)
            .bind(&t.lon)
            .bind(&t.lat)
            .bind(&t.address)
            .bind(due)
            .bind(clock)
            .bind(&t.tracking_code)
            .bind(i64::from(t.sample))
            .bind(at_ms)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO ticket_history (ticket_id, at_ms, actor, action, from_state, to_state, note, detail) VALUES ($1, $2, $3, 'create', NULL, 'new', '', $4)",
            )
            .bind(id)
            .bind(at_ms)
            .bind(actor)
            .bind(format!("{{\"source\":{:?}}}", t.source))
            .execute(&mut *tx)
            .await?;
            if let (Some(a), Some(due)) = (&assignee, due) {
                sqlx::query(
                    "INSERT INTO ticket_history (ticket_id, at_ms, actor, action, from_state, to_state, note, detail) VALUES ($1, $2, $3, 'assign', 'new', 'assigned', '', $4)",
                )
                .bind(id)
                .bind(at_ms)
                .bind(actor)
                .bind(format!("{{\"assignee\":{a:?},\"due_ms\":{due}}}"))
                .execute(&mut *tx)
                .await?;
            }
            if let Some(sealed) = &t.sealed_contact {
                sqlx::query("INSERT INTO reporter_contacts (ticket_id, sealed) VALUES ($1, $2)")
                    .bind(id)
                    .bind(sealed)
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some((alarm, from)) = &t.escalates_alarm {
                let r = sqlx::query(
                    "UPDATE alarms SET state = 'escalated', ticket_id = $1, updated_ms = $2, version = version + 1 WHERE id = $3 AND state = $4",
                )
                .bind(id)
                .bind(at_ms)
                .bind(alarm)
                .bind(from)
                .execute(&mut *tx)
                .await?;
                if r.rows_affected() != 1 {
                    return Err(Error::Conflict(format!(
                        "alarm {alarm} is no longer {from} (someone acted on it first); reload it"
                    )));
                }
                sqlx::query(
                    "INSERT INTO alarm_history (alarm_id, at_ms, actor, action, from_state, to_state, note) VALUES ($1, $2, $3, 'escalate', $4, 'escalated', $5)",
                )
                .bind(alarm)
                .bind(at_ms)
                .bind(actor)
                .bind(from)
                .bind(format!("ticket {id}"))
                .execute(&mut *tx)
                .await?;
                let detail = format!("alarm {alarm}: {from} → escalated (ticket {id})");
                crate::audit::audit_row!(&mut *tx, actor, "alarm.escalate", Some(detail.as_str()))?;
            }
            if let Some((fire, kind, note)) = &t.verifies_fire {
                let r = sqlx::query(
                    "UPDATE fire_points SET kind = $1, note = $2, verified_by = $3, verified_ms = $4, ticket_id = $5 \
                     WHERE id = $6 AND verified_ms IS NULL",
                )
                .bind(kind)
                .bind(note.trim())
                .bind(actor)
                .bind(at_ms)
                .bind(id)
                .bind(fire)
                .execute(&mut *tx)
                .await?;
                if r.rows_affected() != 1 {
                    return Err(Error::Conflict(format!(
                        "fire point {fire} was verified already; reload it"
                    )));
                }
                let detail = format!("fire point {fire}: {kind}: {} (ticket {id})", note.trim());
                crate::audit::audit_row!(&mut *tx, actor, "fire.verify", Some(detail.as_str()))?;
            }
            if let Some((plan, key, year)) = &t.escalates_task {
                let r = sqlx::query(
                    "INSERT INTO ledger_escalations (plan_id, task_key, year, ticket_id, at_ms) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (plan_id, task_key, year) DO NOTHING",
                )
                .bind(plan)
                .bind(key)
                .bind(i64::from(*year))
                .bind(id)
                .bind(at_ms)
                .execute(&mut *tx)
                .await?;
                if r.rows_affected() != 1 {
                    return Err(Error::Conflict(format!(
                        "task {key} was escalated already in {year}"
                    )));
                }
            }
            for n in notices {
                let n = Notice {
                    text: n.text.replace("{id}", &id.to_string()),
                    ..n.clone()
                };
                notify!(tx, &n, Some(id), at_ms)?;
            }
            let detail = format!("ticket {id}: {} ({})", t.title, t.source);
            crate::audit::audit_row!(&mut *tx, actor, "ticket.create", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Moves a ticket by `m` at `at_ms` as `actor`, with a note and the
    /// notices it sends; a conflict when the ticket is no longer in
    /// `m.from` (or no longer at `m.version`).
    pub async fn move_ticket(
        &self,
        m: &TicketMove,
        actor: &str,
        note: &str,
        at_ms: i64,
        notices: &[Notice],
    ) -> Result<()> {
        let c = &m.changes;
        let finding = c.finding.map(|f| match f {
            Finding::Real => "real",
            Finding::Unfounded => "unfounded",
        });
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let r = sqlx::query(
                "UPDATE tickets SET state = $1, updated_ms = $2, version = version + 1, \
                 assignee = COALESCE($3, assignee), due_ms = COALESCE($4, due_ms), \
                 clock_ms = COALESCE($5, clock_ms), \
                 escalation = CASE WHEN $5 IS NULL AND NOT $9 THEN escalation ELSE NULL END, \
                 finding = COALESCE($6, finding), extensions = extensions + $7, \
                 ended_ms = CASE WHEN $8 THEN $2 ELSE ended_ms END, \
                 township = COALESCE(township, $13) \
                 WHERE id = $10 AND state = $11 AND ($12 IS NULL OR version = $12)",
            )
            .bind(m.to.as_str())
            .bind(at_ms)
            .bind(&c.assignee)
            .bind(c.due_ms)
            .bind(c.clock_ms)
            .bind(finding)
            .bind(i64::from(c.extended))
            .bind(c.ends)
            .bind(c.extended)
            .bind(m.id)
            .bind(m.from.as_str())
            .bind(m.version)
            .bind(&c.township)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() != 1 {
                return Err(Error::Conflict(format!(
                    "ticket {} is no longer {} as read (someone acted on it first); reload it",
                    m.id,
                    m.from.as_str()
                )));
            }
            sqlx::query(
                "INSERT INTO ticket_history (ticket_id, at_ms, actor, action, from_state, to_state, note, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(m.id)
            .bind(at_ms)
            .bind(actor)
            .bind(m.action.as_str())
            .bind(m.from.as_str())
            .bind(m.to.as_str())
            .bind(note)
            .bind(&m.detail)
            .execute(&mut *tx)
            .await?;
            for n in notices {
                notify!(tx, n, Some(m.id), at_ms)?;
            }
            let detail = format!("ticket {}: {} → {}", m.id, m.from.as_str(), m.to.as_str());
            let what = format!("ticket.{}", m.action.as_str());
            crate::audit::audit_row!(&mut *tx, actor, what.as_str(), Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Records that the ladder reached `step` on ticket `id` as read at
    /// `version` (when it had reached `last`): a history row by `system`,
    /// the notices and the audit row; false when another node (or an
    /// earlier run) recorded it first, the ticket changed since it was read
    /// (a reassignment or an extension moved its clock), or it no longer
    /// owes an answer.
    #[allow(clippy::too_many_arguments)]
    pub async fn escalate_ticket(
        &self,
        id: i64,
        version: i64,
        last: Option<&str>,
        step: &str,
        note: &str,
        at_ms: i64,
        notices: &[Notice],
    ) -> Result<bool> {
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let state: Option<String> = sqlx::query_scalar(
                "UPDATE tickets SET escalation = $1 WHERE id = $2 AND COALESCE(escalation, '') = $3 \
                 AND version = $4 AND state IN ('assigned', 'rectifying') RETURNING state",
            )
            .bind(step)
            .bind(id)
            .bind(last.unwrap_or(""))
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(state) = state else {
                return Ok(false);
            };
            sqlx::query(
                "INSERT INTO ticket_history (ticket_id, at_ms, actor, action, from_state, to_state, note, detail) VALUES ($1, $2, 'system', $3, $4, $4, $5, '{}')",
            )
            .bind(id)
            .bind(at_ms)
            .bind(step)
            .bind(&state)
            .bind(note)
            .execute(&mut *tx)
            .await?;
            for n in notices {
                notify!(tx, n, Some(id), at_ms)?;
            }
            let detail = format!("ticket {id}: {step} ({note})");
            crate::audit::audit_row!(&mut *tx, "system", "ticket.escalate", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(true)
        })
    }

    pub async fn ticket(&self, id: i64) -> Result<Option<TicketRow>> {
        read!(self, |c| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM tickets WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(&mut *c)
            .await?)
        })
    }

    pub async fn ticket_by_code(&self, code: &str) -> Result<Option<TicketRow>> {
        read!(self, |c| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM tickets WHERE tracking_code = $1"
            )))
            .bind(code)
            .fetch_optional(&mut *c)
            .await?)
        })
    }

    /// Tickets by the filter, newest first.
    pub async fn tickets(&self, f: &TicketFilter) -> Result<Vec<TicketRow>> {
        let limit = if f.limit <= 0 { 500 } else { f.limit.min(5000) };
        read!(self, |c| {
            let mut q =
                sqlx::QueryBuilder::new(format!("SELECT {COLUMNS} FROM tickets WHERE 1 = 1"));
            push_filter(&mut q, f);
            q.push(" ORDER BY created_ms DESC, id DESC LIMIT ")
                .push_bind(limit);
            Ok(q.build_query_as().fetch_all(&mut *c).await?)
        })
    }

    /// Counts by state of the tickets the filter reaches (its state ignored).
    pub async fn ticket_counts(&self, f: &TicketFilter) -> Result<Vec<(String, i64)>> {
        let f = TicketFilter {
            state: None,
            ..f.clone()
        };
        read!(self, |c| {
            let mut q = sqlx::QueryBuilder::new("SELECT state, COUNT(*) FROM tickets WHERE 1 = 1");
            push_filter(&mut q, &f);
            q.push(" GROUP BY state");
            Ok(q.build_query_as().fetch_all(&mut *c).await?)
        })
    }

    /// Tickets still owing an answer that have a due time (for the ladder).
    pub async fn tickets_on_the_clock(&self) -> Result<Vec<TicketRow>> {
        read!(self, |c| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM tickets WHERE state IN ('assigned', 'rectifying') AND due_ms IS NOT NULL ORDER BY id"
            )))
            .fetch_all(&mut *c)
            .await?)
        })
    }

    pub async fn ticket_history(&self, id: i64) -> Result<Vec<TicketStep>> {
        read!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT at_ms, actor, action, from_state, to_state, note, detail FROM ticket_history WHERE ticket_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(&mut *c)
            .await?)
        })
    }

    /// What the SLA figures need of every assigned ticket.
    pub async fn ticket_facts(&self) -> Result<Vec<TicketFacts>> {
        read!(self, |c| {
            type Row = (i64, String, String, i64, Option<i64>, Option<i64>);
            let rows: Vec<Row> = sqlx::query_as(
                "SELECT id, assignee, state, created_ms, due_ms, ended_ms FROM tickets WHERE assignee IS NOT NULL ORDER BY id",
            )
            .fetch_all(&mut *c)
            .await?;
            let steps: Vec<(i64, String, i64)> = sqlx::query_as(
                "SELECT ticket_id, action, at_ms FROM ticket_history WHERE action IN ('return', 'verify', 'feedback') ORDER BY ticket_id, id",
            )
            .fetch_all(&mut *c)
            .await?;
            let mut returns: std::collections::HashMap<i64, Vec<i64>> = Default::default();
            let mut answered: std::collections::HashMap<i64, i64> = Default::default();
            let mut answers: std::collections::HashMap<i64, Vec<i64>> = Default::default();
            for (t, action, at) in steps {
                if action == "return" {
                    returns.entry(t).or_default().push(at);
                } else {
                    answered.insert(t, at);
                    answers.entry(t).or_default().push(at);
                }
            }
            Ok(rows
                .into_iter()
                .map(
                    |(id, assignee, state, created_ms, due_ms, ended_ms)| TicketFacts {
                        id,
                        assignee,
                        state,
                        created_ms,
                        due_ms,
                        ended_ms,
                        answered_ms: answered.get(&id).copied(),
                        answers_ms: answers.remove(&id).unwrap_or_default(),
                        returns_ms: returns.remove(&id).unwrap_or_default(),
                    },
                )
                .collect())
        })
    }

    /// The sealed contact of a public report.
    pub async fn reporter_contact(&self, ticket_id: i64) -> Result<Option<String>> {
        read!(self, |c| {
            Ok(
                sqlx::query_scalar("SELECT sealed FROM reporter_contacts WHERE ticket_id = $1")
                    .bind(ticket_id)
                    .fetch_optional(&mut *c)
                    .await?,
            )
        })
    }

    /// Attaches a file to a ticket: the bytes are kept once by their
    /// SHA-256 (the name is a label, never a path); its id.
    #[allow(clippy::too_many_arguments)]
    pub async fn attach_to_ticket(
        &self,
        ticket_id: i64,
        name: &str,
        content_type: &str,
        kind: &str,
        body: &[u8],
        actor: &str,
        at_ms: i64,
    ) -> Result<i64> {
        let name = lantian_types::text::plain(name, "file name", 120).map_err(Error::Invalid)?;
        let hash = crate::documents::sha256_hex(body);
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            crate::documents::blob_row!(&mut *tx, &hash, content_type, body)?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO ticket_attachments (ticket_id, sha256, name, content_type, size, kind, at_ms, actor) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(ticket_id)
            .bind(&hash)
            .bind(&name)
            .bind(content_type)
            .bind(body.len() as i64)
            .bind(kind)
            .bind(at_ms)
            .bind(actor)
            .fetch_one(&mut *tx)
            .await?;
            let detail = format!(
                "ticket {ticket_id}: {name} ({kind}, {} bytes, sha256 {hash})",
                body.len()
            );
            crate::audit::audit_row!(&mut *tx, actor, "ticket.attach", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(id)
        })
    }

    pub async fn ticket_files(&self, ticket_id: i64) -> Result<Vec<TicketFile>> {
        read!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT id, ticket_id, sha256, name, content_type, size, kind, at_ms, actor FROM ticket_attachments WHERE ticket_id = $1 ORDER BY id",
            )
            .bind(ticket_id)
            .fetch_all(&mut *c)
            .await?)
        })
    }

    /// An attachment and its bytes.
    pub async fn ticket_file(&self, id: i64) -> Result<Option<(TicketFile, Vec<u8>)>> {
        read!(self, |c| {
            let info: Option<TicketFile> = sqlx::query_as(
                "SELECT id, ticket_id, sha256, name, content_type, size, kind, at_ms, actor FROM ticket_attachments WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *c)
            .await?;
            let Some(info) = info else { return Ok(None) };
            let body = crate::documents::blob_body!(&mut *c, &info.sha256)?;
            Ok(Some((info, body)))
        })
    }

    /// A user's inbox, newest first.
    pub async fn inbox(
        &self,
        username: &str,
        unread_only: bool,
        limit: i64,
    ) -> Result<Vec<InboxRow>> {
        read!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT id, at_ms, kind, ticket_id, text, read_ms FROM inbox WHERE username = $1 AND (NOT $2 OR read_ms IS NULL) ORDER BY id DESC LIMIT $3",
            )
            .bind(username)
            .bind(unread_only)
            .bind(limit.clamp(1, 1000))
            .fetch_all(&mut *c)
            .await?)
        })
    }

    /// Marks a user's entries read (all when `ids` is empty); how many.
    pub async fn mark_read(&self, username: &str, ids: &[i64], at_ms: i64) -> Result<u64> {
        on!(self, write, |p| {
            let mut q = sqlx::QueryBuilder::new("UPDATE inbox SET read_ms = ");
            q.push_bind(at_ms)
                .push(" WHERE read_ms IS NULL AND username = ")
                .push_bind(username.to_string());
            if !ids.is_empty() {
                q.push(" AND id IN (");
                let mut sep = q.separated(", ");
                for id in ids {
                    sep.push_bind(*id);
                }
                q.push(")");
            }
            Ok(q.build().execute(p).await?.rows_affected())
        })
    }
}

fn push_filter<DB: sqlx::Database>(q: &mut sqlx::QueryBuilder<DB>, f: &TicketFilter)
where
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    if let Some(x) = &f.state {
        q.push(" AND state = ").push_bind(x.clone());
    }
    if let Some(x) = &f.source {
        q.push(" AND source = ").push_bind(x.clone());
    }
    if let Some(x) = &f.assignee {
        q.push(" AND assignee = ").push_bind(x.clone());
    }
    if let Some(x) = &f.township {
        q.push(" AND township = ").push_bind(x.clone());
    }
    if let Some(now) = f.overdue_at {
        q.push(" AND state IN ('assigned', 'rectifying') AND due_ms < ")
            .push_bind(now);
    }
    if let Some(x) = f.from_ms {
        q.push(" AND created_ms >= ").push_bind(x);
    }
    if let Some(x) = f.to_ms {
        q.push(" AND created_ms < ").push_bind(x);
    }
    if let Some((who, town)) = &f.visible_to {
        q.push(" AND (assignee = ").push_bind(who.clone());
        if let Some(t) = town {
            q.push(" OR township = ").push_bind(t.clone());
        }
        q.push(")");
    }
}

impl Store {
    /// Sets (or replaces) an assignee's webhook.
    pub async fn put_webhook(
        &self,
        assignee: &str,
        url: &str,
        secret_sealed: &str,
        actor: &str,
        at_ms: i64,
    ) -> Result<()> {
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            sqlx::query(
                "INSERT INTO webhooks (assignee, url, secret_sealed, updated_ms, actor) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (assignee) DO UPDATE SET url = excluded.url, secret_sealed = excluded.secret_sealed, \
                 updated_ms = excluded.updated_ms, actor = excluded.actor",
            )
            .bind(assignee)
            .bind(url)
            .bind(secret_sealed)
            .bind(at_ms)
            .bind(actor)
            .execute(&mut *tx)
            .await?;
            let detail = format!("{assignee} → {url}");
            crate::audit::audit_row!(&mut *tx, actor, "webhook.put", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Removes an assignee's webhook (its queued deliveries are dropped); whether it had one.
    pub async fn delete_webhook(&self, assignee: &str, actor: &str) -> Result<bool> {
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query("DELETE FROM webhooks WHERE assignee = $1")
                .bind(assignee)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM webhook_outbox WHERE assignee = $1 AND delivered_ms IS NULL")
                .bind(assignee)
                .execute(&mut *tx)
                .await?;
            crate::audit::audit_row!(&mut *tx, actor, "webhook.delete", Some(assignee))?;
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    pub async fn webhooks(&self) -> Result<Vec<Webhook>> {
        read!(self, |c| {
            Ok(sqlx::query_as("SELECT assignee, url, secret_sealed, updated_ms, actor FROM webhooks ORDER BY assignee")
                .fetch_all(&mut *c)
                .await?)
        })
    }

    /// Deliveries due at `now_ms`, each claimed for `lease_ms` (so that
    /// another node does not send it meanwhile), oldest first.
    pub async fn claim_deliveries(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<Delivery>> {
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let due: Vec<Delivery> = sqlx::query_as(
                "SELECT id, assignee, url, body, attempts, next_ms, delivered_ms, failed, last_error FROM webhook_outbox \
                 WHERE delivered_ms IS NULL AND failed = 0 AND next_ms <= $1 ORDER BY id LIMIT $2",
            )
            .bind(now_ms)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
            let mut claimed = Vec::new();
            for d in due {
                let r = sqlx::query("UPDATE webhook_outbox SET next_ms = $1 WHERE id = $2 AND next_ms = $3 AND delivered_ms IS NULL")
                    .bind(now_ms + lease_ms)
                    .bind(d.id)
                    .bind(d.next_ms)
                    .execute(&mut *tx)
                    .await?;
                if r.rows_affected() == 1 {
                    claimed.push(d);
                }
            }
            tx.commit().await?;
            Ok(claimed)
        })
    }

    /// Records a delivery's outcome — delivered, or failed with the next try
    /// (`next_ms`) or for good (`None`) — while the claim that ends at
    /// `lease_ms` still holds (nothing is written once another node took it).
    pub async fn delivery_done(
        &self,
        id: i64,
        lease_ms: i64,
        at_ms: i64,
        outcome: std::result::Result<(), (String, Option<i64>)>,
    ) -> Result<()> {
        on!(self, write, |p| {
            match &outcome {
                Ok(()) => {
                    sqlx::query("UPDATE webhook_outbox SET delivered_ms = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2 AND next_ms = $3")
                        .bind(at_ms)
                        .bind(id)
                        .bind(lease_ms)
                        .execute(p)
                        .await?;
                }
                Err((why, next)) => {
                    sqlx::query(
                        "UPDATE webhook_outbox SET attempts = attempts + 1, last_error = $1, next_ms = COALESCE($2, next_ms), \
                         failed = CASE WHEN $2 IS NULL THEN 1 ELSE 0 END WHERE id = $3 AND next_ms = $4",
                    )
                    .bind(why)
                    .bind(*next)
                    .bind(id)
                    .bind(lease_ms)
                    .execute(p)
                    .await?;
                }
            }
            Ok(())
        })
    }

    /// The outbox of an assignee, newest first.
    pub async fn deliveries(&self, assignee: &str, limit: i64) -> Result<Vec<Delivery>> {
        read!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT id, assignee, url, body, attempts, next_ms, delivered_ms, failed, last_error FROM webhook_outbox WHERE assignee = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(assignee)
            .bind(limit)
            .fetch_all(&mut *c)
            .await?)
        })
    }
}
