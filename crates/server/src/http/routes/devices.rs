//! Devices and HJ 212-2025 data loggers: the registry with each device's
//! freshness and counts, and approving a logger. For admin and bureau
//! users (the policy's `ReadDevices` and `ManageDevices`).

use axum::extract::State;
use axum::response::Response;
use lantian_store::Verdict;
use lantian_store::registry::Approval;
use lantian_types::time::shanghai_ms;
use lantian_types::{CrcDialect, DeviceKind, Protocol, SiteKind};

use super::json;
use crate::http::HttpState;
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::export::{self, Cell, Format, Table};
use crate::http::extract::{Json, Query};
use crate::policy::{Action, Object};

/// A device silent this long (data or heartbeat) is shown offline.
pub const OFFLINE_AFTER_MS: i64 = 600_000;
/// The window of the device page's counts.
pub const HEALTH_WINDOW_MS: i64 = 24 * 3600 * 1000;

/// A device as the API and `lantian device list --json` show it; times in
/// Asia/Shanghai.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DeviceView {
    pub mn: String,
    pub site: String,
    pub site_name: String,
    pub site_kind: SiteKind,
    pub township: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// Counts in area values (false for background sites).
    pub assessment: bool,
    pub kind: DeviceKind,
    pub protocol: Protocol,
    pub crc: CrcDialect,
    /// `code=unit;…` overrides of the code table's units.
    pub units: String,
    pub enabled: bool,
    /// When any accepted frame last came.
    pub last_seen: Option<String>,
    /// 在线: heard from within 10 minutes.
    pub online: bool,
    /// A site's intake device (pushed and imported hours; no TCP line, so
    /// neither online nor offline).
    pub intake: bool,
}

impl DeviceView {
    pub fn of(dev: &lantian_store::Device, now_ms: i64, offline_after_ms: i64) -> Self {
        let d = &dev.spec;
        DeviceView {
            mn: d.mn.to_string(),
            site: d.site.code.to_string(),
            site_name: d.site.name.clone(),
            site_kind: d.site.kind,
            township: d.site.township.clone(),
            lon: d.site.lon,
            lat: d.site.lat,
            assessment: d.site.assessment,
            kind: d.kind,
            protocol: d.protocol,
            crc: d.crc,
            units: d.unit_overrides.clone(),
            enabled: dev.enabled,
            last_seen: dev.last_seen_ms.and_then(shanghai_ms),
            online: dev.is_online(now_ms, offline_after_ms),
            intake: dev.intake,
        }
    }
}

/// A device with its health over the last 24 hours (the 设备 page).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DeviceRow {
    #[serde(flatten)]
    pub device: DeviceView,
    /// The latest DataTime stored.
    pub latest_data: Option<String>,
    pub stored_24h: i64,
    pub duplicates_24h: i64,
    pub rejected_24h: i64,
    pub quarantined_24h: i64,
    /// Values whose flag is not N.
    pub flagged_24h: i64,
}

impl Table for DeviceRow {
    fn columns() -> Vec<&'static str> {
        vec![
            "mn",
            "site",
            "site_name",
            "kind",
            "protocol",
            "crc",
            "enabled",
            "online",
            "last_seen",
            "latest_data",
            "stored_24h",
            "duplicates_24h",
            "flagged_24h",
            "rejected_24h",
            "quarantined_24h",
        ]
    }
    fn cells(&self) -> Vec<Cell> {
        let d = &self.device;
        vec![
            Cell::text(d.mn.clone()),
            Cell::text(d.site.clone()),
            Cell::text(d.site_name.clone()),
            Cell::text(d.kind.as_str()),
            Cell::text(d.protocol.as_str()),
            Cell::text(d.crc.as_str()),
            Cell::from(d.enabled),
            Cell::from(d.online),
            Cell::from(d.last_seen.clone()),
            Cell::from(self.latest_data.clone()),
            Cell::from(self.stored_24h),
            Cell::from(self.duplicates_24h),
            Cell::from(self.flagged_24h),
            Cell::from(self.rejected_24h),
            Cell::from(self.quarantined_24h),
        ]
    }
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// json (default), csv or xlsx
    pub format: Option<Format>,
}

