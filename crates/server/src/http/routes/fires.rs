//! Fire points (火点台账): the townships' boundaries (versioned; the latest
//! places new points), points from satellite lists, camera alarms and
//! patrols (JSON or the `id,time,lon,lat,source,type` CSV of `lantian fires
//! ledger`), each placed in its township when stored; verification (straw,
//! other open burning, false alarm) by the bureau or the point's township;
//! and the ledger per township and month by the versioned rule file of
//! `lantian-fires` (the plan's 500,000 / 100,000 CNY per point).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use lantian_fires::{Areas, FirePoint, Kind, Rules};
use lantian_store::fires::{FireRow, NewFire};
use lantian_types::time::{shanghai_minute, utc_seconds};

use super::json;
use crate::http::HttpState;
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Query};
use crate::policy::{Action, Object};

/// The latest township boundaries and their areas (none uploaded: `None`).
pub async fn latest_areas(
    s: &HttpState,
) -> ApiResult<(Option<lantian_store::fires::BoundaryRow>, Option<Areas>)> {
    let boundaries = s.store.township_boundaries().await?;
    let areas = match &boundaries {
        Some(b) => Some(
            Areas::from_geojson(&b.geojson, &b.name_property)
                .map_err(|_| ApiError::Internal("the stored township boundaries no longer read"))?,
        ),
        None => None,
    };
    Ok((boundaries, areas))
}

/// The township a position falls in by the latest boundaries (`None`:
/// outside every one, or none uploaded — never the nearest).
pub async fn township_at(s: &HttpState, lon: f64, lat: f64) -> ApiResult<Option<String>> {
    let (_, areas) = latest_areas(s).await?;
    Ok(areas.and_then(|a| a.name_at(lon, lat).map(String::from)))
}

/// Points one call may store.
const MAX_POINTS: usize = 5_000;

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoundaryQuery {
    /// The feature property holding a township's name (default `name`).
    pub name_property: Option<String>,
}

/// A stored boundary version.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TownshipBoundaries {
    pub version: i64,
    pub townships: Vec<String>,
}

/// Upload the townships' boundaries (a GeoJSON FeatureCollection of named
/// Polygon or MultiPolygon features): a new version; points stored from
/// now on are placed by it.
#[utoipa::path(put, path = "/api/v1/townships/boundaries", tag = "fires", params(BoundaryQuery),
    request_body(content = String, content_type = "application/geo+json"),
    responses(
        (status = 200, description = "Stored as a new version", body = TownshipBoundaries),
        (status = 400, description = "Not GeoJSON, or a feature without a name or with a bad ring (named by feature)"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user, or missing X-CSRF-Token")
    ))]
pub async fn put_boundaries(
    State(s): State<HttpState>,
    caller: Caller,
    Query(q): Query<BoundaryQuery>,
    body: String,
) -> ApiResult<Response> {
    caller.may(Action::ManageBoundary, Object::County)?;
    let prop = q.name_property.unwrap_or_else(|| "name".into());
    let areas = Areas::from_geojson(&body, &prop)
        .map_err(|e| ApiError::bad(format!("township boundaries: {e}")))?;
    let names: Vec<String> = areas.areas.iter().map(|a| a.name.clone()).collect();
    let version = s
        .store
        .put_township_boundaries(&body, &prop, &names, &caller.user.username)
        .await?;
    Ok(json(&TownshipBoundaries {
        version,
        townships: names,
    }))
}

/// The latest boundaries as uploaded (for the 火点 page's map).
#[utoipa::path(get, path = "/api/v1/townships/boundaries", tag = "fires",
    responses(
        (status = 200, description = "The GeoJSON", content_type = "application/geo+json"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not a bureau, department or township user"),
        (status = 404, description = "None uploaded yet")
    ))]
pub async fn get_boundaries(State(s): State<HttpState>, caller: Caller) -> ApiResult<Response> {
    // A township reads the map its own points are drawn on.
    match own_township(&caller) {
        Some(t) => caller.may(Action::ReadFires, Object::Township(t))?,
        None => caller.may(Action::ReadFires, Object::County)?,
    }
    match s.store.township_boundaries().await? {
        Some(b) => Ok((
            [(axum::http::header::CONTENT_TYPE, "application/geo+json")],
            b.geojson,
        )
            .into_response()),
        None => Err(ApiError::NotFound(
            "no township boundaries (PUT /api/v1/townships/boundaries)".into(),
        )),
    }
}

