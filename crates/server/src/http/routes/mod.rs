//! The `/api` handlers, one file per area. Each handler takes typed
//! requests (path, [`Query`](super::extract::Query), [`Json`](super::extract::Json)),
//! asks the policy through its [`Caller`](super::caller::Caller), and
//! answers typed structs (Serialize + ToSchema), which also make the CSV
//! and Excel exports. `super::api` lists them once: the router and the
//! OpenAPI description come from that list.

pub mod alarms;
pub mod alerts;
pub mod boundary;
pub mod data;
pub mod devices;
pub mod enterprises;
pub mod fires;
pub mod journal;
pub mod ledger;
pub mod observations;
pub mod public_reports;
pub mod reduction;
pub mod reports;
pub mod reviews;
pub mod session;
pub mod tickets;

use axum::response::{IntoResponse, Response};

/// A JSON answer.
pub fn json<T: serde::Serialize>(v: &T) -> Response {
    axum::Json(v).into_response()
}

/// A view with the note on the data every page shows (the demo's sample label).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Labelled<T> {
    #[serde(flatten)]
    pub body: T,
    pub label: Option<String>,
}
