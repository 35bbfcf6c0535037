//! The emergency reduction list (应急减排清单): per firm × line × level the
//! measure (from the firm's grade by the versioned templates, the white
//! list applied — or as the bureau edited or imported it), what it is
//! measured by, the line's normal emissions and the cuts expected of it
//! (t/d of SO2, NOx, PM and VOCs); every change kept with who and when; the
//! workbook out and in; and the county's check — the list's expected cuts
//! at each level against the county's whole-society emissions (10/20/30 %
//! by `rules/county_cuts.tsv`), the shortfall named. Reading is for those
//! who see the firms (a township its own, a firm itself; the county's check
//! for the bureau and departments); changing is the bureau's.

use std::collections::HashMap;
use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use lantian_alerts::classify::Level;
use lantian_alerts::measures::{Action as M, Templates};
use lantian_alerts::reduction::{self, Amounts, CountyRules, POLLUTANTS};
use lantian_sources::register::{Firm, Issue, Table};
use lantian_sources::workbook;
use lantian_store::reduction::{ReductionPut, ReductionRow};
use lantian_types::time::{now_beijing, shanghai_ms};
use rust_decimal::Decimal;

use super::enterprises::{IssueView, firm_object, own_object, visible};
use super::json;
use super::tickets::now_ms;
use crate::http::HttpState;
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::export::download;
use crate::http::extract::{Json, Query};
use crate::policy::{Action, Object};

const LEVELS: [Level; 3] = [Level::Yellow, Level::Orange, Level::Red];
const SHEET: &str = "应急减排清单";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// The line of a firm registered without lines.
const WHOLE: &str = "全厂";

/// An action's key and percent.
fn action_key(a: M) -> (&'static str, Option<i64>) {
    match a {
        M::None => ("none", None),
        M::Voluntary => ("voluntary", None),
        M::Limit(p) => ("limit", Some(p.into())),
        M::Stop => ("stop", None),
        M::MaxLoad(p) => ("max_load", Some(p.into())),
    }
}

/// An action from its key (or Chinese name) and percent: its key as kept,
/// and the measure its expected cuts are reckoned by. 错峰生产 (stagger:
/// `percent` of the production time stopped, e.g. by shifts or days) cuts
/// that share, as a limit of the same percent would.
fn parse_action(key: &str, percent: Option<i64>) -> Result<(&'static str, M), String> {
    match key.trim() {
        "stagger" | "错峰生产" => {
            let p = percent
                .filter(|p| (1..=100).contains(p))
                .ok_or_else(|| format!("`{key}` needs a percent from 1 to 100"))?;
            Ok(("stagger", M::Limit(p as u8)))
        }
        k => {
            let m = action_of(k, percent)?;
            Ok((action_key(m).0, m))
        }
    }
}

/// An action from its key (or Chinese name) and percent.
fn action_of(key: &str, percent: Option<i64>) -> Result<M, String> {
    let p = || {
        percent
            .filter(|p| (1..=100).contains(p))
            .map(|p| p as u8)
            .ok_or_else(|| format!("`{key}` needs a percent from 1 to 100"))
    };
    match key.trim() {
        "none" | "无" | "无强制措施" => Ok(M::None),
        "voluntary" | "自主减排" => Ok(M::Voluntary),
        "stop" | "停产" => Ok(M::Stop),
        "limit" | "限产" => Ok(M::Limit(p()?)),
        "max_load" | "负荷上限" => Ok(M::MaxLoad(p()?)),
        other => Err(format!(
            "action `{other}`: none, voluntary, stop, limit, max_load or stagger (无, 自主减排, 停产, 限产, 负荷上限, 错峰生产)"
        )),
    }
}

fn level_of(s: &str) -> Option<Level> {
    match s.trim() {
        "黄色" | "黄色预警" => Some(Level::Yellow),
        "橙色" | "橙色预警" => Some(Level::Orange),
        "红色" | "红色预警" => Some(Level::Red),
        x => Level::parse(x).filter(|l| l.is_coloured()),
    }
}

