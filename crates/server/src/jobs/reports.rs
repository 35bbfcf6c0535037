//! Reports: what a report rests on gathered from the store (the same
//! assessment `lantian assess --database` makes, the management sections
//! by the routes' own readers), made into the model, the PDF and the
//! workbook, and archived. `serve` makes the daily brief each morning and
//! the monthly report on the first of the month, at times that are
//! settings; the archive row is the cluster's lock (`store::reports`), so
//! two nodes on one database make each once. `lantian report` and the 报告
//! page's "make now" go through [`make`] too.
//!
//! Readings written down here:
//! - The daily brief is of yesterday (Beijing), the monthly report of the
//!   month before; a scheduled report whose period has no data is archived
//!   as failed with the reason, not retried until asked.
//! - A management section is present when its area was in use by the
//!   period's end: a source alarm, ticket, fire point or alert recorded
//!   before it, a plan whose ledger had started; its counts are then those
//!   of the period, zeros included. Otherwise it is left out and named.
//! - The annual report of a finished year is public (the annual
//!   air-quality summary on the public page) in a public copy without the
//!   management sections (firms' alarms, tickets, fire points, the ledger:
//!   not the public's to read); the others are the county offices'.
//! - The schedule catches up: the briefs of the last three days and last
//!   month's report are due until made; a failed one is retried after
//!   `RETRY_MS` unless it failed for want of data (late data: remake it).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use lantian_assess::review::{DataMode, ReviewSettings};
use lantian_assess::{Periods, Request};
use lantian_report::model::{
    self, AlertRow, FiresSection, FirmAlarms, LedgerSection, Management, SourcesSection, StepRow,
    TicketsSection,
};
use lantian_report::{Context, Kind, Report};
use lantian_standards::Decimal;
use lantian_standards::evaluate::Settings;
use lantian_standards::targets::Targets;
use lantian_store::Store;
use lantian_store::reports::{Claim, Made};
use lantian_types::time::{beijing_ms, now_beijing, utc_seconds};
use tokio::sync::watch;

use crate::http::routes::ledger::LedgerSettings;

/// The document key of the label a database's data carry (the demo's
/// sample label), printed on every report made from it.
pub const DATA_LABEL: &str = "data_label";

/// What reports are made with.
#[derive(Clone)]
pub struct ReportSettings {
    pub county: String,
    /// The data label printed on every page (the demo's sample label).
    pub label: Option<String>,
    pub targets: Targets,
    pub review: ReviewSettings,
    pub ledger: Arc<LedgerSettings>,
    /// The database's name as the report prints it (no password).
    pub source: String,
    /// Beijing times: the daily brief, and the monthly report on the 1st.
    pub daily_at: NaiveTime,
    pub monthly_at: NaiveTime,
    /// A claim older than this is taken over (its node died).
    pub stale_s: u64,
    pub node: String,
    /// Reports made at once by this node (each reads the whole store).
    pub making: Arc<tokio::sync::Semaphore>,
    /// Firms' compliance in the alert evaluation.
    pub compliance: lantian_alerts::compliance::Settings,
}

impl ReportSettings {
    pub fn new(source: &str) -> ReportSettings {
        ReportSettings {
            county: "泌阳县".into(),
            label: None,
            targets: Targets::default(),
            review: ReviewSettings::default(),
            ledger: Arc::default(),
            source: source_label(source),
            daily_at: NaiveTime::from_hms_opt(7, 30, 0).unwrap_or_default(),
            monthly_at: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
            stale_s: 1800,
            node: "lantian".into(),
            making: Arc::new(tokio::sync::Semaphore::new(1)),
            compliance: lantian_alerts::compliance::Settings::default(),
        }
    }
}

/// A database URL as a report prints it: its kind and the database's
/// name only — no host, user, password, folder or options.
pub fn source_label(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("database", url));
    let path = rest.split(['?', '#']).next().unwrap_or_default();
    let name = path.rsplit('/').next().unwrap_or_default();
    let kind = if scheme.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    if name.is_empty() {
        kind.to_string()
    } else {
        format!("{kind} {name}")
    }
}

/// Which report of which period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day(NaiveDate),
    /// The month of this day (its first).
    Month(NaiveDate),
    Year(i32),
    Episode(i64),
}

impl Period {
    pub fn kind(self) -> Kind {
        match self {
            Period::Day(_) => Kind::Daily,
            Period::Month(_) => Kind::Monthly,
            Period::Year(_) => Kind::Annual,
            Period::Episode(_) => Kind::Episode,
        }
    }

