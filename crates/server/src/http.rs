//! The HTTP edge: `/healthz`, `/metrics`, and the first API route,
//! `GET /api/v1/devices` (Bearer API token of an admin or bureau user).
//! Every `/api` route answers 401 without a valid token and 403 to a role
//! that may not see it; nothing is served to an unknown caller.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use lantian_store::{Device, Store, User};
use serde_json::json;

use crate::auth::{self, Role};

use crate::metrics::Metrics;

#[derive(Clone)]
pub struct HttpState {
    pub store: Store,
    pub metrics: Arc<Metrics>,
}

pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/v1/devices", get(api_devices))
        .with_state(state)
}

async fn healthz(State(s): State<HttpState>) -> impl IntoResponse {
    match s.store.count("devices").await {
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
    let last_seen = dev
        .last_seen_ms
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| {
            (t + chrono::Duration::hours(8))
                .format("%Y-%m-%d %H:%M:%S+08:00")
                .to_string()
        });
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

/// The user behind the request's `Authorization: Bearer <token>`.
async fn caller(store: &Store, headers: &HeaderMap) -> Result<(User, Role), ApiError> {
    let unauthorized = || {
        api_error(
            StatusCode::UNAUTHORIZED,
            "an API token is required (Authorization: Bearer lt_…)",
        )
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(unauthorized)?;
    let user = store
        .user_by_token(&auth::token_hash(token))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "token lookup failed");
            api_error(StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        })?
        .ok_or_else(unauthorized)?;
    let role = user
        .role
        .parse::<Role>()
        .map_err(|_| api_error(StatusCode::FORBIDDEN, "unknown role"))?;
    Ok((user, role))
}

async fn api_devices(
    State(s): State<HttpState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let (_user, role) = caller(&s.store, &headers).await?;
    if !role.manages_devices() {
        return Err(api_error(
            StatusCode::FORBIDDEN,
            "devices are for the bureau and admins",
        ));
    }
    let devices = s.store.devices().await.map_err(|e| {
        tracing::error!(error = %e, "devices query failed");
        api_error(StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    })?;
    let now = chrono::Utc::now().timestamp_millis();
    let v: Vec<_> = devices
        .iter()
        .map(|d| device_json(d, now, OFFLINE_AFTER_MS))
        .collect();
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::Value::from(v).to_string(),
    ))
}