fn basis_of(s: &str) -> Option<&'static str> {
    let s = s.trim();
    reduction::BASES
        .iter()
        .find(|b| b.0 == s || b.1 == s)
        .map(|b| b.0)
}

/// Reads t/d: a non-negative decimal, three decimals at most.
fn tons(s: &str, what: &str) -> Result<Decimal, String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(Decimal::ZERO);
    }
    let d = Decimal::from_str(t).map_err(|_| format!("{what} `{t}`: a number of t/d"))?;
    if d.is_sign_negative() || d.scale() > 3 {
        return Err(format!(
            "{what} `{t}`: not negative, at most three decimals"
        ));
    }
    Ok(d.normalize())
}

fn amounts_text(a: &Amounts) -> String {
    a.iter()
        .map(|x| x.normalize().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

fn amounts_of(s: &str) -> Amounts {
    let mut out = [Decimal::ZERO; 4];
    for (i, x) in s.split_whitespace().take(4).enumerate() {
        out[i] = Decimal::from_str(x).unwrap_or_default();
    }
    out
}

/// A row of the list as pages show it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LineView {
    pub credit_code: String,
    pub firm: String,
    pub township: String,
    pub line: String,
    pub line_name: String,
    /// yellow, orange, red
    pub level: String,
    pub level_zh: String,
    /// none, voluntary, stop, limit, max_load, stagger
    pub action: String,
    pub percent: Option<i64>,
    pub action_zh: String,
    /// output, feed, kilns, electricity
    pub basis: String,
    pub basis_zh: String,
    /// Normal emissions, t/d: SO2, NOx, PM, VOCs.
    pub normal: Vec<String>,
    /// Expected cuts, t/d, in the same order.
    pub expected: Vec<String>,
    /// template, white_list, edited, imported
    pub origin: String,
    pub note: String,
    pub version: i64,
    pub updated: Option<String>,
    pub updated_by: String,
    pub sample: bool,
}

fn view(r: &ReductionRow, firm: Option<&Firm>) -> LineView {
    let level = Level::parse(&r.level).unwrap_or(Level::None);
    let act = parse_action(&r.action, r.percent).map_or(M::None, |a| a.1);
    LineView {
        credit_code: r.credit_code.clone(),
        firm: firm.map_or_else(String::new, |f| f.name.clone()),
        township: firm.map_or_else(String::new, |f| f.township.clone()),
        line: r.line.clone(),
        line_name: firm
            .and_then(|f| f.lines.iter().find(|l| l.code == r.line))
            .map_or_else(|| r.line.clone(), |l| l.name.clone()),
        level: r.level.clone(),
        level_zh: level.name_zh().into(),
        action: r.action.clone(),
        percent: r.percent,
        action_zh: if r.action == "stagger" {
            format!("错峰生产 {}%", r.percent.unwrap_or_default())
        } else {
            act.name_zh()
        },
        basis: r.basis.clone(),
        basis_zh: reduction::basis_zh(&r.basis).unwrap_or("").into(),
        normal: amounts_of(&r.normal)
            .iter()
            .map(|x| x.normalize().to_string())
            .collect(),
        expected: amounts_of(&r.expected)
            .iter()
            .map(|x| x.normalize().to_string())
            .collect(),
        origin: r.origin.clone(),
        note: r.note.clone(),
        version: r.version,
        updated: shanghai_ms(r.updated_ms),
        updated_by: r.updated_by.clone(),
        sample: r.sample != 0,
    }
}

/// One pollutant of the county's check.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CheckView {
    pub pollutant: String,
    pub inventory: Option<String>,
    pub expected: String,
    pub percent: Option<String>,
    pub required_percent: u8,
    pub shortfall: Option<String>,
    pub met: Option<bool>,
}