    /// The archive's key of the period: `2016-05-31`, `2016-05`, `2016`, or the alert's id.
    pub fn key(self) -> String {
        match self {
            Period::Day(d) => d.to_string(),
            Period::Month(d) => d.format("%Y-%m").to_string(),
            Period::Year(y) => y.to_string(),
            Period::Episode(id) => id.to_string(),
        }
    }

    /// A period from its kind and key, or what is wrong with them.
    pub fn parse(kind: &str, key: &str) -> Result<Period, String> {
        let key = key.trim();
        match kind {
            "daily" => NaiveDate::parse_from_str(key, "%Y-%m-%d")
                .map(Period::Day)
                .map_err(|_| format!("period `{key}`: a daily report takes a date, YYYY-MM-DD")),
            "monthly" => NaiveDate::parse_from_str(&format!("{key}-01"), "%Y-%m-%d")
                .map(Period::Month)
                .map_err(|_| format!("period `{key}`: a monthly report takes YYYY-MM")),
            "annual" => key
                .parse::<i32>()
                .ok()
                .filter(|y| (1900..=9999).contains(y))
                .map(Period::Year)
                .ok_or_else(|| format!("period `{key}`: an annual report takes a year, YYYY")),
            "episode" => key
                .parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .map(Period::Episode)
                .ok_or_else(|| format!("period `{key}`: an episode report takes an alert's id")),
            other => Err(format!("kind `{other}`: daily, monthly, annual or episode")),
        }
    }
}

fn ms_of(d: NaiveDate) -> i64 {
    utc_seconds(d.and_hms_opt(0, 0, 0).unwrap_or_default()) * 1000
}

fn label_ms(ms: Option<i64>) -> Option<String> {
    ms.and_then(beijing_ms)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
}

fn alert_row(a: &lantian_store::alerts::AlertRow) -> AlertRow {
    AlertRow {
        id: a.id,
        level: a.level.clone(),
        state: a.state.clone(),
        start: label_ms(a.start_ms),
        end: label_ms(a.end_ms),
        document_no: a.document_no.clone(),
        no_basis: a.no_basis != 0,
        sample: a.sample != 0,
    }
}

