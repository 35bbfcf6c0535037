//! Forecast days as the city's or province's forecast gives them: a date,
//! an AQI or a range (180–220: the upper bound counts by default, a
//! setting), the primary pollutant and the cause (none, dust, fireworks).
//! Read from CSV (`date,aqi,primary,cause`, a header optional) or JSON (an
//! array of such objects); every bad row is named by line and column.

use chrono::NaiveDate;

/// What drives a day.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Cause {
    #[default]
    None,
    /// Sand and dust (沙尘).
    Dust,
    /// Fireworks (烟花爆竹).
    Fireworks,
}

impl Cause {
    pub fn parse(s: &str) -> Option<Cause> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "none" | "无" | "-" => Some(Cause::None),
            "dust" | "sand" | "沙尘" | "扬沙" | "浮尘" => Some(Cause::Dust),
            "fireworks" | "烟花爆竹" | "烟花" => Some(Cause::Fireworks),
            _ => None,
        }
    }
    pub const fn as_str(self) -> &'static str {
        match self {
            Cause::None => "none",
            Cause::Dust => "dust",
            Cause::Fireworks => "fireworks",
        }
    }
}

/// One forecast day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Day {
    pub date: NaiveDate,
    /// The AQI that counts (of a range, the bound the setting names).
    pub aqi: u32,
    /// The range as given, when it was one.
    pub range: Option<(u32, u32)>,
    /// Primary pollutants (PM2.5, PM10, O3, …).
    pub primary: Vec<String>,
    pub cause: Cause,
}

/// Which bound of a range counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Bound {
    #[default]
    Upper,
    Lower,
}

/// An AQI or a range `A-B` (also `A–B`, `A~B`, `A至B`).
pub fn aqi(text: &str, bound: Bound) -> Result<(u32, Option<(u32, u32)>), String> {
    let t = text.trim();
    let num = |s: &str| {
        s.trim()
            .parse::<u32>()
            .ok()
            .filter(|v| *v <= 2000)
            .ok_or_else(|| format!("AQI `{t}`: a whole number (0–2000) or a range such as 180–220"))
    };
    for sep in ['-', '–', '—', '~', '～', '至'] {
        if let Some((a, b)) = t.split_once(sep)
            && !a.trim().is_empty()
        {
            let (a, b) = (num(a)?, num(b)?);
            if a > b {
                return Err(format!("AQI `{t}`: the range goes down"));
            }
            let v = if bound == Bound::Upper { b } else { a };
            return Ok((v, Some((a, b))));
        }
    }
    Ok((num(t)?, None))
}

fn date(text: &str) -> Result<NaiveDate, String> {
    let t = text.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%Y/%m/%d"))
        .or_else(|_| NaiveDate::parse_from_str(t, "%Y%m%d"))
        .map_err(|_| format!("date `{t}`: YYYY-MM-DD"))
}

fn primary(text: &str) -> Vec<String> {
    text.split(['/', ';', '、', '|', ' '])
        .map(str::trim)
        .filter(|p| !p.is_empty() && *p != "-" && *p != "—")
        .map(|p| p.replace('₂', "2").replace('₃', "3").replace('．', "."))
        .collect()
}

/// One row as strings: (date, aqi, primary, cause).
pub fn day(fields: [&str; 4], bound: Bound) -> Result<Day, String> {
    let (v, range) = aqi(fields[1], bound).map_err(|e| format!("column aqi: {e}"))?;
    Ok(Day {
        date: date(fields[0]).map_err(|e| format!("column date: {e}"))?,
        aqi: v,
        range,
        primary: primary(fields[2]),
        cause: Cause::parse(fields[3]).ok_or_else(|| {
            format!(
                "column cause: `{}` is none, dust or fireworks",
                fields[3].trim()
            )
        })?,
    })
}