/// A point as a camera platform or a patrol sends it.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointIn {
    /// The sender's id of the point (unique per source).
    pub id: String,
    /// Beijing time, `2026-10-05 13:20`.
    pub time: String,
    pub lon: f64,
    pub lat: f64,
    /// satellite, camera, patrol, report, …
    pub source: String,
    /// straw, other, false or unknown (default unknown: to verify).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// Points to store: a JSON array, or the CSV text of `lantian fires ledger`.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum PointsIn {
    Json(Vec<PointIn>),
    Csv { csv: String },
}

/// A refused point.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Refused {
    /// The row (from 1: the array's element, or the CSV's line).
    pub row: u64,
    pub reason: String,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PointsStored {
    pub stored: u64,
    pub duplicates: u64,
    /// Points outside every township (stored, charged to no township).
    pub outside: u64,
    pub refused: Vec<Refused>,
    /// The boundary version that placed them (`None`: none uploaded; every
    /// point is outside).
    pub boundary_version: Option<i64>,
}

/// Store fire points; each placed in its township by the latest boundaries.
#[utoipa::path(post, path = "/api/v1/fires", tag = "fires", request_body = PointsIn,
    responses(
        (status = 200, description = "Stored; bad points named by row", body = PointsStored),
        (status = 400, description = "Neither a JSON array of points nor {\"csv\": …}, or more than 5,000 points"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin, bureau or integration user")
    ))]
pub async fn add(
    State(s): State<HttpState>,
    caller: Caller,
    Json(body): Json<serde_json::Value>,
) -> ApiResult<Response> {
    caller.may(Action::ManageFires, Object::County)?;
    // Read by hand, not as an untagged enum: the workspace's exact
    // numbers (serde_json `arbitrary_precision`) do not pass through
    // serde's buffering as floats.
    let body = match body {
        serde_json::Value::Array(_) => PointsIn::Json(
            serde_json::from_value(body).map_err(|e| ApiError::bad(format!("points: {e}")))?,
        ),
        serde_json::Value::Object(mut o) => match o.remove("csv") {
            Some(serde_json::Value::String(csv)) if o.is_empty() => PointsIn::Csv { csv },
            _ => {
                return Err(ApiError::bad(
                    "give a JSON array of points or {\"csv\": \"id,time,lon,lat,source,type…\"}",
                ));
            }
        },
        _ => return Err(ApiError::bad("give a JSON array of points or {\"csv\": …}")),
    };
    let mut refused = Vec::new();
    let points: Vec<FirePoint> = match body {
        PointsIn::Csv { csv } => {
            let (good, bad) = lantian_fires::read_points(&csv).map_err(ApiError::bad)?;
            refused.extend(bad.into_iter().map(|b| Refused {
                row: b.line,
                reason: format!("column {}: {}", b.column, b.reason),
            }));
            good
        }
        PointsIn::Json(list) => {
            let mut good = Vec::with_capacity(list.len());
            for (i, p) in list.into_iter().enumerate() {
                let row = i as u64 + 1;
                let refuse = |reason: String| Refused { row, reason };
                let Some(time) = lantian_fires::ledger::parse_time(&p.time) else {
                    refused.push(refuse(format!(
                        "time: `{}` is not a time (2026-10-05 13:20)",
                        p.time
                    )));
                    continue;
                };
                if !(p.lon.is_finite()
                    && p.lon.abs() <= 180.0
                    && p.lat.is_finite()
                    && p.lat.abs() <= 90.0)
                {
                    refused.push(refuse("lon/lat: not a position".into()));
                    continue;
                }
                let Some(kind) = Kind::parse(p.kind.as_deref().unwrap_or("")) else {
                    refused.push(refuse("type: straw, other, false or unknown".into()));
                    continue;
                };
                if p.id.trim().is_empty() || p.source.trim().is_empty() {
                    refused.push(refuse("id and source are required".into()));
                    continue;
                }
                good.push(FirePoint {
                    id: p.id.trim().to_string(),
                    time,
                    lon: p.lon,
                    lat: p.lat,
                    source: p.source.trim().to_string(),
                    kind,
                });
            }
            good
        }
    };
    if points.len() > MAX_POINTS {
        return Err(ApiError::bad(format!(
            "{} points; at most {MAX_POINTS} a call",
            points.len()
        )));
    }
    let (boundaries, areas) = latest_areas(&s).await?;
    let mut outside = 0;
    let rows: Vec<NewFire> = points
        .iter()
        .map(|p| {
            let township = areas
                .as_ref()
                .and_then(|a| a.name_at(p.lon, p.lat).map(str::to_string));
            if township.is_none() {
                outside += 1;
            }
            NewFire {
                source: p.source.clone(),
                ext_id: p.id.clone(),
                detected_s: utc_seconds(p.time),
                lon: p.lon,
                lat: p.lat,
                township,
                boundary_id: boundaries.as_ref().map(|b| b.id),
                kind: p.kind.as_str().to_string(),
                sample: false,
            }
        })
        .collect();
    let stored = s
        .store
        .add_fire_points(&rows, &caller.user.username)
        .await?;
    Ok(json(&PointsStored {
        stored,
        duplicates: rows.len() as u64 - stored,
        outside,
        refused,
        boundary_version: boundaries.map(|b| b.id),
    }))
}

