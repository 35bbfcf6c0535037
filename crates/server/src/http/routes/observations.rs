//! Observations pushed over HTTP (`POST /api/v1/observations`): the hours
//! of national and provincial stations relayed by the upper platforms, of
//! township micro-stations and vendors' platforms. The body is the long
//! format of `lantian assess` — `station,time,pollutant|code,value,flag` —
//! as a CSV text with its header or as a JSON array of objects with those
//! keys. Each row is judged alone: a bad one is refused with its number
//! (counted from 1, the header not counted) and its reason, and the good
//! ones are stored, in one transaction, before the answer is sent. Stored
//! on the station's intake device (see `lantian_store::intake`): idempotent
//! on (station, time, code), seen by the dashboard through the commit feed.
//!
//! Choices written down here:
//! - `time` is the **end** of the hour in Beijing time (`2026-01-05 03:00`
//!   is the mean of 02:00–03:00), as `assess` reads it; it must be on the
//!   hour, and not later than the next hour's end.
//! - `value` is a decimal number, not negative, in µg/m³ (CO mg/m³).
//! - `flag` is an HJ 212 data flag (N F M S D C T B P; empty is N), stored
//!   as sent; a flagged hour is kept but not counted in the figures.
//! - `pollutant` is one of the six (SO2 … PM2.5), or `code` an HJ 212
//!   factor code the code table knows.
//! - An integration token may name only the stations it is bound to: one
//!   other station in the call and the call is refused (403), nothing
//!   stored.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use chrono::Duration;
use lantian_assess::input::{AMBIENT_CODES, parse_end_time};
use lantian_standards::Decimal;
use lantian_standards::pollutant::Pollutant;
use lantian_store::intake::{IntakeDevice, IntakeValue};
use lantian_types::time::{now_beijing, utc_seconds};

use super::json;
use crate::http::HttpState;
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::policy::{Action, Object};

/// A refused row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Refused {
    /// The row's number, from 1 (the CSV header not counted).
    pub row: usize,
    pub reason: String,
}

/// What a push did.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct PushAnswer {
    /// Values stored now.
    pub stored: u64,
    /// Values whose station, hour and code were stored before (or came
    /// twice in this call).
    pub duplicates: u64,
    pub refused: Vec<Refused>,
}

/// One row as sent (JSON form).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct PushRow {
    pub station: String,
    /// The end of the hour, Beijing time: `2026-01-05 03:00`.
    pub time: String,
    /// SO2, NO2, CO, O3, PM10 or PM2.5 (or give `code`).
    #[serde(default)]
    pub pollutant: Option<String>,
    /// An HJ 212 factor code (a34004, …), instead of `pollutant`.
    #[serde(default)]
    pub code: Option<String>,
    /// A number, or a number in a string.
    #[schema(value_type = String)]
    pub value: serde_json::Value,
    #[serde(default)]
    pub flag: Option<String>,
}

/// The data flags a push may carry (the HJ 212 flags of the flag table of
/// `lantian-sources`: not its placeholder for unknown flags, not the
/// review's own mark).
fn known_flag(f: &str) -> bool {
    use lantian_sources::flags::Flag;
    lantian_sources::flags::FLAGS
        .iter()
        .filter(|(flag, _, _)| !matches!(flag, Flag::Other | Flag::Reviewed | Flag::Absent))
        .any(|(flag, _, _)| flag.letter() == f)
}

/// The earliest day a pushed hour may have (a floor against times that no
/// monitoring network had, which would only make empty partitions).
fn earliest() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default()
}

/// A row judged: its station and value, or why not.
#[derive(Debug, Clone, PartialEq)]
struct Good {
    station: String,
    data_time: i64,
    code: String,
    raw: String,
    flag: Option<String>,
}

