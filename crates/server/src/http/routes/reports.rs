//! The report archive (报告): the list, a report's state while it is made
//! (reading → typesetting → done or failed), its PDF, workbook and model;
//! making one now (the bureau), which answers at once with the archive row
//! and makes it in the background; and the public annual summaries.

use crate::http::extract::Query;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lantian_store::reports::ReportRow;
use lantian_types::time::shanghai_ms;

use super::json;
use crate::http::HttpState;
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::export;
use crate::http::extract::Json;
use crate::jobs::reports::{self as job, Period};
use crate::policy::{Action, Object};

/// An archived report.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ReportView {
    pub id: i64,
    /// daily, monthly, annual, episode.
    pub kind: String,
    /// 日报, 月报, 年报, 应对评估.
    pub kind_zh: String,
    /// `2016-05-31`, `2016-05`, `2016`, or the alert's id.
    pub period: String,
    /// running, done, failed.
    pub state: String,
    /// queued, reading, typesetting, done, failed.
    pub progress: String,
    pub error: Option<String>,
    pub public: bool,
    pub sample: bool,
    pub requested_by: String,
    pub requested_at: Option<String>,
    pub done_at: Option<String>,
    pub pdf_sha256: Option<String>,
    pub xlsx_sha256: Option<String>,
    /// Times it was made.
    pub version: i64,
}

impl ReportView {
    fn of(r: &ReportRow) -> ReportView {
        let kind_zh = lantian_report::Kind::parse(&r.kind).map_or("报告", |k| k.short_zh());
        ReportView {
            id: r.id,
            kind: r.kind.clone(),
            kind_zh: kind_zh.into(),
            period: r.period.clone(),
            state: r.state.clone(),
            progress: r.progress.clone(),
            error: r.error.clone(),
            public: r.public != 0,
            sample: r.sample != 0,
            requested_by: r.requested_by.clone(),
            requested_at: shanghai_ms(r.requested_ms),
            done_at: r.done_ms.and_then(shanghai_ms),
            pdf_sha256: r.pdf_sha256.clone(),
            xlsx_sha256: r.xlsx_sha256.clone(),
            version: r.version,
        }
    }
}

/// The archive.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ReportList {
    pub reports: Vec<ReportView>,
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this kind: daily, monthly, annual or episode.
    pub kind: Option<String>,
    /// How many, newest first (default 500, at most 5,000).
    #[param(minimum = 1, maximum = 5000)]
    pub limit: Option<u32>,
}

/// The archive, newest first.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", params(ListQuery),
    responses(
        (status = 200, description = "The archived reports", body = ReportList),
        (status = 400, description = "An unknown kind"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not a bureau or department user")
    ))]
pub async fn list(
    State(s): State<HttpState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    caller.may(Action::ReadReports, Object::County)?;
    let kind = match q.kind.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(k) => Some(
            lantian_report::Kind::parse(k)
                .ok_or_else(|| {
                    ApiError::BadRequest(format!("kind `{k}`: daily, monthly, annual or episode"))
                })?
                .code(),
        ),
    };
    let limit = i64::from(q.limit.unwrap_or(500).clamp(1, 5000));
    let rows = s.store.reports(kind, limit).await?;
    Ok(json(&ReportList {
        reports: rows.iter().map(ReportView::of).collect(),
    }))
}

/// A report to make now.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MakeRequest {
    /// daily, monthly, annual or episode.
    pub kind: String,
    /// `YYYY-MM-DD` (daily), `YYYY-MM` (monthly), `YYYY` (annual), an
    /// alert's id (episode).
    pub period: String,
}

/// Makes a report now (again, if it was made before): answered at once
/// with its archive row; its state says when it is done.
#[utoipa::path(post, path = "/api/v1/reports", tag = "reports", request_body = MakeRequest,
    responses(
        (status = 202, description = "Being made: poll GET /api/v1/reports/{id}", body = ReportView),
        (status = 400, description = "A bad kind or period (named)"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not the bureau or an admin"),
        (status = 409, description = "It is being made now")
    ))]
