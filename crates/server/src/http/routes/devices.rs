//! Devices and HJ 212-2025 data loggers: the registry with each device's
//! freshness and counts, and approving a logger. For admin and bureau
//! users (the policy's `ReadDevices` and `ManageDevices`).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
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

/// A device to register or change, with its site: the columns of
/// `lantian device import` (the same checks apply).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct DeviceRequest {
    pub mn: String,
    pub password: String,
    /// The site's code (created or updated with the device).
    pub site: String,
    pub site_name: Option<String>,
    /// ambient, micro, outlet, construction, restaurant, other.
    pub site_kind: Option<String>,
    pub township: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// Counts in area values (default true; false for background sites).
    pub assessment: Option<bool>,
    /// ambient, cems, vocs, dust, fume, water, electricity, other.
    pub kind: Option<String>,
    /// auto, 2005, 2017, 2025.
    pub protocol: Option<String>,
    /// hj212 or modbus.
    pub crc: Option<String>,
    /// `code=unit;…` where the device differs from the code table.
    pub units: Option<String>,
    pub rtd_interval_s: Option<i64>,
    pub min_interval_min: Option<i64>,
    /// HJ 212-2025 SM4 key (16 characters or 32 hex digits), sealed with
    /// the master key before it is stored.
    pub sm4_key: Option<String>,
}

impl DeviceRequest {
    /// As a CSV row under [`crate::registry::DEVICE_CSV_HEADER`].
    fn record(&self) -> csv::StringRecord {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        let n = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        let i = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
        csv::StringRecord::from(vec![
            self.mn.clone(),
            self.password.clone(),
            self.site.clone(),
            o(&self.site_name),
            o(&self.site_kind),
            o(&self.township),
            n(self.lon),
            n(self.lat),
            match self.assessment {
                Some(false) => "0".into(),
                _ => "1".into(),
            },
            o(&self.kind),
            o(&self.protocol),
            o(&self.crc),
            o(&self.units),
            i(self.rtd_interval_s),
            i(self.min_interval_min),
            o(&self.sm4_key),
        ])
    }
}

/// A device registered.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DeviceAdded {
    pub mn: String,
    pub id: i64,
}

/// What an upload of devices did.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct DevicesImported {
    pub added: u64,
    /// Rows refused, each with its number (from 1, the header not counted).
    pub refused: Vec<super::observations::Refused>,
}

/// Seals a device key with the server's master key.
fn sealer(s: &HttpState) -> impl Fn(&str) -> Result<String, String> + '_ {
    move |k: &str| {
        let key = crate::keys::parse_key(k)?;
        let master = s
            .master
            .ok_or("the server has no master key (LANTIAN_MASTER_KEY) to seal device keys")?;
        Ok(crate::keys::seal(&master, &key))
    }
}

fn header() -> csv::StringRecord {
    csv::StringRecord::from(
        crate::registry::DEVICE_CSV_HEADER
            .split(',')
            .collect::<Vec<_>>(),
    )
}

