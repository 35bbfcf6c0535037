//! Sessions: logging in (browsers), who is calling, logging out.

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lantian_types::Role;

use super::json;
use crate::auth;
use crate::http::HttpState;
use crate::http::caller::{Caller, SESSION_COOKIE};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::Json;
use crate::listen::PeerAddr;

/// A browser session lasts a working day.
pub const SESSION_MS: i64 = 12 * 3600 * 1000;
/// How long a login waits for a free password check.
const LOGIN_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// Who is calling.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Me {
    pub username: String,
    pub role: Role,
    /// 角色
    pub role_zh: &'static str,
    /// The department, township or enterprise of the user.
    pub scope: Option<String>,
}

/// A login's answer: the user and the CSRF token to echo.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LoginAnswer {
    #[serde(flatten)]
    pub me: Me,
    pub csrf: String,
}

fn me_of(user: &lantian_store::User, role: Role) -> Me {
    Me {
        username: user.username.clone(),
        role,
        role_zh: role.name_zh(),
        scope: user.scope.clone(),
    }
}

/// Log in with `{"username": …, "password": …}` (`Content-Type:
/// application/json`, so that no cross-site form can post it): sets the
/// session cookie and answers the user and the CSRF token. Each attempt is
/// counted before its password is checked (per username, and per client
/// address unless it is a trusted proxy's), and audited.
#[utoipa::path(post, path = "/api/v1/login", tag = "public", request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in: the session cookie is set", body = LoginAnswer),
        (status = 400, description = "The body is not {\"username\", \"password\"}"),
        (status = 401, description = "Wrong username or password"),
        (status = 415, description = "The body is not sent as application/json"),
        (status = 429, description = "Too many failed logins for this name or address in 15 minutes"),
        (status = 503, description = "Too many password checks at once; try again in a second")
    ))]
pub async fn login(
    State(s): State<HttpState>,
    ConnectInfo(PeerAddr(peer)): ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Response> {
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
            let wait = (ms + 999) / 1000;
            return Err(ApiError::TooManyRequests(
                format!("too many failed logins; try again in {wait} s"),
                u64::try_from(wait).unwrap_or(1),
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
        return Err(ApiError::busy(
            "too many logins at once; try again in a second",
        ));
    };
    let user = s.store.user(&req.username).await?.filter(|u| !u.disabled);
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
        return Err(ApiError::Unauthorized);
    };
    if let Ok(mut l) = s.limiter.lock() {
        l.succeeded(attempt);
    }
    let role: Role = user
        .role
        .parse()
        .map_err(|_| ApiError::Forbidden("unknown role".into()))?;
    let random = || auth::generate_token().map_err(|_| ApiError::Internal("no random source"));
    let (id, csrf) = (random()?, random()?);
    s.store
        .create_session(&auth::token_hash(&id), user.id, &csrf, now + SESSION_MS)
        .await?;
    s.store.audit(&user.username, "login.ok", Some(&ip)).await?;
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
    let body = LoginAnswer {
        me: me_of(&user, role),
        csrf,
    };
    Ok(([(header::SET_COOKIE, set_cookie)], json(&body)).into_response())
}

/// Log out: ends the browser session.
#[utoipa::path(post, path = "/api/v1/logout", tag = "session",
    responses(
        (status = 204, description = "The session is ended and the cookie cleared"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Missing or wrong X-CSRF-Token"),
        (status = 503, description = "Not now: the first figures are being computed, or the database is busy; try again (Retry-After)")
    ))]
pub async fn logout(State(s): State<HttpState>, caller: Caller) -> ApiResult<Response> {
    if let Some(hash) = &caller.session {
        s.store.delete_session(hash).await?;
    }
    s.store.audit(&caller.user.username, "logout", None).await?;
    Ok((
        [(
            header::SET_COOKIE,
            format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
        )],
        StatusCode::NO_CONTENT,
    )
        .into_response())
}

/// Who is calling: username, role, scope.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 401, description = "No session or token"),
        (status = 503, description = "Not now: the first figures are being computed, or the database is busy; try again (Retry-After)")
    ))]
pub async fn me(caller: Caller) -> Response {
    json(&me_of(&caller.user, caller.role))
}
