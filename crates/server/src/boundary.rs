//! The county boundary an operator uploads (`PUT /api/v1/boundary`),
//! checked as GeoJSON (RFC 7946) for real before it is stored and served to
//! the public page: a FeatureCollection, Feature or geometry whose
//! geometries are Polygon or MultiPolygon; every ring of at least four
//! positions and closed (last = first); positions of two or three finite
//! numbers with longitudes within ±180 and latitudes within ±90; each
//! polygon of non-zero area (`geo`). A refusal names the feature (its index
//! and `name` property) and the fault.
//!
//! The walk is written over `serde_json::Value` rather than with the
//! `geojson` crate: the workspace builds serde_json with
//! `arbitrary_precision` (exact decimals in the API), and with it
//! `geojson`'s flattened geometry types cannot read a single number.

use geo::{Area, Validation};
use serde_json::Value;

/// What an accepted boundary holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub features: usize,
    pub polygons: usize,
}

/// Checks an uploaded boundary; the error names where and what.
pub fn check(body: &str) -> Result<Summary, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    match kind(&v)? {
        "FeatureCollection" => {
            let features = v
                .get("features")
                .and_then(Value::as_array)
                .ok_or("a FeatureCollection without a \"features\" array")?;
            if features.is_empty() {
                return Err("the FeatureCollection has no features".into());
            }
            let mut polygons = 0;
            for (i, f) in features.iter().enumerate() {
                polygons += feature(f).map_err(|e| format!("{}: {e}", feature_name(i, f)))?;
            }
            Ok(Summary {
                features: features.len(),
                polygons,
            })
        }
        "Feature" => Ok(Summary {
            features: 1,
            polygons: feature(&v).map_err(|e| format!("the feature: {e}"))?,
        }),
        _ => Ok(Summary {
            features: 1,
            polygons: geometry(&v)?,
        }),
    }
}

fn kind(v: &Value) -> Result<&str, String> {
    if let Some(b) = v.get("bbox") {
        let ok = b.as_array().is_some_and(|a| {
            (a.len() == 4 || a.len() == 6)
                && a.iter().all(|x| x.as_f64().is_some_and(f64::is_finite))
        });
        if !ok {
            return Err("\"bbox\": an array of 4 (or 6) numbers".into());
        }
    }
    v.get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| "an object without a \"type\"".to_string())
}

fn feature_name(i: usize, f: &Value) -> String {
    match f.pointer("/properties/name").and_then(Value::as_str) {
        Some(name) => format!("features[{i}] ({name})"),
        None => format!("features[{i}]"),
    }
}

fn feature(f: &Value) -> Result<usize, String> {
    if kind(f)? != "Feature" {
        return Err(format!("a {} where a Feature belongs", kind(f)?));
    }
    match f.get("geometry") {
        None | Some(Value::Null) => Err("no geometry".into()),
        Some(g) => geometry(g).map_err(|e| format!("geometry: {e}")),
    }
}

fn geometry(g: &Value) -> Result<usize, String> {
    let coordinates = || {
        g.get("coordinates")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                format!(
                    "a {} without a \"coordinates\" array",
                    kind(g).unwrap_or("?")
                )
            })
    };
    match kind(g)? {
        "Polygon" => polygon(coordinates()?).map(|_| 1),
        "MultiPolygon" => {
            let polygons = coordinates()?;
            if polygons.is_empty() {
                return Err("a MultiPolygon without polygons".into());
            }
            for (k, p) in polygons.iter().enumerate() {
                let rings = p
                    .as_array()
                    .ok_or_else(|| format!("polygon {k}: not an array of rings"))?;
                polygon(rings).map_err(|e| format!("polygon {k}: {e}"))?;
            }
            Ok(polygons.len())
        }
        other => Err(format!(
            "a {other}: a boundary is made of Polygon or MultiPolygon geometries"
        )),
    }
}

