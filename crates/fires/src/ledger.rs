//! The fire ledger (火点台账): points placed in their township, detections
//! of one fire merged, and each township's count and deduction, in all and
//! by month.
//!
//! Readings written down here:
//! - A point's type is straw, other (open burning of anything else), false
//!   (a false alarm) or unknown (not verified yet: pending — counted, never
//!   charged). Only verified straw and other points are charged.
//! - Detections of one fire (a satellite's and a camera's, two passes) are
//!   merged when within `merge.distance_m` metres (haversine) and
//!   `merge.hours` of the fire's first detection; the fire is the first
//!   detection's (its place, time and id), its type the first verified one
//!   among its detections in time order (a later contrary verdict is an
//!   appeal, not a merge).
//! - A point outside every township is `outside`: counted apart, charged to
//!   no township (a cross-border point is the province's call).
//! - The n of a `doubling` or `first` rule counts a township's charged
//!   points of that type in the calendar year, in time order.
//! - Times are Beijing time as given; a month is the calendar month of the
//!   fire's first detection.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDateTime};
use geo::{Distance, Haversine, Point};
use rust_decimal::Decimal;

use crate::areas::{Areas, Place};
use crate::rules::Rules;

/// What a point turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// 秸秆焚烧.
    Straw,
    /// 其他露天焚烧.
    Other,
    /// 误报.
    False,
    /// Not verified yet (待核实).
    Unknown,
}

impl Kind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Straw => "straw",
            Kind::Other => "other",
            Kind::False => "false",
            Kind::Unknown => "unknown",
        }
    }
    pub const fn name_zh(self) -> &'static str {
        match self {
            Kind::Straw => "秸秆焚烧",
            Kind::Other => "其他露天焚烧",
            Kind::False => "误报",
            Kind::Unknown => "待核实",
        }
    }
    /// `straw`, `other`, `false`, `unknown` or empty (unknown), or their
    /// Chinese names.
    pub fn parse(s: &str) -> Option<Kind> {
        let s = s.trim();
        if s.is_empty() {
            return Some(Kind::Unknown);
        }
        [Kind::Straw, Kind::Other, Kind::False, Kind::Unknown]
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s) || k.name_zh() == s)
    }
    fn charged(self) -> bool {
        matches!(self, Kind::Straw | Kind::Other)
    }
}

/// One detection.
#[derive(Debug, Clone, PartialEq)]
pub struct FirePoint {
    pub id: String,
    /// Beijing time.
    pub time: NaiveDateTime,
    pub lon: f64,
    pub lat: f64,
    /// satellite, camera, patrol, report, or what the list says.
    pub source: String,
    pub kind: Kind,
}

/// A township's (or the outside's) figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    /// Fires (merged detections count once).
    pub points: u32,
    pub straw: u32,
    pub other: u32,
    #[serde(rename = "false")]
    pub false_alarms: u32,
    pub pending: u32,
    pub deduction_cny: Decimal,
}

impl Totals {
    fn add(&mut self, kind: Kind, charge: Decimal) {
        self.points += 1;
        match kind {
            Kind::Straw => self.straw += 1,
            Kind::Other => self.other += 1,
            Kind::False => self.false_alarms += 1,
            Kind::Unknown => self.pending += 1,
        }
        // Saturates rather than overflows (amounts are bounded by the rule
        // file; a sum past Decimal's range is not a real county's).
        self.deduction_cny = self
            .deduction_cny
            .checked_add(charge)
            .unwrap_or(Decimal::MAX);
    }
}

/// One fire as the ledger books it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Fire {
    /// The first detection's id.
    pub id: String,
    pub time: String,
    pub lon: f64,
    pub lat: f64,
    pub source: String,
    pub kind: Kind,
    /// The township, or `None` (outside).
    pub area: Option<String>,
    /// The ids of the later detections merged into it.
    pub merged: Vec<String>,
    pub charge_cny: Decimal,
    /// The rule charged: its `from` date and basis.
    pub rule: Option<String>,
}