/// The management sections of `from..=to` (Beijing days).
pub async fn management(
    store: &Store,
    settings: &ReportSettings,
    (from, to): (NaiveDate, NaiveDate),
) -> anyhow::Result<Management> {
    let next = to.succ_opt().unwrap_or(to);
    let (from_ms, to_ms) = (ms_of(from), ms_of(next));
    let mut m = Management::default();

    // Source alarms opened in the period, by firm.
    let alarms = store
        .alarms(&lantian_store::alarms::AlarmFilter {
            limit: 1_000_000,
            ..Default::default()
        })
        .await?;
    if alarms.iter().any(|a| a.opened_ms < to_ms) {
        let names: HashMap<String, String> = store.firm_names().await?.into_iter().collect();
        let mut by: std::collections::BTreeMap<String, FirmAlarms> = Default::default();
        let mut s = SourcesSection {
            firms: Vec::new(),
            exceedances: 0,
            anomalies: 0,
            open: 0,
        };
        for a in alarms
            .iter()
            .filter(|a| (from_ms..to_ms).contains(&a.opened_ms))
        {
            let f = by
                .entry(a.credit_code.clone())
                .or_insert_with(|| FirmAlarms {
                    firm: names
                        .get(&a.credit_code)
                        .cloned()
                        .unwrap_or_else(|| a.credit_code.clone()),
                    township: a.township.clone(),
                    sample: a.sample != 0,
                    exceedances: 0,
                    anomalies: 0,
                    open: 0,
                });
            if a.rule == "exceedance" {
                f.exceedances += 1;
                s.exceedances += 1;
            } else {
                f.anomalies += 1;
                s.anomalies += 1;
            }
            if a.state != "closed" {
                f.open += 1;
                s.open += 1;
            }
        }
        s.firms = by.into_values().collect();
        s.firms.sort_by(|a, b| {
            (b.exceedances + b.anomalies, &a.firm).cmp(&(a.exceedances + a.anomalies, &b.firm))
        });
        m.open_alarms = Some(
            alarms
                .iter()
                .filter(|a| matches!(a.state.as_str(), "open" | "acknowledged" | "explained"))
                .count() as u32,
        );
        m.sources = Some(s);
    }

    // Tickets.
    let facts = store.ticket_facts().await?;
    if facts.iter().any(|t| t.created_ms < to_ms) {
        let within = |t: i64| (from_ms..to_ms).contains(&t);
        m.tickets = Some(TicketsSection {
            opened: facts.iter().filter(|t| within(t.created_ms)).count() as u32,
            closed: facts
                .iter()
                .filter(|t| t.ended_ms.is_some_and(within))
                .count() as u32,
            overdue: facts
                .iter()
                .filter(|t| {
                    t.due_ms.is_some_and(|d| {
                        within(d)
                            && t.ended_ms.is_none_or(|e| e > d)
                            && d < to_ms.min(chrono::Utc::now().timestamp_millis())
                    })
                })
                .count() as u32,
            open_at_end: facts
                .iter()
                .filter(|t| t.created_ms < to_ms && t.ended_ms.is_none_or(|e| e >= to_ms))
                .count() as u32,
            sample: settings.label.is_some(),
        });
    }

    // Fire points: the fire ledger of each year the period touches (its
    // merging and charges), the fires detected within the period counted.
    let any_fire = !store
        .fire_points(None, i64::MIN / 2, to_ms / 1000)
        .await?
        .is_empty();
    if any_fire {
        let mut rows: std::collections::BTreeMap<String, (u32, u32, Decimal)> = Default::default();
        let mut points = 0;
        for year in from.year()..=to.year() {
            let (Some(y0), Some(y1)) = (
                NaiveDate::from_ymd_opt(year, 1, 1),
                NaiveDate::from_ymd_opt(year + 1, 1, 1),
            ) else {
                continue;
            };
            let l = crate::http::routes::fires::fire_ledger(
                store,
                ms_of(y0) / 1000,
                ms_of(y1) / 1000,
                None,
            )
            .await?;
            for f in &l.fires {
                let day = f
                    .time
                    .get(..10)
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
                if !day.is_some_and(|d| d >= from && d <= to) {
                    continue;
                }
                let town = f.area.clone().unwrap_or_else(|| "县域外".to_string());
                let r = rows.entry(town).or_default();
                r.0 += 1;
                if f.kind == lantian_fires::Kind::Straw {
                    r.1 += 1;
                }
                r.2 = r.2.checked_add(f.charge_cny).unwrap_or(Decimal::MAX);
                points += 1;
            }
        }
        m.fires = Some(FiresSection {
            points,
            townships: rows
                .into_iter()
                .map(|(t, (n, s, d))| (t, n, s, d))
                .collect(),
            sample: settings.label.is_some(),
        });
    }

    // The ledger at the period's end (or today, if sooner).
    let on = to.min(now_beijing().date());
    if let Some(b) = crate::http::routes::ledger::book(store, &settings.ledger.rules, on, None)
        .await
        .map_err(|e| anyhow!("the ledger: {e:?}"))?
        && NaiveDate::parse_from_str(&b.plan.ledger_start, "%Y-%m-%d").is_ok_and(|s| s <= to)
    {
        use lantian_ledger::tasks::Light;
        let count = |l: Light| {
            b.tasks
                .iter()
                .filter(|(_, st, _)| !st.done && st.light == l)
                .count() as u32
        };
        m.ledger = Some(LedgerSection {
            plan: b.plan.name.clone(),
            tasks: b.tasks.len() as u32,
            done: b.tasks.iter().filter(|(_, st, _)| st.done).count() as u32,
            green: count(Light::Green),
            yellow: count(Light::Yellow),
            red: count(Light::Red),
            sample: b.plan.sample != 0,
        });
    }

    // Alerts in force at any time of the period.
    let alerts = store.alerts(10_000).await?;
    if alerts.iter().any(|a| a.created_ms < to_ms) {
        m.alerts = Some(
            alerts
                .iter()
                .filter(|a| {
                    a.start_ms.is_some_and(|s| s < to_ms) && a.end_ms.is_none_or(|e| e >= from_ms)
                })
                .map(alert_row)
                .collect(),
        );
    }
    Ok(m)
}

