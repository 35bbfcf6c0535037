//! Source-supervision alarms: raised by the judging job (idempotent by
//! key: the same event judged again updates its alarm while it is active,
//! never makes a second), moved through their lifecycle by people (one
//! transaction per transition, with its history and audit rows; the
//! `UPDATE … WHERE state = from` makes two concurrent transitions from the
//! same state end with one winner), and the firm's attachments.

use lantian_sources::alarm::{Action, State};

use crate::{BeginWrite, Error, Result, Store, now_ms, on, read};

/// An alarm to raise (or to extend, when its key is known and active).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlarm {
    pub key: String,
    pub credit_code: String,
    pub township: String,
    pub outlet: String,
    pub rule: String,
    pub rule_version: String,
    pub code: String,
    pub start_label: String,
    pub end_label: String,
    pub hours: i64,
    pub minutes: i64,
    pub max_value: Option<String>,
    pub limit_value: Option<String>,
    /// JSON.
    pub settings: String,
    /// JSON.
    pub evidence: String,
    pub sample: bool,
}

/// An alarm as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AlarmRow {
    pub id: i64,
    pub key: String,
    pub credit_code: String,
    pub township: String,
    pub outlet: String,
    pub rule: String,
    pub rule_version: String,
    pub code: String,
    pub start_label: String,
    pub end_label: String,
    pub hours: i64,
    pub minutes: i64,
    pub max_value: Option<String>,
    pub limit_value: Option<String>,
    pub settings: String,
    pub evidence: String,
    pub state: String,
    pub ticket_id: Option<i64>,
    pub sample: i64,
    pub opened_ms: i64,
    pub updated_ms: i64,
    pub version: i64,
}

/// A step in an alarm's history.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AlarmStep {
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub note: String,
}

/// An attachment's description (its bytes are read on their own).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AttachmentInfo {
    pub id: i64,
    pub alarm_id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub at_ms: i64,
    pub actor: String,
}

/// Which alarms a list wants.
#[derive(Debug, Clone, Default)]
pub struct AlarmFilter {
    pub credit_code: Option<String>,
    pub township: Option<String>,
    pub state: Option<String>,
    /// Only the active states (open, acknowledged, explained).
    pub active: bool,
    pub rule: Option<String>,
    pub limit: i64,
}

/// A transition of one alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlarmMove {
    pub id: i64,
    pub from: State,
    pub action: Action,
    pub to: State,
    /// The ticket it was escalated to.
    pub ticket_id: Option<i64>,
}

/// How an upsert went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Raised {
    pub opened: usize,
    pub extended: usize,
}

const COLUMNS: &str = "id, key, credit_code, township, outlet, rule, rule_version, code, start_label, end_label, hours, minutes, \
     max_value, limit_value, settings, evidence, state, ticket_id, sample, opened_ms, updated_ms, version";

