//! Township areas from GeoJSON and the point-in-polygon that places a fire
//! point (or a station, a firm, a ticket) in its township.
//!
//! Readings written down here:
//! - A FeatureCollection of Polygon or MultiPolygon features; each
//!   feature's name is its property `name` (or the property the caller
//!   names). Holes are honoured (a point in a hole is not in the area).
//!   Features of the same name are one area.
//! - A point outside every area is `outside`, never put in the nearest one.
//! - A point exactly on a boundary is in the area (`geo`'s `Intersects`:
//!   the boundary belongs to the polygon); on a border two townships share
//!   it goes to the first of them in the file — a fixed rule, written down,
//!   since such a point is on the line, not in either.
//! - Coordinates are taken as given (WGS-84 or GCJ-02 alike): the points
//!   and the boundaries must use the same datum; nothing is converted.

use geo::{BoundingRect, Intersects, MultiPolygon, Point, Polygon, Rect};
use serde_json::Value;

/// One named area.
#[derive(Debug, Clone)]
pub struct Area {
    pub name: String,
    pub shape: MultiPolygon<f64>,
    bbox: Option<Rect<f64>>,
}

/// The areas of a boundary file, in file order.
#[derive(Debug, Clone, Default)]
pub struct Areas {
    pub areas: Vec<Area>,
}

/// Where a point is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// In the area of this index.
    In(usize),
    Outside,
}

impl Areas {
    /// Reads a GeoJSON FeatureCollection (or one Feature); each feature's
    /// name from `name_property`. The error names the feature (its index
    /// from 0 and its name) and the fault.
    pub fn from_geojson(text: &str, name_property: &str) -> Result<Areas, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let features: Vec<&Value> = match v.get("type").and_then(Value::as_str) {
            Some("FeatureCollection") => v
                .get("features")
                .and_then(Value::as_array)
                .ok_or("a FeatureCollection without a \"features\" array")?
                .iter()
                .collect(),
            Some("Feature") => vec![&v],
            Some(t) => {
                return Err(format!(
                    "a {t}: give a FeatureCollection of named township features"
                ));
            }
            None => return Err("no \"type\": not GeoJSON".into()),
        };
        let mut out = Areas::default();
        for (i, f) in features.iter().enumerate() {
            let name = f
                .get("properties")
                .and_then(|p| p.get(name_property))
                .and_then(|n| match n {
                    Value::String(s) => Some(s.trim().to_string()),
                    Value::Number(x) => Some(x.to_string()),
                    _ => None,
                })
                .filter(|s| !s.is_empty())
                .ok_or_else(|| format!("feature {i}: no property \"{name_property}\""))?;
            let g = f
                .get("geometry")
                .filter(|g| !g.is_null())
                .ok_or_else(|| format!("feature {i} ({name}): no geometry"))?;
            let shape = multipolygon(g).map_err(|e| format!("feature {i} ({name}): {e}"))?;
            match out.areas.iter_mut().find(|a| a.name == name) {
                Some(a) => {
                    a.shape.0.extend(shape.0);
                    a.bbox = a.shape.bounding_rect();
                }
                None => out.areas.push(Area {
                    bbox: shape.bounding_rect(),
                    name,
                    shape,
                }),
            }
        }
        if out.areas.is_empty() {
            return Err("no features".into());
        }
        Ok(out)
    }

    /// The area a point (longitude, latitude) is in.
    pub fn locate(&self, lon: f64, lat: f64) -> Place {
        let p = Point::new(lon, lat);
        self.areas
            .iter()
            .position(|a| a.bbox.is_some_and(|b| b.intersects(&p)) && a.shape.intersects(&p))
            .map_or(Place::Outside, Place::In)
    }

    /// The name of the area a point is in, or `None` (outside).
    pub fn name_at(&self, lon: f64, lat: f64) -> Option<&str> {
        match self.locate(lon, lat) {
            Place::In(i) => Some(self.areas[i].name.as_str()),
            Place::Outside => None,
        }
    }
}

fn multipolygon(g: &Value) -> Result<MultiPolygon<f64>, String> {
    let coords = g
        .get("coordinates")
        .ok_or("a geometry without coordinates")?;
    match g.get("type").and_then(Value::as_str) {
        Some("Polygon") => Ok(MultiPolygon(vec![polygon(coords)?])),
        Some("MultiPolygon") => coords
            .as_array()
            .ok_or("MultiPolygon coordinates are not an array")?
            .iter()
            .enumerate()
            .map(|(i, p)| polygon(p).map_err(|e| format!("polygon {i}: {e}")))
            .collect::<Result<Vec<_>, _>>()
            .map(MultiPolygon),
        Some(t) => Err(format!("a {t}, not a Polygon or MultiPolygon")),
        None => Err("a geometry without a type".into()),
    }
}

