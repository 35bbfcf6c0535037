//! Heavy-pollution alerts: forecasts in (JSON days or CSV text, kept as
//! issued batches), the level the rules give the latest forecast, alerts
//! proposed (from that classification or from the city's or province's
//! notice), approved by the role the level names, issued, adjusted and
//! lifted by the lifecycle table of `lantian_alerts::lifecycle`, and the
//! public's view of the alert in force.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Days, NaiveDate, NaiveDateTime};
use lantian_alerts::classify::{self, Level};
use lantian_alerts::lifecycle::{self, State as AlertState, Step};
use lantian_alerts::{Cause, Day, Rules, forecast};
use lantian_store::alerts::{AlertMove, AlertRow, ForecastRow, NewAlert, NewForecastDay};
use lantian_types::time::{now_beijing, shanghai_ms, utc_seconds};

use super::json;
use super::tickets::now_ms;
use crate::http::HttpState;
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Json, line, optional_line};
use crate::policy::{Action, Object};

/// Where a forecast comes from.
const SOURCES: [&str; 4] = ["province", "city", "county", "consult"];

/// A forecast day as pages show it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ForecastView {
    pub date: String,
    pub aqi: i64,
    /// The range as given (the bound that counts is `aqi`).
    pub range: Option<(i64, i64)>,
    pub primary: String,
    /// none, dust, fireworks
    pub cause: String,
    /// province, city, county, consult (会商)
    pub source: String,
    pub issued: Option<String>,
    pub batch: i64,
}

impl ForecastView {
    fn of(r: &ForecastRow) -> Self {
        ForecastView {
            date: r.day.clone(),
            aqi: r.aqi,
            range: r.aqi_low.zip(r.aqi_high),
            primary: r.primary_pollutant.clone(),
            cause: r.cause.clone(),
            source: r.source.clone(),
            issued: shanghai_ms(r.issued_ms),
            batch: r.batch,
        }
    }
}

/// What the rules give the latest forecast.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ClassView {
    /// none, advisory, yellow, orange, red
    pub level: String,
    pub level_zh: String,
    /// The rule set (2024, 2017).
    pub rules: String,
    pub because: String,
    pub days: Vec<String>,
    /// Days that did not count, with why (O3, dust).
    pub not_counted: Vec<String>,
}

fn day_of(r: &ForecastRow) -> Option<Day> {
    Some(Day {
        date: NaiveDate::parse_from_str(&r.day, "%Y-%m-%d").ok()?,
        aqi: u32::try_from(r.aqi).ok()?,
        range: None,
        primary: r
            .primary_pollutant
            .split('/')
            .filter(|p| !p.is_empty())
            .map(String::from)
            .collect(),
        cause: Cause::parse(&r.cause).unwrap_or_default(),
    })
}

/// The latest forecast from today on (Beijing), its days and what the rules give them.
async fn current(s: &HttpState) -> ApiResult<(Vec<ForecastRow>, classify::Classification, String)> {
    let today = now_beijing().date();
    let rows = s.store.latest_forecast(&today.to_string()).await?;
    let days: Vec<Day> = rows.iter().filter_map(day_of).collect();
    let rules = Rules::default();
    let set = rules.on(days.first().map_or(today, |d| d.date));
    let c = classify::classify(&days, set).map_err(ApiError::BadRequest)?;
    Ok((rows, c, set.name.clone()))
}

fn class_view(c: &classify::Classification) -> ClassView {
    ClassView {
        level: c.level.as_str().into(),
        level_zh: c.level.name_zh().into(),
        rules: c.rules.clone(),
        because: c.because.clone(),
        days: c.days.iter().map(|d| d.to_string()).collect(),
        not_counted: c
            .not_counted
            .iter()
            .map(|(d, w)| format!("{d}: {w}"))
            .collect(),
    }
}

/// A forecast entered or pushed.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForecastRequest {
    /// province, city, county or consult (会商)
    pub source: String,
    /// When it was issued (YYYY-MM-DD HH:MM, Beijing; default now).
    pub issued_at: Option<String>,
    /// The days: `[{"date", "aqi" (a number or "180-220"), "primary", "cause"}]`.
    #[schema(value_type = Option<Vec<Object>>)]
    pub days: Option<serde_json::Value>,
    /// Or the days as CSV text `date,aqi,primary,cause`.
    pub csv: Option<String>,
}

