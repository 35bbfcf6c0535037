//! What `lantian serve` stored, read back into a dataset.

use std::collections::BTreeMap;
use std::path::Path;

use lantian_standards::Decimal;
use lantian_standards::pollutant::{Pollutant, Unit};

use super::{Dataset, FileData, IssueKind, NotANumber, parse_value};

/// The HJ 212 factor codes of the six pollutants: the one table the
/// readers, the store reader and the simulator share.
pub const AMBIENT_CODES: [(Pollutant, &str); 6] = [
    (Pollutant::So2, "a21026"),
    (Pollutant::No2, "a21004"),
    (Pollutant::Co, "a21005"),
    (Pollutant::O3, "a05024"),
    (Pollutant::Pm10, "a34002"),
    (Pollutant::Pm25, "a34004"),
];

/// The HJ 212 factor code of the wind direction (degrees).
pub const WIND_DIRECTION_CODE: &str = "a01008";

/// The pollutant of an HJ 212 ambient factor code.
pub fn pollutant_of_code(code: &str) -> Option<Pollutant> {
    AMBIENT_CODES
        .iter()
        .find(|(_, c)| *c == code)
        .map(|(p, _)| *p)
}

/// The unit a device sends `code` in: its override (`code=unit;…`), else the
/// code table's default.
pub fn unit_of(code: &str, overrides: &str) -> Option<Unit> {
    let over = overrides
        .split([';', ','])
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| k.trim() == code)
        .map(|(_, u)| u.trim().to_string());
    let unit = over.or_else(|| lantian_hj212::codes::factor(code).map(|f| f.unit.to_string()))?;
    unit.parse().ok()
}

/// One stored value as the reader takes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueRow<'r> {
    pub site_code: &'r str,
    pub assessment: bool,
    pub code: &'r str,
    /// DataTime, UTC seconds (start of the hour for 2061).
    pub ts: i64,
    pub raw: &'r str,
    pub flag: Option<&'r str>,
    pub unit_overrides: &'r str,
}

/// The site a stored upload's device belongs to, as the reader needs it.
#[derive(Debug, Clone, Copy)]
pub struct SiteOf<'a> {
    pub code: &'a str,
    /// Counts in area values (false for background sites).
    pub assessment: bool,
    /// The device's `code=unit;…` overrides.
    pub unit_overrides: &'a str,
}

/// Minutes of an hour that real-time samples must cover to stand in for a
/// missing hourly value (GB 3095 Table 4: ≥ 45 minutes of sampling).
pub const REALTIME_MINUTES_PER_HOUR: usize = 45;

/// (station, pollutant, hour slot)
type HourKey = (String, Pollutant, i64);

/// Real-time samples of one station-pollutant hour: values, the distinct
/// minutes they cover, whether the station is a background site, and the
/// instants already taken (a sample read twice counts once).
#[derive(Default, Clone)]
struct RealtimeHour(
    Vec<Decimal>,
    std::collections::HashSet<i64>,
    bool,
    std::collections::HashSet<i64>,
);

/// Builds a dataset from stored values: hourly 2061 `Avg` values first
/// ([`StoreReader::hourly`]), then, for an hour with no hourly value of a
/// pollutant, the mean of its real-time 2011 `Rtd` samples when they cover
/// ≥ 45 distinct minutes of the hour ([`StoreReader::realtime`], counted).
/// Units are converted per device; values flagged other than N are left out
/// and counted.
///
/// A reader can be kept and fed only what arrived since ([`Self::dataset`]
/// gives the dataset so far). A station-hour already known is not taken
/// again (the ingest keeps the first upload of an hour, so a stored hour
/// never changes; two devices of one site give the first), and a real-time
/// sample counts once per instant.
#[derive(Default, Clone)]
pub struct StoreReader {
    data: FileData,
    groups: BTreeMap<HourKey, RealtimeHour>,
}

impl StoreReader {
    fn check(&mut self, r: &ValueRow<'_>, p: Pollutant) -> Option<Unit> {
        let path = Path::new("database");
        let line = self.data.rows;
        if let Some(flag) = r.flag.filter(|f| !f.trim().is_empty() && f.trim() != "N") {
            self.data.issue(
                path,
                line,
                IssueKind::Flagged(flag.to_string()),
                format!("{} {p}", r.site_code),
            );
            return None;
        }
        let unit = unit_of(r.code, r.unit_overrides);
        if unit.is_none() {
            self.data.issue(
                path,
                line,
                IssueKind::BadValue,
                format!("{}: unknown unit of {}", r.site_code, r.code),
            );
        }
        unit
    }

    /// One hourly (2061) value.
    pub fn hourly(&mut self, r: ValueRow<'_>) {
        let Some(p) = pollutant_of_code(r.code) else {
            self.data.rows += 1;
            return;
        };
        let slot = (r.ts + 8 * 3600).div_euclid(3600);
        if self
            .data
            .stations
            .get(r.site_code)
            .is_some_and(|st| st.grid.get(slot, p).is_some())
        {
            // Read before (an incremental read overlaps the last one).
            return;
        }
        self.data.rows += 1;
        self.data.station(r.site_code).background |= !r.assessment;
        let Some(unit) = self.check(&r, p) else {
            return;
        };
        // Devices keep Beijing time; the hour starting at ts (UTC).
        let slot = (r.ts + 8 * 3600).div_euclid(3600);
        let line = self.data.rows;
        self.data.put_field(
            Path::new("database"),
            line,
            r.site_code,
            slot,
            p,
            r.raw,
            |v| unit.convert(v, p.unit()),
        );
    }

