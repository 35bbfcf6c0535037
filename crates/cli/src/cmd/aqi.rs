//! `lantian aqi`: the AQI of one set of concentrations.

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use lantian_standards::Decimal;
use lantian_standards::aqi::{self, AqiResult, Inputs, Reading, Report, Standard};
use lantian_standards::level;
use lantian_standards::pollutant::Indicator;
use serde_json::{Value, json};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Rule set: hj633-2012 or hj633-2026 (or give --date to choose by date).
    #[arg(long)]
    pub standard: Option<String>,
    /// Date of the data (YYYY-MM-DD): picks the rule set in force that day.
    #[arg(long)]
    pub date: Option<NaiveDate>,
    /// daily (日报) or hourly (实时报).
    #[arg(long, default_value = "daily")]
    pub report: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// KEY=VALUE, e.g. PM2.5_24h=76 O3_8h=161 CO_24h=missing.
    #[arg(required = true, value_name = "KEY=VALUE")]
    pub values: Vec<String>,
}

/// Parses `KEY=VALUE` arguments into engine inputs.
pub fn parse_inputs(values: &[String]) -> Result<Inputs> {
    let mut inputs = Inputs::new();
    for arg in values {
        let Some((k, v)) = arg.split_once('=') else {
            bail!("`{arg}`: expected KEY=VALUE, e.g. PM2.5_24h=35");
        };
        let ind: Indicator = k.parse().with_context(|| {
            format!("`{arg}`: keys are SO2_1h SO2_24h NO2_1h NO2_24h CO_1h CO_24h O3_1h O3_8h PM10_1h PM10_24h PM2.5_1h PM2.5_24h")
        })?;
        let v = v.trim();
        let reading = if v.eq_ignore_ascii_case("missing") || v.eq_ignore_ascii_case("na") {
            Reading::Missing
        } else {
            let d: Decimal = v
                .parse()
                .with_context(|| format!("`{arg}`: the value must be a number or `missing`"))?;
            Reading::Value(d)
        };
        if inputs.get(ind).is_some() {
            bail!("`{arg}`: {ind} given twice");
        }
        inputs.set(ind, reading);
    }
    Ok(inputs)
}

pub fn to_json(r: &AqiResult) -> Value {
    let iaqi: serde_json::Map<String, Value> =
        r.iaqi.iter().map(|(i, v)| (i.key(), json!(v))).collect();
    let level = r.level;
    json!({
        "standard": r.standard,
        "report": r.report,
        "aqi": r.aqi,
        "level": level.map(|l| l.number()),
        "category": level.map(|l| l.category_zh()),
        "category_en": level.map(|l| l.category_en()),
        "colour": level.map(|l| l.colour_zh()),
        "rgb": level.map(|l| { let c = l.rgb(); [c.0, c.1, c.2] }),
        "hex": level.map(|l| l.rgb().hex()),
        "health_effect": level.map(|l| l.health_effect(r.standard)),
        "advice": level.map(|l| l.advice(r.standard)),
        "primary": r.primary.iter().map(|i| i.key()).collect::<Vec<_>>(),
        "iaqi": iaqi,
        "max_iaqi": r.max_iaqi,
        "exceeding": r.exceeding.iter().map(|i| i.key()).collect::<Vec<_>>(),
        "sensitive_groups": r.sensitive.iter().map(|p| json!({"pollutant": p.code(), "groups": level::sensitive_groups(*p)})).collect::<Vec<_>>(),
        "missing": r.missing.iter().map(|i| i.key()).collect::<Vec<_>>(),
        "notes": r.notes.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
    })
}

pub fn to_text(r: &AqiResult) -> String {
    let mut s = String::new();
    match (r.aqi, r.level) {
        (Some(a), Some(l)) => s.push_str(&format!(
            "AQI {a}  {} {} ({})  {} {}\n",
            l.name_zh(),
            l.category_zh(),
            l.category_en(),
            l.colour_zh(),
            l.rgb().hex()
        )),
        _ => s.push_str("AQI NA (不发布 not published)\n"),
    }
    let report = match r.report {
        Report::Daily => "日报 daily",
        Report::Hourly => "实时报 hourly",
    };
    s.push_str(&format!(
        "标准 standard: {}  报告 report: {report}\n",
        r.standard
    ));
    let primary: Vec<String> = r.primary.iter().map(|i| i.key()).collect();
    s.push_str(&format!(
        "首要污染物 primary: {}\n",
        if primary.is_empty() {
            "无 none".to_string()
        } else {
            primary.join(", ")
        }
    ));
    let iaqi: Vec<String> = r
        .iaqi
        .iter()
        .map(|(i, v)| format!("{i}={}", v.map_or("NA".to_string(), |v| v.to_string())))
        .collect();
    s.push_str(&format!("分指数 IAQI: {}\n", iaqi.join("  ")));
    if !r.exceeding.is_empty() {
        let e: Vec<String> = r.exceeding.iter().map(|i| i.key()).collect();
        s.push_str(&format!("超标污染物 exceeding: {}\n", e.join(", ")));
    }
    if let Some(l) = r.level {
        s.push_str(&format!(
            "健康影响 effect: {}\n",
            l.health_effect(r.standard)
        ));
        s.push_str(&format!("建议措施 advice: {}\n", l.advice(r.standard)));
    }
    for p in &r.sensitive {
        s.push_str(&format!(
            "敏感人群 sensitive ({p}): {}\n",
            level::sensitive_groups(*p)
        ));
    }
    if !r.notes.is_empty() {
        s.push_str("说明 notes:\n");
        for n in &r.notes {
            s.push_str(&format!("  - {n}\n"));
        }
    }
    s
}

pub fn run(args: Args) -> Result<()> {
    let standard = match (&args.standard, args.date) {
        (Some(s), _) if s != "auto" => s.parse::<Standard>()?,
        (_, Some(d)) => Standard::for_date(d),
        _ => bail!("give --standard hj633-2012|hj633-2026, or --date YYYY-MM-DD to choose by date"),
    };
    let report: Report = args.report.parse()?;
    let inputs = parse_inputs(&args.values)?;
    let r = aqi::compute(standard, report, &inputs);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&to_json(&r))?);
    } else {
        print!("{}", to_text(&r));
    }
    Ok(())
}
