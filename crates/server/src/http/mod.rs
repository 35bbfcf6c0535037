//! The HTTP edge: `/healthz`, `/metrics`, the dashboard's files (`web`),
//! and `/api/v1`: sessions (`POST /api/v1/login`, `POST /api/v1/logout`,
//! `GET /api/v1/me`), devices and loggers for admin and bureau users, and
//! the data API (`data`). A caller is a machine with an
//! API token (`Authorization: Bearer lt_…`) or a browser with a session
//! cookie; a cookie-borne POST must echo the session's CSRF token in
//! `X-CSRF-Token`. Every `/api` route but login answers 401 to an unknown
//! caller and 403 to a role that may not see it.

use std::sync::Arc;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::extract::State;
use axum::http::Method;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use lantian_store::{Device, Store, User, Verdict};
use serde_json::json;

use crate::analysis;
use crate::auth::{self, Role};
use crate::metrics::Metrics;

mod data;
mod web;

#[derive(Clone)]
pub struct HttpState {
    pub store: Store,
    pub metrics: Arc<Metrics>,
    pub limiter: Arc<std::sync::Mutex<auth::LoginLimiter>>,
    /// The dashboard's figures (kept fresh by `analysis`).
    pub snapshot: analysis::Shared,
    /// A note on the data shown on every page (the demo's "sample data").
    pub label: Option<String>,
    /// The longest period `/api/v1/assessment` evaluates, years.
    pub max_period_years: u32,
    /// Periods evaluated at once (each takes a core while it runs).
    pub evaluations: Arc<tokio::sync::Semaphore>,
    /// Password checks at once (argon2id takes ~19 MiB and tens of ms each).
    pub password_checks: Arc<tokio::sync::Semaphore>,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted: Arc<auth::TrustedProxies>,
}

impl HttpState {
    pub fn new(store: Store, metrics: Arc<Metrics>) -> Self {
        Self {
            store,
            metrics,
            limiter: Arc::default(),
            snapshot: Arc::default(),
            label: None,
            max_period_years: 20,
            evaluations: Arc::new(tokio::sync::Semaphore::new(2)),
            password_checks: Arc::new(tokio::sync::Semaphore::new(4)),
            trusted: Arc::default(),
        }
    }
}

/// The session cookie's name; the cookie is HttpOnly and SameSite=Strict.
pub const SESSION_COOKIE: &str = "lantian_session";
/// A browser session lasts a working day.
pub const SESSION_MS: i64 = 12 * 3600 * 1000;
/// The header a page echoes the session's CSRF token in on POST/PUT/DELETE.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Declares the `/api` routes once: the router is built from this list and
/// [`API_ROUTES`] is the same list, so the test that walks every route
/// (401 without a caller) cannot miss one.
macro_rules! api_routes {
    ($($method:ident $path:literal $public:literal => $handler:expr;)*) => {
        /// Every `/api` route: (method, path, open to the public).
        pub const API_ROUTES: &[(&str, &str, bool)] = &[$((stringify!($method), $path, $public)),*];

        fn api_router() -> Router<HttpState> {
            Router::new()$(.route($path, $method($handler)))*
        }
    };
}

api_routes! {
    post "/api/v1/login" true => login;
    post "/api/v1/logout" false => logout;
    get "/api/v1/me" false => me;
    get "/api/v1/devices" false => api_devices;
    get "/api/v1/loggers" false => loggers;
    get "/api/v1/frames" false => data::frames;
    get "/api/v1/quarantine" false => data::quarantine;
    post "/api/v1/loggers/approve" false => approve_logger;
    get "/api/v1/public/now" true => data::public_now;
    get "/api/v1/public/boundary" true => data::boundary;
    put "/api/v1/boundary" false => data::put_boundary;
    get "/api/v1/overview" false => data::overview;
    get "/api/v1/stations" false => data::stations;
    get "/api/v1/stations/{code}/hourly" false => data::station_hourly;
    get "/api/v1/stations/{code}/daily" false => data::station_daily;
    get "/api/v1/stations/{code}/rose" false => data::station_rose;
    get "/api/v1/area/{interval}" false => data::area_series;
    get "/api/v1/targets" false => data::targets;
    get "/api/v1/rankings" false => data::rankings;
    get "/api/v1/assessment" false => data::assessment;
}