/// A stored point as the pages show it (times in Asia/Shanghai).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct FireView {
    pub id: i64,
    pub source: String,
    pub ext_id: String,
    pub time: String,
    pub lon: f64,
    pub lat: f64,
    /// `None`: outside every township.
    pub township: Option<String>,
    pub kind: String,
    pub kind_zh: String,
    pub verified: bool,
    pub verified_by: Option<String>,
    pub verified_at: Option<String>,
    pub note: String,
    /// The township's ticket opened on verification.
    pub ticket_id: Option<i64>,
    /// The township's appeal: pending, upheld (not charged) or rejected.
    pub appeal_state: Option<String>,
    pub appeal_reason: Option<String>,
    pub appeal_by: Option<String>,
    pub appeal_decided_by: Option<String>,
    pub appeal_decision: Option<String>,
    pub sample: bool,
    /// Photos of the verification (现场照片), in the list.
    pub photos: Vec<PhotoRef>,
}

/// A photo of a point.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PhotoRef {
    pub id: i64,
    pub name: String,
    pub by: String,
    pub at: String,
}

impl FireView {
    fn of(r: &FireRow) -> Self {
        let kind = Kind::parse(&r.kind).unwrap_or(Kind::Unknown);
        FireView {
            id: r.id,
            source: r.source.clone(),
            ext_id: r.ext_id.clone(),
            time: shanghai_minute(r.detected_s * 1000),
            lon: r.lon,
            lat: r.lat,
            township: r.township.clone(),
            kind: kind.as_str().to_string(),
            kind_zh: kind.name_zh().to_string(),
            verified: r.verified_ms.is_some(),
            verified_by: r.verified_by.clone(),
            verified_at: r.verified_ms.map(shanghai_minute),
            note: r.note.clone(),
            ticket_id: r.ticket_id,
            appeal_state: r.appeal_state.clone(),
            appeal_reason: r.appeal_reason.clone(),
            appeal_by: r.appeal_by.clone(),
            appeal_decided_by: r.appeal_decided_by.clone(),
            appeal_decision: r.appeal_decision.clone(),
            sample: r.sample != 0,
            photos: Vec::new(),
        }
    }