fn polygon(v: &Value) -> Result<Polygon<f64>, String> {
    let rings = v.as_array().ok_or("polygon coordinates are not an array")?;
    let mut parsed = Vec::with_capacity(rings.len());
    for (r, ring) in rings.iter().enumerate() {
        let pts = ring
            .as_array()
            .ok_or_else(|| format!("ring {r} is not an array"))?;
        if pts.len() < 4 {
            return Err(format!("ring {r} has {} positions (at least 4)", pts.len()));
        }
        let mut line = Vec::with_capacity(pts.len());
        for (k, p) in pts.iter().enumerate() {
            let xy = p
                .as_array()
                .filter(|a| a.len() >= 2)
                .and_then(|a| Some((a[0].as_f64()?, a[1].as_f64()?)))
                .filter(|(x, y)| {
                    x.is_finite() && y.is_finite() && x.abs() <= 180.0 && y.abs() <= 90.0
                })
                .ok_or_else(|| format!("ring {r} position {k} is not [lon, lat]"))?;
            line.push(xy);
        }
        if line.first() != line.last() {
            return Err(format!("ring {r} is not closed (last position ≠ first)"));
        }
        parsed.push(geo::LineString::from(line));
    }
    let mut it = parsed.into_iter();
    let outer = it.next().ok_or("a polygon without rings")?;
    Ok(Polygon::new(outer, it.collect()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Two townships side by side: A = [0,2]×[0,2] with a hole
    /// [0.5,1.5]×[0.5,1.5]; B = [2,4]×[0,2] plus an island [10,11]×[10,11]
    /// (a MultiPolygon).
    pub(crate) const TWO: &str = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"name":"甲镇"},"geometry":{"type":"Polygon","coordinates":[
        [[0,0],[2,0],[2,2],[0,2],[0,0]],
        [[0.5,0.5],[1.5,0.5],[1.5,1.5],[0.5,1.5],[0.5,0.5]]]}},
      {"type":"Feature","properties":{"name":"乙乡"},"geometry":{"type":"MultiPolygon","coordinates":[
        [[[2,0],[4,0],[4,2],[2,2],[2,0]]],
        [[[10,10],[11,10],[11,11],[10,11],[10,10]]]]}}]}"#;

    #[test]
    fn holes_multipolygons_borders_and_outside() {
        let a = Areas::from_geojson(TWO, "name").unwrap();
        assert_eq!(a.name_at(0.25, 0.25), Some("甲镇"));
        // In A's hole: in no township.
        assert_eq!(a.name_at(1.0, 1.0), None);
        // On the hole's edge: the boundary is A's.
        assert_eq!(a.name_at(0.5, 1.0), Some("甲镇"));
        assert_eq!(a.name_at(3.0, 1.0), Some("乙乡"));
        assert_eq!(a.name_at(10.5, 10.5), Some("乙乡"), "B's island");
        // On the shared border x = 2: the first in the file.
        assert_eq!(a.name_at(2.0, 1.0), Some("甲镇"));
        assert_eq!(a.locate(5.0, 1.0), Place::Outside);
        assert_eq!(a.locate(-0.0001, 1.0), Place::Outside);
    }

    #[test]
    fn bad_files_are_named_by_feature_and_fault() {
        let e = |t: &str| Areas::from_geojson(t, "name").unwrap_err();
        assert!(e("{").starts_with("not JSON"));
        assert!(e(r#"{"type":"Polygon","coordinates":[]}"#).contains("FeatureCollection"));
        let open = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"丙"},
            "geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}}]}"#;
        assert_eq!(
            e(open),
            "feature 0 (丙): ring 0 is not closed (last position ≠ first)"
        );
        let unnamed = TWO.replace("\"name\":\"乙乡\"", "\"NAME\":\"乙乡\"");
        assert_eq!(e(&unnamed), "feature 1: no property \"name\"");
        let bad = TWO.replace("[10,11],[10,10]", "[10,\"x\"],[10,10]");
        assert_eq!(
            e(&bad),
            "feature 1 (乙乡): polygon 1: ring 0 position 3 is not [lon, lat]"
        );
        // Another name property.
        let a = Areas::from_geojson(
            &unnamed.replace("\"name\":\"甲镇\"", "\"NAME\":\"甲镇\""),
            "NAME",
        )
        .unwrap();
        assert_eq!(a.areas.len(), 2);
    }
}
