//! The demo's fire points: synthetic township boundaries (a grid of
//! squares over the county's extent, each named after one of the demo's
//! townships — not their real shapes) and sample points of this year in
//! every state: straw and other points verified, a false alarm, pending
//! ones for 羊册镇 to verify (log in as yangce), a camera alarm that is the
//! same fire as a satellite point, and one point outside the county. Every
//! point is marked sample.

use anyhow::Result;
use chrono::{Datelike, Duration, NaiveDateTime};
use lantian_store::Store;
use lantian_store::fires::NewFire;
use lantian_types::time::utc_seconds;

/// The grid: 5 columns × 3 rows over 113.0–113.8 E, 32.5–33.0 N.
const WEST: f64 = 113.0;
const SOUTH: f64 = 32.5;
const W: f64 = 0.16;
const H: f64 = 0.5 / 3.0;

/// The synthetic boundaries as GeoJSON (the first 14 demo townships).
pub fn boundaries() -> (String, Vec<String>) {
    let names: Vec<String> = super::sources::TOWNSHIPS
        .iter()
        .take(14)
        .map(|(n, _)| n.to_string())
        .collect();
    let features: Vec<serde_json::Value> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let (c, r) = ((i % 5) as f64, (i / 5) as f64);
            let (x0, y0) = (WEST + c * W, SOUTH + r * H);
            let (x1, y1) = (x0 + W, y0 + H);
            serde_json::json!({"type": "Feature", "properties": {"name": n, "sample": true},
                "geometry": {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}})
        })
        .collect();
    (
        serde_json::json!({"type": "FeatureCollection", "features": features}).to_string(),
        names,
    )
}

/// The centre of the demo township `i` (grid order), nudged by (dx, dy).
fn at(i: usize, dx: f64, dy: f64) -> (f64, f64) {
    let (c, r) = ((i % 5) as f64, (i / 5) as f64);
    (WEST + (c + 0.5) * W + dx, SOUTH + (r + 0.5) * H + dy)
}

/// A sample point: id, township index, dx, dy, days back, minutes later,
/// source, type.
type SamplePoint = (
    &'static str,
    usize,
    f64,
    f64,
    i64,
    i64,
    &'static str,
    &'static str,
);

/// Seeds the boundaries and points once; `now` in Beijing time.
pub async fn seed(store: &Store, now: NaiveDateTime) -> Result<usize> {
    if store.township_boundaries().await?.is_some() {
        return Ok(0);
    }
    let (gj, names) = boundaries();
    let areas = lantian_fires::Areas::from_geojson(&gj, "name").map_err(anyhow::Error::msg)?;
    let version = store
        .put_township_boundaries(&gj, "name", &names, "demo")
        .await?;
    // Days back from now, kept in this year (the page opens on it).
    let back = |d: i64| {
        let d = d.min(i64::from(now.ordinal0()));
        now - Duration::days(d)
    };
    let pts: [SamplePoint; 10] = [
        ("示例-SAT-001", 3, 0.01, 0.0, 40, 0, "satellite", "unknown"),
        ("示例-CAM-001", 3, 0.012, 0.0, 40, 25, "camera", "unknown"),
        (
            "示例-SAT-002",
            3,
            -0.03,
            0.02,
            20,
            0,
            "satellite",
            "unknown",
        ),
        ("示例-SAT-003", 4, 0.0, 0.0, 35, 0, "satellite", "straw"),
        ("示例-PAT-001", 5, 0.01, -0.01, 30, 0, "patrol", "other"),
        ("示例-SAT-004", 6, 0.0, 0.02, 25, 0, "satellite", "false"),
        ("示例-SAT-005", 0, 0.0, 0.0, 12, 0, "satellite", "straw"),
        ("示例-SAT-006", 9, 0.0, 0.0, 6, 0, "satellite", "unknown"),
        ("示例-CAM-002", 12, 0.0, 0.0, 3, 0, "camera", "unknown"),
        ("示例-SAT-007", 0, -0.5, 0.0, 15, 0, "satellite", "straw"),
    ];
    let rows: Vec<NewFire> = pts
        .iter()
        .map(|(id, i, dx, dy, d, m, source, kind)| {
            let (lon, lat) = at(*i, *dx, *dy);
            let t = back(*d).date().and_hms_opt(13, 20, 0).unwrap_or(now) + Duration::minutes(*m);
            NewFire {
                source: source.to_string(),
                ext_id: id.to_string(),
                detected_s: utc_seconds(t),
                lon,
                lat,
                township: areas.name_at(lon, lat).map(str::to_string),
                boundary_id: Some(version),
                kind: kind.to_string(),
                sample: true,
            }
        })
        .collect();
    store.add_fire_points(&rows, "demo").await?;
    // The first satellite point of 羊册镇 was verified straw by the bureau;
    // the others of 羊册镇 wait for yangce.
    let year = now.year();
    let from = NaiveDateTime::new(
        chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(now.date()),
        chrono::NaiveTime::MIN,
    );
    let stored = store
        .fire_points(None, utc_seconds(from), utc_seconds(now) + 86_400)
        .await?;
    if let Some(f) = stored.iter().find(|f| f.ext_id == "示例-SAT-001") {
        store
            .verify_fire(
                f.id,
                "straw",
                "示例核实：现场发现秸秆焚烧痕迹（样例数据）",
                "bureau",
            )
            .await?;
    }
    Ok(rows.len())
}
