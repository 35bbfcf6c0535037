//! The enterprise register: firms with their outlets, limits, meters,
//! grades and white list; xlsx import and export; each firm's live stack
//! values; the county's townships; the shipped default limits. Township
//! users see their township's firms, an enterprise user its own firm
//! (`ReadSources`); the bureau and admins change the register
//! (`ManageSources`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use lantian_sources::register::{self, Firm, Issue, Table};
use lantian_sources::{limits, workbook};
use lantian_store::enterprises::{Put, StoredFirm, Township};
use lantian_types::time::shanghai_ms;
use lantian_types::{Role, Scope};

use super::json;
use crate::http::HttpState;
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::export::content_disposition;
use crate::http::extract::{Json, Query};
use crate::jobs::sources::FirmLive;
use crate::policy::{Action, Object};

/// The object the caller's own scope names (what a list is checked
/// against before it is filtered firm by firm).
pub fn own_object(scope: &Scope) -> Object<'_> {
    match scope {
        Scope::Township(t) => Object::Firm {
            credit_code: "",
            township: t,
        },
        Scope::Enterprise(c) => Object::Firm {
            credit_code: c,
            township: "",
        },
        _ => Object::County,
    }
}

pub fn firm_object(f: &Firm) -> Object<'_> {
    Object::Firm {
        credit_code: &f.credit_code,
        township: &f.township,
    }
}

/// Today in Beijing.
fn today() -> chrono::NaiveDate {
    lantian_types::time::now_beijing().date()
}

/// A firm in the register's list.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FirmSummary {
    pub credit_code: String,
    pub name: String,
    pub township: String,
    pub industry: String,
    pub key_industry: String,
    /// Today's grade by the short-board rule (null: in no graded industry).
    pub grade: Option<String>,
    /// Today's white-list category, when on it.
    pub whitelist: Option<String>,
    pub outlets: usize,
    pub outlets_online: usize,
    pub meters: usize,
    pub key_polluter: bool,
    /// Where the firm is (WGS 84), when the register has it: the 污染源 map.
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub active_alarms: i64,
    /// A synthetic sample firm (the demo's).
    pub sample: bool,
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub township: Option<String>,
    /// Key industry (of the 39) or GB/T 4754 code.
    pub industry: Option<String>,
    /// A+, A, B, B-, C, D, 引领性, 非引领性
    pub grade: Option<String>,
    /// Part of the name or credit code.
    pub q: Option<String>,
}

fn summary(sf: &StoredFirm, live: Option<&FirmLive>, alarms: i64) -> FirmSummary {
    let f = &sf.firm;
    let day = today();
    FirmSummary {
        credit_code: f.credit_code.clone(),
        name: f.name.clone(),
        township: f.township.clone(),
        industry: f.industry.clone(),
        key_industry: f.key_industry.clone(),
        grade: f.grade_on(day).map(|g| g.as_str().to_string()),
        whitelist: f.whitelisted_on(day).map(|w| w.category.clone()),
        outlets: f.outlets.len(),
        outlets_online: live.map_or(0, |l| {
            l.outlets.iter().filter(|o| !o.times.is_empty()).count()
        }),
        meters: f.meters.len(),
        key_polluter: f.key_polluter,
        lon: f.lon,
        lat: f.lat,
        active_alarms: alarms,
        sample: f.sample,
    }
}

/// The firms this caller may see.
pub(crate) async fn visible(s: &HttpState, caller: &Caller) -> ApiResult<Vec<StoredFirm>> {
    caller.may(Action::ReadSources, own_object(&caller.scope))?;
    Ok(s.store
        .firms()
        .await?
        .into_iter()
        .filter(|sf| {
            caller
                .may(Action::ReadSources, firm_object(&sf.firm))
                .is_ok()
        })
        .collect())
}

