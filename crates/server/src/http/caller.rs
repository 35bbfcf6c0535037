//! Who is calling: the [`Caller`] extractor. A machine sends an API token
//! (`Authorization: Bearer lt_…`, the scheme in any case); a browser sends
//! its session cookie, and a cookie-borne request other than GET/HEAD must
//! echo the session's CSRF token in `X-CSRF-Token` (browsers never send a
//! Bearer token on their own, so token requests need none). Unknown
//! callers are 401. [`Caller::may`] asks the policy.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use lantian_store::User;
use lantian_types::{Role, Scope};

use super::HttpState;
use super::error::ApiError;
use crate::auth;
use crate::policy::{self, Action, Object};

/// The session cookie's name; the cookie is HttpOnly and SameSite=Strict.
pub const SESSION_COOKIE: &str = "lantian_session";
/// The header a page echoes the session's CSRF token in on POST/PUT/DELETE.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub role: Role,
    pub scope: Scope,
    /// The session id's hash, when the caller came with a cookie.
    pub session: Option<String>,
}

impl Caller {
    /// The policy's answer for this caller; 403 with its reason.
    pub fn may(&self, action: Action, object: Object<'_>) -> Result<(), ApiError> {
        policy::may(self.role, &self.scope, action, object).map_err(|d| ApiError::Forbidden(d.0))
    }
}

/// The value of cookie `name`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The token of `Authorization: Bearer …` (RFC 9110: the scheme is
/// case-insensitive).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim_start().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<HttpState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &HttpState) -> Result<Self, Self::Rejection> {
        let (user, session) = if let Some(token) = bearer(&parts.headers) {
            let user = s
                .store
                .user_by_token(&auth::token_hash(token))
                .await?
                .ok_or(ApiError::Unauthorized)?;
            (user, None)
        } else {
            let id = cookie(&parts.headers, SESSION_COOKIE).ok_or(ApiError::Unauthorized)?;
            let hash = auth::token_hash(id);
            let (user, csrf) = s
                .store
                .session_user(&hash)
                .await?
                .ok_or(ApiError::Unauthorized)?;
            if !(parts.method == Method::GET || parts.method == Method::HEAD) {
                let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
                if sent != Some(csrf.as_str()) {
                    return Err(ApiError::Forbidden("missing or wrong X-CSRF-Token".into()));
                }
            }
            (user, Some(hash))
        };
        let role: Role = user
            .role
            .parse()
            .map_err(|_| ApiError::Forbidden("unknown role".into()))?;
        let scope = Scope::of(role, user.scope.as_deref()).map_err(ApiError::Forbidden)?;
        Ok(Caller {
            user,
            role,
            scope,
            session,
        })
    }
}