impl Store {
    /// Raises alarms: a new key opens one; a known key whose alarm is still
    /// active takes the event's new end, length, maximum and evidence (a run
    /// that grew); a closed or escalated alarm is left as it was.
    pub async fn raise_alarms(&self, alarms: &[NewAlarm]) -> Result<Raised> {
        if alarms.is_empty() {
            return Ok(Raised::default());
        }
        let now = now_ms();
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let mut out = Raised::default();
            for a in alarms {
                let existing: Option<(i64, String, String, i64)> =
                    sqlx::query_as("SELECT id, state, end_label, hours FROM alarms WHERE key = $1")
                        .bind(&a.key)
                        .fetch_optional(&mut *tx)
                        .await?;
                match existing {
                    None => {
                        let id: i64 = sqlx::query_scalar(
                            "INSERT INTO alarms (key, credit_code, township, outlet, rule, rule_version, code, start_label, end_label, \
                             hours, minutes, max_value, limit_value, settings, evidence, state, sample, opened_ms, updated_ms, version) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'open', $16, $17, $17, 1) RETURNING id",
                        )
                        .bind(&a.key)
                        .bind(&a.credit_code)
                        .bind(&a.township)
                        .bind(&a.outlet)
                        .bind(&a.rule)
                        .bind(&a.rule_version)
                        .bind(&a.code)
                        .bind(&a.start_label)
                        .bind(&a.end_label)
                        .bind(a.hours)
                        .bind(a.minutes)
                        .bind(&a.max_value)
                        .bind(&a.limit_value)
                        .bind(&a.settings)
                        .bind(&a.evidence)
                        .bind(i64::from(a.sample))
                        .bind(now)
                        .fetch_one(&mut *tx)
                        .await?;
                        sqlx::query(
                            "INSERT INTO alarm_history (alarm_id, at_ms, actor, action, from_state, to_state, note) VALUES ($1, $2, 'rules', 'open', NULL, 'open', $3)",
                        )
                        .bind(id)
                        .bind(now)
                        .bind(format!("{} {}", a.rule, a.rule_version))
                        .execute(&mut *tx)
                        .await?;
                        out.opened += 1;
                    }
                    Some((id, state, end, hours)) => {
                        let active = State::parse(&state).is_some_and(State::is_active);
                        if active && (end != a.end_label || hours != a.hours) {
                            sqlx::query(
                                "UPDATE alarms SET end_label = $1, hours = $2, minutes = $3, max_value = $4, evidence = $5, updated_ms = $6 WHERE id = $7",
                            )
                            .bind(&a.end_label)
                            .bind(a.hours)
                            .bind(a.minutes)
                            .bind(&a.max_value)
                            .bind(&a.evidence)
                            .bind(now)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                            out.extended += 1;
                        }
                    }
                }
            }
            tx.commit().await?;
            Ok(out)
        })
    }

    /// Moves an alarm by `m.action` from state `m.from` to `m.to`, as
    /// `actor`, with a note; fails with a conflict when the alarm is no
    /// longer in `m.from` (someone else moved it first).
    pub async fn move_alarm(&self, m: &AlarmMove, actor: &str, note: &str) -> Result<()> {
        let AlarmMove {
            id,
            from,
            action,
            to,
            ticket_id,
        } = *m;
        let now = now_ms();
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let r = sqlx::query(
                "UPDATE alarms SET state = $1, updated_ms = $2, version = version + 1, ticket_id = COALESCE($3, ticket_id) WHERE id = $4 AND state = $5",
            )
            .bind(to.as_str())
            .bind(now)
            .bind(ticket_id)
            .bind(id)
            .bind(from.as_str())
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() != 1 {
                return Err(Error::Conflict(format!(
                    "alarm {id} is no longer {} (someone acted on it first); reload it",
                    from.as_str()
                )));
            }
            sqlx::query(
                "INSERT INTO alarm_history (alarm_id, at_ms, actor, action, from_state, to_state, note) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(now)
            .bind(actor)
            .bind(action.as_str())
            .bind(from.as_str())
            .bind(to.as_str())
            .bind(note)
            .execute(&mut *tx)
            .await?;
            let detail = format!("alarm {id}: {} → {}", from.as_str(), to.as_str());
            let what = format!("alarm.{}", action.as_str());
            crate::audit::audit_row!(&mut *tx, actor, what.as_str(), Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn alarm(&self, id: i64) -> Result<Option<AlarmRow>> {
        read!(self, |c| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM alarms WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(&mut *c)
            .await?)
        })
    }

    /// Alarms by the filter, newest first.
    pub async fn alarms(&self, f: &AlarmFilter) -> Result<Vec<AlarmRow>> {
        let limit = if f.limit <= 0 { 500 } else { f.limit.min(5000) };
        read!(self, |c| {
            let mut q =
                sqlx::QueryBuilder::new(format!("SELECT {COLUMNS} FROM alarms WHERE 1 = 1"));
            if let Some(x) = &f.credit_code {
                q.push(" AND credit_code = ").push_bind(x.clone());
            }
            if let Some(x) = &f.township {
                q.push(" AND township = ").push_bind(x.clone());
            }
            if let Some(x) = &f.state {
                q.push(" AND state = ").push_bind(x.clone());
            }
            if let Some(x) = &f.rule {
                q.push(" AND rule = ").push_bind(x.clone());
            }
            if f.active {
                q.push(" AND state IN ('open', 'acknowledged', 'explained')");
            }
            q.push(" ORDER BY opened_ms DESC, id DESC LIMIT ")
                .push_bind(limit);
            Ok(q.build_query_as().fetch_all(&mut *c).await?)
        })
    }

    /// Active alarms per firm: (credit code, count).
    pub async fn active_alarm_counts(&self) -> Result<Vec<(String, i64)>> {
        read!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT credit_code, COUNT(*) FROM alarms WHERE state IN ('open', 'acknowledged', 'explained') GROUP BY credit_code",
            )
            .fetch_all(&mut *c)
            .await?)
        })
    }

    pub async fn alarm_history(&self, id: i64) -> Result<Vec<AlarmStep>> {
        read!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT at_ms, actor, action, from_state, to_state, note FROM alarm_history WHERE alarm_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(&mut *c)
            .await?)
        })
    }

    /// Stores a file the firm attaches to an alarm; its id.
    pub async fn attach_to_alarm(
        &self,
        alarm_id: i64,
        name: &str,
        content_type: &str,
        body: &[u8],
        actor: &str,
    ) -> Result<i64> {
        let name = lantian_types::text::plain(name, "file name", 120).map_err(Error::Invalid)?;
        let now = now_ms();
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO alarm_attachments (alarm_id, name, content_type, size, body, at_ms, actor) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(alarm_id)
            .bind(&name)
            .bind(content_type)
            .bind(body.len() as i64)
            .bind(body)
            .bind(now)
            .bind(actor)
            .fetch_one(&mut *tx)
            .await?;
            let detail = format!("alarm {alarm_id}: {name} ({} bytes)", body.len());
            crate::audit::audit_row!(&mut *tx, actor, "alarm.attach", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(id)
        })
    }

    pub async fn alarm_attachments(&self, alarm_id: i64) -> Result<Vec<AttachmentInfo>> {
        read!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT id, alarm_id, name, content_type, size, at_ms, actor FROM alarm_attachments WHERE alarm_id = $1 ORDER BY id",
            )
            .bind(alarm_id)
            .fetch_all(&mut *c)
            .await?)
        })
    }

    /// An attachment and its bytes.
    pub async fn alarm_attachment(&self, id: i64) -> Result<Option<(AttachmentInfo, Vec<u8>)>> {
        read!(self, |c| {
            let info: Option<AttachmentInfo> = sqlx::query_as(
                "SELECT id, alarm_id, name, content_type, size, at_ms, actor FROM alarm_attachments WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *c)
            .await?;
            let Some(info) = info else { return Ok(None) };
            let body: Vec<u8> =
                sqlx::query_scalar("SELECT body FROM alarm_attachments WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *c)
                    .await?;
            Ok(Some((info, body)))
        })
    }
}