fn polygon(rings: &[Value]) -> Result<(), String> {
    if rings.is_empty() {
        return Err("a polygon without rings".into());
    }
    let mut parsed: Vec<geo::LineString<f64>> = Vec::with_capacity(rings.len());
    for (r, ring) in rings.iter().enumerate() {
        let at = |what: String| format!("ring {r}: {what}");
        let ring = ring
            .as_array()
            .ok_or_else(|| at("not an array of positions".into()))?;
        if ring.len() < 4 {
            return Err(at(format!(
                "{} positions; a ring has at least 4 (the last repeats the first)",
                ring.len()
            )));
        }
        let points = ring
            .iter()
            .enumerate()
            .map(|(k, p)| position(p).map_err(|e| at(format!("position {k}: {e}"))))
            .collect::<Result<Vec<(f64, f64)>, String>>()?;
        if points.first() != points.last() {
            return Err(at("not closed (its last position is not its first)".into()));
        }
        // Repeated consecutive positions (quantised sources such as DataV
        // have hundreds) are one vertex.
        let mut points = points;
        points.dedup();
        parsed.push(geo::LineString::from(points));
    }
    let outer = parsed.remove(0);
    // The shell alone must enclose an area (a hole as large as the shell
    // would otherwise read as "no area").
    if geo::Polygon::new(outer.clone(), Vec::new()).unsigned_area() <= 0.0 {
        return Err("ring 0 encloses no area".into());
    }
    // A ring that crosses itself (a bow-tie) makes "inside" ambiguous; a
    // ring that only touches itself at a vertex (real, quantised county
    // boundaries have such spikes) does not, so only proper crossings are
    // refused. Then geo's OGC checks for the holes: inside the shell and
    // apart from each other.
    for (r, ring) in std::iter::once(&outer).chain(parsed.iter()).enumerate() {
        if let Some((i, j)) = crossing(&ring.0) {
            return Err(format!(
                "ring {r}: crosses itself (its segments {i} and {j})"
            ));
        }
    }
    let errors = geo::Polygon::new(outer, parsed).validation_errors();
    match errors.iter().find(|e| {
        !matches!(
            e,
            geo::algorithm::validation::InvalidPolygon::SelfIntersection(_)
        )
    }) {
        None => Ok(()),
        Some(e) => Err(e.to_string()),
    }
}

/// The first two segments of a closed ring that properly cross (each
/// strictly through the other), found through a grid of the ring's bounding
/// box so that long rings take linear time, not quadratic.
fn crossing(pts: &[geo::Coord<f64>]) -> Option<(usize, usize)> {
    let n = pts.len().checked_sub(1)?;
    if n < 4 {
        return None;
    }
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in pts {
        x0 = x0.min(p.x);
        y0 = y0.min(p.y);
        x1 = x1.max(p.x);
        y1 = y1.max(p.y);
    }
    let side = ((n as f64).sqrt().ceil() as usize).clamp(1, 1024);
    let w = ((x1 - x0) / side as f64).max(f64::MIN_POSITIVE);
    let h = ((y1 - y0) / side as f64).max(f64::MIN_POSITIVE);
    let cell = |x: f64, y: f64| {
        let cx = (((x - x0) / w) as usize).min(side - 1);
        let cy = (((y - y0) / h) as usize).min(side - 1);
        (cx, cy)
    };
    let mut grid: Vec<Vec<usize>> = vec![Vec::new(); side * side];
    for i in 0..n {
        let (a, b) = (pts[i], pts[i + 1]);
        let (ax, ay) = cell(a.x.min(b.x), a.y.min(b.y));
        let (bx, by) = cell(a.x.max(b.x), a.y.max(b.y));
        for cx in ax..=bx {
            for cy in ay..=by {
                grid[cy * side + cx].push(i);
            }
        }
    }
    let orient = |a: geo::Coord<f64>, b: geo::Coord<f64>, c: geo::Coord<f64>| {
        let v = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
        (v > 0.0) as i8 - (v < 0.0) as i8
    };
    let mut found: Option<(usize, usize)> = None;
    for segs in &grid {
        for (k, &i) in segs.iter().enumerate() {
            for &j in &segs[k + 1..] {
                let (i, j) = (i.min(j), i.max(j));
                if j == i + 1 || (i == 0 && j == n - 1) {
                    continue;
                }
                let (p1, p2, p3, p4) = (pts[i], pts[i + 1], pts[j], pts[j + 1]);
                if orient(p3, p4, p1) * orient(p3, p4, p2) < 0
                    && orient(p1, p2, p3) * orient(p1, p2, p4) < 0
                    && found.is_none_or(|f| (i, j) < f)
                {
                    found = Some((i, j));
                }
            }
        }
    }
    found
}

