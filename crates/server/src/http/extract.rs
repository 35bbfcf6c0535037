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

/// A one-line text a caller sends (a title, a document number, an
/// address): trimmed, at most `max` characters, no control or
/// direction-override characters (the rule of names); 400 naming `what`.
pub fn line(v: &str, what: &str, max: usize) -> Result<String, ApiError> {
    lantian_types::text::plain(v, what, max).map_err(ApiError::BadRequest)
}

/// An optional one-line text: as [`line`], and none when it is absent or blank.
pub fn optional_line(v: Option<&str>, what: &str, max: usize) -> Result<Option<String>, ApiError> {
    Ok(v.map(|x| line(x, what, max))
        .transpose()?
        .filter(|x| !x.is_empty()))
}

/// A text of several lines (a description, a note): trimmed, CRLF as LF,
/// line breaks and tabs kept, other control and direction-override
/// characters refused; 400 naming `what` and the character.
pub fn multiline(v: &str, what: &str, max: usize) -> Result<String, ApiError> {
    let t = v.trim().replace("\r\n", "\n");
    if t.chars().count() > max {
        return Err(ApiError::BadRequest(format!(
            "{what}: at most {max} characters"
        )));
    }
    if let Some(c) = t.chars().find(|c| {
        (c.is_control() && *c != '\n' && *c != '\t') || lantian_types::text::is_bidi_control(*c)
    }) {
        return Err(ApiError::BadRequest(format!(
            "{what}: the character U+{:04X} is not allowed",
            c as u32
        )));
    }
    Ok(t)
}
