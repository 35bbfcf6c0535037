//! The data API behind the dashboard: current AQI of the area and of each
//! station, station and area series, targets, rankings, the assessment of
//! any period. Figures come from the in-memory snapshot
//! (`crate::figures`); any logged-in caller may read them (the policy's
//! `ReadData`), the `public` ones need no login. Series and rankings export
//! as CSV or Excel with `?format=csv|xlsx`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::Value;

use super::{Labelled, json};
use crate::figures::{
    self, DayView, HourView, LevelView, Now, Rankings, Snapshot, StationNow, TargetsView,
};
use crate::http::HttpState;
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::export::{self, Format};
use crate::http::extract::{Query, within};
use crate::policy::{Action, Object};
use lantian_assess::review::DataMode;

/// The snapshot (reviewed data, or raw when asked), or 503 while the
/// first one is being computed.
fn snapshot(s: &HttpState, data: DataMode) -> ApiResult<Arc<Snapshot>> {
    figures::current(&s.snapshot)
        .map(|snap| snap.of(data))
        .ok_or_else(|| ApiError::busy("the figures are being computed; try again in a few seconds"))
}

/// Which data the figures rest on.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DataQuery {
    /// `reviewed` (default: 审核数据, hours the data review marked invalid
    /// left out) or `raw` (原始数据, as received).
    #[serde(default)]
    #[param(value_type = Option<String>)]
    pub data: DataMode,
}

fn labelled<T>(s: &HttpState, body: T) -> Labelled<T> {
    Labelled {
        body,
        label: s.label.clone(),
    }
}

/// The latest hour of the area and of every station (no login).
#[utoipa::path(get, path = "/api/v1/public/now", tag = "public",
    responses(
        (status = 200, description = "The area's and every station's latest hour, with the data's label", body = Labelled<Now>),
        (status = 503, description = "The first figures are still being computed")
    ))]
pub async fn public_now(State(s): State<HttpState>) -> ApiResult<Response> {
    let snap = snapshot(&s, DataMode::Reviewed)?;
    Ok(json(&labelled(&s, &snap.now)))
}

/// The overview: the public view plus the area's last 24 hours.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Overview<'a> {
    #[serde(flatten)]
    pub now: &'a Now,
    pub last24: &'a [HourView],
}

/// The overview: the public view plus the area's last 24 hours.
#[utoipa::path(get, path = "/api/v1/overview", tag = "data", params(DataQuery),
    responses(
        (status = 200, description = "As /api/v1/public/now, plus last24: the area's hourly reports", body = Labelled<Overview>),
        (status = 401, description = "No session or token"),
        (status = 503, description = "Not now: the first figures are being computed, or the database is busy; try again (Retry-After)")
    ))]
pub async fn overview(
    State(s): State<HttpState>,
    caller: Caller,
    Query(d): Query<DataQuery>,
) -> ApiResult<Response> {
    caller.may(Action::ReadData, Object::County)?;
    let snap = snapshot(&s, d.data)?;
    let body = Overview {
        now: &snap.now,
        last24: &snap.last24,
    };
    Ok(json(&labelled(&s, body)))
}

/// Stations with their latest hour.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Stations<'a> {
    pub stations: &'a [StationNow],
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StationsQuery {
    /// Only the stations of this township (乡镇, as registered).
    pub township: Option<String>,
}

/// Stations with their latest hour (optionally of one township).
#[utoipa::path(get, path = "/api/v1/stations", tag = "data", params(StationsQuery, DataQuery),
    responses(
        (status = 200, description = "Every station (of the township) and its latest hour", body = Labelled<Stations>),
        (status = 401, description = "No session or token"),
        (status = 503, description = "Not now: the first figures are being computed, or the database is busy; try again (Retry-After)"),
        (status = 400, description = "A query parameter outside its bounds or list (the message names it)")
    ))]
pub async fn stations(
    State(s): State<HttpState>,
    caller: Caller,
    Query(d): Query<DataQuery>,
    Query(q): Query<StationsQuery>,
) -> ApiResult<Response> {
    caller.may(Action::ReadData, Object::County)?;
    let snap = snapshot(&s, d.data)?;
    let Some(town) = q.township.as_deref() else {
        return Ok(json(&labelled(
            &s,
            Stations {
                stations: &snap.now.stations,
            },
        )));
    };
    let mine: Vec<StationNow> = snap
        .now
        .stations
        .iter()
        .filter(|st| st.site.township.as_deref() == Some(town))
        .cloned()
        .collect();
    Ok(json(&labelled(&s, Stations { stations: &mine })))
}