fn position(p: &Value) -> Result<(f64, f64), String> {
    let v = p.as_array().ok_or("not a position [longitude, latitude]")?;
    if !(2..=3).contains(&v.len()) {
        return Err(format!(
            "{} numbers; a position is [longitude, latitude] or [longitude, latitude, height]",
            v.len()
        ));
    }
    let mut xs = [0.0; 3];
    for (x, n) in xs.iter_mut().zip(v) {
        *x = n
            .as_f64()
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("{n} is not a finite number"))?;
    }
    if !(-180.0..=180.0).contains(&xs[0]) {
        return Err(format!("longitude {} outside −180…180", xs[0]));
    }
    if !(-90.0..=90.0).contains(&xs[1]) {
        return Err(format!("latitude {} outside −90…90", xs[1]));
    }
    Ok((xs[0], xs[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQUARE: &str = r#"[[[113.3, 32.7], [113.4, 32.7], [113.4, 32.8], [113.3, 32.7]]]"#;

    #[test]
    fn polygons_pass_and_every_fault_is_named() {
        let fc = format!(
            r#"{{"type": "FeatureCollection", "features": [
                {{"type": "Feature", "properties": {{"name": "泌阳县"}}, "geometry": {{"type": "Polygon", "coordinates": {SQUARE}}}}}]}}"#
        );
        assert_eq!(
            check(&fc),
            Ok(Summary {
                features: 1,
                polygons: 1
            })
        );
        let bad = |body: &str| check(body).unwrap_err();
        // The three bodies that blanked the public page.
        assert_eq!(
            bad(r#"{"type":"Polygon","coordinates":[1]}"#),
            "ring 0: not an array of positions"
        );
        assert_eq!(
            bad(r#"{"type":"MultiPolygon","coordinates":[["a","b"]]}"#),
            "polygon 0: ring 0: not an array of positions"
        );
        let nested = format!(
            r#"{{"type":"Feature","properties":{{}},"geometry":{{"type":"Feature","properties":{{}},"geometry":{{"type":"Polygon","coordinates":{SQUARE}}}}}}}"#
        );
        assert_eq!(
            bad(&nested),
            "the feature: geometry: a Feature: a boundary is made of Polygon or MultiPolygon geometries"
        );
        assert_eq!(
            bad("[1, 2"),
            "not JSON: EOF while parsing a list at line 1 column 5"
        );
        assert_eq!(
            bad(
                r#"{"type":"Polygon","coordinates":[[[113.3,32.7],[113.4,"x"],[113.4,32.8],[113.3,32.7]]]}"#
            ),
            "ring 0: position 1: \"x\" is not a finite number"
        );
        // Structure that parses but cannot be drawn.
        let feature = |name: &str, coords: &str| {
            format!(
                r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"name":"ok"}},"geometry":{{"type":"Polygon","coordinates":{SQUARE}}}}},
                   {{"type":"Feature","properties":{{"name":"{name}"}},"geometry":{{"type":"Polygon","coordinates":{coords}}}}}]}}"#
            )
        };
        assert_eq!(
            bad(&feature(
                "泌水街道",
                "[[[113.3, 32.7], [113.4, 32.7], [113.4, 32.8], [113.3, 32.9]]]"
            )),
            "features[1] (泌水街道): geometry: ring 0: not closed (its last position is not its first)"
        );
        assert_eq!(
            bad(&feature(
                "x",
                "[[[113.3, 32.7], [113.4, 32.7], [113.3, 32.7]]]"
            )),
            "features[1] (x): geometry: ring 0: 3 positions; a ring has at least 4 (the last repeats the first)"
        );
        assert_eq!(
            bad(&feature(
                "x",
                "[[[213.3, 32.7], [113.4, 32.7], [113.4, 32.8], [213.3, 32.7]]]"
            )),
            "features[1] (x): geometry: ring 0: position 0: longitude 213.3 outside −180…180"
        );
        assert_eq!(
            bad(&feature(
                "x",
                "[[[113.3, 32.7], [113.4, 32.7], [113.5, 32.7], [113.3, 32.7]]]"
            )),
            "features[1] (x): geometry: ring 0 encloses no area"
        );
        assert_eq!(
            bad(&feature("x", "[]")),
            "features[1] (x): geometry: a polygon without rings"
        );
        assert_eq!(
            bad(r#"{"type":"Point","coordinates":[1,2]}"#),
            "a Point: a boundary is made of Polygon or MultiPolygon geometries"
        );
        assert_eq!(
            bad(r#"{"type":"FeatureCollection","features":[]}"#),
            "the FeatureCollection has no features"
        );
        assert_eq!(
            bad(r#"{"type":"Feature","properties":{},"geometry":null}"#),
            "the feature: no geometry"
        );
    }

    #[test]
    fn invalid_polygons_are_refused_by_name() {
        let bad = |b: &str| check(b).unwrap_err();
        assert_eq!(
            bad(r#"{"type":"Polygon","coordinates":[[[0,0],[2,2],[2,0],[0,1],[0,0]]]}"#),
            "ring 0: crosses itself (its segments 0 and 2)"
        );
        assert_eq!(
            bad(
                r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]],[[50,50],[50.5,50],[50.5,50.5],[50,50]]]}"#
            ),
            "interior ring at index 0 is not contained within the polygon's exterior"
        );
        assert_eq!(
            bad(
                r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]],[[-5,-5],[5,-5],[5,5],[-5,5],[-5,-5]]]}"#
            ),
            "interior ring at index 0 is not contained within the polygon's exterior"
        );
        assert_eq!(
            bad(r#"{"type":"Polygon","bbox":"x","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}"#),
            "\"bbox\": an array of 4 (or 6) numbers"
        );
        assert!(check(r#"{"type":"Polygon","bbox":[0,0,1,1],"coordinates":[[[0,0],[1,0],[1,1],[0,0]],[[0.5,0.2],[0.8,0.2],[0.8,0.5],[0.5,0.2]]]}"#).is_ok());
    }

    #[test]
    fn the_real_zhumadian_boundaries_pass() {
        // Development data (not shipped); skipped where ../shared is absent.
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/geo/zhumadian-counties.geojson"
        );
        let Ok(body) = std::fs::read_to_string(path) else {
            eprintln!("SKIPPED: {path} not present");
            return;
        };
        let s = check(&body).unwrap();
        assert!(s.features >= 10, "{s:?}");
    }
}
