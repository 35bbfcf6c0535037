//! Data review (数据审核): a reviewer marks hours of a station or an outlet
//! invalid (calibration, fault, other) or as an exceptional event
//! (sand-dust, fireworks), with a note and evidence, or restores a mark.
//! The dashboard's figures apply the active marks from their next rebuild
//! (`jobs::figures` reads them every tick); `?data=raw` on the figure
//! routes gives the figures without them. Marks are audited and listed,
//! restored ones included, as the station page's trail.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lantian_assess::input::{AMBIENT_CODES, parse_end_time};
use lantian_standards::pollutant::Pollutant;
use lantian_store::reviews::{NewReview, ReviewRow};
use lantian_types::ReviewReason;
use lantian_types::time::{shanghai_minute, shanghai_ms, utc_seconds};

use super::json;
use crate::http::HttpState;
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Query};
use crate::policy::{Action, Object};

/// A mark to make: the hours `[from, to)` of a station (Beijing time; `from`
/// the start of the first hour, `to` the end of the last: a whole day is
/// `2026-01-05 00:00` to `2026-01-06 00:00`; a bare date is its 00:00).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// The station's (or outlet's) site code.
    pub station: String,
    /// SO2, NO2, CO, O3, PM10, PM2.5 or an HJ 212 factor code; absent: every pollutant.
    pub pollutant: Option<String>,
    pub from: String,
    pub to: String,
    /// calibration, fault, sand_dust, fireworks or other (or 校准, 故障, 沙尘, 烟花爆竹, 其他).
    #[schema(value_type = String)]
    pub reason: ReviewReason,
    /// Why, in words (required).
    pub note: String,
    /// Evidence: the calibration record's number, a notice, a link.
    #[serde(default)]
    pub evidence: String,
}

/// Restore a mark: its hours count again.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreRequest {
    pub note: String,
}

/// A mark and its trail; times in Asia/Shanghai.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReviewView {
    pub id: i64,
    pub station: String,
    /// The pollutant's name, the factor code if not one of the six, or None (all).
    pub pollutant: Option<String>,
    /// Start of the first hour and end of the last, `YYYY-MM-DD HH:MM`.
    pub from: String,
    pub to: String,
    pub hours: i64,
    pub reason: String,
    pub reason_zh: String,
    /// Invalid data (false: an exceptional event, real data).
    pub invalid: bool,
    pub note: String,
    pub evidence: String,
    pub marked_by: String,
    pub marked_at: Option<String>,
    pub restored_by: Option<String>,
    pub restored_at: Option<String>,
    pub restore_note: Option<String>,
    pub active: bool,
}

fn minute(s: i64) -> String {
    shanghai_minute(s * 1000)
}

impl ReviewView {
    fn of(r: &ReviewRow) -> Self {
        let reason: Option<ReviewReason> = r.reason.parse().ok();
        let pollutant = r.code.as_ref().map(|c| {
            lantian_assess::input::pollutant_of_code(c).map_or_else(
                || c.clone(),
                |p| crate::figures::pollutant_name(p).to_string(),
            )
        });
        ReviewView {
            id: r.id,
            station: r.site_code.clone(),
            pollutant,
            from: minute(r.from_s),
            to: minute(r.to_s),
            hours: (r.to_s - r.from_s) / 3600,
            reason: r.reason.clone(),
            reason_zh: reason
                .map_or(r.reason.as_str(), |x| x.name_zh())
                .to_string(),
            invalid: reason.is_none_or(|x| !x.is_event()),
            note: r.note.clone(),
            evidence: r.evidence.clone(),
            marked_by: r.marked_by.clone(),
            marked_at: shanghai_ms(r.marked_ms),
            restored_by: r.restored_by.clone(),
            restored_at: r.restored_ms.and_then(shanghai_ms),
            restore_note: r.restore_note.clone(),
            active: r.restored_ms.is_none(),
        }
    }
}

/// The hour boundary `t` names (Beijing time), as UTC seconds.
pub fn boundary(field: &str, t: &str) -> Result<i64, ApiError> {
    let t = t.trim();
    let local = parse_end_time(t)
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "{field}: bad time `{t}` (Beijing time: 2026-01-05 00:00, or a date)"
            ))
        })?;
    let s = utc_seconds(local);
    if s % 3600 != 0 {
        return Err(ApiError::BadRequest(format!(
            "{field}: `{t}` is not on the hour"
        )));
    }
    Ok(s)
}