/// The assessment of `from..=to` as `lantian assess --database` makes it
/// (reviewed data unless `mode` is raw), with the townships of the sites.
pub async fn assessment(
    store: &Store,
    settings: &ReportSettings,
    (from, to): (NaiveDate, NaiveDate),
    mode: DataMode,
) -> anyhow::Result<(lantian_assess::Assessment, HashMap<String, String>)> {
    let (dataset, _) = lantian_assess::load_store(store).await?;
    let marks = if mode == DataMode::Raw {
        Vec::new()
    } else {
        lantian_assess::review_marks(store).await?
    };
    let areas = match store.township_boundaries().await? {
        Some(b) => lantian_fires::Areas::from_geojson(&b.geojson, &b.name_property).ok(),
        None => None,
    };
    let mut townships = HashMap::new();
    for d in store.devices_bulk().await? {
        if d.spec.kind != lantian_types::DeviceKind::Ambient {
            continue;
        }
        let mut site = d.spec.site.clone();
        super::figures::placed(&mut site, areas.as_ref());
        if let Some(t) = site.township {
            townships.insert(site.code.to_string(), t);
        }
    }
    let req = Request {
        settings: Settings::default(),
        targets: settings.targets,
        exclude: Vec::new(),
        periods: Periods::Range(from, to),
    };
    let review = settings.review;
    let a = tokio::task::spawn_blocking(move || {
        lantian_assess::review::assess_reviewed(dataset, &marks, &review, mode, &req)
    })
    .await?
    .map_err(|u| {
        anyhow!(
            "no usable station data in the database ({} rows unreadable)",
            u.0.issues.len()
        )
    })?;
    Ok((a, townships))
}

/// The range of days a period covers (an episode: its alert's days).
async fn range_of(store: &Store, p: Period) -> anyhow::Result<(NaiveDate, NaiveDate)> {
    let bad = || anyhow!("period {} is out of range", p.key());
    Ok(match p {
        Period::Day(d) => (d, d),
        Period::Month(d) => {
            let first = d.with_day(1).ok_or_else(bad)?;
            let last = first
                .checked_add_months(chrono::Months::new(1))
                .and_then(|x| x.pred_opt())
                .ok_or_else(bad)?;
            (first, last)
        }
        Period::Year(y) => lantian_assess::year_bounds(y).ok_or_else(bad)?,
        Period::Episode(id) => {
            let a = store
                .alert(id)
                .await?
                .ok_or_else(|| anyhow!("alert {id} does not exist"))?;
            let start = a
                .start_ms
                .ok_or_else(|| anyhow!("alert {id} was never issued (state {})", a.state))?;
            let from = beijing_ms(start).ok_or_else(bad)?.date();
            let to = a
                .end_ms
                .and_then(beijing_ms)
                .map_or_else(|| now_beijing().date(), |t| t.date());
            (from, to.max(from))
        }
    })
}

/// The model of a report, made at `made_at` (Beijing).
pub async fn gather(
    store: &Store,
    settings: &ReportSettings,
    period: Period,
    mode: DataMode,
    made_at: NaiveDateTime,
) -> anyhow::Result<Report> {
    let (from, to) = range_of(store, period).await?;
    // The monthly and daily reports compare with the year to date and
    // last year, so the assessment covers the data; the period picks.
    let (a, townships) = assessment(store, settings, (from, to), mode).await?;
    // The data label: the configured one, else the one the database was
    // stamped with (`lantian demo` stamps its sample label).
    let sample = match &settings.label {
        Some(l) => Some(l.clone()),
        None => store
            .document(DATA_LABEL)
            .await?
            .filter(|l| !l.trim().is_empty()),
    };
    let ctx = Context {
        county: settings.county.clone(),
        sample,
        basis: match mode {
            DataMode::Reviewed => "审核数据（剔除审核标记为无效的小时）".into(),
            DataMode::Raw => "原始数据（未经审核）".into(),
        },
        source: settings.source.clone(),
        made_at,
        targets: settings.targets,
        townships,
    };
    let r = match period {
        Period::Day(d) => {
            let m = management(store, settings, (d, d)).await?;
            Report::Daily(model::daily(&a, d, &ctx, m)?)
        }
        Period::Month(d) => {
            let m = management(store, settings, (from, to)).await?;
            Report::Monthly(model::monthly(&a, d, &ctx, m)?)
        }
        Period::Year(y) => {
            let m = management(store, settings, (from, to)).await?;
            Report::Annual(model::annual(&a, y, &ctx, m)?)
        }
        Period::Episode(id) => {
            let row = store
                .alert(id)
                .await?
                .ok_or_else(|| anyhow!("alert {id} does not exist"))?;
            let steps = store
                .alert_history(id)
                .await?
                .into_iter()
                .map(|s| StepRow {
                    at: label_ms(Some(s.at_ms)).unwrap_or_default(),
                    step: s.step,
                    level: s.level,
                    actor: s.actor,
                    note: s.note,
                })
                .collect();
            // Each day's forecast: the latest issued before the day began.
            let mut forecast = HashMap::new();
            let mut d = from;
            while d <= to {
                let rows = store.forecast_history(&d.to_string()).await?;
                let cut = ms_of(d);
                let pick = rows
                    .iter()
                    .filter(|r| r.issued_ms < cut)
                    .max_by_key(|r| r.issued_ms)
                    .or_else(|| rows.iter().min_by_key(|r| r.issued_ms));
                if let Some(r) = pick {
                    forecast.insert(d, (r.aqi, r.primary_pollutant.clone()));
                }
                d = match d.succ_opt() {
                    Some(n) => n,
                    None => break,
                };
            }
            let firms = episode_firms(store, &row, &settings.compliance).await?;
            Report::Episode(model::episode(
                &a,
                alert_row(&row),
                steps,
                (from, to),
                &forecast,
                firms,
                &ctx,
            )?)
        }
    };
    Ok(r)
}

