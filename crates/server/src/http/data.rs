//! The data API behind the dashboard: current AQI of the area and of each
//! station, station series, targets, rankings, the year's assessment, the
//! county boundary. Figures come from the in-memory snapshot
//! (`crate::analysis`); every route but the `public` ones needs a caller.
//! Series and rankings export as CSV or Excel with `?format=csv|xlsx`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{ApiError, HttpState, api_error, caller, db_error, device_admin, json_ok, shanghai};
use crate::analysis::{self, Snapshot};

/// The value of `name` in the query string.
fn query<'a>(uri: &'a Uri, name: &str) -> Option<&'a str> {
    uri.query()?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn query_number<T>(uri: &Uri, name: &str, lo: T, hi: T) -> Result<Option<T>, ApiError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    match query(uri, name) {
        None => Ok(None),
        Some(v) => match v.parse::<T>() {
            Ok(n) if n >= lo && n <= hi => Ok(Some(n)),
            _ => Err(api_error(
                StatusCode::BAD_REQUEST,
                &format!("query `{name}={v}`: expected a number from {lo} to {hi}"),
            )),
        },
    }
}

/// The snapshot, or 503 while the first one is being computed.
fn snapshot(s: &HttpState) -> Result<std::sync::Arc<Snapshot>, ApiError> {
    analysis::current(&s.snapshot).ok_or_else(|| {
        api_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the figures are being computed; try again in a few seconds",
        )
    })
}

fn with_label(s: &HttpState, mut v: Value) -> Value {
    v["label"] = json!(s.label);
    v
}

/// The latest hour of the area and of every station (no login).
#[utoipa::path(get, path = "/api/v1/public/now", tag = "public",
    responses(
        (status = 200, description = "as_of (Asia/Shanghai), area {aqi, level, colour, category_zh/en, primary, health, advice, values}, stations [{code, name, lon, lat, aqi, colour, primary, as_of, values}], label (data source note)"),
        (status = 503, description = "The first figures are still being computed")
    ))]
pub(super) async fn public_now(State(s): State<HttpState>) -> Result<impl IntoResponse, ApiError> {
    let snap = snapshot(&s)?;
    Ok(json_ok(with_label(&s, snap.now.clone())))
}

/// The overview: the public view plus the area's last 24 hours.
#[utoipa::path(get, path = "/api/v1/overview", tag = "data",
    responses(
        (status = 200, description = "As /api/v1/public/now, plus last24: the area's hourly reports [{time, aqi, colour, primary, values}]"),
        (status = 401, description = "No session or token")
    ))]
pub(super) async fn overview(
    State(s): State<HttpState>,
    method: Method,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    caller(&s.store, &method, &headers).await?;
    let snap = snapshot(&s)?;
    let mut v = snap.now.clone();
    v["last24"] = snap.last24.clone();
    Ok(json_ok(with_label(&s, v)))
}

/// Stations with their latest hour.
#[utoipa::path(get, path = "/api/v1/stations", tag = "data",
    responses(
        (status = 200, description = "{stations: [{code, name, township, lon, lat, aqi, colour, primary, as_of, values}], label}"),
        (status = 401, description = "No session or token")
    ))]
pub(super) async fn stations(
    State(s): State<HttpState>,
    method: Method,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    caller(&s.store, &method, &headers).await?;
    let snap = snapshot(&s)?;
    Ok(json_ok(with_label(
        &s,
        json!({"stations": snap.now["stations"]}),
    )))
}

fn station_index(snap: &Snapshot, code: &str) -> Result<usize, ApiError> {
    snap.station(code).ok_or_else(|| {
        api_error(
            StatusCode::NOT_FOUND,
            &format!("no station {code} with data"),
        )
    })
}

/// An export's format.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Export {
    Json,
    Csv,
    Xlsx,
}

pub(super) fn export_format(uri: &Uri) -> Result<Export, ApiError> {
    match query(uri, "format") {
        None | Some("json") => Ok(Export::Json),
        Some("csv") => Ok(Export::Csv),
        Some("xlsx") => Ok(Export::Xlsx),
        Some(f) => Err(api_error(
            StatusCode::BAD_REQUEST,
            &format!("query `format={f}`: use json, csv or xlsx"),
        )),
    }
}