/// The factor code a request's pollutant names.
pub fn code_of(p: &str) -> Result<String, ApiError> {
    let p = p.trim();
    if let Ok(pol) = p.parse::<Pollutant>() {
        return AMBIENT_CODES
            .iter()
            .find(|(q, _)| *q == pol)
            .map(|(_, c)| c.to_string())
            .ok_or_else(|| ApiError::BadRequest(format!("pollutant: no code for {pol}")));
    }
    if lantian_hj212::codes::factor(p).is_some() {
        return Ok(p.to_string());
    }
    Err(ApiError::BadRequest(format!(
        "pollutant: unknown `{p}` (SO2, NO2, CO, O3, PM10, PM2.5 or an HJ 212 factor code)"
    )))
}

/// Mark hours of a station invalid (or as an exceptional event).
#[utoipa::path(post, path = "/api/v1/reviews", tag = "review", request_body = ReviewRequest,
    responses(
        (status = 201, description = "Marked; the figures follow at their next rebuild", body = ReviewView),
        (status = 400, description = "No such station, a bad time or range, an unknown pollutant or reason, no note (the message names it)"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not a reviewer, bureau or admin user, or missing X-CSRF-Token"),
        (status = 415, description = "The body is not sent as application/json"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn mark(
    State(s): State<HttpState>,
    caller: Caller,
    Json(req): Json<ReviewRequest>,
) -> ApiResult<Response> {
    caller.may(Action::ReviewData, Object::Station(req.station.trim()))?;
    let m = NewReview {
        site_code: req.station.trim().to_string(),
        code: req
            .pollutant
            .as_deref()
            .filter(|p| !p.trim().is_empty())
            .map(code_of)
            .transpose()?,
        from_s: boundary("from", &req.from)?,
        to_s: boundary("to", &req.to)?,
        reason: req.reason.as_str().to_string(),
        note: req.note,
        evidence: req.evidence,
    };
    let id = s.store.mark_review(&m, &caller.user.username).await?;
    let row = s
        .store
        .review(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("review {id}")))?;
    Ok((StatusCode::CREATED, json(&ReviewView::of(&row))).into_response())
}

/// Restore a mark.
#[utoipa::path(post, path = "/api/v1/reviews/{id}/restore", tag = "review",
    params(("id" = i64, Path, description = "The mark")), request_body = RestoreRequest,
    responses(
        (status = 200, description = "Restored; the figures follow at their next rebuild", body = ReviewView),
        (status = 400, description = "No note"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not a reviewer, bureau or admin user, or missing X-CSRF-Token"),
        (status = 404, description = "No such mark"),
        (status = 409, description = "Already restored (someone restored it first)"),
        (status = 415, description = "The body is not sent as application/json")
    ))]
pub async fn restore(
    State(s): State<HttpState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Json(req): Json<RestoreRequest>,
) -> ApiResult<Response> {
    let Some(row) = s.store.review(id).await? else {
        return Err(ApiError::NotFound(format!("no review {id}")));
    };
    caller.may(Action::ReviewData, Object::Station(&row.site_code))?;
    if req.note.trim().is_empty() {
        return Err(ApiError::BadRequest(
            "note: say why the hours count again".into(),
        ));
    }
    if !s
        .store
        .restore_review(id, &caller.user.username, &req.note)
        .await?
    {
        return Err(ApiError::NotFound(format!("no review {id}")));
    }
    let row = s
        .store
        .review(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no review {id}")))?;
    Ok(json(&ReviewView::of(&row)))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewsQuery {
    /// Only the marks of this station.
    pub station: Option<String>,
    /// Only the active marks (default: restored ones too, the whole trail).
    #[serde(default)]
    pub active: bool,
}

/// The marks list.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Reviews {
    pub reviews: Vec<ReviewView>,
}

/// The review trail: marks, newest first (of a station; active only on request).
#[utoipa::path(get, path = "/api/v1/reviews", tag = "review", params(ReviewsQuery),
    responses(
        (status = 200, description = "The marks", body = Reviews),
        (status = 401, description = "No session or token"),
        (status = 403, description = "The public and integrations do not read the trail")
    ))]
pub async fn list(
    State(s): State<HttpState>,
    caller: Caller,
    Query(q): Query<ReviewsQuery>,
) -> ApiResult<Response> {
    caller.may(Action::ReadReviews, Object::County)?;
    let rows = s
        .store
        .reviews(q.station.as_deref().map(str::trim), q.active)
        .await?;
    Ok(json(&Reviews {
        reviews: rows.iter().map(ReviewView::of).collect(),
    }))
}
