//! The HTTP edge: `/healthz`, `/metrics`, the dashboard's files (`web`),
//! and `/api/v1` by area (`routes/`). The routes are declared once, in
//! [`api`]: the router and the OpenAPI description (`/api/openapi.json`,
//! browsable at `/api/docs/`) both come from that list. Every handler but
//! the `public` ones takes a [`Caller`](caller::Caller) (401 without one)
//! and asks the policy (`crate::policy`) before it reads or changes
//! anything; every answer carries the security headers.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use lantian_store::Store;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth;
use crate::figures;
use crate::metrics::Metrics;

pub mod caller;
pub mod error;
pub mod export;
pub mod extract;
pub mod routes;
mod web;

pub use caller::{CSRF_HEADER, SESSION_COOKIE};
pub use routes::devices::{DeviceView, HEALTH_WINDOW_MS, OFFLINE_AFTER_MS};
pub use routes::session::SESSION_MS;

#[derive(Clone)]
pub struct HttpState {
    pub store: Store,
    pub metrics: Arc<Metrics>,
    pub limiter: Arc<std::sync::Mutex<auth::LoginLimiter>>,
    /// The dashboard's figures (kept fresh by `jobs::figures`).
    pub snapshot: figures::Shared,
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
    /// What source supervision holds of each firm (kept by `jobs::sources`).
    pub sources_live: crate::jobs::sources::Live,
    /// The master key (seals reporters' contacts), when configured.
    pub master: Option<[u8; 16]>,
    /// Deadlines, severities, the ladder and extension limits of tickets.
    pub ticket_rules: Arc<lantian_tickets::rules::Rules>,
    /// Public reports per client address and hour.
    pub report_limiter: Arc<std::sync::Mutex<routes::public_reports::ReportLimiter>>,
    pub reports_per_hour: u32,
    /// Who approves an alert of each level.
    pub approvers: Arc<lantian_alerts::lifecycle::Approvers>,
    /// Which bound of a forecast's AQI range counts.
    pub forecast_bound: lantian_alerts::Bound,
    /// Firms' compliance during an alert.
    pub compliance: lantian_alerts::compliance::Settings,
    /// The commit feed (pushed observations are announced on it), when
    /// the server runs one.
    pub feed: Option<crate::feed::Sender>,
    /// This node's name (the outbox rows it writes).
    pub node: String,
    /// Limits of one push: body bytes and rows.
    pub push_max_bytes: usize,
    pub push_max_rows: usize,
    /// The ledger's and the assessment's rule files.
    pub ledger: Arc<routes::ledger::LedgerSettings>,
    /// What reports are made with.
    pub reports: Arc<crate::jobs::reports::ReportSettings>,
    /// Stations' intake devices, by site code (sites are never deleted).
    pub intake: Arc<
        std::sync::Mutex<std::collections::HashMap<String, lantian_store::intake::IntakeDevice>>,
    >,
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
            sources_live: Arc::default(),
            master: None,
            ticket_rules: Arc::default(),
            report_limiter: Arc::default(),
            reports_per_hour: 5,
            approvers: Arc::default(),
            forecast_bound: lantian_alerts::Bound::Upper,
            compliance: lantian_alerts::compliance::Settings::default(),
            feed: None,
            node: "node".into(),
            push_max_bytes: 8 * 1024 * 1024,
            push_max_rows: 100_000,
            intake: Arc::default(),
            ledger: Arc::default(),
            reports: Arc::new(crate::jobs::reports::ReportSettings::new(
                "sqlite://lantian.db",
            )),
        }
    }
}