/// The OpenAPI description, generated from the handlers' annotations and
/// served at `/api/openapi.json`; operations open to the public carry the
/// tag `public`.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "lantian 蓝天 API",
        description = "Air quality of a county: stations, devices, indices, targets. \
            Callers are browsers with a session cookie (POST /api/v1/login; echo the \
            csrf token in X-CSRF-Token on POST) or machines with an API token \
            (Authorization: Bearer lt_…, from `lantian user token`). Times are Asia/Shanghai."
    ),
    paths(login, logout, me, api_devices, loggers, approve_logger, data::frames, data::quarantine,
        data::public_now, data::boundary, data::put_boundary, data::overview, data::stations,
        data::station_hourly, data::station_daily, data::station_rose, data::area_series, data::targets, data::rankings, data::assessment),
    tags(
        (name = "public", description = "Open to everyone, no login (公众)"),
        (name = "session", description = "Who is calling; logging out"),
        (name = "data", description = "Air quality: stations, series, targets, rankings (any logged-in user)"),
        (name = "devices", description = "Monitoring devices (admin and bureau)")
    )
)]
pub struct ApiDoc;

/// The security headers of every answer, page or API: a Content-Security-
/// Policy that runs only the server's own script files (no inline script,
/// no eval; inline styles are allowed, the charts set them), never framed;
/// no MIME sniffing; no referrer sent off the site.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

async fn security_headers(mut r: axum::response::Response) -> axum::response::Response {
    let h = r.headers_mut();
    let set = |h: &mut HeaderMap, k: header::HeaderName, v: &'static str| {
        h.insert(k, header::HeaderValue::from_static(v));
    };
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "same-origin");
    r
}

pub fn router(state: HttpState) -> Router {
    use utoipa::OpenApi;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/", get(web::index))
        .route("/{file}", get(web::file))
        .route("/vendor/{file}", get(web::vendor))
        .merge(api_router())
        .merge(
            utoipa_swagger_ui::SwaggerUi::new("/api/docs")
                .url("/api/openapi.json", ApiDoc::openapi()),
        )
        .with_state(state)
        .layer(axum::middleware::map_response(security_headers))
}

async fn healthz(State(s): State<HttpState>) -> impl IntoResponse {
    match s.store.ping().await {
        Ok(_) => (StatusCode::OK, "ok\n"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n"),
    }
}

async fn metrics(State(s): State<HttpState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
}

/// A device silent this long (data or heartbeat) is shown offline.
pub const OFFLINE_AFTER_MS: i64 = 600_000;

/// A device as the API and `lantian device list --json` show it; times in
/// Asia/Shanghai (UTC+8, no daylight saving).
pub fn device_json(dev: &Device, now_ms: i64, offline_after_ms: i64) -> serde_json::Value {
    let d = &dev.spec;
    let last_seen = dev.last_seen_ms.and_then(shanghai);
    json!({"mn": d.mn, "site": d.site.code, "site_name": d.site.name, "site_kind": d.site.kind,
           "township": d.site.township, "lon": d.site.lon, "lat": d.site.lat, "assessment": d.site.assessment,
           "kind": d.kind, "protocol": d.protocol, "crc": d.crc, "units": d.unit_overrides, "enabled": dev.enabled,
           "last_seen": last_seen, "online": dev.is_online(now_ms, offline_after_ms)})
}

type ApiError = (StatusCode, [(header::HeaderName, &'static str); 1], String);

fn api_error(status: StatusCode, message: &str) -> ApiError {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "error": message }).to_string(),
    )
}

fn db_error(e: lantian_store::Error) -> ApiError {
    tracing::error!(error = %e, "database error in the API");
    api_error(StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The user behind a request: its `Authorization: Bearer <token>`, else its
/// session cookie. A cookie-borne request other than GET/HEAD must carry
/// the session's CSRF token (browsers never send a Bearer token on their
/// own, so token requests need none).
async fn caller(
    store: &Store,
    method: &Method,
    headers: &HeaderMap,
) -> Result<(User, Role), ApiError> {
    let unauthorized = || {
        api_error(
            StatusCode::UNAUTHORIZED,
            "log in, or send an API token (Authorization: Bearer lt_…)",
        )
    };
    // The scheme is case-insensitive (RFC 9110 §11.1).
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim_start().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty());
    let user = if let Some(token) = bearer {
        store
            .user_by_token(&auth::token_hash(token))
            .await
            .map_err(db_error)?
            .ok_or_else(unauthorized)?
    } else {
        let id = cookie(headers, SESSION_COOKIE).ok_or_else(unauthorized)?;
        let (user, csrf) = store
            .session_user(&auth::token_hash(id))
            .await
            .map_err(db_error)?
            .ok_or_else(unauthorized)?;
        if !(method == Method::GET || method == Method::HEAD) {
            let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if sent != Some(csrf.as_str()) {
                return Err(api_error(
                    StatusCode::FORBIDDEN,
                    "missing or wrong X-CSRF-Token",
                ));
            }
        }
        user
    };
    let role = role_of(&user)?;
    Ok((user, role))
}

fn role_of(user: &User) -> Result<Role, ApiError> {
    user.role
        .parse::<Role>()
        .map_err(|_| api_error(StatusCode::FORBIDDEN, "unknown role"))
}

/// A request body as JSON of type `T`; 400 naming what is wrong.
fn json_body<T: serde::de::DeserializeOwned>(what: &str, body: &str) -> Result<T, ApiError> {
    serde_json::from_str(body)
        .map_err(|e| api_error(StatusCode::BAD_REQUEST, &format!("{what} body: {e}")))
}

fn json_ok(v: serde_json::Value) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], v.to_string())
}