/// A row's value of a column: `row[col]`, else `row.values[col]`.
fn cell(r: &Value, c: &str) -> Value {
    let v = if r.get(c).is_some() {
        &r[c]
    } else {
        &r["values"][c]
    };
    match v {
        Value::Array(a) => Value::String(
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("+"),
        ),
        other => other.clone(),
    }
}

/// Rows as a CSV or Excel file named `name`: `columns` are the header.
pub(super) fn table_response(
    format: Export,
    name: &str,
    columns: &[&str],
    rows: &[Value],
) -> Result<Response, ApiError> {
    let internal = |what: &str| api_error(StatusCode::INTERNAL_SERVER_ERROR, what);
    let (body, mime, ext) = match format {
        Export::Json | Export::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(columns)
                .map_err(|_| internal("CSV writer"))?;
            for r in rows {
                w.write_record(columns.iter().map(|c| match cell(r, c) {
                    Value::Null => String::new(),
                    Value::String(s) => csv_text(s),
                    other => other.to_string(),
                }))
                .map_err(|_| internal("CSV writer"))?;
            }
            let body = w.into_inner().map_err(|_| internal("CSV writer"))?;
            (body, "text/csv; charset=utf-8", "csv")
        }
        Export::Xlsx => {
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            let bold = rust_xlsxwriter::Format::new().set_bold();
            let xl = |_| internal("xlsx writer");
            for (j, c) in columns.iter().enumerate() {
                sheet
                    .write_string_with_format(0, j as u16, *c, &bold)
                    .map_err(xl)?;
            }
            for (i, r) in rows.iter().enumerate() {
                let row = i as u32 + 1;
                for (j, c) in columns.iter().enumerate() {
                    let col = j as u16;
                    match cell(r, c) {
                        Value::Null => {}
                        Value::Number(n) => {
                            sheet
                                .write_number(row, col, n.as_f64().unwrap_or(0.0))
                                .map_err(xl)?;
                        }
                        Value::String(s) => {
                            sheet.write_string(row, col, s).map_err(xl)?;
                        }
                        other => {
                            sheet
                                .write_string(row, col, other.to_string())
                                .map_err(xl)?;
                        }
                    }
                }
            }
            let body = book.save_to_buffer().map_err(xl)?;
            (
                body,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            )
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                content_disposition(&format!("{name}.{ext}")),
            ),
        ],
        body,
    )
        .into_response())
}

/// A text cell of a CSV export: one that a spreadsheet would run as a
/// formula (it begins with `=`, `+`, `-`, `@`, a tab or a carriage return)
/// is prefixed with `'` (OWASP, CSV injection). Numbers are written as
/// numbers and never pass here.
pub(super) fn csv_text(s: String) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s
    }
}

/// `Content-Disposition: attachment` for a file name, RFC 6266: an ASCII
/// fallback in `filename` (anything else becomes `_`) and the exact name,
/// percent-encoded UTF-8, in `filename*` (RFC 8187).
pub(super) fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

const SERIES_COLUMNS: [&str; 6] = ["PM2.5", "PM10", "SO2", "NO2", "CO", "O3"];

/// A station's hourly real-time reports over its last `days` days (1–31, default 7).
#[utoipa::path(get, path = "/api/v1/stations/{code}/hourly", tag = "data",
    params(("code" = String, Path, description = "Site code"),
           ("days" = Option<u32>, Query, description = "Days back from the station's latest hour, 1–31 (default 7)"),
           ("format" = Option<String>, Query, description = "json (default), csv or xlsx")),
    responses(
        (status = 200, description = "{code, hours: [{time (end of hour, +08:00), aqi, level, colour, category_zh, primary, values {PM2.5, PM10, SO2, NO2, CO (mg/m³), O3}}]}"),
        (status = 400, description = "Bad days or format"),
        (status = 401, description = "No session or token"),
        (status = 404, description = "No such station with data")
    ))]