    fn point(r: &FireRow) -> FirePoint {
        FirePoint {
            id: r.id.to_string(),
            time: chrono::DateTime::from_timestamp(r.detected_s + 8 * 3600, 0)
                .map(|t| t.naive_utc())
                .unwrap_or_default(),
            lon: r.lon,
            lat: r.lat,
            source: r.source.clone(),
            // An upheld appeal books the point as not burning (not charged).
            kind: if r.appeal_state.as_deref() == Some("upheld") {
                Kind::False
            } else {
                Kind::parse(&r.kind).unwrap_or(Kind::Unknown)
            },
        }
    }
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiresQuery {
    /// The calendar year (Beijing time); default this year.
    pub year: Option<i32>,
    /// One township's points (a township user gets its own regardless).
    pub township: Option<String>,
}

fn year_range(year: Option<i32>) -> Result<(i32, i64, i64), ApiError> {
    let y = year.unwrap_or_else(|| (chrono::Utc::now() + chrono::Duration::hours(8)).year());
    let (Some(a), Some(b)) = (
        NaiveDate::from_ymd_opt(y, 1, 1),
        NaiveDate::from_ymd_opt(y + 1, 1, 1),
    ) else {
        return Err(ApiError::bad(format!("year: {y} is not a year")));
    };
    let s = |d: NaiveDate| utc_seconds(d.and_hms_opt(0, 0, 0).unwrap_or_default());
    Ok((y, s(a), s(b)))
}

/// A township user's township.
fn own_township(caller: &Caller) -> Option<&str> {
    (caller.user.role == "township")
        .then_some(caller.user.scope.as_deref())
        .flatten()
}

/// Which township the caller may see: its own, or the one asked (or all).
fn township_of(caller: &Caller, asked: Option<&str>) -> ApiResult<Option<String>> {
    let asked = asked.map(str::trim).filter(|t| !t.is_empty());
    match own_township(caller) {
        Some(own) => {
            caller.may(Action::ReadFires, Object::Township(asked.unwrap_or(own)))?;
            Ok(Some(own.to_string()))
        }
        None => {
            caller.may(Action::ReadFires, Object::County)?;
            Ok(asked.map(str::to_string))
        }
    }
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct FireList {
    pub year: i32,
    pub fires: Vec<FireView>,
}

/// Fire points of a year (a township user: its own).
#[utoipa::path(get, path = "/api/v1/fires", tag = "fires", params(FiresQuery),
    responses(
        (status = 200, description = "The points, oldest first", body = FireList),
        (status = 400, description = "A bad year"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not a bureau, department or township user, or another township's points")
    ))]
pub async fn list(
    State(s): State<HttpState>,
    caller: Caller,
    Query(q): Query<FiresQuery>,
) -> ApiResult<Response> {
    let township = township_of(&caller, q.township.as_deref())?;
    let (year, from, to) = year_range(q.year)?;
    let rows = s.store.fire_points(township.as_deref(), from, to).await?;
    let mut photos: std::collections::HashMap<i64, Vec<PhotoRef>> = Default::default();
    for p in s.store.fire_photos(from, to).await? {
        photos.entry(p.fire_id).or_default().push(PhotoRef {
            id: p.id,
            name: p.name,
            by: p.actor,
            at: shanghai_minute(p.at_ms),
        });
    }
    Ok(json(&FireList {
        year,
        fires: rows
            .iter()
            .map(|r| FireView {
                photos: photos.remove(&r.id).unwrap_or_default(),
                ..FireView::of(r)
            })
            .collect(),
    }))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PhotoQuery {
    /// The photo's name as shown (a label: the file is kept by its hash).
    pub name: String,
}

/// Add a photo of the site (现场照片: PNG, JPEG or PDF, at most 2 MB,
/// typed by its bytes) to a point: the bureau, or the point's township.
#[utoipa::path(post, path = "/api/v1/fires/{id}/photos", tag = "fires",
    params(("id" = i64, Path, description = "The point"), PhotoQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The photo"),
    responses(
        (status = 200, description = "Stored", body = PhotoRef),
        (status = 400, description = "Empty, not a PNG, JPEG or PDF, over 2 MB, or a bad name"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not the bureau or the point's township, or missing X-CSRF-Token"),
        (status = 404, description = "No such point"),
        (status = 413, description = "The body is larger than 2 MiB")
    ))]
pub async fn add_photo(
    State(s): State<HttpState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<PhotoQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    point_to_act_on(&s, &caller, id).await?;
    let ct = super::tickets::check_file(&body)?;
    let name = super::tickets::label_of(&q.name);
    let pid = s
        .store
        .attach_to_fire(id, &name, ct, &body, &caller.user.username)
        .await?;
    Ok(json(&PhotoRef {
        id: pid,
        name,
        by: caller.user.username.clone(),
        at: shanghai_minute(super::tickets::now_ms()),
    }))
}

/// A point's photo (for those who may see the point).
#[utoipa::path(get, path = "/api/v1/fires/photos/{id}", tag = "fires",
    params(("id" = i64, Path, description = "The photo")),
    responses(
        (status = 200, description = "The photo as stored"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Another township's point"),
        (status = 404, description = "No such photo")
    ))]
pub async fn photo(
    State(s): State<HttpState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let missing = || ApiError::NotFound(format!("no photo {id}"));
    let (info, _) = s.store.fire_photo(id, false).await?.ok_or_else(missing)?;
    let row = point(&s, info.fire_id).await?;
    match &row.township {
        Some(t) => caller.may(Action::ReadFires, Object::Township(t))?,
        None => caller.may(Action::ReadFires, Object::County)?,
    }
    let (info, body) = s.store.fire_photo(id, true).await?.ok_or_else(missing)?;
    Ok(crate::http::export::download(
        &info.content_type,
        &info.name,
        body,
    ))
}

/// A stored point, or 404.
async fn point(s: &HttpState, id: i64) -> ApiResult<FireRow> {
    s.store
        .fire_point(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no fire point {id}")))
}

/// A point the caller may verify or appeal: the bureau any, a township
/// the points in it (a point outside every township is the bureau's).
async fn point_to_act_on(s: &HttpState, caller: &Caller, id: i64) -> ApiResult<FireRow> {
    let row = point(s, id).await?;
    match &row.township {
        Some(t) => caller.may(Action::VerifyFire, Object::Township(t))?,
        None => caller.may(Action::VerifyFire, Object::County)?,
    }
    Ok(row)
}

/// A verification.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// straw, other or false.
    #[serde(rename = "type")]
    pub kind: String,
    /// What was found (required).
    pub note: String,
}

/// Verify a point: straw, other open burning or a false alarm.
#[utoipa::path(post, path = "/api/v1/fires/{id}/verify", tag = "fires",
    params(("id" = i64, Path, description = "The point")), request_body = VerifyRequest,
    responses(
        (status = 200, description = "Verified", body = FireView),
        (status = 400, description = "A bad type, or no note"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not the bureau or the point's own township"),
        (status = 404, description = "No such point"),
        (status = 409, description = "Verified already (someone verified it first)")
    ))]