/// Judges one row (everything but whether its station exists).
fn judge(r: &PushRow, latest_end: chrono::NaiveDateTime) -> Result<Good, String> {
    let station = r.station.trim();
    if station.is_empty() {
        return Err("empty station".into());
    }
    let end = parse_end_time(&r.time).ok_or_else(|| {
        format!(
            "bad time `{}` (the end of the hour, Beijing time: 2026-01-05 03:00)",
            r.time.trim()
        )
    })?;
    if end.and_utc().timestamp() % 3600 != 0 {
        return Err(format!("time `{}` is not on the hour", r.time.trim()));
    }
    if end > latest_end {
        return Err(format!(
            "time `{}` is in the future (an hour is pushed once it has ended)",
            r.time.trim()
        ));
    }
    if end.date() < earliest() {
        return Err(format!("time `{}` is before 2000", r.time.trim()));
    }
    let code = match (
        r.pollutant
            .as_deref()
            .map(str::trim)
            .filter(|x| !x.is_empty()),
        r.code.as_deref().map(str::trim).filter(|x| !x.is_empty()),
    ) {
        (Some(p), None) => {
            let p: Pollutant = p
                .parse()
                .map_err(|_| format!("unknown pollutant `{p}` (SO2, NO2, CO, O3, PM10, PM2.5)"))?;
            AMBIENT_CODES
                .iter()
                .find(|(q, _)| *q == p)
                .map(|(_, c)| c.to_string())
                .ok_or_else(|| format!("no code for {p}"))?
        }
        (None, Some(c)) => {
            if lantian_hj212::codes::factor(c).is_none() {
                return Err(format!("unknown code `{c}`"));
            }
            c.to_string()
        }
        (Some(_), Some(_)) => return Err("give pollutant or code, not both".into()),
        (None, None) => return Err("no pollutant or code".into()),
    };
    let raw = match &r.value {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.trim().to_string(),
        serde_json::Value::Null => return Err("empty value".into()),
        v => return Err(format!("bad value `{v}`")),
    };
    if raw.is_empty() {
        return Err("empty value".into());
    }
    let d: Decimal = raw
        .parse()
        .or_else(|_| Decimal::from_scientific(&raw))
        .map_err(|_| format!("bad value `{raw}`"))?;
    if d.is_sign_negative() && !d.is_zero() {
        return Err(format!("negative value `{raw}`"));
    }
    let flag = r
        .flag
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(str::to_string);
    if let Some(f) = &flag
        && !known_flag(f)
    {
        return Err(format!("unknown flag `{f}` (N F M S D C T B P)"));
    }
    // Devices keep Beijing time; DataTime is the start of the hour.
    let start = end
        .checked_sub_signed(Duration::hours(1))
        .ok_or_else(|| format!("bad time `{}`", r.time.trim()))?;
    Ok(Good {
        station: station.to_string(),
        data_time: utc_seconds(start),
        code,
        raw: d.normalize().to_string(),
        flag,
    })
}

fn too_many(max: usize) -> ApiError {
    ApiError::TooLarge(format!(
        "more than {max} rows: at most {max} per call (push_max_rows)"
    ))
}

/// The rows of a CSV body (header required; columns by name), at most `max`.
fn csv_rows(body: &[u8], max: usize) -> Result<Vec<Result<PushRow, String>>, ApiError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body);
    let headers = rdr
        .headers()
        .map_err(|e| ApiError::bad(format!("CSV header: {e}")))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(station), Some(time), Some(value)) = (col("station"), col("time"), col("value"))
    else {
        return Err(ApiError::bad(format!(
            "CSV header `{}`: expected station,time,pollutant|code,value[,flag]",
            headers.iter().collect::<Vec<_>>().join(",")
        )));
    };
    let (pollutant, code, flag) = (col("pollutant"), col("code"), col("flag"));
    if pollutant.is_none() && code.is_none() {
        return Err(ApiError::bad("CSV header: no pollutant or code column"));
    }
    let mut out = Vec::new();
    for rec in rdr.records() {
        if out.len() >= max {
            return Err(too_many(max));
        }
        out.push(match rec {
            Err(e) => Err(format!("unreadable row: {e}")),
            Ok(rec) => {
                let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).map(str::to_string);
                Ok(PushRow {
                    station: get(Some(station)).unwrap_or_default(),
                    time: get(Some(time)).unwrap_or_default(),
                    pollutant: get(pollutant),
                    code: get(code),
                    value: serde_json::Value::String(get(Some(value)).unwrap_or_default()),
                    flag: get(flag),
                })
            }
        });
    }
    Ok(out)
}