/// Register a device and its site, or change them (by MN): the checks and
/// the audit row of `lantian device add`. `serve` takes it within its
/// registry refresh.
#[utoipa::path(post, path = "/api/v1/devices", tag = "devices", request_body = DeviceRequest,
    responses(
        (status = 201, description = "Registered", body = DeviceAdded),
        (status = 400, description = "A field that does not parse (named), or a bad site name or coordinates"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user, or missing X-CSRF-Token"),
        (status = 415, description = "The body is not sent as application/json"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn add(
    State(s): State<HttpState>,
    caller: Caller,
    Json(req): Json<DeviceRequest>,
) -> ApiResult<Response> {
    caller.may(Action::ManageDevices, Object::County)?;
    let spec = crate::registry::device_of_row(&req.record(), &header(), &sealer(&s))
        .map_err(ApiError::BadRequest)?;
    let id = s.store.add_device(&spec, &caller.user.username).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        json(&DeviceAdded {
            mn: spec.mn.to_string(),
            id,
        }),
    )
        .into_response())
}

/// Register devices from a CSV upload (the columns of `lantian device
/// import`): each bad row refused with its number and reason, the others
/// registered.
#[utoipa::path(post, path = "/api/v1/devices/import", tag = "devices",
    request_body(content = String, content_type = "text/csv", description = "mn,password,site,site_name,site_kind,township,lon,lat,assessment,kind,protocol,crc,units,rtd_interval_s,min_interval_min,sm4_key"),
    responses(
        (status = 200, description = "Registered (some rows may be refused, each named)", body = DevicesImported),
        (status = 400, description = "Not a CSV with the header"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user, or missing X-CSRF-Token"),
        (status = 413, description = "The body is larger than 2 MiB"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn import(
    State(s): State<HttpState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    caller.may(Action::ManageDevices, Object::County)?;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(body.as_ref());
    let h = rdr
        .headers()
        .map_err(|e| ApiError::bad(format!("CSV header: {e}")))?
        .clone();
    if !h.iter().any(|x| x.trim() == "mn") || !h.iter().any(|x| x.trim() == "site") {
        return Err(ApiError::bad(format!(
            "CSV header: expected {}",
            crate::registry::DEVICE_CSV_HEADER
        )));
    }
    let seal = sealer(&s);
    let mut out = DevicesImported::default();
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 1;
        let spec = rec
            .map_err(|e| e.to_string())
            .and_then(|r| crate::registry::device_of_row(&r, &h, &seal));
        match spec {
            Ok(d) => match s.store.add_device(&d, &caller.user.username).await {
                Ok(_) => out.added += 1,
                Err(lantian_store::Error::Invalid(reason)) => out
                    .refused
                    .push(super::observations::Refused { row, reason }),
                Err(e) => return Err(e.into()),
            },
            Err(reason) => out
                .refused
                .push(super::observations::Refused { row, reason }),
        }
    }
    Ok(json(&out))
}

/// Disable or re-enable a device.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct EnabledRequest {
    pub enabled: bool,
}

/// Disable a device (its frames are quarantined from the next registry
/// refresh) or enable it again; audited.
#[utoipa::path(put, path = "/api/v1/devices/{mn}/enabled", tag = "devices",
    params(("mn" = String, Path, description = "The device's MN")), request_body = EnabledRequest,
    responses(
        (status = 200, description = "Changed", body = EnabledRequest),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user, or missing X-CSRF-Token"),
        (status = 404, description = "No such device (or an intake device, which has no line to enable)"),
        (status = 415, description = "The body is not sent as application/json"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn set_enabled(
    State(s): State<HttpState>,
    caller: Caller,
    axum::extract::Path(mn): axum::extract::Path<String>,
    Json(req): Json<EnabledRequest>,
) -> ApiResult<Response> {
    caller.may(Action::ManageDevices, Object::County)?;
    if !s
        .store
        .set_enabled(&mn, req.enabled, &caller.user.username)
        .await?
    {
        return Err(ApiError::NotFound(format!("no device {mn}")));
    }
    Ok(json(&req))
}

/// Every forwarding target's state.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ForwardStatuses {
    pub targets: Vec<crate::jobs::forward::Status>,
}

/// Forwarding up (数据转发): each `[[forward]]` target's line, counts,
/// backlog and lag (also on `/metrics`).
#[utoipa::path(get, path = "/api/v1/forward", tag = "devices",
    responses(
        (status = 200, description = "The targets, in the order configured (empty when none)", body = ForwardStatuses),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin, bureau or reviewer user")
    ))]
pub async fn forward(State(s): State<HttpState>, caller: Caller) -> ApiResult<Response> {
    caller.may(Action::ReadDevices, Object::County)?;
    let targets = match s.metrics.forward.lock() {
        Ok(g) => g.clone(),
        Err(p) => p.into_inner().clone(),
    };
    Ok(json(&ForwardStatuses { targets }))
}