/// The ledger of a list of points.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Ledger {
    /// Every township of the boundaries (those without a point too).
    pub areas: BTreeMap<String, Totals>,
    pub outside: Totals,
    /// Every point's id → its township's name or `outside`.
    pub points: BTreeMap<String, String>,
    /// Township → month (`YYYY-MM`) → figures.
    pub months: BTreeMap<String, BTreeMap<String, Totals>>,
    pub fires: Vec<Fire>,
    pub rules_version: String,
}

/// Books `points` against `areas` by `rules`.
pub fn ledger(points: &[FirePoint], areas: &Areas, rules: &Rules) -> Ledger {
    let names: Vec<String> = areas.areas.iter().map(|a| a.name.clone()).collect();
    ledger_placed(
        points,
        &names,
        rules,
        &|p: &FirePoint| match areas.locate(p.lon, p.lat) {
            Place::In(i) => Some(areas.areas[i].name.clone()),
            Place::Outside => None,
        },
    )
}

/// As [`ledger`], with each point's township given by `place` (the
/// platform's points keep the township the boundary version of their day
/// gave them) and `names` the townships to list.
pub fn ledger_placed(
    points: &[FirePoint],
    names: &[String],
    rules: &Rules,
    place: &dyn Fn(&FirePoint) -> Option<String>,
) -> Ledger {
    let mut order: Vec<&FirePoint> = points.iter().collect();
    order.sort_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));
    // Merge: each point joins the earliest fire it is near.
    let mut fires: Vec<(&FirePoint, Vec<&FirePoint>)> = Vec::new();
    let near = |a: &FirePoint, b: &FirePoint| {
        (b.time - a.time).num_seconds().abs() <= rules.merge.hours * 3600
            && Haversine.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
                <= rules.merge.distance_m
    };
    for p in order {
        match fires.iter_mut().find(|(first, _)| near(first, p)) {
            Some((_, later)) => later.push(p),
            None => fires.push((p, Vec::new())),
        }
    }
    let mut out = Ledger {
        rules_version: rules.version.clone(),
        ..Ledger::default()
    };
    for n in names {
        out.areas.entry(n.clone()).or_default();
    }
    // n of each (township, year, type) charged so far.
    let mut counts: BTreeMap<(String, i32, Kind), u32> = BTreeMap::new();
    for (first, later) in fires {
        let kind = std::iter::once(first)
            .chain(later.iter().copied())
            .map(|p| p.kind)
            .find(|k| *k != Kind::Unknown)
            .unwrap_or(Kind::Unknown);
        let area = place(first);
        let label = area.clone().unwrap_or_else(|| "outside".to_string());
        for p in std::iter::once(first).chain(later.iter().copied()) {
            out.points.insert(p.id.clone(), label.clone());
        }
        let date = first.time.date();
        let rule = area
            .as_ref()
            .filter(|_| kind.charged())
            .and_then(|_| rules.in_force(kind, date));
        let charge = match (rule, &area) {
            (Some(r), Some(a)) => {
                let n = counts.entry((a.clone(), date.year(), kind)).or_default();
                *n += 1;
                r.charge(*n)
            }
            _ => Decimal::ZERO,
        };
        match &area {
            Some(a) => {
                out.areas.entry(a.clone()).or_default().add(kind, charge);
                out.months
                    .entry(a.clone())
                    .or_default()
                    .entry(first.time.format("%Y-%m").to_string())
                    .or_default()
                    .add(kind, charge);
            }
            None => out.outside.add(kind, Decimal::ZERO),
        }
        out.fires.push(Fire {
            id: first.id.clone(),
            time: first.time.format("%Y-%m-%d %H:%M").to_string(),
            lon: first.lon,
            lat: first.lat,
            source: first.source.clone(),
            kind,
            area,
            merged: later.iter().map(|p| p.id.clone()).collect(),
            charge_cny: charge,
            rule: rule.map(|r| format!("{} {}", r.from, r.basis)),
        });
    }
    out
}