/// The rows of a JSON body: an array of objects (a malformed object is
/// its row's refusal, not the call's).
fn json_rows(body: &[u8], max: usize) -> Result<Vec<Result<PushRow, String>>, ApiError> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| ApiError::bad(format!("request body: {e}")))?;
    let serde_json::Value::Array(items) = v else {
        return Err(ApiError::bad("request body: a JSON array of rows"));
    };
    if items.len() > max {
        return Err(too_many(max));
    }
    Ok(items
        .into_iter()
        .map(|item| serde_json::from_value::<PushRow>(item).map_err(|e| format!("bad row: {e}")))
        .collect())
}

/// Push hourly observations of stations (JSON array or CSV text). Answered
/// after the commit; bad rows are named and the good ones stored.
#[utoipa::path(post, path = "/api/v1/observations", tag = "data",
    request_body(content = Vec<PushRow>, description = "JSON array of rows, or text/csv with the header station,time,pollutant|code,value[,flag]",
        content_type = "application/json"),
    responses(
        (status = 200, description = "Stored (some rows may be refused, each named)", body = PushAnswer),
        (status = 400, description = "The body is not a JSON array or a CSV with the header"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "A station the integration is not bound to, or not the bureau"),
        (status = 413, description = "More bytes or rows than one call may carry (push_max_bytes, push_max_rows)"),
        (status = 415, description = "Neither application/json nor text/csv"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn push(
    State(s): State<HttpState>,
    caller: Caller,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let is_json = ctype.starts_with("application/json");
    if !is_json && !ctype.starts_with("text/csv") && !ctype.starts_with("text/plain") {
        return Err(ApiError::UnsupportedMediaType(
            "send the rows as application/json or text/csv".into(),
        ));
    }
    let bytes = axum::body::to_bytes(body, s.push_max_bytes)
        .await
        .map_err(|_| {
            ApiError::TooLarge(format!(
                "request body: larger than {} bytes (push_max_bytes)",
                s.push_max_bytes
            ))
        })?;
    let rows = if is_json {
        json_rows(&bytes, s.push_max_rows)?
    } else {
        csv_rows(&bytes, s.push_max_rows)?
    };
    // The policy first: every station the call names.
    let named: BTreeSet<&str> = rows
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|r| r.station.trim())
        .filter(|x| !x.is_empty())
        .collect();
    caller
        .may(Action::PushObservations, Object::County)
        .or_else(|e| {
            if named.is_empty() {
                return Err(e);
            }
            named
                .iter()
                .try_for_each(|code| caller.may(Action::PushObservations, Object::Station(code)))
        })?;
    // An hour is complete once it has ended (five minutes of clock slack):
    // a value pushed earlier would stand for good as the hour's first.
    let latest_end = now_beijing() + Duration::minutes(5);
    let mut devices: HashMap<String, Option<IntakeDevice>> = HashMap::new();
    let mut refused = Vec::new();
    let mut values = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let row = i + 1;
        let good = match r
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|r| judge(r, latest_end))
        {
            Ok(g) => g,
            Err(reason) => {
                refused.push(Refused { row, reason });
                continue;
            }
        };
        if !devices.contains_key(&good.station) {
            let d = intake_device(&s, &good.station, &caller.user.username).await?;
            devices.insert(good.station.clone(), d);
        }
        let Some(Some(d)) = devices.get(&good.station) else {
            refused.push(Refused {
                row,
                reason: format!("unknown station `{}`", good.station),
            });
            continue;
        };
        values.push(IntakeValue {
            device_id: d.device_id,
            mn: d.mn.clone(),
            data_time: good.data_time,
            code: good.code,
            raw: good.raw,
            flag: good.flag,
        });
    }
    let out = s
        .store
        .write_intake(values, &s.node, false, &caller.user.username)
        .await?;
    use std::sync::atomic::Ordering::Relaxed;
    let m = &s.metrics;
    m.push_calls.fetch_add(1, Relaxed);
    m.push_values_stored.fetch_add(out.stored, Relaxed);
    m.push_duplicates.fetch_add(out.duplicates, Relaxed);
    m.push_rows_refused.fetch_add(refused.len() as u64, Relaxed);
    if let (Some(id), Some(feed)) = (out.commit_id, &s.feed) {
        let _ = feed.send(Arc::new(crate::feed::Committed {
            id,
            uploads: out.uploads,
        }));
    }
    Ok(json(&PushAnswer {
        stored: out.stored,
        duplicates: out.duplicates,
        refused,
    }))
}

