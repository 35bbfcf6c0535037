//! The county boundary: uploaded by the bureau, served to everyone (the
//! maps draw the stations over it).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::json;
use crate::http::HttpState;
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::policy::{Action, Object};

/// The county boundary GeoJSON the operator uploaded (no login).
#[utoipa::path(get, path = "/api/v1/public/boundary", tag = "public",
    responses(
        (status = 200, description = "The GeoJSON as uploaded", content_type = "application/geo+json"),
        (status = 404, description = "No boundary has been uploaded; pages draw stations on a plain background"),
        (status = 503, description = "Not now: the first figures are being computed, or the database is busy; try again (Retry-After)")
    ))]
pub async fn get(State(s): State<HttpState>) -> ApiResult<Response> {
    match s.store.document("boundary").await? {
        Some(body) => Ok(([(header::CONTENT_TYPE, "application/geo+json")], body).into_response()),
        None => Err(ApiError::NotFound(
            "no boundary uploaded (PUT /api/v1/boundary)".into(),
        )),
    }
}

/// What an accepted boundary holds.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct BoundaryStored {
    pub features: usize,
    pub polygons: usize,
}

/// Upload the county boundary (GeoJSON polygons, WGS-84 or the source's
/// datum as given); replaces the previous one.
#[utoipa::path(put, path = "/api/v1/boundary", tag = "devices",
    request_body(content = String, content_type = "application/geo+json", description = "GeoJSON: FeatureCollection, Feature, Polygon or MultiPolygon"),
    responses(
        (status = 200, description = "Stored", body = BoundaryStored),
        (status = 400, description = "Not GeoJSON, or not polygons that can be drawn (rings closed, ≥ 4 positions, coordinates in range): the message names the feature and the fault"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user, or missing X-CSRF-Token"),
        (status = 503, description = "Not now: the first figures are being computed, or the database is busy; try again (Retry-After)")
    ))]
pub async fn put(State(s): State<HttpState>, caller: Caller, body: String) -> ApiResult<Response> {
    caller.may(Action::ManageBoundary, Object::County)?;
    let sum = crate::boundary::check(&body).map_err(|e| ApiError::bad(format!("boundary: {e}")))?;
    let detail = format!(
        "{} features, {} polygons, {} bytes",
        sum.features,
        sum.polygons,
        body.len()
    );
    s.store
        .put_document("boundary", &body, &caller.user.username, &detail)
        .await?;
    Ok(json(&BoundaryStored {
        features: sum.features,
        polygons: sum.polygons,
    }))
}