fn station_index(snap: &Snapshot, code: &str) -> ApiResult<usize> {
    snap.station(code)
        .ok_or_else(|| ApiError::NotFound(format!("no station {code} with data")))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HourlyQuery {
    /// Days back from the latest hour (default 7 for a station, 1 for the area).
    #[param(minimum = 1, maximum = 31)]
    pub days: Option<usize>,
    /// json (default), csv or xlsx
    pub format: Option<Format>,
}

/// A station's hourly reports.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct StationHourly {
    pub code: String,
    pub hours: Vec<HourView>,
}

/// A station's hourly real-time reports over its last `days` days.
#[utoipa::path(get, path = "/api/v1/stations/{code}/hourly", tag = "data",
    params(("code" = String, Path, description = "Site code"), HourlyQuery, DataQuery),
    responses(
        (status = 200, description = "The hours, each labelled by its end (+08:00)", content((StationHourly = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, description = "Bad days or format"),
        (status = 401, description = "No session or token"),
        (status = 404, description = "No such station with data"),
        (status = 503, description = "Not now: the first figures are being computed, or the database is busy; try again (Retry-After)")
    ))]
pub async fn station_hourly(
    State(s): State<HttpState>,
    caller: Caller,
    Query(d): Query<DataQuery>,
    Path(code): Path<String>,
    Query(q): Query<HourlyQuery>,
) -> ApiResult<Response> {
    caller.may(Action::ReadData, Object::County)?;
    let days = within("days", q.days, 1, 31)?.unwrap_or(7);
    let snap = snapshot(&s, d.data)?;
    let i = station_index(&snap, &code)?;
    let hours = snap.station_hours(i, days);
    match q.format.unwrap_or_default() {
        Format::Json => Ok(json(&StationHourly { code, hours })),
        f => export::table(f, &format!("{code}-hourly"), &hours),
    }
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DailyQuery {
    /// Calendar year (default: the latest year with data).
    #[param(minimum = 1900, maximum = 9999)]
    pub year: Option<i32>,
    /// json (default), csv or xlsx
    pub format: Option<Format>,
}

/// A station's daily records of a year.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct StationDaily {
    pub code: String,
    pub year: Option<i32>,
    /// The six AQI bands and their colours (the calendar's legend).
    pub levels: Vec<LevelView>,
    pub days: Vec<DayView>,
}

/// A station's daily records of a year (default: the year evaluated).
#[utoipa::path(get, path = "/api/v1/stations/{code}/daily", tag = "data",
    params(("code" = String, Path, description = "Site code"), DailyQuery, DataQuery),
    responses(
        (status = 200, description = "The days (O3 = max 8-h)", content((StationDaily = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, description = "Bad year or format"),
        (status = 401, description = "No session or token"),
        (status = 404, description = "No such station with data"),
        (status = 503, description = "Not now: the first figures are being computed, or the database is busy; try again (Retry-After)")
    ))]
pub async fn station_daily(
    State(s): State<HttpState>,
    caller: Caller,
    Query(d): Query<DataQuery>,
    Path(code): Path<String>,
    Query(q): Query<DailyQuery>,
) -> ApiResult<Response> {
    caller.may(Action::ReadData, Object::County)?;
    let year = within("year", q.year, 1900, 9999)?;
    let snap = snapshot(&s, d.data)?;
    let i = station_index(&snap, &code)?;
    let year = year.or_else(|| snap.year());
    let days = year.map_or_else(Vec::new, |y| snap.daily(Some(i), y));
    match q.format.unwrap_or_default() {
        Format::Json => Ok(json(&StationDaily {
            code,
            year,
            levels: figures::levels(),
            days,
        })),
        f => export::table(
            f,
            &format!("{code}-daily-{}", year.unwrap_or_default()),
            &days,
        ),
    }
}

/// A station's pollution rose.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct StationRose {
    pub code: String,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub rose: lantian_assess::Rose,
}