pub async fn verify(
    State(s): State<HttpState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Json(req): Json<VerifyRequest>,
) -> ApiResult<Response> {
    let row = point_to_act_on(&s, &caller, id).await?;
    if req.note.trim().is_empty() {
        return Err(ApiError::bad("note: say what was found"));
    }
    let kind = Kind::parse(&req.kind)
        .filter(|k| *k != Kind::Unknown)
        .ok_or_else(|| ApiError::bad(format!("type: `{}`: straw, other or false", req.kind)))?;
    // A burning point (straw, other) in a registered township becomes that
    // township's ticket (source fire_point, due by the ticket rules), the
    // verification and the ticket in one transaction; a false alarm, a
    // point outside, or a township not in the register is verified alone.
    let registered = match &row.township {
        Some(t) => s.store.townships().await?.iter().any(|k| &k.name == t),
        None => false,
    };
    if matches!(kind, Kind::Straw | Kind::Other) && registered {
        let t = row.township.clone().unwrap_or_default();
        let ticket = super::tickets::NewTicketRequest {
            title: format!(
                "火点处置：{}（{} {}）",
                kind.name_zh(),
                row.source,
                row.ext_id
            ),
            description: format!(
                "{} 发现于 {}，位置 {:.5}, {:.5}。核实：{}",
                row.source,
                shanghai_minute(row.detected_s * 1000),
                row.lon,
                row.lat,
                req.note.trim()
            ),
            source: Some("fire_point".into()),
            source_ref: Some(format!("fire:{id}")),
            severity: None,
            township: Some(t.clone()),
            lon: Some(row.lon),
            lat: Some(row.lat),
            address: None,
            assign: Some(super::tickets::AssignTo {
                to: format!("township:{t}"),
                due: None,
            }),
        };
        let verdict = (id, kind.as_str().to_string(), req.note.clone());
        super::tickets::open_linked(
            &s,
            &caller.user.username,
            ticket,
            None,
            Some(verdict),
            row.sample != 0,
        )
        .await?;
    } else if !s
        .store
        .verify_fire(id, kind.as_str(), &req.note, &caller.user.username)
        .await?
    {
        return Err(ApiError::NotFound(format!("no fire point {id}")));
    }
    let row = point(&s, id).await?;
    Ok((StatusCode::OK, json(&FireView::of(&row))).into_response())
}

