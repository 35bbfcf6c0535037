//! Problem tickets (the closed loop): the list with its counts by state
//! (a scoped caller: those assigned to it, and for a township those that
//! lie in it), one ticket with its history, files and the actions this
//! caller may take, opening one (the bureau), acting on it by the machine
//! of `lantian_tickets::machine` (403 when the action is not this party's,
//! 409 when not from this state), files (typed by their bytes, kept by
//! hash), the SLA figures and each user's inbox.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, NaiveDateTime};
use lantian_store::tickets::{Changes, NewTicket, Notice, TicketFilter, TicketMove, TicketRow};
use lantian_tickets::category;
use lantian_tickets::machine::{
    self, Action as Step, Finding, Party, Refused, State as TicketState,
};
use lantian_tickets::rules::{Severity, Source, Step as Ladder};
use lantian_tickets::sla;
use lantian_types::time::{shanghai_ms, utc_seconds};
use lantian_types::{Role, Scope};

use super::alarms::{MAX_ATTACHMENT, sniff};
use super::json;
use crate::http::HttpState;
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::export::{self, Cell, Format, Table};
use crate::http::extract::{Json, Query, line, multiline, optional_line};
use crate::policy::{Action, Object};

/// Now (ms).
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The object a caller reads a ticket as.
pub fn read_object(t: &TicketRow) -> Object<'_> {
    Object::Ticket {
        assignee: t.assignee.as_deref(),
        located: t.township.as_deref(),
    }
}

fn act_object(t: &TicketRow) -> Object<'_> {
    Object::Ticket {
        assignee: t.assignee.as_deref(),
        located: None,
    }
}

/// The ticket as lists show it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TicketView {
    pub id: i64,
    pub title: String,
    pub description: String,
    /// manual, public_report, source_alarm, alert_violation, fire_point, station_hotspot, ledger_task
    pub source: String,
    pub source_zh: String,
    /// The source object (`alarm:12`, …).
    pub source_ref: Option<String>,
    pub category: Option<String>,
    pub category_zh: Option<String>,
    /// urgent, serious, ordinary
    pub severity: String,
    pub severity_zh: String,
    /// new, assigned, rectifying, reviewing, closed, unfounded
    pub state: String,
    pub state_zh: String,
    /// township:NAME, department:NAME or enterprise:CREDIT_CODE
    pub assignee: Option<String>,
    pub township: Option<String>,
    pub lon: Option<String>,
    pub lat: Option<String>,
    pub address: Option<String>,
    /// real or unfounded, once verified
    pub finding: Option<String>,
    pub due: Option<String>,
    /// Past its due time while the assignee still owes an answer.
    pub overdue: bool,
    /// The highest escalation step fired: remind, urge, yellow, red.
    pub escalation: Option<String>,
    pub escalation_zh: Option<String>,
    pub extensions: i64,
    pub created: Option<String>,
    pub updated: Option<String>,
    pub ended: Option<String>,
    pub version: i64,
    pub sample: bool,
}

impl TicketView {
    pub fn of(t: &TicketRow, now: i64) -> Self {
        let state = TicketState::parse(&t.state);
        TicketView {
            id: t.id,
            title: t.title.clone(),
            description: t.description.clone(),
            source: t.source.clone(),
            source_zh: Source::parse(&t.source).map_or(t.source.clone(), |s| s.name_zh().into()),
            source_ref: t.source_ref.clone(),
            category: t.category.clone(),
            category_zh: t
                .category
                .as_deref()
                .and_then(category::category)
                .map(|c| c.1.to_string()),
            severity: t.severity.clone(),
            severity_zh: Severity::parse(&t.severity)
                .map_or(t.severity.clone(), |s| s.name_zh().into()),
            state: t.state.clone(),
            state_zh: state.map_or(t.state.clone(), |s| s.name_zh().into()),
            assignee: t.assignee.clone(),
            township: t.township.clone(),
            lon: t.lon.clone(),
            lat: t.lat.clone(),
            address: t.address.clone(),
            finding: t.finding.clone(),
            due: t.due_ms.and_then(shanghai_ms),
            overdue: state.is_some_and(TicketState::owes_answer)
                && t.due_ms.is_some_and(|d| d < now),
            escalation: t.escalation.clone(),
            escalation_zh: t
                .escalation
                .as_deref()
                .and_then(Ladder::parse)
                .map(|s| s.name_zh().to_string()),
            extensions: t.extensions,
            created: shanghai_ms(t.created_ms),
            updated: shanghai_ms(t.updated_ms),
            ended: t.ended_ms.and_then(shanghai_ms),
            version: t.version,
            sample: t.sample != 0,
        }
    }
}

impl Table for TicketView {
    fn columns() -> Vec<&'static str> {
        vec![
            "id",
            "title",
            "source_zh",
            "severity_zh",
            "state_zh",
            "assignee",
            "township",
            "due",
            "overdue",
            "escalation_zh",
            "created",
            "ended",
        ]
    }
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::from(self.id),
            Cell::text(self.title.clone()),
            Cell::text(self.source_zh.clone()),
            Cell::text(self.severity_zh.clone()),
            Cell::text(self.state_zh.clone()),
            Cell::from(self.assignee.clone()),
            Cell::from(self.township.clone()),
            Cell::from(self.due.clone()),
            Cell::text(if self.overdue { "超期" } else { "" }),
            Cell::from(self.escalation_zh.clone()),
            Cell::from(self.created.clone()),
            Cell::from(self.ended.clone()),
        ]
    }
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketQuery {
    /// new, assigned, rectifying, reviewing, closed, unfounded
    pub state: Option<String>,
    /// manual, public_report, source_alarm, alert_violation, fire_point, station_hotspot, ledger_task
    pub source: Option<String>,
    /// township:NAME, department:NAME or enterprise:CREDIT_CODE
    pub assignee: Option<String>,
    /// Only those past their due time.
    pub overdue: Option<bool>,
    pub township: Option<String>,
    /// Opened on or after this day (YYYY-MM-DD, Beijing).
    pub from: Option<String>,
    /// Opened on or before this day.
    pub to: Option<String>,
    /// At most this many, newest first (1–5000; default 500).
    pub limit: Option<i64>,
    /// json (default), csv or xlsx
    pub format: Option<Format>,
}

