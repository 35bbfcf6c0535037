//! Source-supervision alarms: the list (a township user: its township's
//! firms'; an enterprise user: its own), one alarm with its evidence,
//! history and attachments, acting on it by the lifecycle table of
//! `lantian_sources::alarm` (the bureau acknowledges, returns, closes; the
//! firm explains, with attachments), and the attachments themselves.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use lantian_sources::alarm::{self, Action as Step, State as AlarmState, Who};
use lantian_sources::judge::Rule;
use lantian_store::alarms::{AlarmFilter, AlarmMove, AlarmRow};
use lantian_types::time::shanghai_ms;
use lantian_types::{Role, Scope};

use super::json;
use crate::http::HttpState;
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::export::{self, Cell, Format, Table};
use crate::http::extract::{Json, Query};
use crate::policy::{Action, Object};

/// Largest attachment (bytes).
pub const MAX_ATTACHMENT: usize = 2_000_000;

fn alarm_object(a: &AlarmRow) -> Object<'_> {
    Object::Firm {
        credit_code: &a.credit_code,
        township: &a.township,
    }
}

/// An alarm as lists show it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AlarmView {
    pub id: i64,
    pub credit_code: String,
    pub firm: String,
    pub township: String,
    /// The outlet (排口), or `meters` for an electricity rule.
    pub outlet: String,
    /// exceedance, constant, zero, missing, flag_m, flag_c, flag_d,
    /// o2_high, zs_mismatch, nh3_slip, over_range, treatment_off,
    /// purifier_off
    pub rule: String,
    pub rule_zh: String,
    pub rule_version: String,
    /// The factor (HJ 212 code).
    pub code: String,
    /// First and last hour (hour-ending labels, Beijing time).
    pub start: String,
    pub end: String,
    pub hours: i64,
    pub minutes: i64,
    /// Highest value (corrected where the limit has a reference O2).
    pub max_value: Option<String>,
    pub limit_value: Option<String>,
    /// open, acknowledged, explained, closed, escalated
    pub state: String,
    pub state_zh: String,
    /// The ticket it was escalated to.
    pub ticket_id: Option<i64>,
    pub opened: Option<String>,
    pub updated: Option<String>,
    pub version: i64,
    pub sample: bool,
}

impl AlarmView {
    fn of(a: &AlarmRow, firm: &str) -> Self {
        AlarmView {
            id: a.id,
            credit_code: a.credit_code.clone(),
            firm: firm.to_string(),
            township: a.township.clone(),
            outlet: a.outlet.clone(),
            rule: a.rule.clone(),
            rule_zh: Rule::parse(&a.rule).map_or(a.rule.clone(), |r| r.name_zh().to_string()),
            rule_version: a.rule_version.clone(),
            code: a.code.clone(),
            start: a.start_label.clone(),
            end: a.end_label.clone(),
            hours: a.hours,
            minutes: a.minutes,
            max_value: a.max_value.clone(),
            limit_value: a.limit_value.clone(),
            state: a.state.clone(),
            state_zh: AlarmState::parse(&a.state)
                .map_or(a.state.clone(), |s| s.name_zh().to_string()),
            ticket_id: a.ticket_id,
            opened: shanghai_ms(a.opened_ms),
            updated: shanghai_ms(a.updated_ms),
            version: a.version,
            sample: a.sample != 0,
        }
    }
}

impl Table for AlarmView {
    fn columns() -> Vec<&'static str> {
        vec![
            "id",
            "firm",
            "credit_code",
            "township",
            "outlet",
            "rule_zh",
            "code",
            "start",
            "end",
            "hours",
            "max_value",
            "limit_value",
            "state_zh",
            "opened",
        ]
    }
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::from(self.id),
            Cell::text(self.firm.clone()),
            Cell::text(self.credit_code.clone()),
            Cell::text(self.township.clone()),
            Cell::text(self.outlet.clone()),
            Cell::text(self.rule_zh.clone()),
            Cell::text(self.code.clone()),
            Cell::text(self.start.clone()),
            Cell::text(self.end.clone()),
            Cell::from(self.hours),
            Cell::from(self.max_value.clone()),
            Cell::from(self.limit_value.clone()),
            Cell::text(self.state_zh.clone()),
            Cell::from(self.opened.clone()),
        ]
    }
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlarmQuery {
    /// A firm's credit code.
    pub firm: Option<String>,
    pub township: Option<String>,
    /// open, acknowledged, explained, closed, escalated
    pub state: Option<String>,
    /// Only alarms still to be dealt with.
    pub active: Option<bool>,
    pub rule: Option<String>,
    /// At most this many, newest first (1–5000; default 500).
    pub limit: Option<i64>,
    /// json (default), csv or xlsx
    pub format: Option<Format>,
}