pub(super) async fn station_hourly(
    State(s): State<HttpState>,
    method: Method,
    headers: HeaderMap,
    Path(code): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    caller(&s.store, &method, &headers).await?;
    let days = query_number(&uri, "days", 1usize, 31)?.unwrap_or(7);
    let format = export_format(&uri)?;
    let snap = snapshot(&s)?;
    let i = station_index(&snap, &code)?;
    let hours = snap.station_hours(i, days);
    if format != Export::Json {
        let mut cols = vec!["time", "aqi", "category_zh", "primary"];
        cols.extend(SERIES_COLUMNS);
        return table_response(format, &format!("{code}-hourly"), &cols, &hours);
    }
    Ok(json_ok(json!({"code": code, "hours": hours})).into_response())
}

/// A station's daily records of a year (default: the year evaluated).
#[utoipa::path(get, path = "/api/v1/stations/{code}/daily", tag = "data",
    params(("code" = String, Path, description = "Site code"),
           ("year" = Option<i32>, Query, description = "Calendar year (default: the latest year with data)"),
           ("format" = Option<String>, Query, description = "json (default), csv or xlsx")),
    responses(
        (status = 200, description = "{code, year, levels (the six AQI bands and colours), days: [{date, aqi, level, colour, category_zh, primary, values (O3 = max 8-h)}]}"),
        (status = 400, description = "Bad year or format"),
        (status = 401, description = "No session or token"),
        (status = 404, description = "No such station with data")
    ))]
pub(super) async fn station_daily(
    State(s): State<HttpState>,
    method: Method,
    headers: HeaderMap,
    Path(code): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    caller(&s.store, &method, &headers).await?;
    let year = query_number(&uri, "year", 1900i32, 9999)?;
    let format = export_format(&uri)?;
    let snap = snapshot(&s)?;
    let i = station_index(&snap, &code)?;
    let Some(year) = year.or_else(|| snap.year()) else {
        return Ok(json_ok(json!({"code": code, "year": null, "days": []})).into_response());
    };
    let days = snap.daily(Some(i), year);
    if format != Export::Json {
        let mut cols = vec!["date", "aqi", "category_zh", "primary"];
        cols.extend(SERIES_COLUMNS);
        return table_response(format, &format!("{code}-daily-{year}"), &cols, &days);
    }
    Ok(json_ok(
        json!({"code": code, "year": year, "levels": analysis::levels_json(), "days": days}),
    )
    .into_response())
}

/// A station's pollution rose: PM2.5 by wind direction, year to date.
#[utoipa::path(get, path = "/api/v1/stations/{code}/rose", tag = "data",
    params(("code" = String, Path, description = "Site code")),
    responses(
        (status = 200, description = "{code, from, to, pollutant, hours (with a direction), bins: [{dir (N, NNE, …), deg, hours, pm25 (mean, µg/m³), colour (of the AQI level of that mean as a 24-h PM2.5)}]}; no bins when the station reports no wind direction (a01008)"),
        (status = 401, description = "No session or token"),
        (status = 404, description = "No such station with data")
    ))]
pub(super) async fn station_rose(
    State(s): State<HttpState>,
    method: Method,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    caller(&s.store, &method, &headers).await?;
    let snap = snapshot(&s)?;
    let i = station_index(&snap, &code)?;
    let mut v = snap.rose_json(i);
    v["code"] = json!(code);
    Ok(json_ok(v))
}

/// Target tracking for the year of the latest data.
#[utoipa::path(get, path = "/api/v1/targets", tag = "data",
    responses(
        (status = 200, description = "{year, as_of, status {pm25_mean, pm25_target, pm25_on_track, pm25_remaining_allowed, good_ratio, good_days, valid_days, good_target, heavy_days, heavy_days_remaining, …}, tracking (the full record), months [{month, pm25, pm25_last, good_days, good_days_last}], label}"),
        (status = 401, description = "No session or token")
    ))]
pub(super) async fn targets(
    State(s): State<HttpState>,
    method: Method,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    caller(&s.store, &method, &headers).await?;
    let snap = snapshot(&s)?;
    Ok(json_ok(with_label(&s, snap.targets.clone())))
}

/// Stations ranked by composite index, with PM2.5, good-day ratio and last year's.
#[utoipa::path(get, path = "/api/v1/rankings", tag = "data",
    params(("format" = Option<String>, Query, description = "json (default), csv or xlsx")),
    responses(
        (status = 200, description = "{year, from, to, stations: [{rank, code, name, township, composite, composite_prev, pm25, pm25_prev, good_ratio, good_ratio_prev, rank_pm25, rank_good_ratio, assessed}], label}"),
        (status = 401, description = "No session or token")
    ))]