    /// One real-time (2011) sample (after every hourly value).
    pub fn realtime(&mut self, r: ValueRow<'_>) {
        self.data.rows += 1;
        let Some(p) = pollutant_of_code(r.code) else {
            return;
        };
        let local = r.ts + 8 * 3600;
        let slot = local.div_euclid(3600);
        if self
            .data
            .stations
            .get(r.site_code)
            .is_some_and(|st| st.grid.get(slot, p).is_some())
        {
            return;
        }
        let Some(unit) = self.check(&r, p) else {
            return;
        };
        match parse_value(r.raw) {
            Ok(Some(v)) => {
                let g = self
                    .groups
                    .entry((r.site_code.to_string(), p, slot))
                    .or_default();
                if !g.3.insert(r.ts) {
                    return;
                }
                g.0.push(unit.convert(v, p.unit()));
                g.1.insert(local.div_euclid(60));
                g.2 |= !r.assessment;
            }
            Ok(None) => {}
            Err(NotANumber) => {
                let line = self.data.rows;
                self.data.issue(
                    Path::new("database"),
                    line,
                    IssueKind::BadValue,
                    format!("{p}=`{}`", r.raw),
                );
            }
        }
    }

    /// Every value of one stored upload of a site's device: 2061 `Avg` as
    /// hourly values (and the wind direction, a01008), 2011 `Rtd` as
    /// real-time samples; other commands and fields are not hours.
    pub fn upload(&mut self, site: SiteOf<'_>, u: &lantian_store::StoredUpload<'_>) {
        let field = match u.cn {
            2061 => "Avg",
            2011 => "Rtd",
            _ => return,
        };
        for v in u.values.iter().filter(|v| v.field == field) {
            if v.code == WIND_DIRECTION_CODE {
                if u.cn == 2061
                    && v.flag.is_none_or(|f| f == "N")
                    && let Ok(Some(deg)) = parse_value(v.raw)
                {
                    let slot = (u.data_time + 8 * 3600).div_euclid(3600);
                    self.data.station(site.code).wind.insert(slot, deg);
                }
                continue;
            }
            let row = ValueRow {
                site_code: site.code,
                assessment: site.assessment,
                code: v.code,
                ts: u.data_time,
                raw: v.raw,
                flag: v.flag,
                unit_overrides: site.unit_overrides,
            };
            if u.cn == 2061 {
                self.hourly(row);
            } else {
                self.realtime(row);
            }
        }
    }

    /// Values read so far.
    pub fn rows(&self) -> u64 {
        self.data.rows
    }

    /// The dataset so far (the reader can go on being fed), and how many
    /// station-pollutant hours came from real-time samples.
    pub fn dataset(&self) -> (Dataset, usize) {
        self.clone().finish()
    }

    /// The dataset, and how many station-pollutant hours came from real-time samples.
    pub fn finish(mut self) -> (Dataset, usize) {
        let mut derived = 0;
        for ((site, p, slot), RealtimeHour(vals, minutes, background, _)) in
            std::mem::take(&mut self.groups)
        {
            // Too few minutes, or an hourly value arrived after the samples.
            if minutes.len() < REALTIME_MINUTES_PER_HOUR
                || self
                    .data
                    .stations
                    .get(&site)
                    .is_some_and(|st| st.grid.get(slot, p).is_some())
            {
                continue;
            }
            if let Some(mean) = lantian_standards::rounding::mean(vals) {
                self.data.station(&site).background |= background;
                self.data
                    .put(Path::new("database"), 0, &site, slot, p, mean);
                derived += 1;
            }
        }
        let ds = Dataset {
            files: 0,
            hours_from_realtime: derived,
            rows: self.data.rows,
            stations: self.data.stations.into_values().collect(),
            issues: self.data.issues,
            reviewed_out: 0,
        };
        (ds, derived)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hv<'a>(site: &'a str, code: &'a str, ts: i64, raw: &'a str) -> ValueRow<'a> {
        ValueRow {
            site_code: site,
            assessment: true,
            code,
            ts,
            raw,
            flag: Some("N"),
            unit_overrides: "a34004=ug/m3",
        }
    }

    #[test]
    fn stored_hours_with_real_time_fallback() {
        // 2025-01-01T00:00Z = 08:00 Beijing: the hour 08:00–09:00.
        let t0 = 1_735_689_600;
        let mut r = StoreReader::default();
        r.hourly(hv("S", "a34004", t0, "35"));
        r.hourly(hv("S", "a21005", t0, "0.8"));
        // The next hour has no 2061 PM2.5: 50 one-minute samples of 40 and 44.
        for m in 0..50 {
            r.realtime(hv(
                "S",
                "a34004",
                t0 + 3600 + m * 60,
                if m % 2 == 0 { "40" } else { "44" },
            ));
        }
        // The hour after: only 30 minutes of samples, not enough.
        for m in 0..30 {
            r.realtime(hv("S", "a34004", t0 + 7200 + m * 60, "99"));
        }
        // Real-time samples in an hour that has its 2061 value are ignored.
        r.realtime(hv("S", "a34004", t0 + 60, "500"));
        let (ds, derived) = r.finish();
        assert_eq!(derived, 1);
        let g = &ds.stations[0].grid;
        let slot0 = (t0 + 8 * 3600) / 3600;
        let at = |slot: i64| g.get(slot, Pollutant::Pm25);
        assert_eq!(at(slot0), Some(Decimal::from(35)));
        assert_eq!(at(slot0 + 1), Some(Decimal::from(42)));
        assert_eq!(at(slot0 + 2), None);
        // CO in the table's mg/m³ stays as sent.
        assert_eq!(g.get(slot0, Pollutant::Co), Some("0.8".parse().unwrap()));
    }
}
