//! The raw-frame journal and the quarantine: every frame as received, with
//! its verdict. For admin and bureau users (the policy's `ReadJournal`).

use axum::extract::State;
use axum::response::Response;
use lantian_store::{FrameRow, Verdict};
use lantian_types::time::shanghai_ms;

use super::json;
use crate::http::HttpState;
use crate::http::caller::Caller;
use crate::http::error::ApiResult;
use crate::http::extract::{Query, within};
use crate::policy::{Action, Object};

/// A journaled frame.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct FrameView {
    pub id: i64,
    /// Asia/Shanghai.
    pub received: Option<String>,
    pub node: String,
    pub peer: String,
    pub mn: Option<String>,
    pub qn: Option<String>,
    pub cn: Option<String>,
    pub verdict: String,
    pub reason: Option<String>,
    /// As received (lossy UTF-8).
    pub raw: String,
}

impl From<FrameRow> for FrameView {
    fn from(f: FrameRow) -> Self {
        FrameView {
            id: f.id,
            received: shanghai_ms(f.received_ms),
            node: f.node,
            peer: f.peer,
            mn: f.mn,
            qn: f.qn,
            cn: f.cn,
            verdict: f.verdict,
            reason: f.reason,
            raw: f.raw,
        }
    }
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FramesQuery {
    /// Only this device.
    pub mn: Option<String>,
    /// Only this verdict.
    pub verdict: Option<Verdict>,
    /// How many, newest first (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// The raw-frame journal: every frame as received, with its verdict.
#[utoipa::path(get, path = "/api/v1/frames", tag = "devices", params(FramesQuery),
    responses(
        (status = 200, description = "Newest first", body = Vec<FrameView>),
        (status = 400, description = "Bad limit or verdict"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user"),
        (status = 503, description = "Not now: the first figures are being computed, or the database is busy; try again (Retry-After)")
    ))]
pub async fn frames(
    State(s): State<HttpState>,
    caller: Caller,
    Query(q): Query<FramesQuery>,
) -> ApiResult<Response> {
    caller.may(Action::ReadJournal, Object::County)?;
    let limit = within("limit", q.limit, 1, 1000)?.unwrap_or(100);
    let rows = s
        .store
        .recent_frames(q.mn.as_deref(), q.verdict, limit)
        .await?;
    Ok(json(
        &rows.into_iter().map(FrameView::from).collect::<Vec<_>>(),
    ))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitQuery {
    /// How many, newest first (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// Frames kept aside: unknown devices, wrong passwords, disabled devices.
#[utoipa::path(get, path = "/api/v1/quarantine", tag = "devices", params(LimitQuery),
    responses(
        (status = 200, description = "Newest first (verdict quarantine)", body = Vec<FrameView>),
        (status = 400, description = "Bad limit"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user"),
        (status = 503, description = "Not now: the first figures are being computed, or the database is busy; try again (Retry-After)")
    ))]
pub async fn quarantine(
    State(s): State<HttpState>,
    caller: Caller,
    Query(q): Query<LimitQuery>,
) -> ApiResult<Response> {
    caller.may(Action::ReadJournal, Object::County)?;
    let limit = within("limit", q.limit, 1, 1000)?.unwrap_or(100);
    let rows = s.store.recent_quarantine(limit).await?;
    Ok(json(
        &rows.into_iter().map(FrameView::from).collect::<Vec<_>>(),
    ))
}