pub async fn make(
    State(s): State<HttpState>,
    caller: Caller,
    Json(req): Json<MakeRequest>,
) -> ApiResult<Response> {
    caller.may(Action::MakeReport, Object::County)?;
    let period = Period::parse(req.kind.trim(), &req.period).map_err(ApiError::BadRequest)?;
    if let Period::Episode(id) = period
        && s.store.alert(id).await?.is_none()
    {
        return Err(ApiError::BadRequest(format!("alert {id} does not exist")));
    }
    // Claim first, so the answer carries the row; make in the background.
    let by = caller.user.username.clone();
    let claim = job::claim(&s.store, &s.reports, period, &by, true).await?;
    let (id, version) = match claim {
        lantian_store::reports::Claim::Won(id, v) => (id, v),
        lantian_store::reports::Claim::Busy(id) | lantian_store::reports::Claim::Exists(id) => {
            return Err(ApiError::Conflict(format!(
                "report {id} ({} {}) is being made now; wait for it",
                period.kind().code(),
                period.key()
            )));
        }
    };
    let (store, settings) = (s.store.clone(), s.reports.clone());
    tokio::spawn(async move {
        if let Err(e) = job::make_claimed(&store, &settings, period, id, version, &by).await {
            tracing::warn!(report = id, error = %format!("{e:#}"), "report not made");
        }
    });
    let row = s
        .store
        .report(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no report {id}")))?;
    Ok((StatusCode::ACCEPTED, json(&ReportView::of(&row))).into_response())
}

/// One report's state.
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports",
    params(("id" = i64, Path, description = "The report's id")),
    responses(
        (status = 200, description = "Its state", body = ReportView),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not a bureau or department user"),
        (status = 404, description = "No such report")
    ))]
pub async fn get(
    State(s): State<HttpState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    caller.may(Action::ReadReports, Object::County)?;
    let row = s
        .store
        .report(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no report {id}")))?;
    Ok(json(&ReportView::of(&row)))
}

fn file_name(r: &ReportRow, ext: &str) -> String {
    let ext = if ext == "public" { "pdf" } else { ext };
    format!("lantian-{}-{}.{ext}", r.kind, r.period)
}

fn content_type(format: &str) -> &'static str {
    match format {
        "pdf" | "public" => "application/pdf",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/json",
    }
}

async fn download(s: &HttpState, id: i64, format: &str) -> ApiResult<Response> {
    if !matches!(format, "pdf" | "xlsx" | "json" | "public") {
        return Err(ApiError::NotFound(format!(
            "no format `{format}`: pdf, xlsx or json"
        )));
    }
    let (row, body) = s.store.report_file(id, format).await?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "report {id} has no {format} (not made yet, or failed)"
        ))
    })?;
    Ok(export::download(
        content_type(format),
        &file_name(&row, format),
        body,
    ))
}

/// A made report's PDF, workbook or model JSON.
#[utoipa::path(get, path = "/api/v1/reports/{id}/{format}", tag = "reports",
    params(("id" = i64, Path, description = "The report's id"),
           ("format" = String, Path, description = "pdf, xlsx or json")),
    responses(
        (status = 200, description = "The file"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not a bureau or department user"),
        (status = 404, description = "No such report, or not made")
    ))]
pub async fn file(
    State(s): State<HttpState>,
    caller: Caller,
    Path((id, format)): Path<(i64, String)>,
) -> ApiResult<Response> {
    caller.may(Action::ReadReports, Object::County)?;
    download(&s, id, &format).await
}

/// A public report as the public sees it in the list.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PublicReportView {
    pub id: i64,
    pub kind: String,
    pub kind_zh: String,
    pub period: String,
    /// Made from sample data (the demo's).
    pub sample: bool,
    pub done_at: Option<String>,
}

/// The public reports.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PublicReportList {
    pub reports: Vec<PublicReportView>,
}

/// The public annual air-quality summaries (every finished year made).
#[utoipa::path(get, path = "/api/v1/public/air-reports", tag = "public",
    responses(
        (status = 200, description = "The public reports (annual summaries) made", body = PublicReportList)
    ))]
pub async fn public_list(State(s): State<HttpState>) -> ApiResult<Response> {
    let rows = s.store.public_reports().await?;
    Ok(json(&PublicReportList {
        reports: rows
            .iter()
            .map(|r| {
                let v = ReportView::of(r);
                PublicReportView {
                    id: v.id,
                    kind: v.kind,
                    kind_zh: v.kind_zh,
                    period: v.period,
                    sample: v.sample,
                    done_at: v.done_at,
                }
            })
            .collect(),
    }))
}

/// A public report's PDF: its public copy, without the management sections.
#[utoipa::path(get, path = "/api/v1/public/air-reports/{id}", tag = "public",
    params(("id" = i64, Path, description = "The report's id")),
    responses(
        (status = 200, description = "The PDF"),
        (status = 404, description = "No such public report")
    ))]
pub async fn public_pdf(State(s): State<HttpState>, Path(id): Path<i64>) -> ApiResult<Response> {
    let public = s
        .store
        .report(id)
        .await?
        .is_some_and(|r| r.public != 0 && r.state == "done");
    if !public {
        return Err(ApiError::NotFound(format!("no public report {id}")));
    }
    download(&s, id, "public").await
}