/// The county's check at one level.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LevelCheck {
    pub level: String,
    pub level_zh: String,
    pub required_percent: u8,
    pub pollutants: Vec<CheckView>,
    /// Every pollutant with an inventory reaches the share (none: no
    /// inventory entered, nothing to check against).
    pub met: Option<bool>,
}

/// The county's whole-society emissions of a pollutant.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryItem {
    /// SO2, NOx, PM or VOCs
    pub pollutant: String,
    /// t/d
    pub t_per_day: String,
    #[serde(default)]
    pub year: Option<i64>,
    /// The inventory's source (编制单位、文号).
    #[serde(default)]
    pub document: String,
}

/// The list.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ReductionList {
    /// The measures' templates and the county rules' versions.
    pub templates: String,
    pub county_rules: String,
    pub lines: Vec<LineView>,
    /// For the bureau and departments: the county's check by level.
    pub check: Option<Vec<LevelCheck>>,
    pub inventory: Vec<InventoryItem>,
    pub sample: bool,
}

/// `?firm=&format=`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// One firm's rows (its credit code).
    pub firm: Option<String>,
    /// json (default) or xlsx.
    pub format: Option<String>,
}

fn checks(
    rows: &[ReductionRow],
    inventory: &[InventoryItem],
    rules: &CountyRules,
) -> Vec<LevelCheck> {
    let inv: [Option<Decimal>; 4] = POLLUTANTS.map(|p| {
        inventory
            .iter()
            .find(|i| i.pollutant == p)
            .and_then(|i| Decimal::from_str(&i.t_per_day).ok())
    });
    LEVELS
        .iter()
        .filter_map(|l| Some((*l, rules.of(*l)?)))
        .map(|(l, req)| {
            let sums: Vec<Amounts> = rows
                .iter()
                .filter(|r| r.level == l.as_str())
                .map(|r| amounts_of(&r.expected))
                .collect();
            let t = reduction::total(&sums);
            let rows = reduction::county_check(&t, &inv, req);
            LevelCheck {
                level: l.as_str().into(),
                level_zh: l.name_zh().into(),
                required_percent: req,
                met: rows
                    .iter()
                    .any(|r| r.met.is_some())
                    .then(|| rows.iter().all(|r| r.met != Some(false))),
                pollutants: rows
                    .iter()
                    .map(|r| CheckView {
                        pollutant: r.pollutant.into(),
                        inventory: r.inventory.map(|x| x.normalize().to_string()),
                        expected: r.expected.normalize().to_string(),
                        percent: r.percent.map(|x| x.to_string()),
                        required_percent: r.required_percent,
                        shortfall: r.shortfall.map(|x| x.normalize().to_string()),
                        met: r.met,
                    })
                    .collect(),
            }
        })
        .collect()
}

async fn inventory_items(s: &HttpState) -> ApiResult<Vec<InventoryItem>> {
    Ok(s.store
        .inventory()
        .await?
        .into_iter()
        .map(|r| InventoryItem {
            pollutant: r.pollutant,
            t_per_day: r.t_per_day,
            year: r.year,
            document: r.document,
        })
        .collect())
}

const HEADERS: [&str; 16] = [
    "统一社会信用代码",
    "企业名称",
    "生产线",
    "预警级别",
    "措施",
    "比例(%)",
    "依据",
    "SO2排放(t/d)",
    "NOx排放(t/d)",
    "PM排放(t/d)",
    "VOCs排放(t/d)",
    "SO2减排(t/d)",
    "NOx减排(t/d)",
    "PM减排(t/d)",
    "VOCs减排(t/d)",
    "备注",
];