/// A station's pollution rose: PM2.5 by wind direction, year to date.
#[utoipa::path(get, path = "/api/v1/stations/{code}/rose", tag = "data",
    params(("code" = String, Path, description = "Site code"), DataQuery),
    responses(
        (status = 200, description = "{code, from, to, pollutant, hours, bins: [{dir, deg, hours, pm25, colour}]}; no bins when the station reports no wind direction (a01008)", body = StationRose),
        (status = 401, description = "No session or token"),
        (status = 404, description = "No such station with data"),
        (status = 503, description = "Not now: the first figures are being computed, or the database is busy; try again (Retry-After)"),
        (status = 400, description = "A query parameter outside its bounds or list (the message names it)")
    ))]
pub async fn station_rose(
    State(s): State<HttpState>,
    caller: Caller,
    Query(d): Query<DataQuery>,
    Path(code): Path<String>,
) -> ApiResult<Response> {
    caller.may(Action::ReadData, Object::County)?;
    let snap = snapshot(&s, d.data)?;
    let i = station_index(&snap, &code)?;
    let rose = snap
        .rose(i)
        .ok_or_else(|| ApiError::NotFound(format!("no period evaluated for {code}")))?;
    Ok(json(&StationRose { code, rose }))
}

/// The series an area interval gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Interval {
    Hourly,
    Daily,
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AreaQuery {
    /// hourly: days back from the latest hour (default 1).
    #[param(minimum = 1, maximum = 31)]
    pub days: Option<usize>,
    /// daily: the year (default: the latest with data).
    #[param(minimum = 1900, maximum = 9999)]
    pub year: Option<i32>,
    /// json (default), csv or xlsx
    pub format: Option<Format>,
}

/// The area's hours.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AreaHours {
    pub hours: Vec<HourView>,
}

/// The area's days.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AreaDays {
    pub days: Vec<DayView>,
}

/// The area's series: its hourly reports over the last `days` days, or its
/// daily records of a year (the area is the mean of the assessed stations).
#[utoipa::path(get, path = "/api/v1/area/{interval}", tag = "data",
    params(("interval" = Interval, Path, description = "hourly or daily"), AreaQuery, DataQuery),
    responses(
        (status = 200, description = "{hours: [...]} or {days: [...]}, as the station series", content((Object = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, description = "Bad interval, days, year or format"),
        (status = 401, description = "No session or token"),
        (status = 503, description = "Not now: the first figures are being computed, or the database is busy; try again (Retry-After)")
    ))]
pub async fn area_series(
    State(s): State<HttpState>,
    caller: Caller,
    Query(d): Query<DataQuery>,
    Path(interval): Path<String>,
    Query(q): Query<AreaQuery>,
) -> ApiResult<Response> {
    caller.may(Action::ReadData, Object::County)?;
    let interval = match interval.as_str() {
        "hourly" => Interval::Hourly,
        "daily" => Interval::Daily,
        other => return Err(ApiError::bad(format!("`{other}`: use hourly or daily"))),
    };
    let format = q.format.unwrap_or_default();
    let snap = snapshot(&s, d.data)?;
    match interval {
        Interval::Hourly => {
            let days = within("days", q.days, 1, 31)?.unwrap_or(1);
            let hours = snap.area_last_hours(days * 24);
            match format {
                Format::Json => Ok(json(&AreaHours { hours })),
                f => export::table(f, "area-hourly", &hours),
            }
        }
        Interval::Daily => {
            let year = within("year", q.year, 1900, 9999)?.or_else(|| snap.year());
            let days = year.map_or_else(Vec::new, |y| snap.daily(None, y));
            match format {
                Format::Json => Ok(json(&AreaDays { days })),
                f => export::table(
                    f,
                    &format!("area-daily-{}", year.unwrap_or_default()),
                    &days,
                ),
            }
        }
    }
}

/// Target tracking for the year of the latest data.
#[utoipa::path(get, path = "/api/v1/targets", tag = "data", params(DataQuery),
    responses(
        (status = 200, description = "{year, as_of, status {pm25_mean, pm25_target, pm25_on_track, pm25_remaining_allowed, good_ratio, …}, tracking, months, label}", body = Labelled<TargetsView>),
        (status = 401, description = "No session or token"),
        (status = 503, description = "Not now: the first figures are being computed, or the database is busy; try again (Retry-After)")
    ))]
