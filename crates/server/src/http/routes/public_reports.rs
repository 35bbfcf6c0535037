//! The public's reports (举报), no login: a report becomes a `new` ticket
//! with a tracking code; the reporter follows it by that code; photos may
//! be added to it. The same reports through Open311 GeoReport v2 at
//! `/open311/v2/`. The reporter is protected (management.md §1.4): the
//! contact is sealed with the master key in a table of its own and shown
//! only to admin and bureau users; no answer to the public ever carries
//! it; the tracking code is the reporter's alone (it reads the report in
//! full and adds photos): the public list of Open311 requests names each
//! by its public number `LT<n>` and carries neither description nor place,
//! and a request read by that number shows its status only; the audit
//! names the actor `public`, not the client's address. Reports, requests and
//! photos are limited per client address and hour, per node.

use std::collections::HashMap;
use std::net::IpAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use lantian_store::tickets::{NewTicket, Notice, TicketRow};
use lantian_tickets::category::{self, CATEGORIES};
use lantian_tickets::machine::State as TicketState;
use lantian_tickets::rules::Source;
use lantian_types::time::{beijing_ms, shanghai_ms};

use super::json;
use super::tickets::{check_file, now_ms};
use crate::http::HttpState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Query, line, multiline};
use crate::listen::PeerAddr;

/// Photos one report may carry.
pub const MAX_PHOTOS: usize = 3;
/// The characters of a tracking code (no 0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// A tracking code's length (31^10 ≈ 8·10^14 codes).
pub const CODE_LEN: usize = 10;

/// Submissions per client address in the last hour.
#[derive(Debug, Default)]
pub struct ReportLimiter {
    seen: HashMap<IpAddr, Vec<i64>>,
}

impl ReportLimiter {
    /// Counts a submission at `now` unless `per_hour` were already made in
    /// the hour before; the seconds to wait otherwise.
    pub fn allow(&mut self, ip: IpAddr, per_hour: u32, now: i64) -> Result<(), i64> {
        const HOUR: i64 = 3_600_000;
        if self.seen.len() > 10_000 {
            self.seen.retain(|_, v| v.iter().any(|t| now - t < HOUR));
        }
        let v = self.seen.entry(ip).or_default();
        v.retain(|t| now - t < HOUR);
        if v.len() >= per_hour as usize {
            let wait = v.first().map_or(HOUR, |t| HOUR - (now - t));
            return Err((wait + 999) / 1000);
        }
        v.push(now);
        Ok(())
    }
}

fn limit(s: &HttpState, peer: std::net::SocketAddr, headers: &HeaderMap) -> ApiResult<()> {
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let (ip, counted) = s.trusted.client(peer.ip(), forwarded);
    if !counted {
        return Ok(());
    }
    let r = match s.report_limiter.lock() {
        Ok(mut l) => l.allow(ip, s.reports_per_hour, now_ms()),
        Err(_) => Err(60),
    };
    r.map_err(|wait| {
        ApiError::TooManyRequests(
            format!(
                "at most {} reports an hour from one address; try again in {wait} s",
                s.reports_per_hour
            ),
            u64::try_from(wait).unwrap_or(60),
        )
    })
}

/// A reporter's contact (optional: anonymous reports are taken).
#[derive(Debug, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct ReportContact {
    pub name: Option<String>,
    pub phone: Option<String>,
}

/// A report from the public.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// dust, smoke, straw_burning, open_burning, odour, vehicle, other
    pub category: String,
    /// What was seen (5–2000 characters).
    pub description: String,
    /// Where (WGS-84 degrees); a place by `lon`+`lat` or by `address`.
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub address: Option<String>,
    pub contact: Option<ReportContact>,
}

/// A report taken.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ReportAnswer {
    /// Keep it: the only way to follow the report.
    pub tracking_code: String,
    pub state: String,
    pub state_zh: String,
}