fn user_json(user: &User, role: Role) -> serde_json::Value {
    json!({"username": user.username, "role": role.name(), "role_zh": role.name_zh(), "scope": user.scope})
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
struct Login {
    username: String,
    password: String,
}

/// Log in with `{"username": …, "password": …}` (`Content-Type:
/// application/json`, so that no cross-site form can post it): sets the
/// session cookie and answers the user and the CSRF token. Each attempt is
/// counted before its password is checked (per username, and per client
/// address unless it is a trusted proxy's), and audited.
#[utoipa::path(post, path = "/api/v1/login", tag = "public", request_body = Login,
    responses(
        (status = 200, description = "Logged in: the session cookie is set; the body has username, role, role_zh, scope and csrf"),
        (status = 400, description = "The body is not {\"username\", \"password\"}"),
        (status = 401, description = "Wrong username or password"),
        (status = 415, description = "The body is not sent as application/json"),
        (status = 429, description = "Too many failed logins for this name or address in 15 minutes"),
        (status = 503, description = "Too many password checks at once; try again in a second")
    ))]
async fn login(
    State(s): State<HttpState>,
    ConnectInfo(crate::listen::PeerAddr(peer)): ConnectInfo<crate::listen::PeerAddr>,
    headers: HeaderMap,
    body: String,
) -> Result<axum::response::Response, ApiError> {
    require_json(&headers)?;
    let req: Login = json_body("login", &body)?;
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let (client, counted) = s.trusted.client(peer.ip(), forwarded);
    let ip = client.to_string();
    let now = chrono::Utc::now().timestamp_millis();
    let attempt = match s.limiter.lock() {
        Ok(mut l) => l.begin(&req.username, counted.then_some(ip.as_str()), now),
        Err(_) => Err(1000),
    };
    let attempt = match attempt {
        Ok(a) => a,
        Err(ms) => {
            let _ = s
                .store
                .audit(&req.username, "login.limited", Some(&ip))
                .await;
            return Err(api_error(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "too many failed logins; try again in {} s",
                    (ms + 999) / 1000
                ),
            ));
        }
    };
    // A bounded number of argon2 checks at once (each holds ~19 MiB); a
    // login waits a moment for one, and is answered 503 when none frees up.
    let permit = tokio::time::timeout(LOGIN_WAIT, s.password_checks.clone().acquire_owned()).await;
    let Ok(Ok(permit)) = permit else {
        if let Ok(mut l) = s.limiter.lock() {
            l.abandoned(attempt);
        }
        let mut r = api_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many logins at once; try again in a second",
        )
        .into_response();
        r.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        return Ok(r);
    };
    let user = s
        .store
        .user(&req.username)
        .await
        .map_err(db_error)?
        .filter(|u| !u.disabled);
    // With no such user, verify against a decoy hash, so that the answer
    // takes as long either way.
    let hash = user.as_ref().map_or_else(
        || auth::decoy_hash().to_string(),
        |u| u.password_hash.clone(),
    );
    let password = req.password;
    let ok = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        auth::verify_password(&password, &hash)
    })
    .await
    .unwrap_or(false);
    let (Some(user), true) = (user, ok) else {
        let _ = s
            .store
            .audit(&req.username, "login.failed", Some(&ip))
            .await;
        return Err(api_error(
            StatusCode::UNAUTHORIZED,
            "wrong username or password",
        ));
    };
    if let Ok(mut l) = s.limiter.lock() {
        l.succeeded(attempt);
    }
    let role = role_of(&user)?;
    let random = || {
        auth::generate_token()
            .map_err(|_| api_error(StatusCode::INTERNAL_SERVER_ERROR, "no random source"))
    };
    let (id, csrf) = (random()?, random()?);
    s.store
        .create_session(&auth::token_hash(&id), user.id, &csrf, now + SESSION_MS)
        .await
        .map_err(db_error)?;
    s.store
        .audit(&user.username, "login.ok", Some(&ip))
        .await
        .map_err(db_error)?;
    // Secure when a TLS-terminating proxy (a trusted one) says the browser used https.
    let secure = s.trusted.contains(peer.ip())
        && headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v == "https");
    let set_cookie = format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        SESSION_MS / 1000,
        if secure { "; Secure" } else { "" }
    );
    let mut body = user_json(&user, role);
    body["csrf"] = json!(csrf);
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::SET_COOKIE, set_cookie),
        ],
        body.to_string(),
    )
        .into_response())
}