/// A list of tickets with the counts by state of all the caller may see
/// under the filter.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TicketList {
    pub counts: BTreeMap<String, i64>,
    pub overdue: i64,
    pub tickets: Vec<TicketView>,
    pub label: Option<String>,
}

fn day_ms(name: &str, v: &str) -> ApiResult<i64> {
    let d = NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::bad(format!("query `{name}={v}`: a day as YYYY-MM-DD")))?;
    Ok(utc_seconds(d.and_hms_opt(0, 0, 0).unwrap_or_default()) * 1000)
}

/// A due time: `YYYY-MM-DD` (23:59 of that day, Beijing) or
/// `YYYY-MM-DD HH:MM` / `YYYY-MM-DDTHH:MM[:SS]` (Beijing).
pub fn due_ms(v: &str) -> ApiResult<i64> {
    let v = v.trim();
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return Ok(utc_seconds(d.and_hms_opt(23, 59, 0).unwrap_or_default()) * 1000);
    }
    for f in [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(v, f) {
            return Ok(utc_seconds(t) * 1000);
        }
    }
    Err(ApiError::bad(format!(
        "due `{v}`: YYYY-MM-DD or YYYY-MM-DD HH:MM (Beijing time)"
    )))
}

fn filter_of(caller: &Caller, q: &TicketQuery) -> ApiResult<TicketFilter> {
    let nonempty = |x: &Option<String>| x.clone().filter(|s| !s.trim().is_empty());
    if let Some(st) = nonempty(&q.state)
        && TicketState::parse(&st).is_none()
    {
        return Err(ApiError::bad(format!(
            "query `state={st}`: one of new, assigned, rectifying, reviewing, closed, unfounded"
        )));
    }
    if let Some(src) = nonempty(&q.source)
        && Source::parse(&src).is_none()
    {
        return Err(ApiError::bad(format!(
            "query `source={src}`: one of manual, public_report, source_alarm, alert_violation, fire_point, station_hotspot, ledger_task"
        )));
    }
    let limit = crate::http::extract::within("limit", q.limit, 1, 5000)?.unwrap_or(500);
    let from_ms = nonempty(&q.from).map(|v| day_ms("from", &v)).transpose()?;
    let to_ms = nonempty(&q.to)
        .map(|v| day_ms("to", &v).map(|x| x + 86_400_000))
        .transpose()?;
    if let (Some(a), Some(b)) = (from_ms, to_ms)
        && a >= b
    {
        return Err(ApiError::bad("query `from` is after `to`"));
    }
    let visible_to = match &caller.scope {
        Scope::County => None,
        s @ (Scope::Department(_) | Scope::Enterprise(_)) => Some((s.to_string(), None)),
        s @ Scope::Township(t) => Some((s.to_string(), Some(t.clone()))),
        Scope::Public | Scope::Stations(_) => {
            return Err(ApiError::Forbidden(
                "tickets are for the bureau and their assignees".into(),
            ));
        }
    };
    Ok(TicketFilter {
        state: nonempty(&q.state),
        source: nonempty(&q.source),
        assignee: nonempty(&q.assignee),
        township: nonempty(&q.township),
        overdue_at: q.overdue.unwrap_or(false).then(now_ms),
        from_ms,
        to_ms,
        visible_to,
        limit,
    })
}