pub(super) async fn rankings(
    State(s): State<HttpState>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    caller(&s.store, &method, &headers).await?;
    let format = export_format(&uri)?;
    let snap = snapshot(&s)?;
    let v = snap.rankings.clone();
    if format != Export::Json {
        let rows = v["stations"].as_array().cloned().unwrap_or_default();
        return table_response(
            format,
            "rankings",
            &[
                "rank",
                "code",
                "name",
                "township",
                "composite",
                "composite_prev",
                "pm25",
                "pm25_prev",
                "good_ratio",
                "good_ratio_prev",
            ],
            &rows,
        );
    }
    Ok(json_ok(with_label(&s, v)).into_response())
}

fn query_date(uri: &Uri, name: &str) -> Result<Option<chrono::NaiveDate>, ApiError> {
    query(uri, name)
        .map(|v| {
            v.parse().map_err(|_| {
                api_error(
                    StatusCode::BAD_REQUEST,
                    &format!("query `{name}={v}`: expected a date YYYY-MM-DD"),
                )
            })
        })
        .transpose()
}

/// Area and station statistics of a period: the same JSON as `lantian
/// assess --database --json` (year to date by default; `from`/`to` for any
/// period).
#[utoipa::path(get, path = "/api/v1/assessment", tag = "data",
    params(("from" = Option<String>, Query, description = "First day, YYYY-MM-DD (with `to`); the period spans at most `max_period_years` (20) years"),
           ("to" = Option<String>, Query, description = "Last day, YYYY-MM-DD (with `from`)")),
    responses(
        (status = 200, description = "The output of `lantian assess --json` (year to date, or from..to): per-station and area statistics, validity, days by category, composite index, ranks, last year's; targets; input"),
        (status = 400, description = "Bad or half-given dates, `to` before `from`, or a period longer than max_period_years"),
        (status = 401, description = "No session or token"),
        (status = 503, description = "Busy evaluating other periods, or the first figures are still being computed")
    ))]
pub(super) async fn assessment(
    State(s): State<HttpState>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
) -> Result<impl IntoResponse, ApiError> {
    caller(&s.store, &method, &headers).await?;
    let range = match (query_date(&uri, "from")?, query_date(&uri, "to")?) {
        (Some(f), Some(t)) if t >= f => Some((f, t)),
        (None, None) => None,
        _ => {
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                "give both `from` and `to` (YYYY-MM-DD), `to` not before `from`",
            ));
        }
    };
    if let Some((f, t)) = range {
        let days = (t - f).num_days() + 1;
        let max = i64::from(s.max_period_years) * 366;
        if days > max {
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                &format!(
                    "the period {f} … {t} spans {days} days; at most {} years (max_period_years)",
                    s.max_period_years
                ),
            ));
        }
    }
    let snap = snapshot(&s)?;
    let Some(a) = snap.assessment.as_ref() else {
        return Ok(json_ok(Value::Null));
    };
    let v = match range {
        None => lantian_assess::to_json(a, 20),
        Some((f, t)) => {
            // Evaluating a period is CPU work: off the async workers, a few
            // at a time (beyond that, 503), and given up when the client
            // goes (the handler's future is dropped, which raises `stop`).
            let Ok(permit) = s.evaluations.clone().try_acquire_owned() else {
                return Err(api_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy evaluating other periods; try again in a moment",
                ));
            };
            let stop = StopOnDrop::default();
            let flag = stop.0.clone();
            let snap = snap.clone();
            let work = tokio::task::spawn_blocking(move || {
                let _permit = permit;
                let stopped = || flag.load(std::sync::atomic::Ordering::Relaxed);
                snap.assessment.as_ref().and_then(|a| {
                    let p = a.period_until(f, t, &stopped)?;
                    Some(lantian_assess::period_json(a, &p))
                })
            });
            let v = work
                .await
                .map_err(|_| api_error(StatusCode::INTERNAL_SERVER_ERROR, "evaluation failed"))?;
            drop(stop);
            v.unwrap_or(Value::Null)
        }
    };
    Ok(json_ok(v))
}