/// Takes a report: checks it, counts it against the client's hourly
/// limit (only reports that would be kept are counted), seals the
/// contact, opens the ticket.
async fn submit(
    s: &HttpState,
    peer: std::net::SocketAddr,
    headers: &HeaderMap,
    r: ReportRequest,
) -> ApiResult<(String, i64)> {
    let cat = category::category(r.category.trim()).ok_or_else(|| {
        ApiError::bad(format!(
            "category `{}`: one of {}",
            r.category,
            CATEGORIES
                .iter()
                .map(|c| c.0)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let description = multiline(&r.description, "description", 2000)?;
    if description.chars().count() < 5 {
        return Err(ApiError::bad(
            "description: at least 5 characters saying what was seen",
        ));
    }
    if r.lon.is_some() != r.lat.is_some() {
        return Err(ApiError::bad("lon and lat: both or neither"));
    }
    lantian_types::text::lon_lat(r.lon, r.lat).map_err(ApiError::BadRequest)?;
    let address = r
        .address
        .as_deref()
        .map(|a| line(a, "address", 200))
        .transpose()?
        .filter(|a| !a.is_empty());
    if r.lon.is_none() && address.is_none() {
        return Err(ApiError::bad("where: give lon and lat, or an address"));
    }
    let contact = match r.contact {
        None => None,
        Some(c) => {
            let name = c
                .name
                .as_deref()
                .map(|n| line(n, "contact.name", 40))
                .transpose()?
                .filter(|n| !n.is_empty());
            let phone = c
                .phone
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(String::from);
            if let Some(p) = &phone {
                let digits = p.chars().filter(char::is_ascii_digit).count();
                if !p.chars().all(|c| c.is_ascii_digit() || "+- ".contains(c))
                    || !(7..=20).contains(&digits)
                {
                    return Err(ApiError::bad(
                        "contact.phone: 7–20 digits (+, - and spaces allowed)",
                    ));
                }
            }
            (name.is_some() || phone.is_some()).then_some(ReportContact { name, phone })
        }
    };
    let sealed_contact = match (&contact, s.master.as_ref()) {
        (None, _) => None,
        (Some(c), Some(master)) => Some(
            crate::keys::seal_text(master, &serde_json::to_string(c).unwrap_or_default())
                .map_err(|_| ApiError::Internal("no random source"))?,
        ),
        (Some(_), None) => {
            return Err(ApiError::bad(
                "contact: this platform has no master key to keep a contact sealed, so it takes anonymous reports only; send the report without `contact`",
            ));
        }
    };
    limit(s, peer, headers)?;
    let code = crate::keys::random_code(CODE_LEN, CODE_ALPHABET)
        .map_err(|_| ApiError::Internal("no random source"))?;
    // The title is one line: the description's line breaks become spaces.
    let short: String = description
        .chars()
        .take(30)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    // A report with a position is placed in its township (the bureau's
    // list and the township's own view follow it); outside: none.
    let township = match (r.lon, r.lat) {
        (Some(lon), Some(lat)) => super::fires::township_at(s, lon, lat).await?,
        _ => None,
    };
    let t = NewTicket {
        title: format!("{}：{short}", cat.1),
        description,
        source: Source::PublicReport.as_str().into(),
        category: Some(cat.0.into()),
        severity: s
            .ticket_rules
            .default_severity(Source::PublicReport)
            .as_str()
            .into(),
        township,
        lon: r.lon.map(|x| x.to_string()),
        lat: r.lat.map(|x| x.to_string()),
        address,
        tracking_code: Some(code.clone()),
        sealed_contact,
        ..NewTicket::default()
    };
    let notice = Notice {
        to: "bureau".into(),
        kind: "new".into(),
        text: format!("新群众举报 #{{id}}：{}", t.title),
    };
    let id = s
        .store
        .create_ticket(&t, "public", now_ms(), &[notice])
        .await?;
    Ok((code, id))
}

/// Report a problem (no login): answers the tracking code. The contact is
/// optional; it is sealed and shown only to the bureau.
#[utoipa::path(post, path = "/api/v1/public/reports", tag = "public", request_body = ReportRequest,
    responses(
        (status = 201, description = "Taken: a new ticket", body = ReportAnswer),
        (status = 400, description = "A field missing, unknown or out of range (the message names it)"),
        (status = 415, description = "The body is not sent as application/json"),
        (status = 429, description = "Too many reports from this address in an hour"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn report(
    State(s): State<HttpState>,
    ConnectInfo(PeerAddr(peer)): ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    Json(r): Json<ReportRequest>,
) -> ApiResult<Response> {
    let (code, _) = submit(&s, peer, &headers, r).await?;
    Ok((
        StatusCode::CREATED,
        json(&ReportAnswer {
            tracking_code: code,
            state: "new".into(),
            state_zh: TicketState::New.name_zh().into(),
        }),
    )
        .into_response())
}

/// A step a reporter sees.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct UpdateView {
    pub at: Option<String>,
    pub action: String,
    pub action_zh: String,
    pub state: String,
    pub state_zh: String,
}

/// What became of a report (never the contact, the assignee's notes or
/// the staff's names).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ReportStatus {
    pub tracking_code: String,
    pub category: Option<String>,
    pub category_zh: Option<String>,
    /// new, assigned, rectifying, reviewing, closed, unfounded
    pub state: String,
    pub state_zh: String,
    pub submitted: Option<String>,
    pub updated: Option<String>,
    /// The bureau's answer when it closed the report.
    pub answer: Option<String>,
    pub photos: usize,
    pub updates: Vec<UpdateView>,
    pub label: Option<String>,
}

fn code_ok(code: &str) -> bool {
    code.len() == CODE_LEN && code.bytes().all(|b| CODE_ALPHABET.contains(&b))
}

async fn by_code(s: &HttpState, code: &str) -> ApiResult<TicketRow> {
    let code = code.trim().to_ascii_uppercase();
    if !code_ok(&code) {
        return Err(ApiError::NotFound(format!(
            "no report {code}: a tracking code is {CODE_LEN} letters and digits"
        )));
    }
    s.store
        .ticket_by_code(&code)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no report {code}")))
}

async fn status_of(s: &HttpState, t: &TicketRow) -> ApiResult<ReportStatus> {
    let history = s.store.ticket_history(t.id).await?;
    let answer = history
        .iter()
        .rev()
        .find(|h| h.action == "accept")
        .map(|h| h.note.clone())
        .filter(|n| !n.is_empty());
    // State changes only (comments and ladder steps are the staff's).
    let updates = history
        .iter()
        .filter(|h| h.action == "create" || h.from_state.as_deref() != Some(h.to_state.as_str()))
        .map(|h| UpdateView {
            at: shanghai_ms(h.at_ms),
            action: h.action.clone(),
            action_zh: if h.action == "create" {
                "受理".into()
            } else {
                lantian_tickets::machine::Action::parse(&h.action)
                    .map_or(h.action.clone(), |a| a.name_zh().to_string())
            },
            state: h.to_state.clone(),
            state_zh: TicketState::parse(&h.to_state)
                .map_or(h.to_state.clone(), |x| x.name_zh().into()),
        })
        .collect();
    let photos = s
        .store
        .ticket_files(t.id)
        .await?
        .iter()
        .filter(|f| f.actor == "public")
        .count();
    Ok(ReportStatus {
        tracking_code: t.tracking_code.clone().unwrap_or_default(),
        category: t.category.clone(),
        category_zh: t
            .category
            .as_deref()
            .and_then(category::category)
            .map(|c| c.1.to_string()),
        state: t.state.clone(),
        state_zh: TicketState::parse(&t.state).map_or(t.state.clone(), |x| x.name_zh().into()),
        submitted: shanghai_ms(t.created_ms),
        updated: shanghai_ms(t.updated_ms),
        answer,
        photos,
        updates,
        label: s.label.clone(),
    })
}

/// What became of a report, by its tracking code (no login).
#[utoipa::path(get, path = "/api/v1/public/reports/{code}", tag = "public",
    params(("code" = String, Path, description = "The tracking code")),
    responses(
        (status = 200, description = "The report's state and steps", body = ReportStatus),
        (status = 404, description = "No report has this code"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn status(State(s): State<HttpState>, Path(code): Path<String>) -> ApiResult<Response> {
    let t = by_code(&s, &code).await?;
    Ok(json(&status_of(&s, &t).await?))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PhotoQuery {
    /// The photo's name as shown.
    pub name: Option<String>,
}

/// Add a photo (PNG or JPEG, at most 2 MB, typed by its bytes; at most 3
/// per report) to a report still being handled, by its tracking code.
#[utoipa::path(post, path = "/api/v1/public/reports/{code}/photos", tag = "public",
    params(("code" = String, Path, description = "The tracking code"), PhotoQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The photo"),
    responses(
        (status = 201, description = "Stored", body = ReportStatus),
        (status = 400, description = "Empty, not a PNG or JPEG, or over 2 MB"),
        (status = 404, description = "No report has this code"),
        (status = 409, description = "The report is closed, or has its 3 photos"),
        (status = 413, description = "The body is larger than 2 MiB"),
        (status = 429, description = "Too many submissions from this address in an hour"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn photo(
    State(s): State<HttpState>,
    ConnectInfo(PeerAddr(peer)): ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<PhotoQuery>,
    body: Bytes,
) -> ApiResult<Response> {
    let t = by_code(&s, &code).await?;
    let ct = check_file(&body)?;
    if ct == "application/pdf" {
        return Err(ApiError::bad(
            "a report takes photos (PNG or JPEG), not documents",
        ));
    }
    if TicketState::parse(&t.state).is_some_and(TicketState::is_final) {
        return Err(ApiError::Conflict(format!(
            "report {code} is {}; no more photos",
            t.state
        )));
    }
    let n = s
        .store
        .ticket_files(t.id)
        .await?
        .iter()
        .filter(|f| f.actor == "public")
        .count();
    if n >= MAX_PHOTOS {
        return Err(ApiError::Conflict(format!(
            "report {code} has its {MAX_PHOTOS} photos"
        )));
    }
    limit(&s, peer, &headers)?;
    let name = super::tickets::label_of(&q.name.unwrap_or_else(|| format!("photo-{}", n + 1)));
    s.store
        .attach_to_ticket(t.id, &name, ct, "before", &body, "public", now_ms())
        .await?;
    Ok((StatusCode::CREATED, json(&status_of(&s, &t).await?)).into_response())
}

// ---- Open311 GeoReport v2 -------------------------------------------------

/// An Open311 service: a category of report.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Service {
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    pub metadata: bool,
    /// realtime
    #[serde(rename = "type")]
    pub kind: String,
    pub keywords: String,
    pub group: String,
}

/// The services (report categories), GeoReport v2.
#[utoipa::path(get, path = "/open311/v2/services.json", tag = "public",
    responses((status = 200, description = "The services", body = Vec<Service>)))]
pub async fn services() -> Response {
    let v: Vec<Service> = CATEGORIES
        .iter()
        .map(|(code, zh, en, group, desc)| Service {
            service_code: (*code).into(),
            service_name: (*zh).into(),
            description: (*desc).into(),
            metadata: false,
            kind: "realtime".into(),
            keywords: (*en).into(),
            group: (*group).into(),
        })
        .collect();
    json(&v)
}

/// An Open311 request (form-encoded, GeoReport v2 field names).
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct Open311Post {
    pub service_code: Option<String>,
    pub lat: Option<String>,
    pub long: Option<String>,
    pub address_string: Option<String>,
    pub description: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    /// Not kept (a contact is a name and a phone here).
    pub email: Option<String>,
    /// Not fetched: photos are uploaded to the report by its code.
    pub media_url: Option<String>,
    pub api_key: Option<String>,
    pub jurisdiction_id: Option<String>,
    pub device_id: Option<String>,
    pub account_id: Option<String>,
}

/// What a POST answers.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Open311Created {
    pub service_request_id: String,
    pub service_notice: String,
    pub account_id: Option<String>,
}

fn coordinate(v: &Option<String>, what: &str) -> ApiResult<Option<f64>> {
    match v.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
        None => Ok(None),
        Some(x) => x
            .parse::<f64>()
            .map(Some)
            .map_err(|_| ApiError::bad(format!("{what} `{x}`: degrees as a number"))),
    }
}

/// Create a service request (a report), GeoReport v2: form-encoded;
/// answers `[{"service_request_id": TRACKING_CODE, …}]`.
#[utoipa::path(post, path = "/open311/v2/requests.json", tag = "public",
    request_body(content = Open311Post, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 201, description = "Taken", body = Vec<Open311Created>),
        (status = 400, description = "A field missing, unknown or out of range (the message names it)"),
        (status = 415, description = "Not form-encoded"),
        (status = 429, description = "Too many requests from this address in an hour"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn open311_post(
    State(s): State<HttpState>,
    ConnectInfo(PeerAddr(peer)): ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    form: Result<axum::Form<Open311Post>, axum::extract::rejection::FormRejection>,
) -> ApiResult<Response> {
    let axum::Form(f) = form.map_err(|e| match e {
        axum::extract::rejection::FormRejection::InvalidFormContentType(_) => {
            ApiError::UnsupportedMediaType(
                "send the request as application/x-www-form-urlencoded".into(),
            )
        }
        e => ApiError::bad(format!("request body: {}", e.body_text())),
    })?;
    let name = [f.last_name.as_deref(), f.first_name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .collect::<String>();
    let contact = (!name.is_empty() || f.phone.as_deref().is_some_and(|p| !p.trim().is_empty()))
        .then(|| ReportContact {
            name: Some(name).filter(|n| !n.is_empty()),
            phone: f.phone.clone(),
        });
    let r = ReportRequest {
        category: f
            .service_code
            .clone()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| ApiError::bad("service_code: missing (GET services.json lists them)"))?,
        description: f.description.clone().unwrap_or_default(),
        lon: coordinate(&f.long, "long")?,
        lat: coordinate(&f.lat, "lat")?,
        address: f.address_string.clone(),
        contact,
    };
    let (code, _) = submit(&s, peer, &headers, r).await?;
    Ok((
        StatusCode::CREATED,
        json(&vec![Open311Created {
            service_request_id: code,
            service_notice: "已受理，请凭编号查询办理进度".into(),
            account_id: None,
        }]),
    )
        .into_response())
}

/// A request as GeoReport v2 shows it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Open311Request {
    pub service_request_id: String,
    /// open or closed
    pub status: String,
    pub status_notes: Option<String>,
    pub service_name: Option<String>,
    pub service_code: Option<String>,
    /// Only when asked by the request's own id (the reporter's code).
    pub description: Option<String>,
    pub agency_responsible: String,
    pub service_notice: Option<String>,
    pub requested_datetime: Option<String>,
    pub updated_datetime: Option<String>,
    pub expected_datetime: Option<String>,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub media_url: Option<String>,
}

/// ISO 8601 with the +08:00 offset.
fn iso(ms: i64) -> Option<String> {
    beijing_ms(ms).map(|t| t.format("%Y-%m-%dT%H:%M:%S+08:00").to_string())
}

/// A request's public number (not its tracking code).
fn public_id(t: &TicketRow) -> String {
    format!("LT{}", t.id)
}

async fn as_open311(s: &HttpState, t: &TicketRow, full: bool) -> ApiResult<Open311Request> {
    let closed = TicketState::parse(&t.state).is_some_and(TicketState::is_final);
    let notes = if closed && full {
        s.store
            .ticket_history(t.id)
            .await?
            .iter()
            .rev()
            .find(|h| h.action == "accept")
            .map(|h| h.note.clone())
    } else {
        None
    };
    let cat = t.category.as_deref().and_then(category::category);
    let agency = match t.assignee.as_deref().and_then(|a| a.split_once(':')) {
        Some(("township", n)) => n.to_string(),
        _ => "生态环境分局".to_string(),
    };
    Ok(Open311Request {
        service_request_id: if full {
            t.tracking_code.clone().unwrap_or_default()
        } else {
            public_id(t)
        },
        status: if closed { "closed" } else { "open" }.into(),
        status_notes: notes,
        service_name: cat.map(|c| c.1.to_string()),
        service_code: t.category.clone(),
        description: full.then(|| t.description.clone()),
        agency_responsible: agency,
        service_notice: None,
        requested_datetime: iso(t.created_ms),
        updated_datetime: iso(t.updated_ms),
        expected_datetime: t.due_ms.and_then(iso),
        address: if full { t.address.clone() } else { None },
        lat: if full {
            t.lat.as_deref().and_then(|x| x.parse().ok())
        } else {
            None
        },
        long: if full {
            t.lon.as_deref().and_then(|x| x.parse().ok())
        } else {
            None
        },
        media_url: None,
    })
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Open311Query {
    /// Comma-separated ids (tracking codes): these requests, in full.
    pub service_request_id: Option<String>,
    pub service_code: Option<String>,
    /// open or closed
    pub status: Option<String>,
    /// W3C datetimes (default: the last 90 days).
    pub start_date: Option<String>,
    pub end_date: Option<String>,
}

fn w3(v: &str, what: &str) -> ApiResult<i64> {
    chrono::DateTime::parse_from_rfc3339(v.trim())
        .map(|t| t.timestamp_millis())
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map(|d| {
                lantian_types::time::utc_seconds(d.and_hms_opt(0, 0, 0).unwrap_or_default()) * 1000
            })
        })
        .map_err(|_| {
            ApiError::bad(format!(
                "{what} `{v}`: a W3C datetime such as 2026-12-01T08:00:00+08:00"
            ))
        })
}

/// Requests, GeoReport v2: by id (tracking codes: in full; public numbers
/// `LT<n>`: status only), or the list of the public's reports (by public
/// number, status and dates only: no description, no place).
#[utoipa::path(get, path = "/open311/v2/requests.json", tag = "public", params(Open311Query),
    responses(
        (status = 200, description = "The requests", body = Vec<Open311Request>),
        (status = 400, description = "A bad status, date or service code"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn open311_list(
    State(s): State<HttpState>,
    Query(q): Query<Open311Query>,
) -> ApiResult<Response> {
    if let Some(ids) = q.service_request_id.as_deref().filter(|x| !x.is_empty()) {
        let mut out = Vec::new();
        for id in ids.split(',').take(50) {
            if let Ok((t, full)) = by_request_id(&s, id).await {
                out.push(as_open311(&s, &t, full).await?);
            }
        }
        return Ok(json(&out));
    }
    let status = q.status.as_deref().filter(|x| !x.is_empty());
    if let Some(st) = status
        && st != "open"
        && st != "closed"
    {
        return Err(ApiError::bad(format!("status `{st}`: open or closed")));
    }
    if let Some(c) = q.service_code.as_deref().filter(|x| !x.is_empty())
        && category::category(c).is_none()
    {
        return Err(ApiError::bad(format!(
            "service_code `{c}`: not a service (GET services.json)"
        )));
    }
    let now = now_ms();
    let end = q
        .end_date
        .as_deref()
        .filter(|x| !x.is_empty())
        .map(|v| w3(v, "end_date"))
        .transpose()?
        .unwrap_or(now + 1);
    let start = q
        .start_date
        .as_deref()
        .filter(|x| !x.is_empty())
        .map(|v| w3(v, "start_date"))
        .transpose()?
        .unwrap_or(end - 90 * 86_400_000);
    let rows = s
        .store
        .tickets(&lantian_store::tickets::TicketFilter {
            source: Some(Source::PublicReport.as_str().into()),
            from_ms: Some(start),
            to_ms: Some(end),
            limit: 1000,
            ..Default::default()
        })
        .await?;
    let mut out = Vec::new();
    for t in rows.iter().filter(|t| {
        q.service_code
            .as_deref()
            .is_none_or(|c| c.is_empty() || t.category.as_deref() == Some(c))
    }) {
        let r = as_open311(&s, t, false).await?;
        if status.is_none_or(|st| st == r.status) {
            out.push(r);
        }
    }
    Ok(json(&out))
}

/// One request by its id, GeoReport v2: by the tracking code in full, by
/// the public number `LT<n>` its status only.
#[utoipa::path(get, path = "/open311/v2/requests/{id}", tag = "public",
    params(("id" = String, Path, description = "The request's id with `.json`: the tracking code (in full) or the public number LT<n> (status only), e.g. LT12.json")),
    responses(
        (status = 200, description = "The request (an array of one)", body = Vec<Open311Request>),
        (status = 404, description = "No such request"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn open311_get(
    State(s): State<HttpState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let code = id.strip_suffix(".json").ok_or_else(|| {
        ApiError::NotFound(format!(
            "no request {id}: ask for /open311/v2/requests/ID.json"
        ))
    })?;
    let (t, full) = by_request_id(&s, code).await?;
    Ok(json(&vec![as_open311(&s, &t, full).await?]))
}

/// A request by its tracking code (in full) or its public number `LT<n>`
/// (status only; only public reports have one).
async fn by_request_id(s: &HttpState, id: &str) -> ApiResult<(TicketRow, bool)> {
    let id = id.trim();
    if let Some(n) = id.strip_prefix("LT").and_then(|n| n.parse::<i64>().ok()) {
        return match s.store.ticket(n).await? {
            Some(t) if t.source == Source::PublicReport.as_str() => Ok((t, false)),
            _ => Err(ApiError::NotFound(format!("no request {id}"))),
        };
    }
    Ok((by_code(s, id).await?, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_counts_an_hour_per_address() {
        let mut l = ReportLimiter::default();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for i in 0..5 {
            assert!(l.allow(a, 5, 1000 + i).is_ok());
        }
        assert_eq!(l.allow(a, 5, 2000), Err(3599));
        assert!(
            l.allow(b, 5, 2000).is_ok(),
            "another address has its own count"
        );
        assert!(l.allow(a, 5, 1000 + 3_600_000).is_ok(), "an hour later");
    }

    #[test]
    fn codes_are_checked_before_the_database() {
        assert!(code_ok("7K3M9Q2P4X"));
        assert!(!code_ok("7K3M9Q2P4"));
        assert!(!code_ok("7K3M9Q2P4O"), "no O");
        assert!(!code_ok("../../etc/x"));
    }
}