/// Tickets the caller may see, newest first, with counts by state.
#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", params(TicketQuery),
    responses(
        (status = 200, description = "Tickets", content((TicketList = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, description = "A query parameter outside its bounds or list (the message names it)"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "The public role"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn list(
    State(s): State<HttpState>,
    caller: Caller,
    Query(q): Query<TicketQuery>,
) -> ApiResult<Response> {
    let own = caller.scope.to_string();
    let located = match &caller.scope {
        Scope::Township(t) => Some(t.as_str()),
        _ => None,
    };
    caller.may(
        Action::ReadTickets,
        Object::Ticket {
            assignee: Some(&own),
            located,
        },
    )?;
    let f = filter_of(&caller, &q)?;
    let now = now_ms();
    let rows: Vec<TicketView> = s
        .store
        .tickets(&f)
        .await?
        .iter()
        .filter(|t| caller.may(Action::ReadTickets, read_object(t)).is_ok())
        .map(|t| TicketView::of(t, now))
        .collect();
    match q.format.unwrap_or_default() {
        Format::Json => {
            let counts = s.store.ticket_counts(&f).await?.into_iter().collect();
            let overdue = s
                .store
                .ticket_counts(&TicketFilter {
                    overdue_at: Some(now),
                    ..f.clone()
                })
                .await?
                .iter()
                .map(|(_, n)| n)
                .sum();
            Ok(json(&TicketList {
                counts,
                overdue,
                tickets: rows,
                label: s.label.clone(),
            }))
        }
        fmt => export::table(fmt, "tickets", &rows),
    }
}

/// A step of a ticket's history (its creation included).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct HistoryView {
    pub by: String,
    pub at: Option<String>,
    pub action: String,
    pub action_zh: String,
    pub from: Option<String>,
    pub to: String,
    pub note: String,
    /// What the step set (assignee, due, result, …).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// A file of a ticket.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct FileView {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    /// before, after or document
    pub kind: String,
    pub sha256: String,
    pub at: Option<String>,
    pub by: String,
}

/// A public reporter's contact (admin and bureau users only).
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Contact {
    pub name: Option<String>,
    pub phone: Option<String>,
}

/// One ticket: what it is, what was done, the files, and what this caller
/// may do next.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TicketDetail {
    #[serde(flatten)]
    pub ticket: TicketView,
    pub history: Vec<HistoryView>,
    pub attachments: Vec<FileView>,
    /// Actions this caller may take now.
    pub actions: Vec<String>,
    /// The reporter's contact (only for admin and bureau users, and only
    /// when the reporter left one).
    pub contact: Option<Contact>,
    /// The public tracking code of a report (admin and bureau users).
    pub tracking_code: Option<String>,
    pub label: Option<String>,
}

/// Which party a caller is on a ticket, if any.
fn party(caller: &Caller, t: &TicketRow) -> Option<Party> {
    match caller.role {
        Role::Admin | Role::Bureau => Some(Party::Bureau),
        _ if caller.may(Action::ActOnTicket, act_object(t)).is_ok() => Some(Party::Assignee),
        _ => None,
    }
}

fn step_zh(action: &str) -> String {
    if action == "create" {
        return "发现".into();
    }
    Step::parse(action)
        .map(|a| a.name_zh().to_string())
        .or_else(|| Ladder::parse(action).map(|l| l.name_zh().to_string()))
        .unwrap_or_else(|| action.to_string())
}

async fn one(s: &HttpState, id: i64) -> ApiResult<TicketRow> {
    s.store
        .ticket(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no ticket {id}")))
}

async fn detail(s: &HttpState, caller: &Caller, t: TicketRow) -> ApiResult<TicketDetail> {
    let actions = match (TicketState::parse(&t.state), party(caller, &t)) {
        (Some(st), Some(p)) => machine::actions_for(st, p)
            .into_iter()
            .map(|a| a.as_str().to_string())
            .collect(),
        _ => Vec::new(),
    };
    let history = s
        .store
        .ticket_history(t.id)
        .await?
        .into_iter()
        .map(|h| HistoryView {
            action_zh: step_zh(&h.action),
            by: h.actor,
            at: shanghai_ms(h.at_ms),
            action: h.action,
            from: h.from_state,
            to: h.to_state,
            note: h.note,
            detail: serde_json::from_str(&h.detail).unwrap_or_default(),
        })
        .collect();
    let attachments = s
        .store
        .ticket_files(t.id)
        .await?
        .into_iter()
        .map(|f| FileView {
            id: f.id,
            name: f.name,
            content_type: f.content_type,
            size: f.size,
            kind: f.kind,
            sha256: f.sha256,
            at: shanghai_ms(f.at_ms),
            by: f.actor,
        })
        .collect();
    let reporter = caller.may(Action::ReadReporter, read_object(&t)).is_ok();
    let contact = match (reporter, s.master.as_ref()) {
        (true, Some(master)) => s
            .store
            .reporter_contact(t.id)
            .await?
            .and_then(|sealed| crate::keys::open_text(master, &sealed))
            .and_then(|text| serde_json::from_str(&text).ok()),
        _ => None,
    };
    Ok(TicketDetail {
        ticket: TicketView::of(&t, now_ms()),
        history,
        attachments,
        actions,
        contact,
        tracking_code: if reporter {
            t.tracking_code.clone()
        } else {
            None
        },
        label: s.label.clone(),
    })
}

/// One ticket.
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets",
    params(("id" = i64, Path, description = "The ticket's id")),
    responses(
        (status = 200, description = "The ticket with its history", body = TicketDetail),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not assigned to the caller (nor in its township)"),
        (status = 404, description = "No such ticket"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn get(
    State(s): State<HttpState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let t = one(&s, id).await?;
    caller.may(Action::ReadTickets, read_object(&t))?;
    Ok(json(&detail(&s, &caller, t).await?))
}

/// An assignment given when a ticket is opened.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct AssignTo {
    /// township:NAME, department:NAME or enterprise:CREDIT_CODE
    pub to: String,
    /// YYYY-MM-DD or YYYY-MM-DD HH:MM, Beijing (default: by the rules)
    pub due: Option<String>,
}

/// A ticket the bureau opens.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicketRequest {
    pub title: String,
    pub description: String,
    /// manual (default), source_alarm, alert_violation, fire_point, station_hotspot, ledger_task
    pub source: Option<String>,
    /// The source object (`alarm:12`, a fire point's id, a station code).
    pub source_ref: Option<String>,
    /// urgent, serious, ordinary (default: the rules' for the source)
    pub severity: Option<String>,
    pub township: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub address: Option<String>,
    /// Assign it at once.
    pub assign: Option<AssignTo>,
}

/// Checks an assignee: a township or firm must be registered; a
/// department must have a user (until the ledger's list of departments
/// exists, a department nobody can log in for could never act).
async fn assignee(s: &HttpState, to: &str) -> ApiResult<Scope> {
    let a = lantian_tickets::assignee::parse(to).map_err(ApiError::BadRequest)?;
    match &a {
        Scope::Department(d) => {
            let users = s.store.users().await?;
            if !users.iter().any(|u| {
                u.role == "department" && u.scope.as_deref() == Some(d.as_str()) && !u.disabled
            }) {
                return Err(ApiError::bad(format!(
                    "assignee `{to}`: department {d} has no user to act on it (add one: lantian user add NAME --role department --scope {d})"
                )));
            }
        }
        Scope::Township(t) => {
            let known = s.store.townships().await?;
            if !known.is_empty() && !known.iter().any(|k| &k.name == t) {
                return Err(ApiError::bad(format!(
                    "assignee `{to}`: no township {t} is registered"
                )));
            }
        }
        Scope::Enterprise(c) if s.store.firm(c).await?.is_none() => {
            return Err(ApiError::bad(format!(
                "assignee `{to}`: no firm {c} is registered"
            )));
        }
        _ => {}
    }
    Ok(a)
}

/// The notice an assignee gets of an assignment.
fn assigned_notice(to: &Scope, id: &str, title: &str, due: i64) -> Notice {
    Notice {
        to: to.to_string(),
        kind: "assigned".into(),
        text: format!(
            "工单 #{id} 已交办：{title}，请于 {} 前办结",
            lantian_types::time::shanghai_minute(due)
        ),
    }
}

/// Opens a ticket (the bureau), assigned at once when `assign` is given.
pub async fn open(
    s: &HttpState,
    actor: &str,
    req: NewTicketRequest,
    escalates_alarm: Option<(i64, String)>,
    sample: bool,
) -> ApiResult<i64> {
    open_linked(s, actor, req, escalates_alarm, None, sample).await
}

/// As [`open`], also verifying a fire point in the ticket's transaction
/// (`verifies_fire`: the point, straw or other, the note).
pub async fn open_linked(
    s: &HttpState,
    actor: &str,
    req: NewTicketRequest,
    escalates_alarm: Option<(i64, String)>,
    verifies_fire: Option<(i64, String, String)>,
    sample: bool,
) -> ApiResult<i64> {
    let title = line(&req.title, "title", 120)?;
    if title.is_empty() {
        return Err(ApiError::bad("title: empty"));
    }
    let description = multiline(&req.description, "description", 4000)?;
    let source = match req.source.as_deref().filter(|x| !x.is_empty()) {
        None => Source::Manual,
        Some(x) => match Source::parse(x) {
            Some(Source::PublicReport) => {
                return Err(ApiError::bad(
                    "source `public_report`: reports come through POST /api/v1/public/reports",
                ));
            }
            Some(src) => src,
            None => {
                return Err(ApiError::bad(format!(
                    "source `{x}`: one of manual, source_alarm, alert_violation, fire_point, station_hotspot, ledger_task"
                )));
            }
        },
    };
    let severity = match req.severity.as_deref().filter(|x| !x.is_empty()) {
        None => s.ticket_rules.default_severity(source),
        Some(x) => Severity::parse(x)
            .ok_or_else(|| ApiError::bad(format!("severity `{x}`: urgent, serious or ordinary")))?,
    };
    lantian_types::text::lon_lat(req.lon, req.lat).map_err(ApiError::BadRequest)?;
    let mut township = optional_line(req.township.as_deref(), "township", 40)?;
    if let Some(t) = &township {
        let known = s.store.townships().await?;
        if !known.is_empty() && !known.iter().any(|k| &k.name == t) {
            return Err(ApiError::bad(format!(
                "township `{t}`: not a registered township"
            )));
        }
    }
    // Placed by its position when no township is written.
    if let (None, Some(lon), Some(lat)) = (&township, req.lon, req.lat) {
        township = super::fires::township_at(s, lon, lat).await?;
    }
    let now = now_ms();
    let assign = match &req.assign {
        None => None,
        Some(a) => {
            let to = assignee(s, &a.to).await?;
            let due = match a.due.as_deref().filter(|x| !x.is_empty()) {
                Some(d) => due_ms(d)?,
                None => s.ticket_rules.due_ms(now, source, severity),
            };
            if due <= now {
                return Err(ApiError::bad("assign.due: the due time has passed"));
            }
            if let Scope::Township(t) = &to {
                township.get_or_insert_with(|| t.clone());
            }
            Some((to, due))
        }
    };
    // `{id}` is the new ticket's id (the store fills it in).
    let notices: Vec<Notice> = assign
        .iter()
        .map(|(to, due)| assigned_notice(to, "{id}", &title, *due))
        .collect();
    let t = NewTicket {
        title,
        description,
        source: source.as_str().into(),
        source_ref: optional_line(req.source_ref.as_deref(), "source_ref", 80)?,
        category: None,
        severity: severity.as_str().into(),
        township,
        lon: req.lon.map(|x| x.to_string()),
        lat: req.lat.map(|x| x.to_string()),
        address: optional_line(req.address.as_deref(), "address", 200)?,
        assign: assign.map(|(to, due)| (to.to_string(), due)),
        tracking_code: None,
        sealed_contact: None,
        escalates_alarm,
        verifies_fire,
        // The ledger's escalations are opened by its job in the store.
        escalates_task: None,
        sample,
    };
    Ok(s.store.create_ticket(&t, actor, now, &notices).await?)
}

/// Open a ticket (the bureau): a problem found by inspection, a station's
/// hot spot, …; assigned at once when `assign` is given (its due time by
/// the rules for the source and severity unless given).
#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets",
    request_body = NewTicketRequest,
    responses(
        (status = 201, description = "Opened", body = TicketDetail),
        (status = 400, description = "A field missing, too long, out of range or unknown (the message names it)"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not the bureau, or missing X-CSRF-Token"),
        (status = 415, description = "The body is not sent as application/json"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn create(
    State(s): State<HttpState>,
    caller: Caller,
    Json(req): Json<NewTicketRequest>,
) -> ApiResult<Response> {
    caller.may(Action::ManageTickets, Object::County)?;
    let id = open(&s, &caller.user.username, req, None, false).await?;
    let t = one(&s, id).await?;
    Ok((StatusCode::CREATED, json(&detail(&s, &caller, t).await?)).into_response())
}

/// An action on a ticket.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// assign, verify, feedback, accept, return, comment, reassign, extend
    pub action: String,
    /// assign, reassign: township:NAME, department:NAME or enterprise:CREDIT_CODE
    pub to: Option<String>,
    /// assign, reassign (optional), extend (required): YYYY-MM-DD or YYYY-MM-DD HH:MM, Beijing
    pub due: Option<String>,
    /// verify: real or unfounded
    #[schema(value_type = Option<String>)]
    pub result: Option<Finding>,
    /// The text: feedback's account, return's and extend's reason, a
    /// comment, verify's findings, accept's answer (shown to a public
    /// reporter). At most 4000 characters.
    #[serde(default, alias = "text", alias = "reason")]
    pub note: String,
    /// The version read: a change made meanwhile is refused with 409.
    pub version: Option<i64>,
}

/// Act on a ticket by the machine: the bureau assigns, reassigns, extends,
/// accepts and returns; the assignee verifies and gives feedback; both
/// comment. Answers the ticket with its new `state`.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/actions", tag = "tickets",
    params(("id" = i64, Path, description = "The ticket's id")),
    request_body = ActionRequest,
    responses(
        (status = 200, description = "The ticket after the action", body = TicketDetail),
        (status = 400, description = "Bad body: an unknown action, a field missing or bad (the message names it)"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not this ticket's assignee or the bureau, the action is the other party's, or missing X-CSRF-Token"),
        (status = 404, description = "No such ticket"),
        (status = 409, description = "Not allowed from the ticket's state, or someone acted on it first (the message says which)"),
        (status = 415, description = "The body is not sent as application/json"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn act(
    State(s): State<HttpState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(req): Json<ActionRequest>,
) -> ApiResult<Response> {
    let t = one(&s, id).await?;
    caller.may(Action::ReadTickets, read_object(&t))?;
    let action = Step::parse(req.action.trim()).ok_or_else(|| {
        ApiError::bad(format!(
            "action `{}`: one of assign, verify, feedback, accept, return, comment, reassign, extend",
            req.action
        ))
    })?;
    let party = party(&caller, &t).ok_or_else(|| {
        ApiError::Forbidden(format!(
            "ticket {id} is not assigned to {}; you may read it, not act on it",
            caller.scope
        ))
    })?;
    let from = TicketState::parse(&t.state).ok_or(ApiError::Internal("unknown ticket state"))?;
    let finding_now = match t.finding.as_deref() {
        Some("real") => Some(Finding::Real),
        Some("unfounded") => Some(Finding::Unfounded),
        _ => None,
    };
    let finding = if action == Step::Verify {
        req.result
    } else {
        finding_now
    };
    let to = machine::next(from, action, party, finding).map_err(|r| match r {
        Refused::NotYours(m) => ApiError::Forbidden(m),
        Refused::NotNow(m) if action == Step::Verify && req.result.is_none() => {
            ApiError::BadRequest(m)
        }
        Refused::NotNow(m) => ApiError::Conflict(m),
    })?;
    let note = multiline(&req.note, "note", 4000)?;
    let needs_note = matches!(
        action,
        Step::Feedback | Step::Return | Step::Comment | Step::Extend | Step::Verify
    );
    if needs_note && note.is_empty() {
        return Err(ApiError::bad(format!(
            "note: `{}` needs a text saying what was found, done or why",
            action.as_str()
        )));
    }
    let now = now_ms();
    let mut changes = Changes::default();
    let mut notices = Vec::new();
    let mut detail_json = serde_json::Map::new();
    match action {
        Step::Assign | Step::Reassign => {
            let to_s = req.to.as_deref().filter(|x| !x.is_empty()).ok_or_else(|| {
                ApiError::bad(format!("to: `{}` needs an assignee (township:NAME, department:NAME or enterprise:CREDIT_CODE)", action.as_str()))
            })?;
            let who = assignee(&s, to_s).await?;
            if action == Step::Reassign && t.assignee.as_deref() == Some(who.to_string().as_str()) {
                return Err(ApiError::bad(format!(
                    "to: ticket {id} is already assigned to {who}"
                )));
            }
            let source = Source::parse(&t.source).unwrap_or(Source::Manual);
            let severity = Severity::parse(&t.severity).unwrap_or(Severity::Ordinary);
            let due = match req.due.as_deref().filter(|x| !x.is_empty()) {
                Some(d) => Some(due_ms(d)?),
                None if action == Step::Assign => {
                    Some(s.ticket_rules.due_ms(now, source, severity))
                }
                None => None,
            };
            if due.is_some_and(|d| d <= now) {
                return Err(ApiError::bad("due: the due time has passed"));
            }
            if let Scope::Township(name) = &who {
                changes.township = Some(name.clone());
            }
            let shown_due = due.or(t.due_ms).unwrap_or(now);
            notices.push(assigned_notice(&who, &id.to_string(), &t.title, shown_due));
            detail_json.insert("assignee".into(), who.to_string().into());
            if let Some(d) = due {
                detail_json.insert("due".into(), shanghai_ms(d).unwrap_or_default().into());
                changes.clock_ms = Some(now);
            }
            changes.assignee = Some(who.to_string());
            changes.due_ms = due;
        }
        Step::Extend => {
            let d = req
                .due
                .as_deref()
                .filter(|x| !x.is_empty())
                .ok_or_else(|| ApiError::bad("due: `extend` needs the new due time"))
                .and_then(due_ms)?;
            let current = t.due_ms.unwrap_or(now);
            s.ticket_rules
                .check_extension(u32::try_from(t.extensions).unwrap_or(u32::MAX), current, d)
                .map_err(ApiError::Conflict)?;
            changes.due_ms = Some(d);
            changes.extended = true;
            detail_json.insert("due".into(), shanghai_ms(d).unwrap_or_default().into());
            detail_json.insert("approved_by".into(), caller.user.username.clone().into());
            if let Some(a) = &t.assignee {
                notices.push(Notice {
                    to: a.clone(),
                    kind: "extended".into(),
                    text: format!(
                        "工单 #{id} 已延期至 {}：{note}",
                        shanghai_ms(d).unwrap_or_default()
                    ),
                });
            }
        }
        Step::Verify => {
            changes.finding = req.result;
            detail_json.insert(
                "result".into(),
                match req.result {
                    Some(Finding::Unfounded) => "unfounded",
                    _ => "real",
                }
                .into(),
            );
            if to == TicketState::Reviewing {
                notices.push(Notice {
                    to: "bureau".into(),
                    kind: "feedback".into(),
                    text: format!("工单 #{id} 核查为不属实，待复核：{}", t.title),
                });
            }
        }
        Step::Feedback => notices.push(Notice {
            to: "bureau".into(),
            kind: "feedback".into(),
            text: format!("工单 #{id} 已反馈整改情况，待复核：{}", t.title),
        }),
        Step::Return => {
            changes.finding = Some(Finding::Real);
            if let Some(a) = &t.assignee {
                notices.push(Notice {
                    to: a.clone(),
                    kind: "returned".into(),
                    text: format!("工单 #{id} 被退回重办：{note}"),
                });
            }
        }
        Step::Accept => {
            changes.ends = true;
            if let Some(a) = &t.assignee {
                notices.push(Notice {
                    to: a.clone(),
                    kind: "closed".into(),
                    text: format!("工单 #{id} {}：{}", to.name_zh(), t.title),
                });
            }
        }
        Step::Comment => {}
    }
    if let Some(v) = req.version
        && v != t.version
    {
        return Err(ApiError::Conflict(format!(
            "ticket {id} changed since you read it (version {}, not {v}); reload it",
            t.version
        )));
    }
    s.store
        .move_ticket(
            &TicketMove {
                id,
                from,
                action,
                to,
                version: Some(t.version),
                changes,
                detail: serde_json::Value::Object(detail_json).to_string(),
            },
            &caller.user.username,
            &note,
            now,
            &notices,
        )
        .await?;
    let t = one(&s, id).await?;
    Ok(json(&detail(&s, &caller, t).await?))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    /// The file's name as shown (a label: the file is kept by its hash).
    pub name: String,
    /// before (photo before), after (photo after) or document (default)
    pub kind: Option<String>,
}

/// A file's label: the last part of what the client called it (no path),
/// or 附件 when it gave none.
pub fn label_of(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if last.is_empty() || last == "." || last == ".." {
        "附件".to_string()
    } else {
        last.to_string()
    }
}

/// Checks a file: not empty, at most the limit, a PDF, PNG or JPEG by its bytes.
pub fn check_file(body: &[u8]) -> ApiResult<&'static str> {
    if body.is_empty() {
        return Err(ApiError::bad("the file is empty"));
    }
    if body.len() > MAX_ATTACHMENT {
        return Err(ApiError::bad(format!(
            "the file has {} bytes; at most {MAX_ATTACHMENT}",
            body.len()
        )));
    }
    sniff(body).ok_or_else(|| {
        ApiError::bad(
            "the file is not a PDF, PNG or JPEG (its first bytes say so, whatever its name)",
        )
    })
}

/// Attach a file (PDF, PNG or JPEG, at most 2 MB, typed by its bytes):
/// photos before and after, documents. The bureau and the assignee only.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/attachments", tag = "tickets",
    params(("id" = i64, Path, description = "The ticket's id"), FileQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file"),
    responses(
        (status = 200, description = "Stored", body = FileView),
        (status = 400, description = "Empty, not a PDF, PNG or JPEG, over 2 MB, a bad name or kind"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not the bureau or this ticket's assignee, or missing X-CSRF-Token"),
        (status = 404, description = "No such ticket"),
        (status = 409, description = "The ticket is closed"),
        (status = 413, description = "The body is larger than 2 MiB"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn attach(
    State(s): State<HttpState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<FileQuery>,
    body: Bytes,
) -> ApiResult<Response> {
    let t = one(&s, id).await?;
    caller.may(Action::ReadTickets, read_object(&t))?;
    if party(&caller, &t).is_none() {
        return Err(ApiError::Forbidden(format!(
            "ticket {id} is not assigned to {}",
            caller.scope
        )));
    }
    if TicketState::parse(&t.state).is_some_and(TicketState::is_final) {
        return Err(ApiError::Conflict(format!(
            "ticket {id} is {}; no more files",
            t.state
        )));
    }
    let kind = q
        .kind
        .as_deref()
        .filter(|k| !k.is_empty())
        .unwrap_or("document");
    if !matches!(kind, "before" | "after" | "document") {
        return Err(ApiError::bad(format!(
            "query `kind={kind}`: before, after or document"
        )));
    }
    let ct = check_file(&body)?;
    let at = s
        .store
        .attach_to_ticket(
            id,
            &q.name,
            ct,
            kind,
            &body,
            &caller.user.username,
            now_ms(),
        )
        .await?;
    let f = s
        .store
        .ticket_files(id)
        .await?
        .into_iter()
        .find(|x| x.id == at)
        .ok_or(ApiError::Internal("attachment not read back"))?;
    Ok(json(&FileView {
        id: f.id,
        name: f.name,
        content_type: f.content_type,
        size: f.size,
        kind: f.kind,
        sha256: f.sha256,
        at: shanghai_ms(f.at_ms),
        by: f.actor,
    }))
}

/// A file's bytes (for those who may see its ticket).
#[utoipa::path(get, path = "/api/v1/tickets/attachments/{id}", tag = "tickets",
    params(("id" = i64, Path, description = "The attachment's id")),
    responses(
        (status = 200, description = "The file as stored"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not this caller's ticket"),
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
        .ticket_file(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no attachment {id}")))?;
    let t = one(&s, info.ticket_id).await?;
    caller.may(Action::ReadTickets, read_object(&t))?;
    Ok(export::download(&info.content_type, &info.name, body))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlaQuery {
    /// Only this month (YYYY-MM, Beijing).
    pub month: Option<String>,
}

/// One assignee's figures in one month.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SlaView {
    pub assignee: String,
    pub month: String,
    /// Tickets whose due time fell in the month.
    pub due: u32,
    /// Of those, ended (closed or unfounded) by their due time.
    pub on_time: u32,
    /// on_time / due, exact, 4 places (none when nothing fell due).
    pub on_time_rate: Option<String>,
    /// Tickets that ended in the month.
    pub closed: u32,
    /// Their mean time from opening to the end, hours (0.1 h).
    pub mean_hours_to_close: Option<String>,
    /// The bureau's returns in the month.
    pub returns: u32,
    /// Tickets due in the month, still open and past their due time now.
    pub overdue_open: u32,
}

/// SLA figures per assignee and month (按期办结率, mean time to close,
/// returns): the bureau all; an assignee its own.
#[utoipa::path(get, path = "/api/v1/tickets/sla", tag = "tickets", params(SlaQuery),
    responses(
        (status = 200, description = "Figures by assignee and month", body = Vec<SlaView>),
        (status = 400, description = "A bad month"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "The public role"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn sla(
    State(s): State<HttpState>,
    caller: Caller,
    Query(q): Query<SlaQuery>,
) -> ApiResult<Response> {
    let own = caller.scope.to_string();
    caller.may(
        Action::ReadTickets,
        Object::Ticket {
            assignee: Some(&own),
            located: None,
        },
    )?;
    if let Some(m) = q.month.as_deref().filter(|m| !m.is_empty())
        && (m.len() != 7 || NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").is_err())
    {
        return Err(ApiError::bad(format!("query `month={m}`: YYYY-MM")));
    }
    let facts: Vec<sla::Facts> = s
        .store
        .ticket_facts()
        .await?
        .into_iter()
        .filter(|f| caller.scope == Scope::County || f.assignee == own)
        .map(|f| sla::Facts {
            reviewing: f.state == "reviewing",
            assignee: f.assignee,
            created_ms: f.created_ms,
            due_ms: f.due_ms,
            ended_ms: f.ended_ms,
            answered_ms: f.answered_ms,
            returns_ms: f.returns_ms,
        })
        .collect();
    let rows: Vec<SlaView> = sla::figures(&facts, now_ms())
        .into_iter()
        .filter(|f| {
            q.month
                .as_deref()
                .is_none_or(|m| m.is_empty() || f.month == m)
        })
        .map(|f| SlaView {
            assignee: f.assignee,
            month: f.month,
            due: f.due,
            on_time: f.on_time,
            on_time_rate: f.on_time_rate.map(|d| d.to_string()),
            closed: f.closed,
            mean_hours_to_close: f.mean_hours_to_close.map(|d| d.to_string()),
            returns: f.returns,
            overdue_open: f.overdue_open,
        })
        .collect();
    Ok(json(&rows))
}

/// One inbox entry.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct InboxView {
    pub id: i64,
    pub at: Option<String>,
    /// assigned, remind, urge, yellow, red, returned, closed, extended, feedback, new
    pub kind: String,
    pub ticket_id: Option<i64>,
    pub text: String,
    pub read: bool,
}

/// The caller's inbox.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Inbox {
    pub unread: usize,
    pub items: Vec<InboxView>,
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Only unread entries.
    pub unread: Option<bool>,
}

/// The caller's inbox, newest first (the latest 200).
#[utoipa::path(get, path = "/api/v1/inbox", tag = "tickets", params(InboxQuery),
    responses(
        (status = 200, description = "The inbox", body = Inbox),
        (status = 401, description = "No session or token"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn inbox(
    State(s): State<HttpState>,
    caller: Caller,
    Query(q): Query<InboxQuery>,
) -> ApiResult<Response> {
    caller.may(Action::OwnInbox, Object::County)?;
    let rows = s
        .store
        .inbox(&caller.user.username, q.unread.unwrap_or(false), 200)
        .await?;
    let unread = s
        .store
        .inbox(&caller.user.username, true, 1000)
        .await?
        .len();
    Ok(json(&Inbox {
        unread,
        items: rows
            .into_iter()
            .map(|r| InboxView {
                id: r.id,
                at: shanghai_ms(r.at_ms),
                kind: r.kind,
                ticket_id: r.ticket_id,
                text: r.text,
                read: r.read_ms.is_some(),
            })
            .collect(),
    }))
}

/// Which entries to mark read.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct ReadRequest {
    /// These entries (all when empty).
    #[serde(default)]
    pub ids: Vec<i64>,
}

/// Marks entries of the caller's inbox read; answers how many.
#[utoipa::path(post, path = "/api/v1/inbox/read", tag = "tickets", request_body = ReadRequest,
    responses(
        (status = 200, description = "How many were marked", body = Object),
        (status = 400, description = "Bad body"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Missing X-CSRF-Token"),
        (status = 415, description = "The body is not sent as application/json"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn read(
    State(s): State<HttpState>,
    caller: Caller,
    Json(req): Json<ReadRequest>,
) -> ApiResult<Response> {
    caller.may(Action::OwnInbox, Object::County)?;
    if req.ids.len() > 1000 {
        return Err(ApiError::bad("ids: at most 1000 at once"));
    }
    let n = s
        .store
        .mark_read(&caller.user.username, &req.ids, now_ms())
        .await?;
    Ok(json(&serde_json::json!({ "marked": n })))
}

/// An assignee's webhook as shown (never its secret).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct WebhookView {
    pub assignee: String,
    pub url: String,
    pub updated: Option<String>,
    pub by: String,
    /// Deliveries waiting, delivered and given up (of the latest 200).
    pub pending: usize,
    pub delivered: usize,
    pub failed: usize,
    pub last_error: Option<String>,
}

/// The webhooks the caller may see: the bureau all, an assignee its own.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "tickets",
    responses(
        (status = 200, description = "Webhooks", body = Vec<WebhookView>),
        (status = 401, description = "No session or token"),
        (status = 403, description = "The public role"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn webhooks(State(s): State<HttpState>, caller: Caller) -> ApiResult<Response> {
    let own = caller.scope.to_string();
    caller.may(
        Action::ReadTickets,
        Object::Ticket {
            assignee: Some(&own),
            located: None,
        },
    )?;
    let mut out = Vec::new();
    for h in s.store.webhooks().await? {
        if caller.scope != Scope::County && h.assignee != own {
            continue;
        }
        let d = s.store.deliveries(&h.assignee, 200).await?;
        out.push(WebhookView {
            pending: d
                .iter()
                .filter(|x| x.delivered_ms.is_none() && x.failed == 0)
                .count(),
            delivered: d.iter().filter(|x| x.delivered_ms.is_some()).count(),
            failed: d.iter().filter(|x| x.failed != 0).count(),
            last_error: d.iter().find_map(|x| x.last_error.clone()),
            assignee: h.assignee,
            url: h.url,
            updated: shanghai_ms(h.updated_ms),
            by: h.actor,
        });
    }
    Ok(json(&out))
}

/// A webhook to set.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    /// township:NAME, department:NAME or enterprise:CREDIT_CODE
    pub assignee: String,
    /// An `http://` address that takes a JSON POST (https through a local relay).
    pub url: String,
    /// The HMAC-SHA256 key the receiver checks `X-Lantian-Signature` with (16–200 characters).
    pub secret: String,
}

/// Set an assignee's webhook (the bureau): every notice it gets
/// (assigned, reminders, 催办, cards, returned, closed) is also POSTed
/// there, signed.
#[utoipa::path(put, path = "/api/v1/webhooks", tag = "tickets", request_body = WebhookRequest,
    responses(
        (status = 200, description = "Set", body = WebhookView),
        (status = 400, description = "A bad assignee, address or secret, or no master key to seal the secret"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not the bureau, or missing X-CSRF-Token"),
        (status = 415, description = "The body is not sent as application/json"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn put_webhook(
    State(s): State<HttpState>,
    caller: Caller,
    Json(req): Json<WebhookRequest>,
) -> ApiResult<Response> {
    // The bureau's: the server POSTs to the address, so only those who
    // may point it at the county's own relays set it.
    caller.may(Action::ManageTickets, Object::County)?;
    let who = lantian_tickets::assignee::parse(&req.assignee).map_err(ApiError::BadRequest)?;
    let name = who.to_string();
    let url = req.url.trim();
    let uri: hyper::Uri = url
        .parse()
        .map_err(|_| ApiError::bad(format!("url `{url}`: not an address")))?;
    let userinfo = uri.authority().is_some_and(|a| a.as_str().contains('@'));
    if uri.scheme_str() != Some("http") || uri.host().is_none() || url.len() > 500 || userinfo {
        return Err(ApiError::bad(format!(
            "url `{url}`: an http:// address of at most 500 characters, without user or password (https through a local relay; the secret signs the body)"
        )));
    }
    let n = req.secret.chars().count();
    if !(16..=200).contains(&n) || req.secret.chars().any(char::is_control) {
        return Err(ApiError::bad("secret: 16–200 printable characters"));
    }
    let master = s.master.as_ref().ok_or_else(|| {
        ApiError::bad("secret: this platform has no master key to keep a webhook secret sealed")
    })?;
    let sealed = crate::keys::seal_text(master, &req.secret)
        .map_err(|_| ApiError::Internal("no random source"))?;
    s.store
        .put_webhook(&name, url, &sealed, &caller.user.username, now_ms())
        .await?;
    Ok(json(&WebhookView {
        assignee: name,
        url: url.to_string(),
        updated: shanghai_ms(now_ms()),
        by: caller.user.username.clone(),
        pending: 0,
        delivered: 0,
        failed: 0,
        last_error: None,
    }))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WebhookQuery {
    /// township:NAME, department:NAME or enterprise:CREDIT_CODE
    pub assignee: String,
}

/// Remove an assignee's webhook (the bureau; deliveries still waiting are dropped).
#[utoipa::path(delete, path = "/api/v1/webhooks", tag = "tickets", params(WebhookQuery),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "A bad assignee"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not the bureau, or missing X-CSRF-Token"),
        (status = 404, description = "It has no webhook"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn delete_webhook(
    State(s): State<HttpState>,
    caller: Caller,
    Query(q): Query<WebhookQuery>,
) -> ApiResult<Response> {
    caller.may(Action::ManageTickets, Object::County)?;
    let who = lantian_tickets::assignee::parse(&q.assignee).map_err(ApiError::BadRequest)?;
    let name = who.to_string();
    if !s.store.delete_webhook(&name, &caller.user.username).await? {
        return Err(ApiError::NotFound(format!("{name} has no webhook")));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