/// Raises its flag when dropped: blocking work started for a request asks
/// it, and stops once the request is gone.
#[derive(Default)]
struct StopOnDrop(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The area's series: its hourly reports over the last `days` days (1–31,
/// default 1), or its daily records of a year.
#[utoipa::path(get, path = "/api/v1/area/{interval}", tag = "data",
    params(("interval" = String, Path, description = "hourly or daily"),
           ("days" = Option<u32>, Query, description = "hourly: days back from the latest hour, 1–31 (default 1)"),
           ("year" = Option<i32>, Query, description = "daily: the year (default: the latest with data)"),
           ("format" = Option<String>, Query, description = "json (default), csv or xlsx")),
    responses(
        (status = 200, description = "{hours: [...]} or {year, days: [...]}, as the station series; the area is the mean of the assessed stations"),
        (status = 400, description = "Bad interval, days, year or format"),
        (status = 401, description = "No session or token")
    ))]
pub(super) async fn area_series(
    State(s): State<HttpState>,
    method: Method,
    headers: HeaderMap,
    Path(interval): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    caller(&s.store, &method, &headers).await?;
    let format = export_format(&uri)?;
    let snap = snapshot(&s)?;
    let (key, rows, name) = match interval.as_str() {
        "hourly" => {
            let days = query_number(&uri, "days", 1usize, 31)?.unwrap_or(1);
            (
                "time",
                snap.area_last_hours(days * 24),
                "area-hourly".to_string(),
            )
        }
        "daily" => {
            let year = query_number(&uri, "year", 1900i32, 9999)?.or_else(|| snap.year());
            let days = year.map_or_else(Vec::new, |y| snap.daily(None, y));
            (
                "date",
                days,
                format!("area-daily-{}", year.unwrap_or_default()),
            )
        }
        other => {
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                &format!("`{other}`: use hourly or daily"),
            ));
        }
    };
    if format != Export::Json {
        let mut cols = vec![key, "aqi", "category_zh", "primary"];
        cols.extend(SERIES_COLUMNS);
        return table_response(format, &name, &cols, &rows);
    }
    let field = if key == "time" { "hours" } else { "days" };
    Ok(json_ok(json!({ field: rows })).into_response())
}

/// The county boundary GeoJSON the operator uploaded (no login).
#[utoipa::path(get, path = "/api/v1/public/boundary", tag = "public",
    responses(
        (status = 200, description = "The GeoJSON as uploaded"),
        (status = 404, description = "No boundary has been uploaded; pages draw stations on a plain background")
    ))]
pub(super) async fn boundary(State(s): State<HttpState>) -> Result<Response, ApiError> {
    match s.store.document("boundary").await.map_err(db_error)? {
        Some(body) => Ok(([(header::CONTENT_TYPE, "application/geo+json")], body).into_response()),
        None => Err(api_error(
            StatusCode::NOT_FOUND,
            "no boundary uploaded (PUT /api/v1/boundary)",
        )),
    }
}

/// Upload the county boundary (GeoJSON polygons, WGS-84 or the source's
/// datum as given); replaces the previous one. Admin and bureau.
#[utoipa::path(put, path = "/api/v1/boundary", tag = "devices",
    request_body(content = String, content_type = "application/geo+json", description = "GeoJSON: FeatureCollection, Feature, Polygon or MultiPolygon"),
    responses(
        (status = 200, description = "Stored: {features, polygons}"),
        (status = 400, description = "Not GeoJSON, or not polygons that can be drawn (rings closed, ≥ 4 positions, coordinates in range): the message names the feature and the fault"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user, or missing X-CSRF-Token")
    ))]
pub(super) async fn put_boundary(
    State(s): State<HttpState>,
    method: Method,
    headers: HeaderMap,
    body: String,
) -> Result<impl IntoResponse, ApiError> {
    let user = device_admin(&s, &method, &headers).await?;
    let sum = crate::boundary::check(&body)
        .map_err(|e| api_error(StatusCode::BAD_REQUEST, &format!("boundary: {e}")))?;
    s.store
        .put_document(
            "boundary",
            &body,
            &user.username,
            &format!(
                "{} features, {} polygons, {} bytes",
                sum.features,
                sum.polygons,
                body.len()
            ),
        )
        .await
        .map_err(db_error)?;
    Ok(json_ok(
        json!({"features": sum.features, "polygons": sum.polygons}),
    ))
}