/// The intake device of a registered station (kept in the state's cache;
/// `None` for a station not registered).
async fn intake_device(s: &HttpState, code: &str, actor: &str) -> ApiResult<Option<IntakeDevice>> {
    if let Some(d) = s.intake.lock().ok().and_then(|c| c.get(code).cloned()) {
        return Ok(Some(d));
    }
    let d = s.store.intake_device(code, None, actor).await?;
    if let (Some(d), Ok(mut c)) = (&d, s.intake.lock()) {
        c.insert(code.to_string(), d.clone());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(station: &str, time: &str, pollutant: &str, value: &str, flag: &str) -> PushRow {
        PushRow {
            station: station.into(),
            time: time.into(),
            pollutant: Some(pollutant.into()),
            code: None,
            value: serde_json::Value::String(value.into()),
            flag: Some(flag.into()),
        }
    }

    #[test]
    fn rows_are_judged_one_by_one() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 1, 6)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let g = judge(&row("S1", "2026-01-05 03:00", "PM2.5", "35.0", ""), now).unwrap();
        // 02:00–03:00 Beijing = 18:00–19:00 UTC the day before.
        assert_eq!(g.data_time, 1_767_549_600);
        assert_eq!(
            (g.code.as_str(), g.raw.as_str(), g.flag),
            ("a34004", "35", None)
        );
        let why = |r: PushRow| judge(&r, now).unwrap_err();
        assert_eq!(
            why(row("", "2026-01-05 03:00", "PM2.5", "1", "")),
            "empty station"
        );
        assert!(why(row("S1", "2026-01-05", "PM2.5", "1", "")).starts_with("bad time"));
        assert!(why(row("S1", "2026-01-05 03:30", "PM2.5", "1", "")).ends_with("not on the hour"));
        assert!(why(row("S1", "2026-01-07 03:00", "PM2.5", "1", "")).contains("in the future"));
        assert!(why(row("S1", "1999-12-31 03:00", "PM2.5", "1", "")).ends_with("before 2000"));
        assert!(why(row("S1", "-262143-01-01 00:00", "PM2.5", "1", "")).ends_with("before 2000"));
        assert!(why(row("S1", "+262142-12-31 24:00", "PM2.5", "1", "")).starts_with("bad time"));
        assert!(
            why(row("S1", "2026-01-05 03:00", "PM1", "1", "")).starts_with("unknown pollutant")
        );
        assert_eq!(
            why(row("S1", "2026-01-05 03:00", "CO", "x", "")),
            "bad value `x`"
        );
        assert_eq!(
            why(row("S1", "2026-01-05 03:00", "CO", "-1", "")),
            "negative value `-1`"
        );
        assert!(why(row("S1", "2026-01-05 03:00", "CO", "1", "Q")).starts_with("unknown flag"));
        let g = judge(&row("S1", "2026-01-05 24:00", "CO", "0.80", "M"), now).unwrap();
        assert_eq!(
            (g.code.as_str(), g.raw.as_str(), g.flag.as_deref()),
            ("a21005", "0.8", Some("M"))
        );
        let mut by_code = row("S1", "2026-01-05 03:00", "", "12", "");
        by_code.pollutant = None;
        by_code.code = Some("a21026".into());
        assert_eq!(judge(&by_code, now).unwrap().code, "a21026");
        by_code.code = Some("z99999".into());
        assert_eq!(judge(&by_code, now).unwrap_err(), "unknown code `z99999`");
    }

    #[test]
    fn csv_and_json_bodies() {
        let rows = csv_rows(
            b"station,time,pollutant,value,flag\nS1,2026-01-05 03:00,PM2.5,35,\n\"S2\",x\n",
            10,
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].as_ref().unwrap().station, "S1");
        assert!(csv_rows(b"a,b\n1,2\n", 10).is_err());
        let rows = json_rows(br#"[{"station":"S1","time":"2026-01-05 03:00","pollutant":"SO2","value":7},{"station":1}]"#, 10).unwrap();
        assert_eq!(rows[0].as_ref().unwrap().value, serde_json::json!(7));
        assert!(rows[1].as_ref().unwrap_err().starts_with("bad row"));
        assert!(json_rows(b"{}", 10).is_err());
        assert!(json_rows(b"[1,1,1]", 2).is_err());
        assert!(csv_rows(b"station,time,pollutant,value\n1\n2\n3\n", 2).is_err());
    }
}