/// The description's header; the paths come from [`api`].
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "lantian 蓝天 API",
        description = "Air quality of a county: stations, devices, indices, targets. \
            Callers are browsers with a session cookie (POST /api/v1/login; echo the \
            csrf token in X-CSRF-Token on POST and PUT) or machines with an API token \
            (Authorization: Bearer lt_…, from `lantian user token`). Times are Asia/Shanghai."
    ),
    // Schemas only query parameters name (the routes collect the rest).
    components(schemas(lantian_types::Verdict, export::Format, routes::data::Interval)),
    tags(
        (name = "public", description = "Open to everyone, no login (公众)"),
        (name = "session", description = "Who is calling; logging out"),
        (name = "data", description = "Air quality: stations, series, targets, rankings (any logged-in user)"),
        (name = "devices", description = "Monitoring devices, the frame journal and the boundary (admin and bureau)"),
        (name = "sources", description = "The enterprise register, stacks judged against their limits, and alarms (the bureau; a township its firms; a firm itself)"),
        (name = "alerts", description = "Forecasts and heavy-pollution alerts: the level by the rules, the lifecycle (the bureau; everyone logged in reads)"),
        (name = "review", description = "Data review (数据审核): marking hours invalid or as exceptional events, restoring them, the trail (reviewers, the bureau and admins mark; logged-in users read)"),
        (name = "fires", description = "Fire points (火点台账): township boundaries, points from satellite lists, cameras and patrols, verification, the ledger of deductions by township and month"),
        (name = "tickets", description = "Problem tickets (the closed loop), their files, SLA figures and each user's inbox (the bureau; an assignee its own)")
    )
)]
pub struct ApiDoc;

/// Every `/api` route, declared once: method and path come from each
/// handler's `#[utoipa::path]`.
pub fn api() -> OpenApiRouter<HttpState> {
    use routes::{
        alarms, alerts, boundary, data, devices, enterprises, fires, journal, ledger, observations,
        public_reports, reduction, reports, reviews, session, tickets,
    };
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(session::login))
        .routes(routes!(session::logout))
        .routes(routes!(session::me))
        .routes(routes!(devices::devices, devices::add))
        .routes(routes!(devices::import))
        .routes(routes!(devices::set_enabled))
        .routes(routes!(devices::forward))
        .routes(routes!(devices::loggers))
        .routes(routes!(devices::approve))
        .routes(routes!(journal::frames))
        .routes(routes!(journal::quarantine))
        .routes(routes!(boundary::get))
        .routes(routes!(boundary::put))
        .routes(routes!(data::public_now))
        .routes(routes!(data::overview))
        .routes(routes!(data::stations))
        .routes(routes!(data::station_hourly))
        .routes(routes!(data::station_daily))
        .routes(routes!(data::station_rose))
        .routes(routes!(data::area_series))
        .routes(routes!(data::targets))
        .routes(routes!(data::rankings))
        .routes(routes!(data::assessment))
        .routes(routes!(enterprises::list))
        .routes(routes!(
            enterprises::get,
            enterprises::put,
            enterprises::delete
        ))
        .routes(routes!(enterprises::import))
        .routes(routes!(enterprises::export))
        .routes(routes!(enterprises::changes))
        .routes(routes!(enterprises::townships, enterprises::put_townships))
        .routes(routes!(enterprises::default_limits))
        .routes(routes!(alarms::list))
        .routes(routes!(alarms::get))
        .routes(routes!(alarms::act))
        .routes(routes!(alarms::attach))
        .routes(routes!(alarms::attachment))
        .routes(routes!(tickets::list, tickets::create))
        .routes(routes!(tickets::get))
        .routes(routes!(tickets::act))
        .routes(routes!(tickets::attach))
        .routes(routes!(tickets::attachment))
        .routes(routes!(tickets::sla))
        .routes(routes!(tickets::inbox))
        .routes(routes!(tickets::read))
        .routes(routes!(
            tickets::webhooks,
            tickets::put_webhook,
            tickets::delete_webhook
        ))
        .routes(routes!(observations::push))
        .routes(routes!(reviews::list, reviews::mark))
        .routes(routes!(reviews::restore))
        .routes(routes!(fires::put_boundaries, fires::get_boundaries))
        .routes(routes!(fires::add, fires::list))
        .routes(routes!(fires::verify))
        .routes(routes!(fires::appeal))
        .routes(routes!(fires::decide))
        .routes(routes!(fires::ledger))
        .routes(routes!(fires::add_photo))
        .routes(routes!(fires::photo))
        .routes(routes!(ledger::put_plan, ledger::get_plan))
        .routes(routes!(ledger::list))
        .routes(routes!(ledger::reports, ledger::report))
        .routes(routes!(ledger::attach))
        .routes(routes!(ledger::file))
        .routes(routes!(ledger::scores))
        .routes(routes!(alerts::add_forecast, alerts::forecasts))
        .routes(routes!(alerts::list, alerts::propose))
        .routes(routes!(alerts::get))
        .routes(routes!(alerts::step))
        .routes(routes!(alerts::public))
        .routes(routes!(alerts::measures))
        .routes(routes!(alerts::compliance))
        .routes(routes!(reduction::list))
        .routes(routes!(reduction::generate))
        .routes(routes!(reduction::edit))
        .routes(routes!(reduction::history))
        .routes(routes!(reduction::import))
        .routes(routes!(reduction::inventory, reduction::put_inventory))
        .routes(routes!(public_reports::report))
        .routes(routes!(public_reports::status))
        .routes(routes!(public_reports::photo))
        .routes(routes!(public_reports::services))
        .routes(routes!(
            public_reports::open311_post,
            public_reports::open311_list
        ))
        .routes(routes!(public_reports::open311_get))
        .routes(routes!(reports::list, reports::make))
        .routes(routes!(reports::get))
        .routes(routes!(reports::file))
        .routes(routes!(reports::public_list))
        .routes(routes!(reports::public_pdf))
}