fn frame_json(f: &lantian_store::FrameRow) -> Value {
    json!({"id": f.id, "received": shanghai(f.received_ms), "node": f.node, "peer": f.peer, "mn": f.mn,
           "qn": f.qn, "cn": f.cn, "verdict": f.verdict, "reason": f.reason, "raw": f.raw})
}

/// The raw-frame journal: every frame as received, with its verdict.
#[utoipa::path(get, path = "/api/v1/frames", tag = "devices",
    params(("mn" = Option<String>, Query, description = "Only this device"),
           ("verdict" = Option<String>, Query, description = "stored, duplicate, part, answer, other, heartbeat, activation, quarantine or rejected"),
           ("limit" = Option<i64>, Query, description = "1–1000, default 100")),
    responses(
        (status = 200, description = "Newest first: [{id, received (Asia/Shanghai), node, peer, mn, qn, cn, verdict, reason, raw}]"),
        (status = 400, description = "Bad limit or verdict"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user")
    ))]
pub(super) async fn frames(
    State(s): State<HttpState>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
) -> Result<impl IntoResponse, ApiError> {
    device_admin(&s, &method, &headers).await?;
    let limit = query_number(&uri, "limit", 1i64, 1000)?.unwrap_or(100);
    let verdict = query(&uri, "verdict")
        .map(|v| {
            v.parse::<lantian_store::Verdict>().map_err(|_| {
                api_error(
                    StatusCode::BAD_REQUEST,
                    &format!(
                        "query `verdict={v}`: use one of {}",
                        lantian_store::Verdict::names()
                    ),
                )
            })
        })
        .transpose()?;
    let rows = s
        .store
        .recent_frames(query(&uri, "mn"), verdict, limit)
        .await
        .map_err(db_error)?;
    Ok(json_ok(rows.iter().map(frame_json).collect()))
}

/// Frames kept aside: unknown devices, wrong passwords, disabled devices.
#[utoipa::path(get, path = "/api/v1/quarantine", tag = "devices",
    params(("limit" = Option<i64>, Query, description = "1–1000, default 100")),
    responses(
        (status = 200, description = "Newest first: [{id, received (Asia/Shanghai), peer, mn, reason, raw}]"),
        (status = 400, description = "Bad limit"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user")
    ))]
pub(super) async fn quarantine(
    State(s): State<HttpState>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
) -> Result<impl IntoResponse, ApiError> {
    device_admin(&s, &method, &headers).await?;
    let limit = query_number(&uri, "limit", 1i64, 1000)?.unwrap_or(100);
    let rows = s.store.recent_quarantine(limit).await.map_err(db_error)?;
    Ok(json_ok(rows.iter().map(frame_json).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_are_safe_to_open_and_to_name() {
        assert_eq!(csv_text("=HYPERLINK(\"x\")".into()), "'=HYPERLINK(\"x\")");
        for s in ["+1", "-1+1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_text(s.into()).starts_with('\''), "{s}");
        }
        assert_eq!(csv_text("东四".into()), "东四");
        assert_eq!(
            content_disposition("东四-hourly.csv"),
            "attachment; filename=\"__-hourly.csv\"; filename*=UTF-8''%E4%B8%9C%E5%9B%9B-hourly.csv"
        );
        let h = content_disposition("a\"b\r\nc.csv");
        assert!(axum::http::HeaderValue::from_str(&h).is_ok(), "{h}");
        assert!(h.starts_with("attachment; filename=\"a_b__c.csv\""), "{h}");
    }

    #[test]
    fn query_numbers_are_bounded() {
        let uri: Uri = "/x?days=40&format=csv".parse().unwrap();
        assert_eq!(query(&uri, "format"), Some("csv"));
        let e = query_number(&uri, "days", 1usize, 31).unwrap_err();
        assert_eq!(e.0, StatusCode::BAD_REQUEST);
        assert!(e.2.contains("days=40"), "{}", e.2);
        let uri: Uri = "/x?days=3".parse().unwrap();
        assert_eq!(query_number(&uri, "days", 1usize, 31).unwrap(), Some(3));
    }
}
