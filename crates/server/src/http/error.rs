//! One error type for every handler: each variant is an HTTP status, and
//! every answer is JSON `{"error": "…"}` saying what is wrong and where.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 400: the request is wrong; the text says what and where.
    BadRequest(String),
    /// 401: no valid session or token.
    Unauthorized,
    /// 403: the caller may not do this (the policy's reason).
    Forbidden(String),
    /// 404: no such object.
    NotFound(String),
    /// 409: the object changed since the caller read it, or is not in the
    /// state the action needs.
    Conflict(String),
    /// 413: the body is larger than the route takes.
    TooLarge(String),
    /// 415: the body is not sent as the route wants it.
    UnsupportedMediaType(String),
    /// 429: too many attempts; try again after the wait (seconds, sent as
    /// Retry-After).
    TooManyRequests(String, u64),
    /// 503: not now (busy, still computing, the database slow); with a
    /// Retry-After in seconds when given.
    Unavailable(String, Option<u32>),
    /// 500: a fault of the server (logged; the text names no internals).
    Internal(&'static str),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests(..) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(..) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            ApiError::Unauthorized => "log in, or send an API token (Authorization: Bearer lt_…)",
            ApiError::BadRequest(m)
            | ApiError::Forbidden(m)
            | ApiError::NotFound(m)
            | ApiError::Conflict(m)
            | ApiError::TooLarge(m)
            | ApiError::UnsupportedMediaType(m)
            | ApiError::TooManyRequests(m, _)
            | ApiError::Unavailable(m, _) => m,
            ApiError::Internal(m) => m,
        }
    }

    pub fn bad(m: impl Into<String>) -> Self {
        ApiError::BadRequest(m.into())
    }

    pub fn busy(m: impl Into<String>) -> Self {
        ApiError::Unavailable(m.into(), Some(1))
    }
}

impl From<lantian_store::Error> for ApiError {
    fn from(e: lantian_store::Error) -> Self {
        match e {
            lantian_store::Error::Invalid(m) => ApiError::BadRequest(m),
            lantian_store::Error::Conflict(m) => ApiError::Conflict(m),
            // A key that must be unique, taken by another write first.
            lantian_store::Error::Db(ref d)
                if d.as_database_error()
                    .is_some_and(|x| x.is_unique_violation()) =>
            {
                ApiError::Conflict("it exists already (a unique key is taken)".into())
            }
            lantian_store::Error::Timeout(_) => {
                tracing::warn!(error = %e, "an API read was cancelled");
                ApiError::Unavailable(e.to_string(), Some(1))
            }
            other => {
                tracing::error!(error = %other, "database error in the API");
                ApiError::Unavailable("database unavailable".into(), Some(1))
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.message() }).to_string();
        let mut r = (
            self.status(),
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
        let wait = match self {
            ApiError::Unavailable(_, Some(s)) => Some(u64::from(s)),
            ApiError::TooManyRequests(_, s) => Some(s),
            _ => None,
        };
        if let Some(s) = wait
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