/// A bad row of a point list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The file's line (the header is line 1).
    pub line: u64,
    pub column: String,
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.reason
        )
    }
}

/// The line (from 1) of the record starting at `byte` of `text`: the
/// csv reader's position of a record is before the blank lines it skips.
fn line_at(text: &str, byte: u64) -> u64 {
    let at = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len());
    let before = text.as_bytes()[..at]
        .iter()
        .filter(|b| **b == b'\n')
        .count();
    let blank = text.as_bytes()[at..]
        .iter()
        .take_while(|b| matches!(b, b'\n' | b'\r'))
        .filter(|b| **b == b'\n')
        .count();
    (before + blank + 1) as u64
}

/// A point's time as lists write it (Beijing time): `2026-10-05 13:20`,
/// with seconds, or with a `T`.
pub fn parse_time(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y/%m/%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

/// Reads a point list: CSV `id,time,lon,lat,source,type` (header
/// required, columns in any order). Good rows are returned with the bad
/// rows' errors; a missing column is an error of the whole file.
pub fn read_points(text: &str) -> Result<(Vec<FirePoint>, Vec<RowError>), String> {
    let body = text.trim_start_matches('\u{feff}');
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body.as_bytes());
    let header = rdr.headers().map_err(|e| format!("header: {e}"))?.clone();
    let has = |name: &str| header.iter().any(|h| h.eq_ignore_ascii_case(name));
    if !has("id")
        && ["latitude", "longitude", "acq_date", "acq_time"]
            .iter()
            .all(|c| has(c))
    {
        return read_firms(body, rdr, &header);
    }
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| format!("header: no column `{name}` (id,time,lon,lat,source,type)"))
    };
    let (ci, ct, cx, cy) = (col("id")?, col("time")?, col("lon")?, col("lat")?);
    let (cs, ck) = (col("source").ok(), col("type")?);
    let mut good = Vec::new();
    let mut bad = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                bad.push(RowError {
                    line: e.position().map_or(0, |p| line_at(body, p.byte())),
                    column: "-".into(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        // The file's line (blank lines and quoted line breaks counted).
        let line = rec.position().map_or(0, |p| line_at(body, p.byte()));
        let get = |c: usize| rec.get(c).unwrap_or("");
        let fail = |column: &str, reason: String| RowError {
            line,
            column: column.into(),
            reason,
        };
        let id = get(ci).to_string();
        if id.is_empty() {
            bad.push(fail("id", "empty".into()));
            continue;
        }
        if seen.contains(&id) {
            bad.push(fail("id", format!("`{id}` twice in the file")));
            continue;
        }
        let Some(time) = parse_time(get(ct)) else {
            bad.push(fail(
                "time",
                format!("`{}` is not a time (2026-10-05 13:20)", get(ct)),
            ));
            continue;
        };
        let coord = |c: usize, max: f64| {
            get(c)
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && v.abs() <= max)
        };
        let Some(lon) = coord(cx, 180.0) else {
            bad.push(fail("lon", format!("`{}` is not a longitude", get(cx))));
            continue;
        };
        let Some(lat) = coord(cy, 90.0) else {
            bad.push(fail("lat", format!("`{}` is not a latitude", get(cy))));
            continue;
        };
        let Some(kind) = Kind::parse(get(ck)) else {
            bad.push(fail(
                "type",
                format!("`{}`: straw, other, false or unknown", get(ck)),
            ));
            continue;
        };
        seen.insert(id.clone());
        good.push(FirePoint {
            id,
            time,
            lon,
            lat,
            source: cs.map(|c| get(c).to_string()).unwrap_or_default(),
            kind,
        });
    }
    Ok((good, bad))
}