/// The list (JSON, or the workbook with `?format=xlsx`): the rows of the
/// firms the caller may see; the county's check for the bureau and
/// departments.
#[utoipa::path(get, path = "/api/v1/reduction-list", tag = "alerts", params(ListQuery),
    responses(
        (status = 200, description = "The list", body = ReductionList),
        (status = 400, description = "A bad format"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "A role that sees no firms, or another firm's rows"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn list(
    State(s): State<HttpState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    let firms = visible(&s, &caller).await?;
    if let Some(code) = &q.firm {
        let f = s
            .store
            .firm(code)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no firm {code}")))?;
        caller.may(Action::ReadSources, firm_object(&f.firm))?;
    }
    let by_code: HashMap<&str, &Firm> = firms
        .iter()
        .map(|f| (f.firm.credit_code.as_str(), &f.firm))
        .collect();
    let rows: Vec<ReductionRow> = s
        .store
        .reduction_rows(q.firm.as_deref())
        .await?
        .into_iter()
        .filter(|r| by_code.contains_key(r.credit_code.as_str()))
        .collect();
    match q.format.as_deref().unwrap_or("json") {
        "json" => {}
        "xlsx" => {
            let table = Table {
                sheet: SHEET.into(),
                header: HEADERS.iter().map(|h| h.to_string()).collect(),
                rows: rows
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let v = view(r, by_code.get(r.credit_code.as_str()).copied());
                        let mut cells = vec![
                            v.credit_code,
                            v.firm,
                            v.line,
                            v.level_zh
                                .trim_end_matches("预警")
                                .chars()
                                .take(2)
                                .collect(),
                            match v.action.as_str() {
                                "none" => "无",
                                "voluntary" => "自主减排",
                                "stop" => "停产",
                                "limit" => "限产",
                                "stagger" => "错峰生产",
                                _ => "负荷上限",
                            }
                            .to_string(),
                            v.percent.map(|p| p.to_string()).unwrap_or_default(),
                            v.basis_zh,
                        ];
                        cells.extend(v.normal);
                        cells.extend(v.expected);
                        cells.push(v.note);
                        (i as u32 + 2, cells)
                    })
                    .collect(),
            };
            let bytes = workbook::write_xlsx(&[table]).map_err(|e| {
                tracing::error!(error = %e, "reduction list export");
                ApiError::Internal("the workbook could not be written")
            })?;
            return Ok(download(XLSX, "应急减排清单.xlsx", bytes));
        }
        f => return Err(ApiError::bad(format!("format `{f}`: json or xlsx"))),
    }
    let county = caller.may(Action::ReadSources, Object::County).is_ok();
    let inventory = if county {
        inventory_items(&s).await?
    } else {
        Vec::new()
    };
    let rules = CountyRules::default();
    Ok(json(&ReductionList {
        templates: Templates::default().version,
        county_rules: rules.version.clone(),
        check: county.then(|| checks(&rows, &inventory, &rules)),
        sample: rows.iter().any(|r| r.sample != 0),
        lines: rows
            .iter()
            .map(|r| view(r, by_code.get(r.credit_code.as_str()).copied()))
            .collect(),
        inventory,
    }))
}

/// `{"overwrite": false}`.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateRequest {
    /// Also replace rows the bureau edited or imported (default: keep them).
    #[serde(default)]
    pub overwrite: bool,
}

/// What a generation or an import did.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PutReport {
    pub rows: usize,
    pub changed: usize,
    /// Rows kept because the bureau edited or imported them.
    pub kept: usize,
    pub issues: Vec<IssueView>,
}