/// The forecast and what the rules make of it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ForecastAnswer {
    /// The batch stored (on POST).
    pub batch: Option<i64>,
    pub days: Vec<ForecastView>,
    pub classification: ClassView,
    pub label: Option<String>,
}

/// Enter a forecast (the bureau): days as JSON or CSV; kept as issued,
/// never overwritten. Answers the latest forecast and its classification.
#[utoipa::path(post, path = "/api/v1/forecasts", tag = "alerts", request_body = ForecastRequest,
    responses(
        (status = 201, description = "Stored", body = ForecastAnswer),
        (status = 400, description = "A bad source, time, or day (each named by its line or position)"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not the bureau, or missing X-CSRF-Token"),
        (status = 415, description = "The body is not sent as application/json"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn add_forecast(
    State(s): State<HttpState>,
    caller: Caller,
    Json(req): Json<ForecastRequest>,
) -> ApiResult<Response> {
    caller.may(Action::ManageAlerts, Object::County)?;
    if !SOURCES.contains(&req.source.as_str()) {
        return Err(ApiError::bad(format!(
            "source `{}`: province, city, county or consult",
            req.source
        )));
    }
    let issued = match req.issued_at.as_deref().filter(|x| !x.is_empty()) {
        None => now_ms(),
        Some(t) => NaiveDateTime::parse_from_str(t.trim(), "%Y-%m-%d %H:%M")
            .or_else(|_| NaiveDateTime::parse_from_str(t.trim(), "%Y-%m-%dT%H:%M"))
            .map(|t| utc_seconds(t) * 1000)
            .map_err(|_| ApiError::bad(format!("issued_at `{t}`: YYYY-MM-DD HH:MM (Beijing)")))?,
    };
    let days = match (&req.days, &req.csv) {
        (Some(d), None) => forecast::read_json(&d.to_string(), s.forecast_bound),
        (None, Some(c)) => forecast::read_csv(c, s.forecast_bound),
        _ => return Err(ApiError::bad("give `days` (JSON) or `csv`, one of them")),
    }
    .map_err(|e| ApiError::BadRequest(e.join("; ")))?;
    if days.is_empty() || days.len() > 31 {
        return Err(ApiError::bad(format!(
            "{} days: a forecast has 1 to 31",
            days.len()
        )));
    }
    let rows: Vec<NewForecastDay> = days
        .iter()
        .map(|d| NewForecastDay {
            day: d.date.to_string(),
            aqi: i64::from(d.aqi),
            range: d.range.map(|(a, b)| (i64::from(a), i64::from(b))),
            primary: d.primary.join("/"),
            cause: d.cause.as_str().into(),
        })
        .collect();
    let batch = s
        .store
        .add_forecast(&rows, &req.source, issued, &caller.user.username, now_ms())
        .await?;
    let (latest, c, _) = current(&s).await?;
    Ok((
        StatusCode::CREATED,
        json(&ForecastAnswer {
            batch: Some(batch),
            days: latest.iter().map(ForecastView::of).collect(),
            classification: class_view(&c),
            label: s.label.clone(),
        }),
    )
        .into_response())
}

/// The latest forecast from today on, and what the rules give it.
#[utoipa::path(get, path = "/api/v1/forecasts", tag = "alerts",
    responses(
        (status = 200, description = "The forecast", body = ForecastAnswer),
        (status = 401, description = "No session or token"),
        (status = 403, description = "The public role"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn forecasts(State(s): State<HttpState>, caller: Caller) -> ApiResult<Response> {
    caller.may(Action::ReadAlerts, Object::County)?;
    let (latest, c, _) = current(&s).await?;
    Ok(json(&ForecastAnswer {
        batch: None,
        days: latest.iter().map(ForecastView::of).collect(),
        classification: class_view(&c),
        label: s.label.clone(),
    }))
}

/// An alert as lists show it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AlertView {
    pub id: i64,
    /// yellow, orange, red
    pub level: String,
    pub level_zh: String,
    /// proposed, approved, issued, lifted, rejected
    pub state: String,
    pub state_zh: String,
    /// classifier, notice:city, notice:province
    pub origin: String,
    pub notice_doc: Option<String>,
    /// What the forecast gave when it was proposed.
    pub basis_level: String,
    /// Issued at a level neither the forecast nor a notice reached.
    pub no_basis: bool,
    pub document_no: Option<String>,
    pub scope: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub created: Option<String>,
    pub version: i64,
    pub sample: bool,
}

impl AlertView {
    fn of(a: &AlertRow) -> Self {
        let level = Level::parse(&a.level).unwrap_or(Level::None);
        AlertView {
            id: a.id,
            level: a.level.clone(),
            level_zh: level.name_zh().into(),
            state: a.state.clone(),
            state_zh: AlertState::parse(&a.state).map_or(a.state.clone(), |x| x.name_zh().into()),
            origin: a.origin.clone(),
            notice_doc: a.notice_doc.clone(),
            basis_level: a.basis_level.clone(),
            no_basis: a.no_basis != 0,
            document_no: a.document_no.clone(),
            scope: a.scope.clone(),
            start: a.start_ms.and_then(shanghai_ms),
            end: a.end_ms.and_then(shanghai_ms),
            created: shanghai_ms(a.created_ms),
            version: a.version,
            sample: a.sample != 0,
        }
    }
}

/// Alerts: the one in force, all of them, and the forecast's level.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AlertList {
    /// The alert issued and not lifted, if any.
    pub current: Option<AlertView>,
    pub alerts: Vec<AlertView>,
    pub classification: ClassView,
    /// What the rules suggest for the alert in force given the forecast of
    /// the next 36 h (raise, hold, downgrade or lift), when one is in force.
    pub suggested: Option<String>,
    pub label: Option<String>,
}

/// Alerts, newest first, with the one in force and the forecast's level.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts",
    responses(
        (status = 200, description = "Alerts", body = AlertList),
        (status = 401, description = "No session or token"),
        (status = 403, description = "The public role"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn list(State(s): State<HttpState>, caller: Caller) -> ApiResult<Response> {
    caller.may(Action::ReadAlerts, Object::County)?;
    let rows = s.store.alerts(200).await?;
    let (latest, c, set_name) = current(&s).await?;
    let cur = rows.iter().find(|a| a.state == "issued");
    let suggested = cur.map(|a| {
        let rules = Rules::default();
        let set = rules.named(&set_name).unwrap_or(&rules.sets[0]);
        // The forecast days that overlap the next 36 h (Beijing dates).
        let now = now_beijing();
        let last = (now + chrono::Duration::hours(36)).date();
        let next: Vec<Day> = latest
            .iter()
            .filter_map(day_of)
            .filter(|d| d.date >= now.date() && d.date <= last)
            .collect();
        classify::next_level(
            set,
            Level::parse(&a.level).unwrap_or(Level::None),
            c.level,
            &next,
        )
        .as_str()
        .to_string()
    });
    Ok(json(&AlertList {
        current: cur.map(AlertView::of),
        alerts: rows.iter().map(AlertView::of).collect(),
        classification: class_view(&c),
        suggested,
        label: s.label.clone(),
    }))
}

/// A step of an alert's history.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AlertStepView {
    pub at: Option<String>,
    pub by: String,
    pub step: String,
    pub from: Option<String>,
    pub to: String,
    pub level: String,
    /// The forecast batch the step rested on.
    pub forecast_batch: Option<i64>,
    pub note: String,
}

/// One alert with its steps and what this caller may do.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AlertDetail {
    #[serde(flatten)]
    pub alert: AlertView,
    pub history: Vec<AlertStepView>,
    pub actions: Vec<String>,
    pub label: Option<String>,
}

async fn one(s: &HttpState, id: i64) -> ApiResult<AlertRow> {
    s.store
        .alert(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no alert {id}")))
}

async fn detail(s: &HttpState, caller: &Caller, a: AlertRow) -> ApiResult<AlertDetail> {
    let manage = caller.may(Action::ManageAlerts, Object::County).is_ok();
    let level = Level::parse(&a.level).unwrap_or(Level::None);
    let actions = match AlertState::parse(&a.state) {
        Some(st) if manage => lifecycle::TRANSITIONS
            .iter()
            .filter(|(f, step, _)| {
                *f == st && (*step != Step::Approve || s.approvers.may(caller.role.name(), level))
            })
            .map(|(_, step, _)| step.as_str().to_string())
            .collect(),
        _ => Vec::new(),
    };
    let history = s
        .store
        .alert_history(a.id)
        .await?
        .into_iter()
        .map(|h| AlertStepView {
            at: shanghai_ms(h.at_ms),
            by: h.actor,
            step: h.step,
            from: h.from_state,
            to: h.to_state,
            level: h.level,
            forecast_batch: h.forecast_batch,
            note: h.note,
        })
        .collect();
    Ok(AlertDetail {
        alert: AlertView::of(&a),
        history,
        actions,
        label: s.label.clone(),
    })
}

/// One alert.
#[utoipa::path(get, path = "/api/v1/alerts/{id}", tag = "alerts",
    params(("id" = i64, Path, description = "The alert's id")),
    responses(
        (status = 200, description = "The alert", body = AlertDetail),
        (status = 401, description = "No session or token"),
        (status = 403, description = "The public role"),
        (status = 404, description = "No such alert"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn get(
    State(s): State<HttpState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    caller.may(Action::ReadAlerts, Object::County)?;
    let a = one(&s, id).await?;
    Ok(json(&detail(&s, &caller, a).await?))
}

/// A proposal.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeRequest {
    /// classifier (the level of the latest forecast), city or province (a notice)
    pub origin: String,
    /// A notice's level: yellow, orange or red.
    pub level: Option<String>,
    /// A notice's document number.
    pub notice_doc: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// Propose an alert (the bureau): at the level the latest forecast gives
/// (`classifier`), or at a city's or province's notice's level.
#[utoipa::path(post, path = "/api/v1/alerts", tag = "alerts", request_body = ProposeRequest,
    responses(
        (status = 201, description = "Proposed", body = AlertDetail),
        (status = 400, description = "A bad origin or level, or a notice without its document number"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not the bureau, or missing X-CSRF-Token"),
        (status = 409, description = "The forecast gives no coloured level, or an alert is already proposed or in force"),
        (status = 415, description = "The body is not sent as application/json"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn propose(
    State(s): State<HttpState>,
    caller: Caller,
    Json(req): Json<ProposeRequest>,
) -> ApiResult<Response> {
    caller.may(Action::ManageAlerts, Object::County)?;
    let (latest, c, _) = current(&s).await?;
    let (level, origin, doc) = match req.origin.as_str() {
        "classifier" => {
            if !c.level.is_coloured() {
                return Err(ApiError::Conflict(format!(
                    "the latest forecast gives {} ({}): no coloured alert to propose",
                    c.level,
                    c.level.name_zh()
                )));
            }
            (c.level, "classifier".to_string(), None)
        }
        "city" | "province" => {
            let l = req
                .level
                .as_deref()
                .and_then(Level::parse)
                .filter(|l| l.is_coloured())
                .ok_or_else(|| ApiError::bad("level: a notice's level is yellow, orange or red"))?;
            let doc = optional_line(req.notice_doc.as_deref(), "notice_doc", 80)?
                .ok_or_else(|| ApiError::bad("notice_doc: a notice's document number"))?;
            (l, format!("notice:{}", req.origin), Some(doc))
        }
        o => {
            return Err(ApiError::bad(format!(
                "origin `{o}`: classifier, city or province"
            )));
        }
    };
    let note = line(&req.note, "note", 2000)?;
    let id = s
        .store
        .propose_alert(
            &NewAlert {
                level: level.as_str().into(),
                notice_level: doc.as_ref().map(|_| level.as_str().to_string()),
                origin,
                notice_doc: doc,
                basis_level: c.level.as_str().into(),
                forecast_batch: latest.iter().map(|r| r.batch).max(),
                sample: s.label.is_some(),
            },
            &caller.user.username,
            &note,
            now_ms(),
        )
        .await?;
    let a = one(&s, id).await?;
    Ok((StatusCode::CREATED, json(&detail(&s, &caller, a).await?)).into_response())
}

/// A step of an alert.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepRequest {
    /// approve, reject, issue, adjust, lift
    pub step: String,
    /// adjust: the new level (yellow, orange, red)
    pub level: Option<String>,
    /// issue: the document number
    pub document_no: Option<String>,
    /// issue: the scope (default the whole county)
    pub scope: Option<String>,
    /// Why (needed to reject, adjust and lift).
    #[serde(default)]
    pub note: String,
    /// The version read.
    pub version: Option<i64>,
}

/// Take a step of an alert (the bureau; approving a level needs the role
/// the level names): approve, reject, issue (with its document number),
/// adjust (a new level, with a reason), lift.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/steps", tag = "alerts",
    params(("id" = i64, Path, description = "The alert's id")), request_body = StepRequest,
    responses(
        (status = 200, description = "The alert after the step", body = AlertDetail),
        (status = 400, description = "A bad step, level, document number, or a reason missing"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not the bureau, not the level's approver, or missing X-CSRF-Token"),
        (status = 404, description = "No such alert"),
        (status = 409, description = "Not from this state, or someone acted first"),
        (status = 415, description = "The body is not sent as application/json"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn step(
    State(s): State<HttpState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(req): Json<StepRequest>,
) -> ApiResult<Response> {
    caller.may(Action::ManageAlerts, Object::County)?;
    let a = one(&s, id).await?;
    let step = Step::parse(req.step.trim()).ok_or_else(|| {
        ApiError::bad(format!(
            "step `{}`: approve, reject, issue, adjust or lift",
            req.step
        ))
    })?;
    let from = AlertState::parse(&a.state).ok_or(ApiError::Internal("unknown alert state"))?;
    let to = lifecycle::next(from, step).map_err(ApiError::Conflict)?;
    if let Some(v) = req.version
        && v != a.version
    {
        return Err(ApiError::Conflict(format!(
            "alert {id} changed since you read it (version {}, not {v}); reload it",
            a.version
        )));
    }
    let note = line(&req.note, "note", 2000)?;
    if matches!(step, Step::Reject | Step::Adjust | Step::Lift) && note.is_empty() {
        return Err(ApiError::bad(format!(
            "note: `{}` needs a reason",
            step.as_str()
        )));
    }
    let mut level = Level::parse(&a.level).unwrap_or(Level::None);
    let (latest, c, _) = current(&s).await?;
    // The notice's own level (not the alert's, which adjusting moves).
    let notices: Vec<Level> = a
        .notice_level
        .as_deref()
        .and_then(Level::parse)
        .into_iter()
        .collect();
    let mut m = AlertMove {
        id,
        version: a.version,
        from: from.as_str().into(),
        step: step.as_str().into(),
        to: to.as_str().into(),
        forecast_batch: latest.iter().map(|r| r.batch).max(),
        ..AlertMove::default()
    };
    match step {
        Step::Approve => {
            if !s.approvers.may(caller.role.name(), level) {
                return Err(ApiError::Forbidden(format!(
                    "a {} alert is approved by {}",
                    level,
                    if level == Level::Red {
                        "an admin (the county head's delegate)"
                    } else {
                        "the bureau"
                    }
                )));
            }
        }
        Step::Issue => {
            let doc =
                optional_line(req.document_no.as_deref(), "document_no", 80)?.ok_or_else(|| {
                    ApiError::bad("document_no: issuing an alert needs its document number")
                })?;
            m.document_no = Some(doc);
            m.scope = Some(line(req.scope.as_deref().unwrap_or("全县"), "scope", 80)?);
            m.starts = true;
            m.no_basis = Some(lifecycle::no_basis(level, c.level, &notices));
        }
        Step::Adjust => {
            let l = req
                .level
                .as_deref()
                .and_then(Level::parse)
                .filter(|l| l.is_coloured())
                .ok_or_else(|| ApiError::bad("level: adjust to yellow, orange or red"))?;
            if l == level {
                return Err(ApiError::bad(format!("level: the alert is {l} already")));
            }
            if l > level && !s.approvers.may(caller.role.name(), l) {
                return Err(ApiError::Forbidden(format!(
                    "raising to {l} needs that level's approver"
                )));
            }
            level = l;
            m.no_basis = Some(lifecycle::no_basis(level, c.level, &notices));
        }
        Step::Lift => m.ends = true,
        Step::Reject => {}
    }
    m.level = level.as_str().into();
    s.store
        .move_alert(&m, &caller.user.username, &note, now_ms())
        .await?;
    let a = one(&s, id).await?;
    Ok(json(&detail(&s, &caller, a).await?))
}

/// The public's view of the alert in force.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PublicAlert {
    /// none, advisory, yellow, orange, red
    pub level: String,
    pub level_zh: String,
    pub since: Option<String>,
    pub document_no: Option<String>,
    /// Health advice and what the public is asked to do.
    pub health: Option<String>,
    pub asked: Option<String>,
    pub label: Option<String>,
}

/// The alert in force (or the forecast's health advisory), no login.
#[utoipa::path(get, path = "/api/v1/public/alert", tag = "public",
    responses(
        (status = 200, description = "The level in force and its advice", body = PublicAlert),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn public(State(s): State<HttpState>) -> ApiResult<Response> {
    let rows = s.store.alerts(20).await?;
    let cur = rows.iter().find(|a| a.state == "issued");
    let (level, since, doc) = match cur {
        Some(a) => (
            Level::parse(&a.level).unwrap_or(Level::None),
            a.start_ms.and_then(shanghai_ms),
            a.document_no.clone(),
        ),
        None => {
            let (_, c, _) = current(&s).await?;
            let l = if c.level == Level::Advisory {
                Level::Advisory
            } else {
                Level::None
            };
            (l, None, None)
        }
    };
    let advice = lantian_alerts::advice(level);
    Ok(json(&PublicAlert {
        level: level.as_str().into(),
        level_zh: level.name_zh().into(),
        since,
        document_no: doc,
        health: advice.map(|a| a.0.to_string()),
        asked: advice.map(|a| a.1.to_string()),
        label: s.label.clone(),
    }))
}

/// The days from `from` on as a forecast CSV (the demo's and the tests').
pub fn csv_of(from: NaiveDate, aqis: &[u32]) -> String {
    aqis.iter()
        .enumerate()
        .map(|(i, a)| format!("{},{a},PM2.5,none\n", from + Days::new(i as u64)))
        .collect()
}

/// A firm's measure at one level.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LevelMeasure {
    /// yellow, orange, red
    pub level: String,
    pub level_zh: String,
    /// none, voluntary, limit, stop, max_load
    pub action: String,
    /// The percentage of a limit (cut) or of a maximum load.
    pub percent: Option<u8>,
    pub action_zh: String,
    /// Why: the grade's template, or the white list's entry.
    pub basis: String,
}

/// A firm's measures for each level (the data of its 一厂一策 公示牌).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct FirmMeasures {
    pub credit_code: String,
    pub name: String,
    /// Today's grade by the short-board rule (none: never graded).
    pub grade: Option<String>,
    /// The white-list entry in force today, if any.
    pub white: Option<String>,
    /// The template's version.
    pub templates: String,
    pub measures: Vec<LevelMeasure>,
    /// The level in force now, when an alert is issued.
    pub in_force: Option<String>,
    pub sample: bool,
}

/// A firm's measures at each alert level: from its grade (the short-board
/// rule; a firm never graded counts as its industry's lowest) by the
/// versioned templates, the white list applied. The bureau, departments,
/// the firm's township and the firm itself.
#[utoipa::path(get, path = "/api/v1/enterprises/{code}/measures", tag = "alerts",
    params(("code" = String, Path, description = "The firm's credit code")),
    responses(
        (status = 200, description = "The measures", body = FirmMeasures),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not this caller's firm or township"),
        (status = 404, description = "No such firm"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn measures(
    State(s): State<HttpState>,
    caller: Caller,
    Path(code): Path<String>,
) -> ApiResult<Response> {
    use lantian_alerts::measures::{Action as M, Templates};
    let f = s
        .store
        .firm(&code)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no firm {code}")))?
        .firm;
    caller.may(Action::ReadSources, super::enterprises::firm_object(&f))?;
    let today = now_beijing().date();
    let grade = f.grade_on(today);
    let white = f
        .whitelist
        .iter()
        .find(|w| w.valid_from.is_none_or(|d| today >= d) && w.valid_to.is_none_or(|d| today <= d));
    let t = Templates::default();
    let measures = [Level::Yellow, Level::Orange, Level::Red]
        .into_iter()
        .map(|level| {
            let m = crate::compliance::measure_of(&f, level, today, &t);
            let (name, percent) = match m.action {
                M::None => ("none", None),
                M::Voluntary => ("voluntary", None),
                M::Limit(p) => ("limit", Some(p)),
                M::Stop => ("stop", None),
                M::MaxLoad(p) => ("max_load", Some(p)),
            };
            LevelMeasure {
                level: level.as_str().into(),
                level_zh: level.name_zh().into(),
                action: name.into(),
                percent,
                action_zh: m.action.name_zh(),
                basis: m.basis,
            }
        })
        .collect();
    let in_force = s
        .store
        .alerts(20)
        .await?
        .into_iter()
        .find(|a| a.state == "issued")
        .map(|a| a.level);
    Ok(json(&FirmMeasures {
        credit_code: f.credit_code.clone(),
        name: f.name.clone(),
        grade: grade.map(|g| g.as_str().to_string()),
        white: white.map(|w| format!("{}（{}）", w.category, w.document)),
        templates: t.version.clone(),
        measures,
        in_force,
        sample: f.sample,
    }))
}

/// The thresholds the compliance was judged with.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ComplianceSettings {
    pub baseline_days: i64,
    pub skip_hours: i64,
    pub stop_keep_percent: i64,
    pub limit_slack_percent: i64,
    pub raise_margin_percent: i64,
}

/// The county's firms over the alert, in counts.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ComplianceSummary {
    pub firms: usize,
    pub complied: usize,
    pub violated: usize,
    pub raised_before: usize,
    pub no_data: usize,
    /// Complied hours of all hours judged, percent with one decimal.
    pub compliance_rate: Option<String>,
}

/// Firms' compliance over an alert: while it is in force the figures grow
/// hour by hour; once lifted it is the episode's evaluation (per firm: its
/// compliance rate and the cut achieved against the cut required).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ComplianceView {
    pub alert: AlertView,
    /// The first and the last hour judged (their starts, Beijing time).
    pub from: Option<String>,
    pub to: Option<String>,
    pub hours: usize,
    /// Lifted: the figures are final.
    pub lifted: bool,
    pub settings: ComplianceSettings,
    pub summary: ComplianceSummary,
    pub firms: Vec<crate::compliance::FirmCompliance>,
}

/// Firms' compliance during an alert (and, once lifted, its evaluation):
/// each firm the caller may see (the bureau and departments every firm, a
/// township its own, a firm itself), judged hour by hour against its
/// baseline under its measure for the level in force — complied,
/// 应停未停, 应限不限 or no data — with each hour's load and baseline as the
/// evidence, and whether it raised its load in the 24 h before.
#[utoipa::path(get, path = "/api/v1/alerts/{id}/compliance", tag = "alerts",
    params(("id" = i64, Path, description = "The alert's id")),
    responses(
        (status = 200, description = "The firms' compliance", body = ComplianceView),
        (status = 401, description = "No session or token"),
        (status = 403, description = "A role that sees no firms"),
        (status = 404, description = "No such alert"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn compliance(
    State(s): State<HttpState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    use crate::compliance as c;
    caller.may(Action::ReadAlerts, Object::County)?;
    let firms = super::enterprises::visible(&s, &caller).await?;
    let a = one(&s, id).await?;
    let steps = s.store.alert_history(id).await?;
    let set = s.compliance;
    let refs: Vec<&lantian_sources::register::Firm> = firms.iter().map(|f| &f.firm).collect();
    let c::Evaluation {
        first,
        spans,
        hours,
        firms: rows,
    } = c::evaluate(&s.store, &a, &steps, &refs, &set, now_ms()).await?;
    let (judged, ok) = rows.iter().fold((0, 0), |(j, k), r| {
        (j + r.complied + r.violations, k + r.complied)
    });
    let n = |v: &str| rows.iter().filter(|r| r.verdict == v).count();
    let last = spans.last().map(|x| x.0 + (x.1 as i64 - 1) * 3_600_000);
    let label = |ms: i64| {
        lantian_types::time::beijing_ms(ms).map(|t| t.format("%Y-%m-%d %H:%M").to_string())
    };
    Ok(json(&ComplianceView {
        alert: AlertView::of(&a),
        from: (hours > 0).then(|| label(first)).flatten(),
        to: last.and_then(label),
        hours,
        lifted: a.state == "lifted",
        settings: ComplianceSettings {
            baseline_days: set.baseline_days,
            skip_hours: set.skip_hours,
            stop_keep_percent: set.stop_keep_percent,
            limit_slack_percent: set.limit_slack_percent,
            raise_margin_percent: set.raise_margin_percent,
        },
        summary: ComplianceSummary {
            firms: rows.len(),
            complied: n("complied"),
            violated: n("violated"),
            raised_before: n("raised_before"),
            no_data: n("no_data"),
            compliance_rate: c::rate(ok, judged),
        },
        firms: rows,
    }))
}