/// NASA FIRMS (VIIRS or MODIS) active-fire CSV: `latitude, longitude,
/// acq_date, acq_time, satellite, …` (other columns kept out). Readings
/// written down: FIRMS times are UTC (`acq_time` HHMM, leading zeros
/// sometimes dropped), made Beijing time by adding 8 hours; a row has no id,
/// so its id is `FIRMS-{satellite}-{acq_date}T{acq_time}-{latitude}-{longitude}`
/// (one detection per pixel and pass: the same file read twice gives the
/// same ids, so nothing is stored twice); every point is `unknown` (to
/// verify) from source `satellite`; the confidence is not filtered on.
fn read_firms(
    body: &str,
    mut rdr: csv::Reader<&[u8]>,
    header: &csv::StringRecord,
) -> Result<(Vec<FirePoint>, Vec<RowError>), String> {
    let col = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let need = |name: &str| col(name).ok_or_else(|| format!("header: no column `{name}`"));
    let (cy, cx, cd, ct) = (
        need("latitude")?,
        need("longitude")?,
        need("acq_date")?,
        need("acq_time")?,
    );
    let csat = col("satellite");
    let mut good = Vec::new();
    let mut bad = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                bad.push(RowError {
                    line: e.position().map_or(0, |p| line_at(body, p.byte())),
                    column: "-".into(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| line_at(body, p.byte()));
        let get = |c: usize| rec.get(c).unwrap_or("");
        let fail = |column: &str, reason: String| RowError {
            line,
            column: column.into(),
            reason,
        };
        let hhmm = get(ct);
        let time = chrono::NaiveDate::parse_from_str(get(cd), "%Y-%m-%d")
            .ok()
            .zip(
                (hhmm.len() <= 4 && !hhmm.is_empty() && hhmm.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| format!("{hhmm:0>4}"))
                    .and_then(|t| chrono::NaiveTime::parse_from_str(&t, "%H%M").ok()),
            )
            .map(|(d, t)| d.and_time(t) + chrono::Duration::hours(8));
        let Some(time) = time else {
            bad.push(fail(
                "acq_date/acq_time",
                format!(
                    "`{} {hhmm}` is not a FIRMS date and time (2026-10-05, 0520 UTC)",
                    get(cd)
                ),
            ));
            continue;
        };
        let coord = |c: usize, max: f64| {
            get(c)
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && v.abs() <= max)
        };
        let Some(lon) = coord(cx, 180.0) else {
            bad.push(fail(
                "longitude",
                format!("`{}` is not a longitude", get(cx)),
            ));
            continue;
        };
        let Some(lat) = coord(cy, 90.0) else {
            bad.push(fail("latitude", format!("`{}` is not a latitude", get(cy))));
            continue;
        };
        let sat = csat.map(get).filter(|x| !x.is_empty()).unwrap_or("?");
        let id = format!("FIRMS-{sat}-{}T{hhmm:0>4}-{}-{}", get(cd), get(cy), get(cx));
        if !seen.insert(id.clone()) {
            bad.push(fail("-", format!("`{id}` twice in the file")));
            continue;
        }
        good.push(FirePoint {
            id,
            time,
            lon,
            lat,
            source: "satellite".into(),
            kind: Kind::Unknown,
        });
    }
    Ok((good, bad))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rules;

    fn areas() -> Areas {
        Areas::from_geojson(crate::areas::tests::TWO, "name").unwrap()
    }

    /// A FIRMS VIIRS file: UTC made Beijing time, ids from satellite,
    /// pass and pixel, every point to verify; a bad time named by line.
    #[test]
    fn a_firms_file_is_read() {
        let csv = "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,bright_ti5,frp,daynight\n\
            32.71,113.35,330.1,0.4,0.37,2026-10-05,520,N,VIIRS,n,2.0NRT,290.2,3.1,D\n\
            32.80,113.40,335.0,0.4,0.37,2026-10-05,1745,N20,VIIRS,h,2.0NRT,291.0,5.0,N\n\
            32.80,113.40,335.0,0.4,0.37,2026-10-05,25:61,N20,VIIRS,h,2.0NRT,291.0,5.0,N\n";
        let (p, bad) = read_points(csv).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].id, "FIRMS-N-2026-10-05T0520-32.71-113.35");
        assert_eq!(p[0].time.to_string(), "2026-10-05 13:20:00");
        assert_eq!(p[1].time.to_string(), "2026-10-06 01:45:00");
        assert_eq!(
            (p[0].kind, p[0].source.as_str()),
            (Kind::Unknown, "satellite")
        );
        assert_eq!(
            (bad.len(), bad[0].line, bad[0].column.as_str()),
            (1, 4, "acq_date/acq_time")
        );
    }

    fn pts(csv: &str) -> Vec<FirePoint> {
        let (p, bad) = read_points(csv).unwrap();
        assert!(bad.is_empty(), "{bad:?}");
        p
    }

    /// Worked by hand: 甲镇 has straw 3 (one of them seen twice: a merged
    /// camera alarm 300 m and 1 h away), other 1, false 1, pending 1; 乙乡
    /// has straw 1 in November; one straw point outside. Deductions at the
    /// plan's rates: 甲镇 3 × 500,000 + 100,000 = 1,600,000; 乙乡 500,000;
    /// the outside point and the false and pending ones nothing.
    #[test]
    fn a_hand_worked_ledger() {
        let p = pts("id,time,lon,lat,source,type\n\
            s1,2026-10-05 13:20,0.2,0.2,satellite,straw\n\
            c1,2026-10-05 14:20,0.2027,0.2,camera,unknown\n\
            s2,2026-10-06 13:00,1.8,1.8,satellite,straw\n\
            s3,2026-10-06 13:00,0.2,1.8,satellite,straw\n\
            p1,2026-10-07 09:00,1.9,0.1,patrol,other\n\
            s4,2026-10-08 13:00,0.1,1.9,satellite,false\n\
            s5,2026-10-09 13:00,1.9,1.9,satellite,\n\
            s6,2026-11-02 13:00,3,1,satellite,straw\n\
            s7,2026-10-05 13:20,5,5,satellite,straw\n");
        let l = ledger(&p, &areas(), &Rules::shipped());
        let a = &l.areas["甲镇"];
        assert_eq!(
            (a.points, a.straw, a.other, a.false_alarms, a.pending),
            (6, 3, 1, 1, 1)
        );
        assert_eq!(a.deduction_cny, Decimal::from(1_600_000));
        let b = &l.areas["乙乡"];
        assert_eq!(
            (b.points, b.straw, b.deduction_cny),
            (1, 1, Decimal::from(500_000))
        );
        assert_eq!(
            (l.outside.points, l.outside.deduction_cny),
            (1, Decimal::ZERO)
        );
        assert_eq!(l.points["c1"], "甲镇");
        assert_eq!(l.points["s7"], "outside");
        assert_eq!(l.points.len(), 9);
        let s1 = l.fires.iter().find(|f| f.id == "s1").unwrap();
        assert_eq!(s1.merged, ["c1"]);
        // By month: 乙乡's point is November's.
        assert_eq!(
            l.months["乙乡"]["2026-11"].deduction_cny,
            Decimal::from(500_000)
        );
        assert_eq!(
            l.months["甲镇"]["2026-10"].deduction_cny,
            Decimal::from(1_600_000)
        );
        // The month's deduction is the sum of its charged fires.
        let sum: Decimal = l.fires.iter().map(|f| f.charge_cny).sum();
        assert_eq!(sum, Decimal::from(2_100_000));
    }

    /// Merging: 750 m and 3 h of the first detection. A point 3 h 1 min
    /// after, or 800 m away, is a fire of its own; an unknown first
    /// detection takes the type of the later verified one.
    #[test]
    fn near_duplicates_merge_within_the_settings() {
        let p = pts("id,time,lon,lat,source,type\n\
            a,2026-06-01 12:00,0.2,0.2,camera,unknown\n\
            b,2026-06-01 15:00,0.2,0.2,satellite,straw\n\
            c,2026-06-01 15:01,0.2,0.2,satellite,straw\n\
            d,2026-06-01 12:30,0.2072,0.2,satellite,straw\n");
        let l = ledger(&p, &areas(), &Rules::shipped());
        // 0.0072° of longitude at 0.2° N ≈ 801 m: its own fire.
        let ids: Vec<(&str, Vec<String>, Kind)> = l
            .fires
            .iter()
            .map(|f| (f.id.as_str(), f.merged.clone(), f.kind))
            .collect();
        assert_eq!(
            ids,
            [
                ("a", vec!["b".to_string()], Kind::Straw),
                ("d", vec![], Kind::Straw),
                ("c", vec![], Kind::Straw)
            ]
        );
        assert_eq!(l.areas["甲镇"].deduction_cny, Decimal::from(1_500_000));
    }

    /// A doubling rule counts per township and year: 1, 2, 4 million in
    /// 2026, 1 again in 2027; the rule in force is the point's date's.
    #[test]
    fn doubling_counts_per_township_and_year() {
        let rules = Rules::parse(
            "version\tfires\tzz\n\
             deduct\t2016-01-01\tstraw\tdoubling\t1000000\t-\tZhengzhou\n\
             deduct\t2016-01-01\tother\tflat\t100000\t-\tplan\n\
             deduct\t2027-06-01\tstraw\tflat\t500000\t-\tlater\n\
             merge\tdistance_m\t0\nmerge\thours\t0\n",
            "zz.tsv",
        )
        .unwrap();
        let p = pts("id,time,lon,lat,source,type\n\
            a,2026-06-01 12:00,0.2,0.2,s,straw\n\
            b,2026-06-02 12:00,0.3,0.2,s,straw\n\
            x,2026-06-02 12:00,3,1,s,straw\n\
            c,2026-06-03 12:00,0.4,0.2,s,straw\n\
            d,2027-01-03 12:00,0.4,0.2,s,straw\n\
            e,2027-07-03 12:00,0.4,0.2,s,straw\n");
        let l = ledger(&p, &areas(), &rules);
        let charges: Vec<(&str, Decimal)> = l
            .fires
            .iter()
            .map(|f| (f.id.as_str(), f.charge_cny))
            .collect();
        let m = |v: i64| Decimal::from(v);
        assert_eq!(
            charges,
            [
                ("a", m(1_000_000)),
                ("b", m(2_000_000)),
                ("x", m(1_000_000)),
                ("c", m(4_000_000)),
                ("d", m(1_000_000)),
                ("e", m(500_000))
            ]
        );
    }

    #[test]
    fn bad_rows_are_named_and_the_rest_kept() {
        let (good, bad) = read_points(
            "id,time,lon,lat,source,type\n\
             a,2026-06-01 12:00,0.2,0.2,s,straw\n\
             b,yesterday,0.2,0.2,s,straw\n\
             a,2026-06-01 12:00,0.2,0.2,s,straw\n\
             c,2026-06-01 12:00,200,0.2,s,straw\n\
             d,2026-06-01 12:00,0.2,0.2,s,grass\n\
             e,2026-06-01T12:00:00,0.2,0.2,s,秸秆焚烧\n",
        )
        .unwrap();
        assert_eq!(
            good.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
            ["a", "e"]
        );
        assert_eq!(good[1].kind, Kind::Straw);
        let shown: Vec<String> = bad.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "line 3, column time: `yesterday` is not a time (2026-10-05 13:20)",
                "line 4, column id: `a` twice in the file",
                "line 5, column lon: `200` is not a longitude",
                "line 6, column type: `grass`: straw, other, false or unknown"
            ]
        );
        assert!(
            read_points("id,time,lat,source,type\n")
                .unwrap_err()
                .contains("`lon`")
        );
        // Lines are the file's: a blank line and a quoted line break
        // counted; a refused row's id may come again, corrected.
        let (good, bad) = read_points(
            "id,time,lon,lat,source,type\n\n\
             a,bad,0.2,0.2,\"s\nx\",straw\n\
             a,2026-06-01 12:00,0.2,0.2,s,straw\n",
        )
        .unwrap();
        assert_eq!(bad[0].line, 3);
        assert_eq!(good.len(), 1);
    }
}