/// Reads CSV `date,aqi,primary,cause` (the last two optional; a header
/// line optional; `#` comments skipped): the days, or every bad line.
pub fn read_csv(text: &str, bound: Bound) -> Result<Vec<Day>, Vec<String>> {
    let mut days = Vec::new();
    let mut errors = Vec::new();
    let mut first = true;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split([',', '\t']).collect();
        // A header, on the first line that is not a comment.
        let header = f[0].trim().eq_ignore_ascii_case("date") || f[0].trim() == "日期";
        if std::mem::take(&mut first) && header {
            continue;
        }
        if f.len() < 2 || f.len() > 4 {
            errors.push(format!(
                "line {n}: date,aqi[,primary[,cause]], not `{line}`"
            ));
            continue;
        }
        let get = |k: usize| f.get(k).copied().unwrap_or("");
        match day([get(0), get(1), get(2), get(3)], bound) {
            Ok(d) => days.push(d),
            Err(e) => errors.push(format!("line {n}: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(days)
    } else {
        Err(errors)
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonDay {
    date: String,
    aqi: serde_json::Value,
    #[serde(default)]
    primary: Option<serde_json::Value>,
    #[serde(default)]
    cause: Option<String>,
}

/// Reads a JSON array of `{"date", "aqi" (a number or "180-220"), "primary"
/// (text or a list), "cause"}`.
pub fn read_json(text: &str, bound: Bound) -> Result<Vec<Day>, Vec<String>> {
    let rows: Vec<JsonDay> = serde_json::from_str(text).map_err(|e| vec![format!("JSON: {e}")])?;
    let mut days = Vec::new();
    let mut errors = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let aqi = match &r.aqi {
            serde_json::Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        let primary = match &r.primary {
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .filter_map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join("/"),
            Some(serde_json::Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        match day(
            [&r.date, &aqi, &primary, r.cause.as_deref().unwrap_or("")],
            bound,
        ) {
            Ok(d) => days.push(d),
            Err(e) => errors.push(format!("day {}: {e}", i + 1)),
        }
    }
    if errors.is_empty() {
        Ok(days)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_count_by_their_bound() {
        assert_eq!(
            aqi("180–220", Bound::Upper).unwrap(),
            (220, Some((180, 220)))
        );
        assert_eq!(aqi("180-220", Bound::Lower).unwrap().0, 180);
        assert_eq!(aqi(" 151 ", Bound::Upper).unwrap(), (151, None));
        assert!(aqi("220-180", Bound::Upper).is_err());
        assert!(aqi("high", Bound::Upper).is_err());
        assert!(aqi("-5", Bound::Upper).is_err());
    }

    #[test]
    fn bad_rows_are_named_by_line_and_column() {
        let text = "date,aqi,primary,cause\n2026-01-01,151,PM2.5,\n2026-01-02,x,PM2.5,none\n2026-13-01,100\n2026-01-04,120,O3,storm\n";
        let errors = read_csv(text, Bound::Upper).unwrap_err();
        assert_eq!(
            errors,
            [
                "line 3: column aqi: AQI `x`: a whole number (0–2000) or a range such as 180–220",
                "line 4: column date: date `2026-13-01`: YYYY-MM-DD",
                "line 5: column cause: `storm` is none, dust or fireworks"
            ]
        );
        let ok = read_csv(
            "2026-01-01,151\n2026-01-02,160–210,PM2.5/PM10,沙尘\n",
            Bound::Upper,
        )
        .unwrap();
        assert_eq!(ok[1].aqi, 210);
        assert_eq!(ok[1].primary, ["PM2.5", "PM10"]);
        assert_eq!(ok[1].cause, Cause::Dust);
        let j = read_json(r#"[{"date":"2026-01-01","aqi":"180-220","primary":["PM2.5"]},{"date":"2026-01-02","aqi":205}]"#, Bound::Upper).unwrap();
        assert_eq!((j[0].aqi, j[1].aqi), (220, 205));
        assert!(read_json(r#"[{"date":"2026-01-01","aqi":1,"x":2}]"#, Bound::Upper).is_err());
    }
}