/// Alarms the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/alarms", tag = "sources", params(AlarmQuery),
    responses(
        (status = 200, description = "Alarms", content((Vec<AlarmView> = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, description = "A query parameter outside its bounds or list (the message names it)"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "The public role, or a firm or township not the caller's"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn list(
    State(s): State<HttpState>,
    caller: Caller,
    Query(q): Query<AlarmQuery>,
) -> ApiResult<Response> {
    caller.may(
        Action::ReadAlarms,
        super::enterprises::own_object(&caller.scope),
    )?;
    if let Some(st) = q.state.as_deref().filter(|x| !x.is_empty())
        && AlarmState::parse(st).is_none()
    {
        return Err(ApiError::bad(format!(
            "state `{st}`: one of open, acknowledged, explained, closed, escalated"
        )));
    }
    if let Some(r) = q.rule.as_deref().filter(|x| !x.is_empty())
        && Rule::parse(r).is_none()
    {
        return Err(ApiError::bad(format!(
            "rule `{r}`: not a rule of source supervision"
        )));
    }
    let limit = crate::http::extract::within("limit", q.limit, 1, 5000)?.unwrap_or(500);
    let mut f = AlarmFilter {
        credit_code: q.firm.filter(|x| !x.is_empty()),
        township: q.township.filter(|x| !x.is_empty()),
        state: q.state.filter(|x| !x.is_empty()),
        active: q.active.unwrap_or(false),
        rule: q.rule.filter(|x| !x.is_empty()),
        limit,
    };
    // A scoped caller's list is of its own part; asking for another's is 403.
    match &caller.scope {
        Scope::Township(t) => {
            if f.township.as_ref().is_some_and(|x| x != t) {
                return Err(ApiError::Forbidden(format!("alarms of {t} only")));
            }
            f.township = Some(t.clone());
        }
        Scope::Enterprise(c) => {
            if f.credit_code.as_ref().is_some_and(|x| x != c) {
                return Err(ApiError::Forbidden("your own firm's alarms only".into()));
            }
            f.credit_code = Some(c.clone());
        }
        _ => {}
    }
    let names: std::collections::HashMap<String, String> =
        s.store.firm_names().await?.into_iter().collect();
    let rows: Vec<AlarmView> = s
        .store
        .alarms(&f)
        .await?
        .iter()
        .filter(|a| caller.may(Action::ReadAlarms, alarm_object(a)).is_ok())
        .map(|a| AlarmView::of(a, names.get(&a.credit_code).map_or("", String::as_str)))
        .collect();
    match q.format.unwrap_or_default() {
        Format::Json => Ok(json(&rows)),
        fmt => export::table(fmt, "alarms", &rows),
    }
}

/// A step of an alarm's history.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct StepView {
    pub at: Option<String>,
    pub actor: String,
    pub action: String,
    pub from: Option<String>,
    pub to: String,
    pub note: String,
}

/// An attachment of an alarm.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub at: Option<String>,
    pub actor: String,
}

/// One alarm: what was found (with the hours that prove it and the rule's
/// settings), what was done, and what this caller may do next.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AlarmDetail {
    #[serde(flatten)]
    pub alarm: AlarmView,
    /// The hours (or windows) that decided it.
    #[schema(value_type = Object)]
    pub evidence: serde_json::Value,
    /// The settings the rule was judged with.
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    pub history: Vec<StepView>,
    pub attachments: Vec<AttachmentView>,
    /// Actions this caller may take now.
    pub actions: Vec<String>,
}

fn who(role: Role) -> Option<Who> {
    match role {
        Role::Admin | Role::Bureau => Some(Who::Bureau),
        Role::Enterprise => Some(Who::Firm),
        _ => None,
    }
}

async fn one(s: &HttpState, id: i64) -> ApiResult<AlarmRow> {
    s.store
        .alarm(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no alarm {id}")))
}

async fn detail(s: &HttpState, caller: &Caller, a: AlarmRow) -> ApiResult<AlarmDetail> {
    let firm = s
        .store
        .firm(&a.credit_code)
        .await?
        .map(|f| f.firm.name)
        .unwrap_or_default();
    let state = AlarmState::parse(&a.state);
    let actions = match (state, who(caller.role)) {
        (Some(st), Some(w)) if caller.may(Action::ActOnAlarm, alarm_object(&a)).is_ok() => {
            alarm::TRANSITIONS
                .iter()
                .filter(|(f, _, by, _)| *f == st && *by == w)
                .map(|(_, step, ..)| step.as_str().to_string())
                .collect()
        }
        _ => Vec::new(),
    };
    let history = s
        .store
        .alarm_history(a.id)
        .await?
        .into_iter()
        .map(|h| StepView {
            at: shanghai_ms(h.at_ms),
            actor: h.actor,
            action: h.action,
            from: h.from_state,
            to: h.to_state,
            note: h.note,
        })
        .collect();
    let attachments = s
        .store
        .alarm_attachments(a.id)
        .await?
        .into_iter()
        .map(|x| AttachmentView {
            id: x.id,
            name: x.name,
            content_type: x.content_type,
            size: x.size,
            at: shanghai_ms(x.at_ms),
            actor: x.actor,
        })
        .collect();
    Ok(AlarmDetail {
        alarm: AlarmView::of(&a, &firm),
        evidence: serde_json::from_str(&a.evidence).unwrap_or_default(),
        settings: serde_json::from_str(&a.settings).unwrap_or_default(),
        history,
        attachments,
        actions,
    })
}

/// One alarm.
#[utoipa::path(get, path = "/api/v1/alarms/{id}", tag = "sources",
    params(("id" = i64, Path, description = "The alarm's id")),
    responses(
        (status = 200, description = "The alarm", body = AlarmDetail),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not this caller's firm or township"),
        (status = 404, description = "No such alarm"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn get(
    State(s): State<HttpState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let a = one(&s, id).await?;
    caller.may(Action::ReadAlarms, alarm_object(&a))?;
    Ok(json(&detail(&s, &caller, a).await?))
}

/// An action on an alarm.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct ActRequest {
    /// acknowledge, explain, return, close, escalate
    #[schema(value_type = String)]
    pub action: Step,
    /// Why (needed to explain, return or close; at most 2000 characters).
    #[serde(default)]
    pub note: String,
    /// The version read: a change made meanwhile is refused with 409.
    pub version: Option<i64>,
}

/// Act on an alarm by the lifecycle: the bureau acknowledges, returns an
/// explanation, closes or escalates it to a problem ticket (a note says
/// why; the ticket is opened as 发现 with the alarm as its source, for the
/// bureau to assign); the firm explains.
#[utoipa::path(post, path = "/api/v1/alarms/{id}/act", tag = "sources",
    params(("id" = i64, Path, description = "The alarm's id")),
    request_body = ActRequest,
    responses(
        (status = 200, description = "The alarm after the action", body = AlarmDetail),
        (status = 400, description = "Bad body, a note missing or too long, or an action the lifecycle does not allow from this state or for this party (the message says which)"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not the bureau or this alarm's firm, or missing X-CSRF-Token"),
        (status = 404, description = "No such alarm"),
        (status = 409, description = "Someone acted on it first; reload it"),
        (status = 415, description = "The body is not sent as application/json"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn act(
    State(s): State<HttpState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(req): Json<ActRequest>,
) -> ApiResult<Response> {
    let a = one(&s, id).await?;
    caller.may(Action::ActOnAlarm, alarm_object(&a))?;
    let who = who(caller.role).ok_or_else(|| {
        ApiError::Forbidden("acting on alarms is for the bureau and the firm itself".into())
    })?;
    let note = req.note.trim();
    if note.chars().count() > 2000 {
        return Err(ApiError::bad("note: at most 2000 characters"));
    }
    if note
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ApiError::bad("note: control characters are not allowed"));
    }
    if matches!(
        req.action,
        Step::Explain | Step::Return | Step::Close | Step::Escalate
    ) && note.is_empty()
    {
        return Err(ApiError::bad(format!(
            "note: `{}` needs a note saying why",
            req.action.as_str()
        )));
    }
    if let Some(v) = req.version
        && v != a.version
    {
        return Err(ApiError::Conflict(format!(
            "alarm {id} changed since you read it (version {}, not {v}); reload it",
            a.version
        )));
    }
    let from = AlarmState::parse(&a.state).ok_or(ApiError::Internal("unknown alarm state"))?;
    let to = alarm::next(from, req.action, who).map_err(ApiError::BadRequest)?;
    if req.action == Step::Escalate {
        // A ticket (发现) for the bureau to assign; the alarm moves to
        // `escalated` in the same transaction, pointing at it.
        let view = AlarmView::of(&a, "");
        let firm = s
            .store
            .firm(&a.credit_code)
            .await?
            .map(|f| f.firm.name)
            .unwrap_or_default();
        let ticket = super::tickets::NewTicketRequest {
            title: format!("污染源报警：{firm} {} {}", a.outlet, view.rule_zh),
            description: format!(
                "{}（{}）{} {} 至 {}，{} 小时；最大值 {}，限值 {}。{note}",
                firm,
                a.credit_code,
                a.code,
                a.start_label,
                a.end_label,
                a.hours,
                a.max_value.as_deref().unwrap_or("-"),
                a.limit_value.as_deref().unwrap_or("-"),
            ),
            source: Some("source_alarm".into()),
            source_ref: Some(format!("alarm:{id}")),
            severity: None,
            township: Some(a.township.clone()).filter(|t| !t.is_empty()),
            lon: None,
            lat: None,
            address: None,
            assign: None,
        };
        super::tickets::open(
            &s,
            &caller.user.username,
            ticket,
            Some((id, from.as_str().to_string())),
            a.sample != 0,
        )
        .await?;
        let a = one(&s, id).await?;
        return Ok(json(&detail(&s, &caller, a).await?));
    }
    s.store
        .move_alarm(
            &AlarmMove {
                id,
                from,
                action: req.action,
                to,
                ticket_id: None,
            },
            &caller.user.username,
            note,
        )
        .await?;
    let a = one(&s, id).await?;
    Ok(json(&detail(&s, &caller, a).await?))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttachQuery {
    /// The file's name as shown (stored as given, served as a download).
    pub name: String,
}

/// The type of a file from its first bytes: PDF, PNG or JPEG only.
pub fn sniff(body: &[u8]) -> Option<&'static str> {
    if body.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if body.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if body.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// Attach a file (PDF, PNG or JPEG, at most 2 MB; the type is read from
/// the bytes) to an alarm: the firm's proof with its explanation, or the
/// bureau's.
#[utoipa::path(post, path = "/api/v1/alarms/{id}/attachments", tag = "sources",
    params(("id" = i64, Path, description = "The alarm's id"), AttachQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file"),
    responses(
        (status = 200, description = "Stored", body = AttachmentView),
        (status = 400, description = "Empty, not a PDF, PNG or JPEG, over 2 MB, or a bad name"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not the bureau or this alarm's firm, or missing X-CSRF-Token"),
        (status = 404, description = "No such alarm"),
        (status = 413, description = "The body is larger than 2 MiB"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn attach(
    State(s): State<HttpState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<AttachQuery>,
    body: Bytes,
) -> ApiResult<Response> {
    let a = one(&s, id).await?;
    caller.may(Action::ActOnAlarm, alarm_object(&a))?;
    if body.is_empty() {
        return Err(ApiError::bad("the file is empty"));
    }
    if body.len() > MAX_ATTACHMENT {
        return Err(ApiError::bad(format!(
            "the file has {} bytes; at most {MAX_ATTACHMENT}",
            body.len()
        )));
    }
    let ct = sniff(&body).ok_or_else(|| {
        ApiError::bad(
            "the file is not a PDF, PNG or JPEG (its first bytes say so, whatever its name)",
        )
    })?;
    let at = s
        .store
        .attach_to_alarm(id, &q.name, ct, &body, &caller.user.username)
        .await?;
    let info = s
        .store
        .alarm_attachments(id)
        .await?
        .into_iter()
        .find(|x| x.id == at)
        .ok_or(ApiError::Internal("attachment not read back"))?;
    Ok(json(&AttachmentView {
        id: info.id,
        name: info.name,
        content_type: info.content_type,
        size: info.size,
        at: shanghai_ms(info.at_ms),
        actor: info.actor,
    }))
}

/// An attachment's bytes (a download, for those who may see its alarm).
#[utoipa::path(get, path = "/api/v1/alarms/attachments/{id}", tag = "sources",
    params(("id" = i64, Path, description = "The attachment's id")),
    responses(
        (status = 200, description = "The file as stored"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not this caller's firm or township"),
        (status = 404, description = "No such attachment"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn attachment(
    State(s): State<HttpState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let (info, body) = s
        .store
        .alarm_attachment(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no attachment {id}")))?;
    let a = one(&s, info.alarm_id).await?;
    caller.may(Action::ReadAlarms, alarm_object(&a))?;
    Ok(export::download(&info.content_type, &info.name, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_are_typed_by_their_bytes() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nIHDR"), Some("image/png"));
        assert_eq!(sniff(&[0xff, 0xd8, 0xff, 0xe0]), Some("image/jpeg"));
        assert_eq!(sniff(b"<html><script>"), None);
        assert_eq!(sniff(b"MZ\x90\0"), None, "an executable named .pdf");
    }
}