/// The OpenAPI description of [`api`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().split_for_parts().1
}

/// Every `/api` route: (method, path, open to the public), from the
/// description (for the test that walks them all).
pub fn api_routes() -> Vec<(String, String, bool)> {
    let doc = openapi();
    let v = serde_json::to_value(&doc).unwrap_or_default();
    let mut out = Vec::new();
    for (path, item) in v["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let public = op["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|x| x == "public"));
            out.push((method.clone(), path.clone(), public));
        }
    }
    out
}

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

/// Every error answer of the API is JSON `{"error": …}`: the ones axum
/// gives itself (a path parameter that does not parse, a body over the
/// limit, a method the route does not take, no such route) are wrapped
/// here, their text kept.
async fn json_errors(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let api = req.uri().path().starts_with("/api/") || req.uri().path().starts_with("/open311/");
    let r = next.run(req).await;
    let is_json = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !api || is_json || !(r.status().is_client_error() || r.status().is_server_error()) {
        return r;
    }
    let (parts, body) = r.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let mut text = String::from_utf8_lossy(&bytes).trim().to_string();
    if text.is_empty() || parts.status == StatusCode::NOT_FOUND {
        text = match parts.status {
            StatusCode::METHOD_NOT_ALLOWED => {
                let allow = parts
                    .headers
                    .get(header::ALLOW)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                format!("method not allowed here; allowed: {allow}")
            }
            StatusCode::NOT_FOUND => "no such API route (GET /api/openapi.json lists them)".into(),
            s => s.canonical_reason().unwrap_or("error").to_string(),
        };
    }
    let mut out = axum::response::Response::from_parts(
        parts,
        axum::body::Body::from(serde_json::json!({ "error": text }).to_string()),
    );
    out.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    out.headers_mut().remove(header::CONTENT_LENGTH);
    out
}

pub fn router(state: HttpState) -> Router {
    let (api, doc) = api().split_for_parts();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/", get(web::index))
        .route("/{*path}", get(web::file))
        .merge(api)
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/openapi.json", doc))
        .with_state(state)
        .layer(axum::middleware::from_fn(json_errors))
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