/// The firms' compliance over an alert, as the compliance API gives it to
/// the bureau (every firm); `None` when no firm is registered.
async fn episode_firms(
    store: &Store,
    row: &lantian_store::alerts::AlertRow,
    set: &lantian_alerts::compliance::Settings,
) -> anyhow::Result<Option<model::FirmsSection>> {
    let stored = store.firms().await?;
    if stored.is_empty() {
        return Ok(None);
    }
    let steps = store.alert_history(row.id).await?;
    let refs: Vec<&lantian_sources::register::Firm> = stored.iter().map(|f| &f.firm).collect();
    let now = chrono::Utc::now().timestamp_millis();
    let mut e = crate::compliance::evaluate(store, row, &steps, &refs, set, now).await?;
    let order = |v: &str| match v {
        "violated" => 0,
        "raised_before" => 1,
        "complied" => 2,
        _ => 3,
    };
    e.firms.sort_by(|x, y| {
        order(&x.verdict)
            .cmp(&order(&y.verdict))
            .then(y.violations.cmp(&x.violations))
            .then(x.name.cmp(&y.name))
    });
    let n = |v: &str| e.firms.iter().filter(|f| f.verdict == v).count();
    let (judged, ok) = e.firms.iter().fold((0, 0), |(j, k), f| {
        (j + f.complied + f.violations, k + f.complied)
    });
    Ok(Some(model::FirmsSection {
        hours: e.hours,
        compliance_rate: crate::compliance::rate(ok, judged),
        complied: n("complied"),
        violated: n("violated"),
        raised_before: n("raised_before"),
        no_data: n("no_data"),
        firms: e
            .firms
            .iter()
            .map(|f| model::FirmRow {
                credit_code: f.credit_code.clone(),
                name: f.name.clone(),
                township: f.township.clone(),
                basis: match f.basis.as_str() {
                    "electricity" => "生产用电（kW）".to_string(),
                    "none" => "无".to_string(),
                    b => format!("CEMS {}（kg/h）", b.trim_start_matches("cems:")),
                },
                measures: f
                    .spans
                    .iter()
                    .map(|x| format!("{}：{}", x.level_zh, x.action_zh))
                    .collect::<Vec<_>>()
                    .join("；"),
                complied: f.complied,
                violations: f.violations,
                not_stopped: f.not_stopped,
                not_limited: f.not_limited,
                no_data: f.no_data,
                compliance_rate: f.compliance_rate.clone(),
                required_cut_percent: f.required_cut_percent,
                achieved_cut_percent: f.achieved_cut_percent.clone(),
                raised_before: f.raised_before,
                verdict_zh: f.verdict_zh.clone(),
                sample: f.sample,
            })
            .collect(),
    }))
}

static FONTS: OnceLock<lantian_report::pdf::Fonts> = OnceLock::new();

/// The CJK font, found once per process (looked for again after a miss:
/// installing it needs no restart).
pub fn fonts() -> anyhow::Result<&'static lantian_report::pdf::Fonts> {
    if let Some(f) = FONTS.get() {
        return Ok(f);
    }
    let found = lantian_report::pdf::Fonts::find()?;
    Ok(FONTS.get_or_init(|| found))
}