/// The register: every firm the caller may see, with today's grade and
/// its open alarms.
#[utoipa::path(get, path = "/api/v1/enterprises", tag = "sources", params(ListQuery),
    responses(
        (status = 200, description = "Firms (a township user: its township's; an enterprise user: its own)", body = Vec<FirmSummary>),
        (status = 400, description = "A query parameter outside its list (the message names it)"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "The public role"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn list(
    State(s): State<HttpState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    let grade = q
        .grade
        .as_deref()
        .filter(|g| !g.is_empty())
        .map(lantian_sources::grade::Grade::parse)
        .transpose()
        .map_err(|e| ApiError::bad(format!("grade: {e}")))?;
    let firms = visible(&s, &caller).await?;
    let counts: std::collections::HashMap<String, i64> =
        s.store.active_alarm_counts().await?.into_iter().collect();
    let live = s
        .sources_live
        .read()
        .map_err(|_| ApiError::Internal("live view"))?;
    let day = today();
    let rows: Vec<FirmSummary> = firms
        .iter()
        .filter(|sf| {
            let f = &sf.firm;
            q.township
                .as_deref()
                .is_none_or(|t| t.is_empty() || f.township == t)
                && q.industry.as_deref().is_none_or(|i| {
                    i.is_empty() || f.key_industry == i || f.industry.starts_with(i)
                })
                && grade.is_none_or(|g| f.grade_on(day) == Some(g))
                && q.q
                    .as_deref()
                    .is_none_or(|x| x.is_empty() || f.name.contains(x) || f.credit_code.contains(x))
        })
        .map(|sf| {
            let c = &sf.firm.credit_code;
            summary(sf, live.get(c), counts.get(c).copied().unwrap_or(0))
        })
        .collect();
    Ok(json(&rows))
}

/// One firm: its whole record, today's grade and white list, and what
/// source supervision holds of it now.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct FirmDetail {
    #[serde(flatten)]
    pub summary: FirmSummary,
    /// The record (lines, outlets, facilities, meters, grades, white list,
    /// limits), as `PUT` takes it.
    #[schema(value_type = Object)]
    pub firm: Firm,
    /// Give it back on `PUT` (a change made meanwhile is refused with 409).
    pub version: i64,
    pub updated: Option<String>,
    pub updated_by: String,
    /// Each outlet's recent hours and each meter's windows.
    pub live: FirmLive,
}

async fn stored(s: &HttpState, code: &str) -> ApiResult<StoredFirm> {
    s.store
        .firm(code)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no enterprise {code} in the register")))
}

/// One firm of the register.
#[utoipa::path(get, path = "/api/v1/enterprises/{code}", tag = "sources",
    params(("code" = String, Path, description = "统一社会信用代码")),
    responses(
        (status = 200, description = "The firm", body = FirmDetail),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not this caller's firm or township"),
        (status = 404, description = "No such firm"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn get(
    State(s): State<HttpState>,
    caller: Caller,
    Path(code): Path<String>,
) -> ApiResult<Response> {
    caller.may(Action::ReadSources, own_object(&caller.scope))?;
    let sf = stored(&s, &code).await?;
    caller.may(Action::ReadSources, firm_object(&sf.firm))?;
    let alarms = s
        .store
        .active_alarm_counts()
        .await?
        .into_iter()
        .find(|(c, _)| *c == code)
        .map_or(0, |(_, n)| n);
    let live = s
        .sources_live
        .read()
        .map_err(|_| ApiError::Internal("live view"))?
        .get(&code)
        .cloned()
        .unwrap_or_default();
    Ok(json(&FirmDetail {
        summary: summary(&sf, Some(&live), alarms),
        updated: shanghai_ms(sf.updated_ms),
        updated_by: sf.updated_by.clone(),
        version: sf.version,
        firm: sf.firm,
        live,
    }))
}

/// A firm to register or replace.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct PutFirm {
    /// The version read (omit for a new firm).
    pub version: Option<i64>,
    #[schema(value_type = Object)]
    pub firm: Firm,
}

/// Rows of a register that could not be read.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct IssueView {
    pub sheet: String,
    pub row: u32,
    pub column: String,
    pub message: String,
}

impl From<&Issue> for IssueView {
    fn from(i: &Issue) -> Self {
        IssueView {
            sheet: i.sheet.clone(),
            row: i.row,
            column: i.column.clone(),
            message: i.message.clone(),
        }
    }
}

fn issues_text(issues: &[Issue]) -> String {
    issues
        .iter()
        .take(20)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Register or replace one firm. The record is checked by the same rules
/// as an imported workbook (credit code check character, township,
/// duplicate outlets, an MN held by another firm, limits of known outlets).
#[utoipa::path(put, path = "/api/v1/enterprises/{code}", tag = "sources",
    params(("code" = String, Path, description = "统一社会信用代码")),
    request_body = PutFirm,
    responses(
        (status = 200, description = "Stored", body = FirmSummary),
        (status = 400, description = "The record breaks a rule: the message names the sheet, row and column as the export would show them"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user, or missing X-CSRF-Token"),
        (status = 409, description = "Someone changed the firm since `version` was read"),
        (status = 415, description = "The body is not sent as application/json"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn put(
    State(s): State<HttpState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(req): Json<PutFirm>,
) -> ApiResult<Response> {
    caller.may(Action::ManageSources, firm_object(&req.firm))?;
    if req.firm.credit_code != code {
        return Err(ApiError::bad(format!(
            "the path names {code} but the record is of {}",
            req.firm.credit_code
        )));
    }
    let known = s.store.register_known().await?;
    let r = register::read(&register::tables(std::slice::from_ref(&req.firm)), &known);
    if !r.issues.is_empty() {
        return Err(ApiError::bad(issues_text(&r.issues)));
    }
    let Some(firm) = r.firms.into_iter().next() else {
        return Err(ApiError::bad("the record holds no firm"));
    };
    s.store
        .put_firm(&firm, req.version, &caller.user.username)
        .await?;
    let sf = stored(&s, &code).await?;
    Ok(json(&summary(&sf, None, 0)))
}

/// Remove a firm from the register (its change history stays).
#[utoipa::path(delete, path = "/api/v1/enterprises/{code}", tag = "sources",
    params(("code" = String, Path, description = "统一社会信用代码")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user, or missing X-CSRF-Token"),
        (status = 404, description = "No such firm"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn delete(
    State(s): State<HttpState>,
    caller: Caller,
    Path(code): Path<String>,
) -> ApiResult<Response> {
    caller.may(Action::ManageSources, Object::County)?;
    if s.store.delete_firm(&code, &caller.user.username).await? {
        Ok(axum::http::StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::NotFound(format!(
            "no enterprise {code} in the register"
        )))
    }
}

/// How an import went.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Rows read into firms.
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Firms the store refused (e.g. an MN another firm holds).
    pub refused: Vec<IssueView>,
    /// Rows that could not be read: sheet, row, column and why. They are
    /// left out; every other row is loaded (unless `dry_run`).
    pub issues: Vec<IssueView>,
    pub dry_run: bool,
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check only: read and report, store nothing.
    pub dry_run: Option<bool>,
    /// For a CSV body: the sheet it is (企业, 排口, 限值, …).
    pub sheet: Option<String>,
}

/// Import a register workbook (xlsx, xls or ods; or one sheet as CSV with
/// `?sheet=`). Firms are matched by credit code and replaced whole.
#[utoipa::path(post, path = "/api/v1/enterprises/import", tag = "sources", params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", description = "The workbook (at most 2 MiB here; `lantian enterprise import` reads larger)"),
    responses(
        (status = 200, description = "What was stored, and every row that was not (sheet, row, column, why)", body = ImportReport),
        (status = 400, description = "Not a workbook (or CSV without ?sheet=)"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user, or missing X-CSRF-Token"),
        (status = 413, description = "The body is larger than 2 MiB"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn import(
    State(s): State<HttpState>,
    caller: Caller,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult<Response> {
    caller.may(Action::ManageSources, Object::County)?;
    let tables: Vec<Table> = match q.sheet.as_deref().filter(|x| !x.is_empty()) {
        Some(sheet) => {
            if register::sheet_key(sheet).is_none() {
                return Err(ApiError::bad(format!(
                    "sheet `{sheet}`: not a sheet of the register"
                )));
            }
            vec![workbook::read_csv(sheet, &body).map_err(ApiError::bad)?]
        }
        None => workbook::read_xlsx(&body).map_err(ApiError::bad)?,
    };
    let known = s.store.register_known().await?;
    let r = register::read(&tables, &known);
    let dry_run = q.dry_run.unwrap_or(false);
    let mut rep = ImportReport {
        rows: r.rows,
        created: 0,
        updated: 0,
        unchanged: 0,
        refused: Vec::new(),
        issues: r.issues.iter().map(IssueView::from).collect(),
        dry_run,
    };
    if !dry_run {
        for (code, put) in s
            .store
            .import_firms(&r.firms, &caller.user.username)
            .await?
        {
            match put {
                Ok(Put::Created) => rep.created += 1,
                Ok(Put::Updated) => rep.updated += 1,
                Ok(Put::Unchanged) => rep.unchanged += 1,
                Err(m) => rep.refused.push(IssueView {
                    sheet: "企业".into(),
                    row: 0,
                    column: String::new(),
                    message: format!("{code}: {m}"),
                }),
            }
        }
    }
    Ok(json(&rep))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// An empty workbook with every sheet's header (to fill in).
    pub template: Option<bool>,
}

/// The register as an xlsx workbook (the caller's firms; one sheet per
/// table, Chinese headers), which imports back unchanged.
#[utoipa::path(get, path = "/api/v1/enterprises/export", tag = "sources", params(ExportQuery),
    responses(
        (status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "The public role"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn export(
    State(s): State<HttpState>,
    caller: Caller,
    Query(q): Query<ExportQuery>,
) -> ApiResult<Response> {
    let tables = if q.template.unwrap_or(false) {
        caller.may(Action::ReadSources, own_object(&caller.scope))?;
        workbook::template()
    } else {
        let firms: Vec<Firm> = visible(&s, &caller)
            .await?
            .into_iter()
            .map(|f| f.firm)
            .collect();
        register::tables(&firms)
    };
    let bytes = workbook::write_xlsx(&tables).map_err(|e| {
        tracing::error!(error = %e, "register export");
        ApiError::Internal("the workbook could not be written")
    })?;
    let name = if q.template.unwrap_or(false) {
        "企业名录模板.xlsx"
    } else {
        "企业名录.xlsx"
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (header::CONTENT_DISPOSITION, content_disposition(name)),
        ],
        bytes,
    )
        .into_response())
}

/// One change of a firm's record.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ChangeView {
    pub at: Option<String>,
    pub actor: String,
    /// create, update, import, delete
    pub action: String,
    /// What changed (top-level fields of the record).
    pub fields: Vec<String>,
}

fn changed_fields(before: Option<&str>, after: Option<&str>) -> Vec<String> {
    let parse = |d: Option<&str>| {
        d.and_then(|x| serde_json::from_str::<serde_json::Value>(x).ok())
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default()
    };
    let (b, a) = (parse(before), parse(after));
    let mut keys: Vec<String> = b.keys().chain(a.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    keys.into_iter().filter(|k| b.get(k) != a.get(k)).collect()
}

/// Who changed the firm's record, when, and which parts.
#[utoipa::path(get, path = "/api/v1/enterprises/{code}/changes", tag = "sources",
    params(("code" = String, Path, description = "统一社会信用代码")),
    responses(
        (status = 200, description = "Changes, newest first (times Asia/Shanghai)", body = Vec<ChangeView>),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not this caller's firm or township"),
        (status = 404, description = "No such firm"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn changes(
    State(s): State<HttpState>,
    caller: Caller,
    Path(code): Path<String>,
) -> ApiResult<Response> {
    let sf = stored(&s, &code).await?;
    caller.may(Action::ReadSources, firm_object(&sf.firm))?;
    let v: Vec<ChangeView> = s
        .store
        .firm_changes(&code, 200)
        .await?
        .into_iter()
        .map(|c| ChangeView {
            at: shanghai_ms(c.at_ms),
            fields: changed_fields(c.before_doc.as_deref(), c.after_doc.as_deref()),
            actor: c.actor,
            action: c.action,
        })
        .collect();
    Ok(json(&v))
}

/// A township of the county.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct TownshipView {
    pub name: String,
    /// The statistical division code (9 or 12 digits), when known.
    pub code: Option<String>,
    #[serde(default)]
    pub sample: bool,
}

/// The county's townships (乡镇街道), which firms, sites and users name.
#[utoipa::path(get, path = "/api/v1/townships", tag = "sources",
    responses(
        (status = 200, description = "Townships", body = Vec<TownshipView>),
        (status = 401, description = "No session or token"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn townships(State(s): State<HttpState>, caller: Caller) -> ApiResult<Response> {
    caller.may(Action::ReadData, Object::County)?;
    let v: Vec<TownshipView> = s
        .store
        .townships()
        .await?
        .into_iter()
        .map(|t| TownshipView {
            name: t.name,
            code: t.code,
            sample: t.sample != 0,
        })
        .collect();
    Ok(json(&v))
}

/// Add townships or change their codes.
#[utoipa::path(put, path = "/api/v1/townships", tag = "sources", request_body = Vec<TownshipView>,
    responses(
        (status = 200, description = "How many were added or changed", body = usize),
        (status = 400, description = "A name that is empty, too long or has control characters; a code that is not 9 or 12 digits"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user, or missing X-CSRF-Token"),
        (status = 415, description = "The body is not sent as application/json"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn put_townships(
    State(s): State<HttpState>,
    caller: Caller,
    Json(list): Json<Vec<TownshipView>>,
) -> ApiResult<Response> {
    caller.may(Action::ManageSources, Object::County)?;
    if list.len() > 1000 {
        return Err(ApiError::bad("at most 1000 townships at once"));
    }
    for (i, t) in list.iter().enumerate() {
        if let Some(c) = &t.code
            && !((c.len() == 9 || c.len() == 12) && c.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(ApiError::bad(format!(
                "township {} ({}): code `{c}` is not 9 or 12 digits",
                i + 1,
                t.name
            )));
        }
    }
    let rows: Vec<Township> = list
        .into_iter()
        .map(|t| Township {
            name: t.name,
            code: t.code,
            sample: i64::from(t.sample),
        })
        .collect();
    let n = s.store.put_townships(&rows, &caller.user.username).await?;
    Ok(json(&n))
}

/// The shipped default limits (by source type) to pick from when
/// registering an outlet; the permit's value always wins.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DefaultLimits {
    pub version: &'static str,
    #[schema(value_type = Vec<Object>)]
    pub limits: Vec<limits::DefaultLimit>,
}

#[utoipa::path(get, path = "/api/v1/limits/defaults", tag = "sources",
    responses(
        (status = 200, description = "The table (tag V: seen in a source; M: to be checked against the standard's text)", body = DefaultLimits),
        (status = 401, description = "No session or token"),
        (status = 403, description = "The public role")
    ))]
pub async fn default_limits(caller: Caller) -> ApiResult<Response> {
    caller.may(Action::ReadSources, own_object(&caller.scope))?;
    Ok(json(&DefaultLimits {
        version: limits::DEFAULTS_VERSION,
        limits: limits::defaults(),
    }))
}

/// Whether the caller's role acts as the bureau on source matters.
pub fn is_bureau(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Bureau)
}