/// Every device with its site, state and freshness.
#[utoipa::path(get, path = "/api/v1/devices", tag = "devices", params(ExportQuery),
    responses(
        (status = 200, description = "Devices with their counts over the last 24 hours (whole clock hours): stored, duplicate, rejected and quarantined frames, flagged values", content((Vec<DeviceRow> = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user"),
        (status = 503, description = "Not now: the first figures are being computed, or the database is busy; try again (Retry-After)"),
        (status = 400, description = "A query parameter outside its bounds or list (the message names it)")
    ))]
pub async fn devices(
    State(s): State<HttpState>,
    caller: Caller,
    Query(q): Query<ExportQuery>,
) -> ApiResult<Response> {
    caller.may(Action::ReadDevices, Object::County)?;
    let devices = s.store.devices().await?;
    let now = chrono::Utc::now().timestamp_millis();
    let health = s.store.device_health(now - HEALTH_WINDOW_MS).await?;
    let rows: Vec<DeviceRow> = devices
        .iter()
        .map(|d| {
            let h = health.get(d.spec.mn.as_str()).cloned().unwrap_or_default();
            DeviceRow {
                device: DeviceView::of(d, now, OFFLINE_AFTER_MS),
                latest_data: d.latest_data_s.and_then(|t| shanghai_ms(t * 1000)),
                stored_24h: h.frames_of(Verdict::Stored),
                duplicates_24h: h.frames_of(Verdict::Duplicate),
                rejected_24h: h.frames_of(Verdict::Rejected),
                quarantined_24h: h.frames_of(Verdict::Quarantine),
                flagged_24h: h.flagged,
            }
        })
        .collect();
    match q.format.unwrap_or_default() {
        Format::Json => Ok(json(&rows)),
        f => export::table(f, "devices", &rows),
    }
}

/// A data logger that announced itself.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LoggerView {
    pub logger_id: String,
    pub cpu_id: Option<String>,
    pub mac1: Option<String>,
    pub mac2: Option<String>,
    pub peer: String,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// Null while pending.
    pub approved_mn: Option<String>,
}

/// HJ 212-2025 data loggers that announced themselves (1001), awaiting
/// approval or approved.
#[utoipa::path(get, path = "/api/v1/loggers", tag = "devices",
    responses(
        (status = 200, description = "Loggers (times Asia/Shanghai)", body = Vec<LoggerView>),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user"),
        (status = 503, description = "Not now: the first figures are being computed, or the database is busy; try again (Retry-After)")
    ))]
pub async fn loggers(State(s): State<HttpState>, caller: Caller) -> ApiResult<Response> {
    caller.may(Action::ReadDevices, Object::County)?;
    let v: Vec<LoggerView> = s
        .store
        .pending_loggers()
        .await?
        .into_iter()
        .map(|l| LoggerView {
            first_seen: shanghai_ms(l.first_ms),
            last_seen: shanghai_ms(l.last_ms),
            logger_id: l.logger_id,
            cpu_id: l.cpu_id,
            mac1: l.mac1,
            mac2: l.mac2,
            peer: l.peer,
            approved_mn: l.approved_mn,
        })
        .collect();
    Ok(json(&v))
}

#[derive(Debug, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct ApproveRequest {
    /// The logger id (i23005-Info) it announced.
    pub logger_id: String,
    /// The MN of a device registered for it (`lantian device add` or import).
    pub mn: String,
}

/// Approve a pending data logger as a registered device: `serve` assigns
/// it the MN (1002) the next time it announces itself.
#[utoipa::path(post, path = "/api/v1/loggers/approve", tag = "devices", request_body = ApproveRequest,
    responses(
        (status = 200, description = "Approved", body = ApproveRequest),
        (status = 400, description = "Bad body, no such pending logger, or no device with that MN"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user, or missing X-CSRF-Token"),
        (status = 503, description = "Not now: the first figures are being computed, or the database is busy; try again (Retry-After)"),
        (status = 415, description = "The body is not sent as application/json")
    ))]
pub async fn approve(
    State(s): State<HttpState>,
    caller: Caller,
    Json(req): Json<ApproveRequest>,
) -> ApiResult<Response> {
    caller.may(Action::ManageDevices, Object::County)?;
    match s
        .store
        .approve_logger(&req.logger_id, &req.mn, &caller.user.username)
        .await?
    {
        Approval::Approved => Ok(json(&req)),
        Approval::NoSuchLogger => Err(ApiError::bad(format!(
            "no logger {} has announced itself",
            req.logger_id
        ))),
        Approval::NoSuchDevice => Err(ApiError::bad(format!(
            "no device with MN {} (register it first)",
            req.mn
        ))),
    }
}