/// The report's PDF.
pub fn pdf(r: &Report) -> anyhow::Result<Vec<u8>> {
    Ok(lantian_report::pdf::render(r, fonts()?)?)
}

/// The report's workbook.
pub fn xlsx(r: &Report) -> anyhow::Result<Vec<u8>> {
    lantian_report::xlsx::render(r).map_err(|e| anyhow!("the workbook: {e}"))
}

/// What [`make`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Made (the archive row's id).
    Made(i64),
    /// Another node is making it, or it exists (and no remake was asked).
    Busy(i64),
    Exists(i64),
}

/// Claims the making of `period` for this node (`remake`: even if it is
/// archived), with the parameters it is made with.
pub async fn claim(
    store: &Store,
    settings: &ReportSettings,
    period: Period,
    by: &str,
    remake: bool,
) -> Result<Claim, lantian_store::Error> {
    let params = serde_json::json!({"kind": period.kind().code(), "period": period.key(), "data": "reviewed"})
        .to_string();
    store
        .claim_report(
            period.kind().code(),
            &period.key(),
            &params,
            by,
            &settings.node,
            remake,
            settings.stale_s as i64 * 1000,
        )
        .await
}

/// Claims, makes and archives a report (`remake`: even if archived).
pub async fn make(
    store: &Store,
    settings: &ReportSettings,
    period: Period,
    by: &str,
    remake: bool,
) -> anyhow::Result<Outcome> {
    let (id, version) = match claim(store, settings, period, by, remake).await? {
        Claim::Won(id, v) => (id, v),
        Claim::Busy(id) => return Ok(Outcome::Busy(id)),
        Claim::Exists(id) => return Ok(Outcome::Exists(id)),
    };
    make_claimed(store, settings, period, id, version, by).await?;
    Ok(Outcome::Made(id))
}

/// Makes version `version` of archive row `id` (claimed by the caller)
/// and keeps the files, or the error.
pub async fn make_claimed(
    store: &Store,
    settings: &ReportSettings,
    period: Period,
    id: i64,
    version: i64,
    by: &str,
) -> anyhow::Result<()> {
    let _permit = settings
        .making
        .acquire()
        .await
        .map_err(|_| anyhow!("the server is stopping"))?;
    match build(store, settings, period, id, version).await {
        Ok((model, pdf, xlsx, sample, public_pdf)) => {
            store
                .finish_report(
                    id,
                    version,
                    Ok(Made {
                        pdf: &pdf,
                        xlsx: &xlsx,
                        model: &model,
                        sample,
                        public_pdf: public_pdf.as_deref(),
                    }),
                    by,
                )
                .await?;
            Ok(())
        }
        Err(e) => {
            store
                .finish_report(id, version, Err(format!("{e:#}")), by)
                .await?;
            Err(e)
        }
    }
}

type Built = (String, Vec<u8>, Vec<u8>, bool, Option<Vec<u8>>);

async fn build(
    store: &Store,
    settings: &ReportSettings,
    period: Period,
    id: i64,
    version: i64,
) -> anyhow::Result<Built> {
    store.report_progress(id, version, "reading").await?;
    let r = gather(store, settings, period, DataMode::Reviewed, now_beijing()).await?;
    store.report_progress(id, version, "typesetting").await?;
    let model = serde_json::to_string(&r)?;
    let sample = r.meta().sample.is_some();
    // A finished year's report is public, in a copy without what only the
    // county's offices may read.
    let public = matches!(period, Period::Year(y) if y < now_beijing().year());
    let (pdf, xlsx, public_pdf) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let copy = if public {
            Some(self::pdf(&r.public_copy())?)
        } else {
            None
        };
        Ok((pdf(&r)?, xlsx(&r)?, copy))
    })
    .await
    .context("typesetting stopped")??;
    Ok((model, pdf, xlsx, sample, public_pdf))
}

/// A failed report (not for want of data) is tried again after this long.
pub const RETRY_MS: i64 = 15 * 60 * 1000;