/// The rows a firm's register record asks for: each line (or the whole
/// firm) × level, the measure by its grade and white list on `day`, its
/// normal emissions kept from the row before (`normal` for a new row).
pub fn template_rows(
    f: &Firm,
    old: &HashMap<(String, String, String), ReductionRow>,
    normal: &Amounts,
    day: chrono::NaiveDate,
    t: &Templates,
) -> Vec<ReductionPut> {
    let lines: Vec<String> = if f.lines.is_empty() {
        vec![WHOLE.to_string()]
    } else {
        f.lines.iter().map(|l| l.code.clone()).collect()
    };
    let basis = if f
        .meters
        .iter()
        .any(|m| m.role == lantian_sources::power::MeterRole::Production)
    {
        "electricity"
    } else {
        "output"
    };
    let mut out = Vec::new();
    for line in lines {
        for level in LEVELS {
            let m = crate::compliance::measure_of(f, level, day, t);
            let key = (
                f.credit_code.clone(),
                line.clone(),
                level.as_str().to_string(),
            );
            let normal = old.get(&key).map_or(*normal, |r| amounts_of(&r.normal));
            let (action, percent) = action_key(m.action);
            out.push(ReductionPut {
                credit_code: f.credit_code.clone(),
                line: line.clone(),
                level: level.as_str().into(),
                action: action.into(),
                percent,
                basis: old.get(&key).map_or(basis.to_string(), |r| r.basis.clone()),
                normal: amounts_text(&normal),
                expected: amounts_text(&reduction::expected_cuts(m.action, &normal)),
                origin: if m.basis.starts_with("白名单") {
                    "white_list"
                } else {
                    "template"
                }
                .into(),
                note: m.basis,
                sample: f.sample,
                read_version: None,
                must_be_new: false,
                keep_edited: false,
            });
        }
    }
    out
}

/// Make the list from the register: every firm × line × level with the
/// measure its grade and white list give today (templates `measures.tsv`);
/// rows the bureau edited or imported are kept unless `overwrite`.
#[utoipa::path(post, path = "/api/v1/reduction-list/generate", tag = "alerts", request_body = GenerateRequest,
    responses(
        (status = 200, description = "What changed", body = PutReport),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user, or missing X-CSRF-Token"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn generate(
    State(s): State<HttpState>,
    caller: Caller,
    Json(req): Json<GenerateRequest>,
) -> ApiResult<Response> {
    caller.may(Action::ManageSources, Object::County)?;
    let old: HashMap<(String, String, String), ReductionRow> = s
        .store
        .reduction_rows(None)
        .await?
        .into_iter()
        .map(|r| ((r.credit_code.clone(), r.line.clone(), r.level.clone()), r))
        .collect();
    let t = Templates::default();
    let day = now_beijing().date();
    let mut rows = Vec::new();
    let mut kept = 0;
    for sf in s.store.firms().await? {
        for r in template_rows(&sf.firm, &old, &[Decimal::ZERO; 4], day, &t) {
            let key = (r.credit_code.clone(), r.line.clone(), r.level.clone());
            if !req.overwrite
                && old
                    .get(&key)
                    .is_some_and(|o| o.origin == "edited" || o.origin == "imported")
            {
                kept += 1;
                continue;
            }
            rows.push(ReductionPut {
                keep_edited: !req.overwrite,
                ..r
            });
        }
    }
    let changed = s
        .store
        .put_reduction(&rows, &caller.user.username, now_ms())
        .await?;
    Ok(json(&PutReport {
        rows: rows.len() + kept,
        changed,
        kept,
        issues: Vec::new(),
    }))
}

/// An edit of one row.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditRequest {
    /// none, voluntary, stop, limit, max_load, stagger (错峰生产: the share of
    /// the production time stopped)
    pub action: String,
    pub percent: Option<i64>,
    /// output, feed, kilns, electricity
    pub basis: String,
    /// Normal emissions, t/d: SO2, NOx, PM, VOCs.
    pub normal: [String; 4],
    #[serde(default)]
    pub note: String,
    /// The version read (absent: the row is new).
    pub version: Option<i64>,
}