/// The fire ledger of the points detected in `from_s..to_s` (merging looks
/// across townships; `only` keeps one township's name in the list): the
/// route's and the reports' one path.
pub async fn fire_ledger(
    store: &lantian_store::Store,
    from_s: i64,
    to_s: i64,
    only: Option<&str>,
) -> Result<lantian_fires::Ledger, lantian_store::Error> {
    let rows = store.fire_points(None, from_s, to_s).await?;
    let placed: std::collections::HashMap<String, Option<String>> = rows
        .iter()
        .map(|r| (r.id.to_string(), r.township.clone()))
        .collect();
    let points: Vec<FirePoint> = rows.iter().map(FireView::point).collect();
    let mut names: Vec<String> = match store.township_boundaries().await? {
        Some(b) => b
            .townships
            .split('、')
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect(),
        None => Vec::new(),
    };
    if let Some(t) = only {
        names.retain(|n| n == t);
    }
    let rules = Rules::shipped();
    Ok(lantian_fires::ledger_placed(
        &points,
        &names,
        &rules,
        &|p: &FirePoint| placed.get(&p.id).cloned().flatten(),
    ))
}

/// The ledger of a year: per township (a township user: its own) and month.
#[utoipa::path(get, path = "/api/v1/fires/ledger", tag = "fires", params(FiresQuery),
    responses(
        (status = 200, description = "{areas, outside, months, fires, rules}: points, straw, other, false, pending, deduction_cny", body = Object),
        (status = 400, description = "A bad year"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not a bureau, department or township user, or another township's ledger")
    ))]
pub async fn ledger(
    State(s): State<HttpState>,
    caller: Caller,
    Query(q): Query<FiresQuery>,
) -> ApiResult<Response> {
    let township = township_of(&caller, q.township.as_deref())?;
    let (year, from, to) = year_range(q.year)?;
    let mut l = fire_ledger(&s.store, from, to, township.as_deref()).await?;
    if let Some(t) = &township {
        l.areas.retain(|n, _| n == t);
        l.months.retain(|n, _| n == t);
        l.fires.retain(|f| f.area.as_deref() == Some(t.as_str()));
        l.points.retain(|_, n| n == t);
        l.outside = lantian_fires::Totals::default();
    }
    Ok(json(&serde_json::json!({
        "year": year,
        "areas": l.areas,
        "outside": l.outside,
        "months": l.months,
        "fires": l.fires,
        "rules": l.rules_version,
    })))
}

/// A township's appeal against a verified point.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealRequest {
    /// Why (required): a heat source, across the border, a wrong verdict.
    pub reason: String,
}

/// Appeal a verified point (the point's township, or the bureau for it).
#[utoipa::path(post, path = "/api/v1/fires/{id}/appeal", tag = "fires",
    params(("id" = i64, Path, description = "The point")), request_body = AppealRequest,
    responses(
        (status = 200, description = "Appealed: pending the bureau's decision", body = FireView),
        (status = 400, description = "No reason"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not the bureau or the point's own township"),
        (status = 404, description = "No such point"),
        (status = 409, description = "Not verified yet, or appealed already")
    ))]
pub async fn appeal(
    State(s): State<HttpState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Json(req): Json<AppealRequest>,
) -> ApiResult<Response> {
    point_to_act_on(&s, &caller, id).await?;
    if req.reason.trim().is_empty() {
        return Err(ApiError::bad("reason: say why the verdict is wrong"));
    }
    if !s
        .store
        .appeal_fire(id, &req.reason, &caller.user.username)
        .await?
    {
        return Err(ApiError::NotFound(format!("no fire point {id}")));
    }
    let row = point(&s, id).await?;
    Ok(json(&FireView::of(&row)))
}

/// The bureau's decision on an appeal.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// true: upheld (the point is not charged); false: rejected.
    pub upheld: bool,
    pub note: String,
}

/// Decide an appeal (the bureau).
#[utoipa::path(post, path = "/api/v1/fires/{id}/appeal/decide", tag = "fires",
    params(("id" = i64, Path, description = "The point")), request_body = DecisionRequest,
    responses(
        (status = 200, description = "Decided", body = FireView),
        (status = 400, description = "No note"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not the bureau"),
        (status = 404, description = "No such point"),
        (status = 409, description = "No appeal pending")
    ))]
pub async fn decide(
    State(s): State<HttpState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Json(req): Json<DecisionRequest>,
) -> ApiResult<Response> {
    caller.may(Action::DecideFireAppeal, Object::County)?;
    if req.note.trim().is_empty() {
        return Err(ApiError::bad("note: say why"));
    }
    if !s
        .store
        .decide_fire_appeal(id, req.upheld, &req.note, &caller.user.username)
        .await?
    {
        return Err(ApiError::NotFound(format!("no fire point {id}")));
    }
    let row = point(&s, id).await?;
    Ok(json(&FireView::of(&row)))
}
