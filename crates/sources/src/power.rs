//! Electricity interlocks (分表计电, `sources.md` §6 and §8): a production
//! meter running while the treatment meters are not — 生产开、治污停 — and
//! a catering fan running while its purifier is not. Meters are judged on
//! fixed windows of their real-time samples; every threshold is a setting.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use crate::judge::{Event, Evidence, Rule, fmt_label};
use crate::num::Fixed;

/// What a meter measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MeterRole {
    /// 产污: a production line (or a catering fan).
    Production,
    /// 治污: a treatment facility (or a catering purifier).
    Treatment,
}

impl MeterRole {
    pub fn parse(s: &str) -> Result<MeterRole, String> {
        match s.trim() {
            "production" | "生产" | "产污" | "fan" | "风机" => Ok(MeterRole::Production),
            "treatment" | "治污" | "治理" | "purifier" | "净化器" => {
                Ok(MeterRole::Treatment)
            }
            other => Err(format!("meter role `{other}`: production or treatment")),
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            MeterRole::Production => "production",
            MeterRole::Treatment => "treatment",
        }
    }
}

/// The interlocks' settings ([M] in `sources.md`, so every one of them is
/// configurable).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PowerSettings {
    /// A meter runs when its window's mean power exceeds this share of its
    /// rated power (%).
    pub running_pct: Fixed,
    /// Industrial meters: window length (minutes) and how many consecutive
    /// windows of production-on, treatment-off make an alarm.
    pub window_minutes: u32,
    pub off_windows: usize,
    /// Catering: window and count for fan-on, purifier-off.
    pub catering_window_minutes: u32,
    pub catering_off_windows: usize,
}

impl Default for PowerSettings {
    fn default() -> Self {
        PowerSettings {
            running_pct: Fixed::new(10, 0),
            window_minutes: 15,
            off_windows: 2,
            catering_window_minutes: 5,
            catering_off_windows: 1,
        }
    }
}

impl PowerSettings {
    /// Sets one setting from its text (see [`crate::judge::Settings::set`]).
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let n = || {
            value
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{key} `{value}`: a whole number > 0"))
        };
        match key.trim() {
            "running_pct" => {
                self.running_pct = Fixed::parse(value)
                    .filter(|v| !v.m.is_negative())
                    .ok_or_else(|| format!("{key} `{value}`: a number ≥ 0"))?
            }
            "window_minutes" => self.window_minutes = n()?.min(1440),
            "off_windows" => self.off_windows = n()? as usize,
            "catering_window_minutes" => self.catering_window_minutes = n()?.min(1440),
            "catering_off_windows" => self.catering_off_windows = n()? as usize,
            other => return Err(format!("unknown setting `{other}`")),
        }
        Ok(())
    }
}

/// One meter's windows: window index (minutes since the epoch, local, ÷
/// window length) → mean kW.
#[derive(Debug, Clone, PartialEq)]
pub struct Meter {
    pub name: String,
    pub role: MeterRole,
    pub rated_kw: Fixed,
    pub windows: BTreeMap<i64, Decimal>,
}

/// Means of samples `(local time, kW)` over windows of `minutes`.
pub fn windows(samples: &[(NaiveDateTime, Fixed)], minutes: u32) -> BTreeMap<i64, Decimal> {
    let mut sums: BTreeMap<i64, (Decimal, u32)> = BTreeMap::new();
    let w = i64::from(minutes.max(1)) * 60;
    for (t, kw) in samples {
        let e = sums
            .entry(t.and_utc().timestamp().div_euclid(w))
            .or_default();
        e.0 += kw.to_decimal();
        e.1 += 1;
    }
    sums.into_iter()
        .map(|(k, (s, n))| (k, s / Decimal::from(n)))
        .collect()
}

fn running(m: &Meter, mean: Decimal, s: &PowerSettings) -> bool {
    mean * Decimal::ONE_HUNDRED > m.rated_kw.to_decimal() * s.running_pct.to_decimal()
}

/// Runs of windows where some production meter runs and no treatment meter
/// does (windows where a meter sent nothing are not judged), at least
/// `min_windows` long.
pub fn judge(meters: &[Meter], s: &PowerSettings, catering: bool) -> Vec<Event> {
    let (minutes, min_windows, rule) = if catering {
        (
            s.catering_window_minutes,
            s.catering_off_windows,
            Rule::PurifierOff,
        )
    } else {
        (s.window_minutes, s.off_windows, Rule::TreatmentOff)
    };
    let prod: Vec<&Meter> = meters
        .iter()
        .filter(|m| m.role == MeterRole::Production)
        .collect();
    let treat: Vec<&Meter> = meters
        .iter()
        .filter(|m| m.role == MeterRole::Treatment)
        .collect();
    if prod.is_empty() || treat.is_empty() {
        return Vec::new();
    }
    let mut all: Vec<i64> = meters
        .iter()
        .flat_map(|m| m.windows.keys().copied())
        .collect();
    all.sort_unstable();
    all.dedup();
    let off = |w: i64| -> Option<bool> {
        let mut p_on = false;
        for m in &prod {
            p_on |= running(m, *m.windows.get(&w)?, s);
        }
        let mut t_on = false;
        for m in &treat {
            t_on |= running(m, *m.windows.get(&w)?, s);
        }
        Some(p_on && !t_on)
    };
    let mut out = Vec::new();
    let mut run: Vec<i64> = Vec::new();
    let flush = |run: &mut Vec<i64>, out: &mut Vec<Event>| {
        if run.len() >= min_windows.max(1) {
            out.push(event(meters, run, minutes, rule));
        }
        run.clear();
    };
    for w in all {
        match off(w) {
            Some(true) => {
                if run.last().is_some_and(|l| *l + 1 != w) {
                    flush(&mut run, &mut out);
                }
                run.push(w);
            }
            _ => flush(&mut run, &mut out),
        }
    }
    flush(&mut run, &mut out);
    out
}