/// How long a login waits for a free password check.
const LOGIN_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// 415 unless the request says its body is JSON (`application/json`, with
/// parameters such as a charset allowed).
fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    if is_json {
        Ok(())
    } else {
        Err(api_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the body as Content-Type: application/json",
        ))
    }
}

/// Log out: ends the browser session.
#[utoipa::path(post, path = "/api/v1/logout", tag = "session",
    responses(
        (status = 204, description = "The session is ended and the cookie cleared"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Missing or wrong X-CSRF-Token")
    ))]
async fn logout(
    State(s): State<HttpState>,
    method: Method,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let (user, _) = caller(&s.store, &method, &headers).await?;
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        s.store
            .delete_session(&auth::token_hash(id))
            .await
            .map_err(db_error)?;
    }
    s.store
        .audit(&user.username, "logout", None)
        .await
        .map_err(db_error)?;
    Ok((
        [(
            header::SET_COOKIE,
            format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
        )],
        StatusCode::NO_CONTENT,
    ))
}

/// Who is calling: username, role, scope.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses(
        (status = 200, description = "username, role, role_zh (角色), scope"),
        (status = 401, description = "No session or token")
    ))]
async fn me(
    State(s): State<HttpState>,
    method: Method,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let (user, role) = caller(&s.store, &method, &headers).await?;
    Ok(json_ok(user_json(&user, role)))
}

/// The window of the device page's counts.
pub const HEALTH_WINDOW_MS: i64 = 24 * 3600 * 1000;

/// Every device with its site, state and freshness.
#[utoipa::path(get, path = "/api/v1/devices", tag = "devices",
    params(("format" = Option<String>, Query, description = "json (default), csv or xlsx")),
    responses(
        (status = 200, description = "Devices: mn, site, site_name, kind, protocol, enabled, online (silent ≤ 10 min), last_seen and latest_data (latest DataTime stored; Asia/Shanghai), and over the last 24 h: stored_24h, duplicates_24h, rejected_24h, quarantined_24h frames and flagged_24h values (flag other than N)"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user")
    ))]