/// Edit a row of the list (the bureau): its measure, basis and normal
/// emissions; the expected cuts follow. A row changed since the version
/// read is refused (409).
#[utoipa::path(put, path = "/api/v1/reduction-list/{code}/{line}/{level}", tag = "alerts", request_body = EditRequest,
    params(("code" = String, Path, description = "The firm's credit code"), ("line" = String, Path, description = "The line's code"), ("level" = String, Path, description = "yellow, orange or red")),
    responses(
        (status = 200, description = "The row", body = LineView),
        (status = 400, description = "A bad action, percent, basis, amount or level"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user, or missing X-CSRF-Token"),
        (status = 404, description = "No such firm or line"),
        (status = 409, description = "Changed since the version read"),
        (status = 415, description = "The body is not sent as application/json"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn edit(
    State(s): State<HttpState>,
    caller: Caller,
    Path((code, line, level)): Path<(String, String, String)>,
    Json(req): Json<EditRequest>,
) -> ApiResult<Response> {
    caller.may(Action::ManageSources, Object::County)?;
    let f = s
        .store
        .firm(&code)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no firm {code}")))?
        .firm;
    // 全厂 is the one line of a firm registered without lines.
    if (line == WHOLE) != f.lines.is_empty()
        || (line != WHOLE && !f.lines.iter().any(|l| l.code == line))
    {
        return Err(ApiError::NotFound(format!(
            "firm {code} has no line {line} (全厂 only for a firm registered without lines)"
        )));
    }
    let lv = level_of(&level)
        .ok_or_else(|| ApiError::bad(format!("level `{level}`: yellow, orange or red")))?;
    let (key, act) = parse_action(&req.action, req.percent).map_err(ApiError::bad)?;
    let basis = basis_of(&req.basis).ok_or_else(|| {
        ApiError::bad(format!(
            "basis `{}`: output, feed, kilns or electricity",
            req.basis
        ))
    })?;
    let mut normal = [Decimal::ZERO; 4];
    for (i, x) in req.normal.iter().enumerate() {
        normal[i] = tons(x, &format!("normal {}", POLLUTANTS[i])).map_err(ApiError::bad)?;
    }
    let note =
        crate::http::extract::optional_line(Some(&req.note), "note", 200)?.unwrap_or_default();
    let (action, percent) = (
        key,
        if key == "stagger" {
            req.percent
        } else {
            action_key(act).1
        },
    );
    let put = ReductionPut {
        credit_code: code.clone(),
        line: line.clone(),
        level: lv.as_str().into(),
        action: action.into(),
        percent,
        basis: basis.into(),
        normal: amounts_text(&normal),
        expected: amounts_text(&reduction::expected_cuts(act, &normal)),
        origin: "edited".into(),
        note,
        sample: f.sample,
        read_version: req.version,
        must_be_new: req.version.is_none(),
        keep_edited: false,
    };
    s.store
        .put_reduction(&[put], &caller.user.username, now_ms())
        .await?;
    let row = s
        .store
        .reduction_rows(Some(&code))
        .await?
        .into_iter()
        .find(|r| r.line == line && r.level == lv.as_str())
        .ok_or(ApiError::Internal("the row just written is missing"))?;
    Ok(json(&view(&row, Some(&f))))
}

/// A change of a firm's rows.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ChangeView {
    pub at: Option<String>,
    pub by: String,
    pub line: String,
    pub level: String,
    /// The row before (JSON; none when it was made) and after.
    pub before: Option<String>,
    pub after: String,
}

/// A firm's changes of its list, newest first (those who see the firm).
#[utoipa::path(get, path = "/api/v1/reduction-list/{code}/history", tag = "alerts",
    params(("code" = String, Path, description = "The firm's credit code")),
    responses(
        (status = 200, description = "The changes", body = Vec<ChangeView>),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not this caller's firm or township"),
        (status = 404, description = "No such firm"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn history(
    State(s): State<HttpState>,
    caller: Caller,
    Path(code): Path<String>,
) -> ApiResult<Response> {
    caller.may(Action::ReadSources, own_object(&caller.scope))?;
    let f = s
        .store
        .firm(&code)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no firm {code}")))?;
    caller.may(Action::ReadSources, firm_object(&f.firm))?;
    let rows: Vec<ChangeView> = s
        .store
        .reduction_history(&code, 500)
        .await?
        .into_iter()
        .map(|c| ChangeView {
            at: shanghai_ms(c.at_ms),
            by: c.actor,
            line: c.line,
            level: c.level,
            before: c.before_row,
            after: c.after_row,
        })
        .collect();
    Ok(json(&rows))
}

/// Reads the workbook's rows: the rows to write and the issues (sheet, row,
/// column, why).
fn read_rows(
    tables: &[Table],
    firms: &HashMap<String, Firm>,
) -> (Vec<ReductionPut>, Vec<Issue>, usize) {
    let mut out = Vec::new();
    let mut issues = Vec::new();
    let Some(t) = tables.iter().find(|t| t.sheet == SHEET).or(tables.first()) else {
        return (out, issues, 0);
    };
    let col = |name: &str| t.header.iter().position(|h| h.trim() == name);
    let letter = |i: usize| {
        let mut n = i + 1;
        let mut s = String::new();
        while n > 0 {
            s.insert(0, (b'A' + ((n - 1) % 26) as u8) as char);
            n = (n - 1) / 26;
        }
        s
    };
    let issue = |row: u32, c: Option<usize>, name: &str, m: String| Issue {
        sheet: t.sheet.clone(),
        row,
        column: c.map_or_else(String::new, |c| format!("{} {name}", letter(c))),
        message: m,
    };
    for required in ["统一社会信用代码", "生产线", "预警级别", "措施"] {
        if col(required).is_none() {
            issues.push(issue(1, None, "", format!("no column {required}")));
        }
    }
    if !issues.is_empty() {
        return (out, issues, t.rows.len());
    }
    for (n, cells) in &t.rows {
        let cell = |name: &str| {
            col(name)
                .and_then(|i| cells.get(i))
                .map_or("", |s| s.trim())
        };
        let mut bad = |name: &str, m: String| issues.push(issue(*n, col(name), name, m));
        let code = cell("统一社会信用代码");
        let Some(f) = firms.get(code) else {
            bad(
                "统一社会信用代码",
                format!("`{code}`: no such firm in the register"),
            );
            continue;
        };
        let line = cell("生产线");
        let line = if line.is_empty() { WHOLE } else { line };
        if (line == WHOLE) != f.lines.is_empty()
            || (line != WHOLE && !f.lines.iter().any(|l| l.code == line))
        {
            bad(
                "生产线",
                format!(
                    "`{line}`: not a line of {} (全厂 only for a firm registered without lines)",
                    f.name
                ),
            );
            continue;
        }
        let Some(level) = level_of(cell("预警级别")) else {
            bad(
                "预警级别",
                format!("`{}`: 黄色, 橙色 or 红色", cell("预警级别")),
            );
            continue;
        };
        let pct = cell("比例(%)");
        let percent = if pct.is_empty() {
            None
        } else {
            match pct.trim_end_matches('%').parse::<i64>() {
                Ok(p) => Some(p),
                Err(_) => {
                    bad("比例(%)", format!("`{pct}`: a whole percent"));
                    continue;
                }
            }
        };
        let (key, act) = match parse_action(cell("措施"), percent) {
            Ok(a) => a,
            Err(m) => {
                bad("措施", m);
                continue;
            }
        };
        let b = cell("依据");
        let basis = if b.is_empty() {
            Some("output")
        } else {
            basis_of(b)
        };
        let Some(basis) = basis else {
            bad("依据", format!("`{b}`: 产量, 投料, 窑（炉）数 or 用电负荷"));
            continue;
        };
        let mut normal = [Decimal::ZERO; 4];
        let mut ok = true;
        for (i, p) in POLLUTANTS.iter().enumerate() {
            let name = format!("{p}排放(t/d)");
            match tons(cell(&name), &name) {
                Ok(v) => normal[i] = v,
                Err(m) => {
                    bad(&name, m);
                    ok = false;
                }
            }
        }
        if !ok {
            continue;
        }
        let (action, percent) = (
            key,
            if key == "stagger" {
                percent
            } else {
                action_key(act).1
            },
        );
        out.push(ReductionPut {
            credit_code: code.into(),
            line: line.into(),
            level: level.as_str().into(),
            action: action.into(),
            percent,
            basis: basis.into(),
            normal: amounts_text(&normal),
            expected: amounts_text(&reduction::expected_cuts(act, &normal)),
            origin: "imported".into(),
            note: cell("备注").chars().take(200).collect(),
            sample: f.sample,
            read_version: None,
            must_be_new: false,
            keep_edited: false,
        });
    }
    (out, issues, t.rows.len())
}

/// Import the list's workbook (sheet 应急减排清单, the columns the export
/// writes; 企业名称 and the 减排 columns are ignored, the cuts follow from
/// the measure and the normal emissions). Valid rows are written; every
/// other row is named with its sheet, row, column and why.
#[utoipa::path(post, path = "/api/v1/reduction-list/import", tag = "alerts",
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", description = "The workbook (at most 2 MiB)"),
    responses(
        (status = 200, description = "What was written, and every row that was not", body = PutReport),
        (status = 400, description = "Not a workbook"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user, or missing X-CSRF-Token"),
        (status = 413, description = "The body is larger than 2 MiB"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn import(
    State(s): State<HttpState>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<Response> {
    caller.may(Action::ManageSources, Object::County)?;
    let tables = workbook::read_xlsx(&body).map_err(ApiError::bad)?;
    let firms: HashMap<String, Firm> = s
        .store
        .firms()
        .await?
        .into_iter()
        .map(|f| (f.firm.credit_code.clone(), f.firm))
        .collect();
    let (rows, issues, n) = read_rows(&tables, &firms);
    let changed = s
        .store
        .put_reduction(&rows, &caller.user.username, now_ms())
        .await?;
    Ok(json(&PutReport {
        rows: n,
        changed,
        kept: 0,
        issues: issues.iter().map(IssueView::from).collect(),
    }))
}

/// The county's emission inventory (the bureau and departments).
#[utoipa::path(get, path = "/api/v1/emission-inventory", tag = "alerts",
    responses(
        (status = 200, description = "The inventory", body = Vec<InventoryItem>),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not the bureau, a department or an admin"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn inventory(State(s): State<HttpState>, caller: Caller) -> ApiResult<Response> {
    caller.may(Action::ReadSources, Object::County)?;
    Ok(json(&inventory_items(&s).await?))
}

/// Set the county's emission inventory (the bureau): t/d of SO2, NOx, PM
/// and VOCs, with the year and the source document.
#[utoipa::path(put, path = "/api/v1/emission-inventory", tag = "alerts", request_body = Vec<InventoryItem>,
    responses(
        (status = 200, description = "The inventory", body = Vec<InventoryItem>),
        (status = 400, description = "A bad pollutant or amount"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user, or missing X-CSRF-Token"),
        (status = 415, description = "The body is not sent as application/json"),
        (status = 503, description = "Not now: the database is busy; try again (Retry-After)")
    ))]
pub async fn put_inventory(
    State(s): State<HttpState>,
    caller: Caller,
    Json(items): Json<Vec<InventoryItem>>,
) -> ApiResult<Response> {
    caller.may(Action::ManageSources, Object::County)?;
    let mut rows = Vec::new();
    for (i, it) in items.iter().enumerate() {
        if !POLLUTANTS.contains(&it.pollutant.as_str()) {
            return Err(ApiError::bad(format!(
                "item {i}: pollutant `{}`: SO2, NOx, PM or VOCs",
                it.pollutant
            )));
        }
        let t = tons(&it.t_per_day, &format!("item {i}: t_per_day")).map_err(ApiError::bad)?;
        if t.is_zero() {
            return Err(ApiError::bad(format!(
                "item {i}: t_per_day must be above 0"
            )));
        }
        let doc = crate::http::extract::optional_line(Some(&it.document), "document", 200)?
            .unwrap_or_default();
        rows.push((it.pollutant.clone(), t.to_string(), it.year, doc));
    }
    s.store
        .put_inventory(&rows, &caller.user.username, now_ms())
        .await?;
    Ok(json(&inventory_items(&s).await?))
}