fn at(w: i64, minutes: u32) -> NaiveDateTime {
    chrono::DateTime::from_timestamp(w * i64::from(minutes) * 60, 0)
        .map_or(NaiveDateTime::MIN, |t| t.naive_utc())
}

fn event(meters: &[Meter], run: &[i64], minutes: u32, rule: Rule) -> Event {
    let first = run[0];
    let last = run[run.len() - 1];
    let evidence = run
        .iter()
        .take(48)
        .map(|w| {
            let mut values = BTreeMap::new();
            for m in meters {
                if let Some(kw) = m.windows.get(w) {
                    values.insert(
                        format!("{}_kw:{}", m.role.as_str(), m.name),
                        kw.round_dp(2).to_string(),
                    );
                }
            }
            Evidence {
                time: fmt_label(at(*w, minutes)),
                values,
            }
        })
        .collect();
    let span = run.len() as u32 * minutes;
    Event {
        rule,
        code: "power".into(),
        start: at(first, minutes),
        end: at(last + 1, minutes),
        hours: span.div_ceil(60) as usize,
        minutes: span,
        max: None,
        limit: None,
        evidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(m: i64) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 1, 5)
            .unwrap()
            .and_hms_opt(8, 0, 0)
            .unwrap()
            + chrono::Duration::minutes(m)
    }

    fn meter(name: &str, role: MeterRole, samples: &[(i64, &str)], minutes: u32) -> Meter {
        let s: Vec<_> = samples
            .iter()
            .map(|(m, kw)| (t(*m), Fixed::parse(kw).unwrap()))
            .collect();
        Meter {
            name: name.into(),
            role,
            rated_kw: Fixed::new(100, 0),
            windows: windows(&s, minutes),
        }
    }

    #[test]
    fn production_on_with_treatment_off_for_two_windows() {
        // Production runs the whole hour; treatment runs the first 15 min,
        // then draws 5 kW (5 % of rated: off) for 45 min.
        let prod: Vec<(i64, &str)> = (0..60).step_by(5).map(|m| (m, "80")).collect();
        let treat: Vec<(i64, &str)> = (0..60)
            .step_by(5)
            .map(|m| (m, if m < 15 { "60" } else { "5" }))
            .collect();
        let ms = [
            meter("窑炉", MeterRole::Production, &prod, 15),
            meter("除尘", MeterRole::Treatment, &treat, 15),
        ];
        let ev = judge(&ms, &PowerSettings::default(), false);
        assert_eq!(ev.len(), 1, "{ev:?}");
        assert_eq!((ev[0].rule, ev[0].minutes), (Rule::TreatmentOff, 45));
        assert_eq!(fmt_label(ev[0].start), "2026-01-05 08:15");
        // One window off is not enough.
        let treat: Vec<(i64, &str)> = (0..60)
            .step_by(5)
            .map(|m| (m, if (15..30).contains(&m) { "5" } else { "60" }))
            .collect();
        let ms = [
            meter("窑炉", MeterRole::Production, &prod, 15),
            meter("除尘", MeterRole::Treatment, &treat, 15),
        ];
        assert!(judge(&ms, &PowerSettings::default(), false).is_empty());
        // Both off: not an interlock breach.
        let idle: Vec<(i64, &str)> = (0..60).step_by(5).map(|m| (m, "2")).collect();
        let ms = [
            meter("窑炉", MeterRole::Production, &idle, 15),
            meter("除尘", MeterRole::Treatment, &idle, 15),
        ];
        assert!(judge(&ms, &PowerSettings::default(), false).is_empty());
    }

    #[test]
    fn a_catering_fan_without_its_purifier() {
        let fan: Vec<(i64, &str)> = (0..20).map(|m| (m, "3")).collect();
        let pur: Vec<(i64, &str)> = (0..20)
            .map(|m| (m, if m < 10 { "2" } else { "0" }))
            .collect();
        let mut f = meter("风机", MeterRole::Production, &fan, 5);
        let mut p = meter("净化器", MeterRole::Treatment, &pur, 5);
        f.rated_kw = Fixed::new(4, 0);
        p.rated_kw = Fixed::new(3, 0);
        let ev = judge(&[f, p], &PowerSettings::default(), true);
        assert_eq!(ev.len(), 1);
        assert_eq!((ev[0].rule, ev[0].minutes), (Rule::PurifierOff, 10));
    }
}