async fn api_devices(
    State(s): State<HttpState>,
    method: Method,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Result<axum::response::Response, ApiError> {
    device_admin(&s, &method, &headers).await?;
    let format = data::export_format(&uri)?;
    let devices = s.store.devices().await.map_err(db_error)?;
    let now = chrono::Utc::now().timestamp_millis();
    let health = s
        .store
        .device_health(now - HEALTH_WINDOW_MS)
        .await
        .map_err(db_error)?;
    let v: Vec<_> = devices
        .iter()
        .map(|d| {
            let mut j = device_json(d, now, OFFLINE_AFTER_MS);
            let h = health.get(&d.spec.mn).cloned().unwrap_or_default();
            j["latest_data"] = json!(d.latest_data_s.and_then(|t| shanghai(t * 1000)));
            j["stored_24h"] = json!(h.frames_of(Verdict::Stored));
            j["duplicates_24h"] = json!(h.frames_of(Verdict::Duplicate));
            j["rejected_24h"] = json!(h.frames_of(Verdict::Rejected));
            j["quarantined_24h"] = json!(h.frames_of(Verdict::Quarantine));
            j["flagged_24h"] = json!(h.flagged);
            j
        })
        .collect();
    if format != data::Export::Json {
        let cols = [
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
        ];
        return data::table_response(format, "devices", &cols, &v);
    }
    Ok(json_ok(v.into()).into_response())
}

/// The caller, who must be allowed to administer devices.
async fn device_admin(
    s: &HttpState,
    method: &Method,
    headers: &HeaderMap,
) -> Result<User, ApiError> {
    let (user, role) = caller(&s.store, method, headers).await?;
    if !role.manages_devices() {
        return Err(api_error(
            StatusCode::FORBIDDEN,
            "devices are for the bureau and admins",
        ));
    }
    Ok(user)
}

/// A Unix-ms instant as Asia/Shanghai local time (UTC+8, no daylight saving).
pub fn shanghai(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| {
        (t + chrono::Duration::hours(8))
            .format("%Y-%m-%d %H:%M:%S+08:00")
            .to_string()
    })
}

/// HJ 212-2025 data loggers that announced themselves (1001), awaiting
/// approval or approved.
#[utoipa::path(get, path = "/api/v1/loggers", tag = "devices",
    responses(
        (status = 200, description = "logger_id, cpu_id, mac1, mac2, peer, first_seen, last_seen (Asia/Shanghai), approved_mn (null while pending)"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user")
    ))]
async fn loggers(
    State(s): State<HttpState>,
    method: Method,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    device_admin(&s, &method, &headers).await?;
    let list = s.store.pending_loggers().await.map_err(db_error)?;
    let v: Vec<_> = list
        .iter()
        .map(|l| {
            json!({"logger_id": l.logger_id, "cpu_id": l.cpu_id, "mac1": l.mac1, "mac2": l.mac2, "peer": l.peer,
                   "first_seen": shanghai(l.first_ms), "last_seen": shanghai(l.last_ms), "approved_mn": l.approved_mn})
        })
        .collect();
    Ok(json_ok(v.into()))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
struct Approve {
    /// The logger id (i23005-Info) it announced.
    logger_id: String,
    /// The MN of a device registered for it (`lantian device add` or import).
    mn: String,
}

/// Approve a pending data logger as a registered device: `serve` assigns
/// it the MN (1002) the next time it announces itself.
#[utoipa::path(post, path = "/api/v1/loggers/approve", tag = "devices", request_body = Approve,
    responses(
        (status = 200, description = "Approved: {logger_id, mn}"),
        (status = 400, description = "Bad body, no such pending logger, or no device with that MN"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user, or missing X-CSRF-Token")
    ))]
async fn approve_logger(
    State(s): State<HttpState>,
    method: Method,
    headers: HeaderMap,
    body: String,
) -> Result<impl IntoResponse, ApiError> {
    let user = device_admin(&s, &method, &headers).await?;
    let req: Approve = json_body("approve", &body)?;
    use lantian_store::registry::Approval;
    match s
        .store
        .approve_logger(&req.logger_id, &req.mn, &user.username)
        .await
        .map_err(db_error)?
    {
        Approval::Approved => {}
        Approval::NoSuchLogger => {
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                &format!("no logger {} has announced itself", req.logger_id),
            ));
        }
        Approval::NoSuchDevice => {
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                &format!("no device with MN {} (register it first)", req.mn),
            ));
        }
    }
    Ok(json_ok(json!({"logger_id": req.logger_id, "mn": req.mn})))
}