/// What is due at `now` (Beijing): the briefs of the last three days
/// (yesterday's once `daily_at` has passed), and last month's report (on
/// the 1st once `monthly_at` has passed); made ones are skipped by the
/// archive.
pub fn due(settings: &ReportSettings, now: NaiveDateTime) -> Vec<Period> {
    let mut v = Vec::new();
    let today = now.date();
    let first_back = if now.time() >= settings.daily_at {
        1
    } else {
        2
    };
    for back in first_back..=3 {
        if let Some(d) = today.checked_sub_days(chrono::Days::new(back)) {
            v.push(Period::Day(d));
        }
    }
    let month_due = today.day() > 1 || now.time() >= settings.monthly_at;
    if month_due
        && let Some(first) = today.with_day(1)
        && let Some(last) = first.pred_opt()
        && let Some(m) = last.with_day(1)
    {
        v.push(Period::Month(m));
    }
    v
}

/// Whether an archived report should be made again by the schedule: it
/// failed, not for want of data, long enough ago.
fn retry(r: &lantian_store::reports::ReportRow, now_ms: i64) -> bool {
    r.state == "failed"
        && !r
            .error
            .as_deref()
            .unwrap_or_default()
            .starts_with("no data")
        && r.done_ms.is_some_and(|d| d + RETRY_MS <= now_ms)
}

/// Makes what is due every `every` until `stop` says so.
pub async fn run(
    store: Store,
    settings: Arc<ReportSettings>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        for p in due(&settings, now_beijing()) {
            let mut outcome = make(&store, &settings, p, "schedule", false).await;
            if let Ok(Outcome::Exists(id)) = outcome
                && let Ok(Some(row)) = store.report(id).await
                && retry(&row, chrono::Utc::now().timestamp_millis())
            {
                outcome = make(&store, &settings, p, "schedule", true).await;
            }
            match outcome {
                Ok(Outcome::Made(id)) => {
                    tracing::info!(report = id, kind = p.kind().code(), period = %p.key(), "report made")
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(kind = p.kind().code(), period = %p.key(), error = %format!("{e:#}"), "report not made")
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Checks a kind and period from a request or the terminal.
pub fn period_of(kind: &str, key: &str) -> anyhow::Result<Period> {
    Period::parse(kind, key).map_err(|e| anyhow!(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_and_name_what_is_wrong() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            Period::parse("daily", "2016-05-03"),
            Ok(Period::Day(d("2016-05-03")))
        );
        assert_eq!(
            Period::parse("monthly", "2016-05").unwrap().key(),
            "2016-05"
        );
        assert_eq!(Period::parse("annual", "2016"), Ok(Period::Year(2016)));
        assert_eq!(Period::parse("episode", "7"), Ok(Period::Episode(7)));
        assert!(
            Period::parse("monthly", "2016-13")
                .unwrap_err()
                .contains("YYYY-MM")
        );
        assert!(
            Period::parse("weekly", "x")
                .unwrap_err()
                .contains("daily, monthly")
        );
        assert!(Period::parse("episode", "-1").is_err());
        if let Err(e) = period_of("annual", "20x6") {
            assert!(e.to_string().contains("20x6"));
        } else {
            panic!("20x6 read as a year");
        }
    }

    #[test]
    fn the_brief_is_due_after_its_hour_and_the_month_on_the_first() {
        let s = ReportSettings::new("sqlite://x.db");
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        let d = |m, d| Period::Day(NaiveDate::from_ymd_opt(2026, m, d).unwrap());
        let nov = Period::Month(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
        // Before 07:30 yesterday's brief is not due yet; the days before are.
        assert_eq!(
            due(&s, t("2026-12-03 07:00")),
            vec![d(12, 1), d(11, 30), nov]
        );
        assert_eq!(
            due(&s, t("2026-12-03 07:30")),
            vec![d(12, 2), d(12, 1), d(11, 30), nov]
        );
        // On the 1st, last month's report after 08:00 only.
        assert_eq!(
            due(&s, t("2026-12-01 07:45")),
            vec![d(11, 30), d(11, 29), d(11, 28)]
        );
        assert_eq!(
            due(&s, t("2026-12-01 09:00")),
            vec![d(11, 30), d(11, 29), d(11, 28), nov]
        );
        assert_eq!(
            due(&s, t("2027-01-01 09:00")).last(),
            Some(&Period::Month(
                NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
            ))
        );
        assert_eq!(
            source_label("postgres://u:secret@db:5432/lantian?password=x"),
            "PostgreSQL lantian"
        );
        assert_eq!(
            source_label("sqlite:///srv/data/lantian-demo.db"),
            "SQLite lantian-demo.db"
        );
        assert_eq!(source_label("sqlite://x.db"), "SQLite x.db");
    }
}
