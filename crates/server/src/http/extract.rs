//! Axum's `Query` and `Json` extractors (so a query string is
//! percent-decoded and a body parsed by its type), answering a rejection
//! with the API's JSON error naming what was wrong.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;

use super::error::ApiError;

/// A query string parsed into `T`.
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(e) => {
                let raw = parts.uri.query().unwrap_or("");
                let why = e.body_text();
                let why = why
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&why);
                Err(ApiError::BadRequest(format!("query `{raw}`: {why}")))
            }
        }
    }
}

/// A JSON body parsed into `T` (the request must say `application/json`).
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(axum::extract::rejection::JsonRejection::MissingJsonContentType(_)) => {
                Err(ApiError::UnsupportedMediaType(
                    "send the body as Content-Type: application/json".into(),
                ))
            }
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::TooLarge("request body: larger than 2 MiB".into()))
            }
            Err(e) => Err(ApiError::BadRequest(format!(
                "request body: {}",
                e.body_text()
            ))),
        }
    }
}

/// `value` of query parameter `name`, if within `lo..=hi`.
pub fn within<T>(name: &str, value: Option<T>, lo: T, hi: T) -> Result<Option<T>, ApiError>
where
    T: PartialOrd + std::fmt::Display + Copy,
{
    match value {
        Some(v) if v < lo || v > hi => Err(ApiError::BadRequest(format!(
            "query `{name}={v}`: expected a number from {lo} to {hi}"
        ))),
        v => Ok(v),
    }
}