pub async fn targets(
    State(s): State<HttpState>,
    caller: Caller,
    Query(d): Query<DataQuery>,
) -> ApiResult<Response> {
    caller.may(Action::ReadData, Object::County)?;
    let snap = snapshot(&s, d.data)?;
    Ok(json(&labelled(&s, &snap.targets)))
}

/// Stations (and townships) ranked by composite index, with PM2.5,
/// good-day ratio and last year's.
#[utoipa::path(get, path = "/api/v1/rankings", tag = "data", params(devices::ExportQuery, DataQuery),
    responses(
        (status = 200, description = "{year, from, to, stations: [...], townships: [...], label}", content((Labelled<Rankings> = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, description = "No session or token"),
        (status = 503, description = "Not now: the first figures are being computed, or the database is busy; try again (Retry-After)"),
        (status = 400, description = "A query parameter outside its bounds or list (the message names it)")
    ))]
pub async fn rankings(
    State(s): State<HttpState>,
    caller: Caller,
    Query(d): Query<DataQuery>,
    Query(q): Query<super::devices::ExportQuery>,
) -> ApiResult<Response> {
    caller.may(Action::ReadData, Object::County)?;
    let snap = snapshot(&s, d.data)?;
    match q.format.unwrap_or_default() {
        Format::Json => Ok(json(&labelled(&s, &snap.rankings))),
        f => export::table(
            f,
            "rankings",
            snap.rankings.stations.as_deref().unwrap_or_default(),
        ),
    }
}

use super::devices;

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First day, YYYY-MM-DD (with `to`); the period spans at most `max_period_years` (20) years.
    pub from: Option<chrono::NaiveDate>,
    /// Last day, YYYY-MM-DD (with `from`).
    pub to: Option<chrono::NaiveDate>,
}

/// Area and station statistics of a period: the same JSON as `lantian
/// assess --database --json` (year to date by default; `from`/`to` for any
/// period).
#[utoipa::path(get, path = "/api/v1/assessment", tag = "data", params(PeriodQuery, DataQuery),
    responses(
        (status = 200, description = "The output of `lantian assess --json` (year to date, or from..to)", body = Object),
        (status = 400, description = "Bad or half-given dates, `to` before `from`, or a period longer than max_period_years"),
        (status = 401, description = "No session or token"),
        (status = 503, description = "Busy evaluating other periods, or the first figures are still being computed")
    ))]
pub async fn assessment(
    State(s): State<HttpState>,
    caller: Caller,
    Query(d): Query<DataQuery>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Response> {
    caller.may(Action::ReadData, Object::County)?;
    let range = match (q.from, q.to) {
        (Some(f), Some(t)) if t >= f => Some((f, t)),
        (None, None) => None,
        _ => {
            return Err(ApiError::bad(
                "give both `from` and `to` (YYYY-MM-DD), `to` not before `from`",
            ));
        }
    };
    if let Some((f, t)) = range {
        let days = (t - f).num_days() + 1;
        let max = i64::from(s.max_period_years) * 366;
        if days > max {
            return Err(ApiError::bad(format!(
                "the period {f} … {t} spans {days} days; at most {} years (max_period_years)",
                s.max_period_years
            )));
        }
    }
    let snap = snapshot(&s, d.data)?;
    let Some(a) = snap.assessment.as_ref() else {
        return Ok(json(&Value::Null));
    };
    let Some((f, t)) = range else {
        return Ok(json(&lantian_assess::to_json(a, 20)));
    };
    // Evaluating a period is CPU work: off the async workers, a few at a
    // time (beyond that, 503), and given up when the client goes (the
    // handler's future is dropped, which raises `stop`).
    let Ok(permit) = s.evaluations.clone().try_acquire_owned() else {
        return Err(ApiError::busy(
            "busy evaluating other periods; try again in a moment",
        ));
    };
    let stop = StopOnDrop::default();
    let flag = stop.0.clone();
    let snap = snap.clone();
    let work = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let stopped = || flag.load(Ordering::Relaxed);
        snap.assessment.as_ref().and_then(|a| {
            let p = a.period_until(f, t, &stopped)?;
            Some(lantian_assess::period_json(a, &p))
        })
    });
    let v = work
        .await
        .map_err(|_| ApiError::Internal("evaluation failed"))?;
    drop(stop);
    Ok(json(&v.unwrap_or(Value::Null)))
}

/// Raises its flag when dropped: blocking work started for a request asks
/// it, and stops once the request is gone.
#[derive(Default)]
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}
