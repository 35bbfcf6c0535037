//! The plan as a living ledger (任务清单台账) and its assessment (考核):
//! the plan in force (imported as a TOML file, `lantian plan import` or
//! `PUT /api/v1/plan`), its tasks per department and township with their
//! 绿/黄/红 by the versioned ledger rules, monthly progress reports with
//! evidence files (each by the task's own department or township), the
//! 台账 as xlsx, and the monthly scores and ranks by the versioned scheme.
//!
//! Readings written down here:
//! - The ledger is kept by calendar year (Beijing): the tasks of year Y
//!   run from 1 January (or the month the plan's reports are owed from,
//!   if later) to 31 December; a report counts for the year of its month.
//! - A month's score is taken at the month's end (today, for the current
//!   month): the tasks' lights on that day, the reports due in the month
//!   (last month's) not in by the report day, the owner's tickets whose
//!   due time fell in the month unanswered by it, the township's verified
//!   fire points detected in the month (an upheld appeal not counted), and
//!   the township's place in the current air ranking (year to date; no
//!   ranking is kept per past month: written down). A task done owes no
//!   more reports. A ticket counts as answered when any answer (verify,
//!   feedback) or its end came by its due time.
//! - December's report is handed in in January and belongs to the year it
//!   reports on; the December score is taken before it is due, so it is
//!   not scored (written down).
//! - 年末: a measure's standing task is due on 31 December, so from
//!   `due_soon_days` before it an unfinished task is 黄 — the rule as it
//!   stands for every deadline.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Months, NaiveDate};
use lantian_ledger::plan::Plan;
use lantian_ledger::score::{self, Facts, Score};
use lantian_ledger::tasks::{self, Light, Report, Status, Task};
use lantian_store::Store;
use lantian_store::ledger::{NewReport, PlanRow, ReportRow};
use lantian_types::Scope;
use lantian_types::time::{beijing_ms, now_beijing, shanghai_ms, utc_seconds};

use super::json;
use crate::http::HttpState;
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::export::{self, Cell, Format, Table};
use crate::http::extract::{Json, Query, multiline};
use crate::policy::{Action, Object};

/// The ledger's and the assessment's rule files.
#[derive(Debug, Clone)]
pub struct LedgerSettings {
    pub rules: tasks::LedgerRules,
    pub score: score::ScoreRules,
}

impl Default for LedgerSettings {
    fn default() -> Self {
        LedgerSettings {
            rules: tasks::LedgerRules::shipped(),
            score: score::ScoreRules::shipped(),
        }
    }
}

/// The ledger of the plan in force on a day.
pub struct Book {
    pub plan: PlanRow,
    pub measures: Plan,
    pub year: i32,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub today: NaiveDate,
    /// Each task, its status and its reports of the year (oldest first).
    pub tasks: Vec<(Task, Status, Vec<ReportRow>)>,
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn day_of_ms(ms: i64) -> Option<NaiveDate> {
    beijing_ms(ms).map(|t| t.date())
}

/// The ledger of the plan in force for `today`'s year (of one owner when
/// given); `None` when no plan was imported.
pub async fn book(
    store: &Store,
    rules: &tasks::LedgerRules,
    today: NaiveDate,
    owner: Option<&str>,
) -> ApiResult<Option<Book>> {
    let Some(plan) = store.plan().await? else {
        return Ok(None);
    };
    let measures = Plan::parse(&plan.body, &plan.file).map_err(|e| {
        tracing::error!(error = %e, "the stored plan no longer reads");
        ApiError::Internal("the stored plan no longer reads")
    })?;
    let townships: Vec<String> = store
        .townships()
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    let year = today.year();
    let jan1 = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(today);
    let end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(today);
    let owed = NaiveDate::parse_from_str(&plan.ledger_start, "%Y-%m-%d").unwrap_or(jan1);
    let start = owed.max(jan1).min(end);
    let mut reports: HashMap<String, Vec<ReportRow>> = HashMap::new();
    for r in store.ledger_reports(plan.id, owner, None).await? {
        let in_year =
            NaiveDate::parse_from_str(&r.month, "%Y-%m-%d").is_ok_and(|m| m.year() == year);
        if in_year {
            reports.entry(r.task_key.clone()).or_default().push(r);
        }
    }
    let tasks = tasks::split(&measures, &townships, start, end)
        .into_iter()
        .filter(|t| owner.is_none_or(|o| t.owner == o))
        .map(|t| {
            let rs = reports.remove(&t.key).unwrap_or_default();
            let plain: Vec<Report> = rs.iter().filter_map(as_report).collect();
            let st = tasks::status(&t, &plain, today, rules);
            (t, st, rs)
        })
        .collect();
    Ok(Some(Book {
        plan,
        measures,
        year,
        start,
        end,
        today,
        tasks,
    }))
}

fn as_report(r: &ReportRow) -> Option<Report> {
    Some(Report {
        month: NaiveDate::parse_from_str(&r.month, "%Y-%m-%d").ok()?,
        submitted: day_of_ms(r.submitted_ms)?,
        progress: u32::try_from(r.progress).ok()?,
    })
}

/// `department:X` or `township:X` of a department's or township's user.
fn own_owner(caller: &Caller) -> Option<String> {
    match &caller.scope {
        Scope::Department(_) | Scope::Township(_) => Some(caller.scope.to_string()),
        _ => None,
    }
}

/// The policy's object for a task owner.
fn owner_object(owner: &str) -> Object<'_> {
    match owner.split_once(':') {
        Some(("department", d)) => Object::Department(d),
        Some(("township", t)) => Object::Township(t),
        _ => Object::County,
    }
}

fn no_plan() -> ApiError {
    ApiError::NotFound("no plan imported (lantian plan import, or PUT /api/v1/plan)".into())
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    /// The first month progress reports are owed for (YYYY-MM-DD; default
    /// the first of the current month).
    pub from: Option<NaiveDate>,
    /// The file's name as shown (default `plan.toml`).
    pub file: Option<String>,
}

/// The plan in force.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PlanInfo {
    pub id: i64,
    pub county: String,
    pub name: String,
    pub file: String,
    pub measures: i64,
    pub ledger_start: String,
    pub sample: bool,
    pub imported_by: String,
    pub imported_at: Option<String>,
    /// Every measure as `lantian plan measures --json` prints it.
    #[schema(value_type = Vec<Object>)]
    pub list: serde_json::Value,
}

fn plan_info(p: &PlanRow, measures: &Plan) -> PlanInfo {
    PlanInfo {
        id: p.id,
        county: p.county.clone(),
        name: p.name.clone(),
        file: p.file.clone(),
        measures: p.measures,
        ledger_start: p.ledger_start.clone(),
        sample: p.sample != 0,
        imported_by: p.imported_by.clone(),
        imported_at: shanghai_ms(p.imported_ms),
        list: serde_json::to_value(&measures.measures).unwrap_or_default(),
    }
}

/// Import a plan file (TOML, as `plans/biyang.toml`): checked as it is
/// read (an error names the line and the field); in force from now on.
#[utoipa::path(put, path = "/api/v1/plan", tag = "ledger", params(PlanQuery),
    request_body(content = String, content_type = "application/toml"),
    responses(
        (status = 200, description = "In force", body = PlanInfo),
        (status = 400, description = "Not a plan file: the message names the line and the field"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not an admin or bureau user, or missing X-CSRF-Token")
    ))]
pub async fn put_plan(
    State(s): State<HttpState>,
    caller: Caller,
    Query(q): Query<PlanQuery>,
    body: String,
) -> ApiResult<Response> {
    caller.may(Action::ManagePlan, Object::County)?;
    let file = super::tickets::label_of(q.file.as_deref().unwrap_or("plan.toml"));
    let plan = Plan::parse(&body, &file).map_err(ApiError::bad)?;
    let from = first_of_month(q.from.unwrap_or_else(|| now_beijing().date()));
    let id = s
        .store
        .import_plan(
            &plan.county,
            &plan.name,
            &file,
            &body,
            plan.measures.len(),
            &from.to_string(),
            false,
            &caller.user.username,
        )
        .await?;
    let row = s
        .store
        .plan()
        .await?
        .filter(|p| p.id == id)
        .ok_or_else(no_plan)?;
    Ok(json(&plan_info(&row, &plan)))
}

/// The plan in force: its measures with their departments and targets.
#[utoipa::path(get, path = "/api/v1/plan", tag = "ledger",
    responses(
        (status = 200, description = "The plan", body = PlanInfo),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not a user of the bureau, a department or a township"),
        (status = 404, description = "No plan imported")
    ))]
pub async fn get_plan(State(s): State<HttpState>, caller: Caller) -> ApiResult<Response> {
    caller.may(Action::ReadPlan, Object::County)?;
    let row = s.store.plan().await?.ok_or_else(no_plan)?;
    let plan = Plan::parse(&row.body, &row.file)
        .map_err(|_| ApiError::Internal("the stored plan no longer reads"))?;
    Ok(json(&plan_info(&row, &plan)))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TasksQuery {
    /// Only this owner's tasks (`department:NAME` or `township:NAME`); a
    /// department's or township's user always gets its own.
    pub owner: Option<String>,
    /// Only this measure (its clause number, 3–31).
    pub clause: Option<u32>,
    /// Only tasks of this light: green, yellow or red.
    pub light: Option<String>,
    /// The day the lights are for (default today, Beijing time).
    pub today: Option<NaiveDate>,
    /// json (default) or xlsx (the 台账) or csv.
    pub format: Option<Format>,
}

/// A task's latest report.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LastReport {
    pub id: i64,
    /// YYYY-MM.
    pub month: String,
    pub progress: i64,
    pub text: String,
    pub submitted_at: Option<String>,
    pub submitted_by: String,
}

/// A task with its light.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TaskView {
    pub key: String,
    pub clause: u32,
    /// The clause as the plan writes it: （十六）.
    pub clause_zh: String,
    pub title: String,
    pub owner: String,
    /// lead, partner, responsible or local.
    pub role: String,
    pub lead: Vec<String>,
    pub partners: Vec<String>,
    pub start: String,
    pub deadline: String,
    pub indicator: String,
    pub target: String,
    /// green, yellow or red.
    pub light: String,
    pub light_zh: String,
    pub done: bool,
    pub progress: u32,
    pub reasons: Vec<String>,
    pub reports: usize,
    pub last_report: Option<LastReport>,
    /// The ticket the task was escalated to this year, if it was.
    pub ticket_id: Option<i64>,
    /// Evidence files of the task's reports.
    pub files: usize,
}

/// The ledger on a day.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LedgerView {
    pub plan: String,
    pub county: String,
    pub year: i32,
    pub start: String,
    pub end: String,
    pub today: String,
    /// Counts of the tasks listed: green, yellow, red, done.
    pub green: usize,
    pub yellow: usize,
    pub red: usize,
    pub done: usize,
    pub rules: String,
    pub sample: bool,
    pub tasks: Vec<TaskView>,
}

/// A row of the 台账 (序号, 任务, 牵头单位, 配合单位, 完成时限, 进展情况, 佐证材料, 状态).
pub struct LedgerRow(Vec<String>);

impl Table for LedgerRow {
    fn columns() -> Vec<&'static str> {
        tasks::LEDGER_HEADER.to_vec()
    }
    fn cells(&self) -> Vec<Cell> {
        self.0.iter().map(|c| Cell::text(c.as_str())).collect()
    }
}

/// The tasks of the plan in force with their 绿/黄/红 (a department's or
/// township's user: its own); `format=xlsx` gives the 台账.
#[utoipa::path(get, path = "/api/v1/ledger/tasks", tag = "ledger", params(TasksQuery),
    responses(
        (status = 200, description = "The tasks, or the 台账 as xlsx/csv", body = LedgerView),
        (status = 400, description = "A bad owner, light or day"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not the bureau, or another department's or township's tasks"),
        (status = 404, description = "No plan imported")
    ))]
pub async fn list(
    State(s): State<HttpState>,
    caller: Caller,
    Query(q): Query<TasksQuery>,
) -> ApiResult<Response> {
    let asked = q.owner.as_deref().map(str::trim).filter(|o| !o.is_empty());
    let owner = match (own_owner(&caller), asked) {
        (Some(own), _) => Some(own),
        (None, a) => a.map(String::from),
    };
    if let Some(a) = asked {
        if !(a.starts_with("department:") || a.starts_with("township:")) {
            return Err(ApiError::bad(format!(
                "owner `{a}`: department:NAME or township:NAME"
            )));
        }
        caller.may(Action::ReadTasks, owner_object(a))?;
    }
    match owner.as_deref() {
        Some(o) => caller.may(Action::ReadTasks, owner_object(o))?,
        None => caller.may(Action::ReadTasks, Object::County)?,
    }
    let light = match q.light.as_deref().filter(|l| !l.is_empty()) {
        None => None,
        Some("green") => Some(Light::Green),
        Some("yellow") => Some(Light::Yellow),
        Some("red") => Some(Light::Red),
        Some(x) => return Err(ApiError::bad(format!("light `{x}`: green, yellow or red"))),
    };
    let today = q.today.unwrap_or_else(|| now_beijing().date());
    let book = book(&s.store, &s.ledger.rules, today, owner.as_deref())
        .await?
        .ok_or_else(no_plan)?;
    let escalated: HashMap<String, i64> = s
        .store
        .ledger_escalations(book.plan.id, book.year)
        .await?
        .into_iter()
        .collect();
    let files = s.store.ledger_files(book.plan.id, owner.as_deref()).await?;
    let mut files_of: HashMap<i64, usize> = HashMap::new();
    for f in &files {
        *files_of.entry(f.report_id).or_default() += 1;
    }
    let chosen: Vec<&(Task, Status, Vec<ReportRow>)> = book
        .tasks
        .iter()
        .filter(|(t, st, _)| {
            q.clause.is_none_or(|c| t.clause == c) && light.is_none_or(|l| st.light == l)
        })
        .collect();
    if let Some(f @ (Format::Xlsx | Format::Csv)) = q.format {
        let rows: Vec<LedgerRow> = chosen
            .iter()
            .enumerate()
            .map(|(i, (t, st, rs))| {
                let last = rs.last().map_or("", |r| r.text.as_str());
                let n: usize = rs
                    .iter()
                    .map(|r| files_of.get(&r.id).copied().unwrap_or(0))
                    .sum();
                let evidence = if n == 0 {
                    String::new()
                } else {
                    format!("{n} 个附件")
                };
                let mut row = tasks::ledger_row(i + 1, t, st, last, &evidence);
                // The 台账 names whose task it is.
                row[1] = format!("{}（{}）", row[1], tasks::owner_name(&t.owner));
                LedgerRow(row)
            })
            .collect();
        return export::table(f, &format!("任务台账-{}", book.year), &rows);
    }
    let views: Vec<TaskView> = chosen
        .iter()
        .map(|(t, st, rs)| TaskView {
            key: t.key.clone(),
            clause: t.clause,
            clause_zh: format!("（{}）", lantian_ledger::plan::numeral(t.clause)),
            title: t.title.clone(),
            owner: t.owner.clone(),
            role: serde_json::to_value(t.role)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            lead: t.lead.clone(),
            partners: t.partners.clone(),
            start: t.start.to_string(),
            deadline: t.deadline.to_string(),
            indicator: t.indicator.clone(),
            target: t.target.clone(),
            light: light_name(st.light).into(),
            light_zh: if st.done {
                "完成".into()
            } else {
                st.light.name_zh().into()
            },
            done: st.done,
            progress: st.progress,
            reasons: st.reasons.clone(),
            reports: rs.len(),
            last_report: rs.last().map(|r| LastReport {
                id: r.id,
                month: r.month.chars().take(7).collect(),
                progress: r.progress,
                text: r.text.clone(),
                submitted_at: shanghai_ms(r.submitted_ms),
                submitted_by: r.submitted_by.clone(),
            }),
            ticket_id: escalated.get(&t.key).copied(),
            files: rs
                .iter()
                .map(|r| files_of.get(&r.id).copied().unwrap_or(0))
                .sum(),
        })
        .collect();
    let count = |l: Light| {
        views
            .iter()
            .filter(|v| !v.done && v.light == light_name(l))
            .count()
    };
    Ok(json(&LedgerView {
        plan: book.plan.name.clone(),
        county: book.plan.county.clone(),
        year: book.year,
        start: book.start.to_string(),
        end: book.end.to_string(),
        today: book.today.to_string(),
        green: count(Light::Green),
        yellow: count(Light::Yellow),
        red: count(Light::Red),
        done: views.iter().filter(|v| v.done).count(),
        rules: s.ledger.rules.version.clone(),
        sample: book.plan.sample != 0,
        tasks: views,
    }))
}

fn light_name(l: Light) -> &'static str {
    match l {
        Light::Green => "green",
        Light::Yellow => "yellow",
        Light::Red => "red",
    }
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportsQuery {
    /// The task's key, `16/department:农业农村局`.
    pub task: String,
}

/// An evidence file.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LedgerFileView {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub at: Option<String>,
    pub by: String,
}

/// A progress report with its files.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ReportView {
    pub id: i64,
    pub task: String,
    pub owner: String,
    /// YYYY-MM.
    pub month: String,
    pub progress: i64,
    pub text: String,
    pub figures: String,
    pub submitted_at: Option<String>,
    pub submitted_by: String,
    pub files: Vec<LedgerFileView>,
}

/// The task a key names in the plan in force, once the caller may take
/// `action` on its owner (asked first: a neighbour learns nothing of it).
async fn task_owner(
    s: &HttpState,
    caller: &Caller,
    action: Action,
    key: &str,
) -> ApiResult<(PlanRow, Task)> {
    let today = now_beijing().date();
    let owner = key
        .split_once('/')
        .map(|(_, o)| o)
        .filter(|o| o.starts_with("department:") || o.starts_with("township:"))
        .ok_or_else(|| {
            ApiError::bad(format!(
                "task `{key}`: CLAUSE/department:NAME or CLAUSE/township:NAME"
            ))
        })?;
    caller.may(action, owner_object(owner))?;
    let b = book(&s.store, &s.ledger.rules, today, Some(owner))
        .await?
        .ok_or_else(no_plan)?;
    let task = b
        .tasks
        .into_iter()
        .map(|(t, ..)| t)
        .find(|t| t.key == key)
        .ok_or_else(|| ApiError::NotFound(format!("no task {key} in the plan in force")))?;
    Ok((b.plan, task))
}

/// The progress reports of a task (oldest first), with their files.
#[utoipa::path(get, path = "/api/v1/ledger/reports", tag = "ledger", params(ReportsQuery),
    responses(
        (status = 200, description = "The reports", body = Vec<ReportView>),
        (status = 400, description = "A bad task key"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Another department's or township's task"),
        (status = 404, description = "No such task, or no plan imported")
    ))]
pub async fn reports(
    State(s): State<HttpState>,
    caller: Caller,
    Query(q): Query<ReportsQuery>,
) -> ApiResult<Response> {
    let (plan, task) = task_owner(&s, &caller, Action::ReadTasks, &q.task).await?;
    let files = s.store.ledger_files(plan.id, Some(&task.owner)).await?;
    let out: Vec<ReportView> = s
        .store
        .ledger_reports(plan.id, Some(&task.owner), Some(&task.key))
        .await?
        .into_iter()
        .map(|r| ReportView {
            files: files
                .iter()
                .filter(|f| f.report_id == r.id)
                .map(|f| LedgerFileView {
                    id: f.id,
                    name: f.name.clone(),
                    content_type: f.content_type.clone(),
                    size: f.size,
                    sha256: f.sha256.clone(),
                    at: shanghai_ms(f.at_ms),
                    by: f.actor.clone(),
                })
                .collect(),
            id: r.id,
            task: r.task_key,
            owner: r.owner,
            month: r.month.chars().take(7).collect(),
            progress: r.progress,
            text: r.text,
            figures: r.figures,
            submitted_at: shanghai_ms(r.submitted_ms),
            submitted_by: r.submitted_by,
        })
        .collect();
    Ok(json(&out))
}

/// A monthly progress report.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportIn {
    /// The task's key, `16/department:农业农村局`.
    pub task: String,
    /// The month reported on, YYYY-MM (this month or earlier, in the
    /// ledger's year).
    pub month: String,
    /// 0–100 (100: done).
    pub progress: i64,
    /// What was done (进展情况).
    pub text: String,
    /// Figures (完成量, 指标值), free text.
    #[serde(default)]
    pub figures: String,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ReportStored {
    pub id: i64,
}

/// Report on a task (the task's own department or township only): a new
/// report for the month; an earlier one for the same month stays as history.
#[utoipa::path(post, path = "/api/v1/ledger/reports", tag = "ledger", request_body = ReportIn,
    responses(
        (status = 201, description = "Stored", body = ReportStored),
        (status = 400, description = "A bad task key, month, progress or text (the message names it)"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not this task's department or township, or missing X-CSRF-Token"),
        (status = 404, description = "No such task, or no plan imported")
    ))]
pub async fn report(
    State(s): State<HttpState>,
    caller: Caller,
    Json(r): Json<ReportIn>,
) -> ApiResult<Response> {
    let (plan, task) = task_owner(&s, &caller, Action::ReportOnTask, &r.task).await?;
    let month = NaiveDate::parse_from_str(&format!("{}-01", r.month.trim()), "%Y-%m-%d")
        .map_err(|_| ApiError::bad(format!("month `{}`: YYYY-MM", r.month)))?;
    // This year's months to this one, and last month's in the new year
    // (December's report is handed in in January: it is last year's
    // ledger's), never before the plan's reports were owed.
    let this_month = first_of_month(now_beijing().date());
    let owed = NaiveDate::parse_from_str(&plan.ledger_start, "%Y-%m-%d").unwrap_or(task.start);
    let earliest = first_of_month(task.start)
        .checked_sub_months(Months::new(1))
        .unwrap_or(task.start)
        .max(first_of_month(owed));
    if month > this_month || month < earliest {
        return Err(ApiError::bad(format!(
            "month {}: reports are taken for {} to this month",
            r.month,
            earliest.format("%Y-%m")
        )));
    }
    if !(0..=100).contains(&r.progress) {
        return Err(ApiError::bad(format!("progress {}: 0–100", r.progress)));
    }
    let text = multiline(&r.text, "text", 4000)?;
    if text.trim().is_empty() {
        return Err(ApiError::bad("text: empty (what was done this month)"));
    }
    let figures = multiline(&r.figures, "figures", 1000)?;
    let id = s
        .store
        .add_ledger_report(&NewReport {
            plan_id: plan.id,
            task_key: task.key.clone(),
            owner: task.owner.clone(),
            month: month.to_string(),
            progress: r.progress,
            text,
            figures,
            submitted_by: caller.user.username.clone(),
            submitted_ms: super::tickets::now_ms(),
            sample: false,
        })
        .await?;
    Ok((StatusCode::CREATED, json(&ReportStored { id })).into_response())
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvidenceQuery {
    /// The file's name as shown (a label: the file is kept by its hash).
    pub name: String,
}

/// Attach an evidence file (佐证材料: PDF, PNG or JPEG, at most 2 MB,
/// typed by its bytes) to a report: the task's own department or township.
#[utoipa::path(post, path = "/api/v1/ledger/reports/{id}/files", tag = "ledger",
    params(("id" = i64, Path, description = "The report's id"), EvidenceQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file"),
    responses(
        (status = 200, description = "Stored", body = LedgerFileView),
        (status = 400, description = "Empty, not a PDF, PNG or JPEG, over 2 MB, or a bad name"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not this task's department or township, or missing X-CSRF-Token"),
        (status = 404, description = "No such report"),
        (status = 413, description = "The body is larger than 2 MiB")
    ))]
pub async fn attach(
    State(s): State<HttpState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<EvidenceQuery>,
    body: Bytes,
) -> ApiResult<Response> {
    let r = s
        .store
        .ledger_report(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no report {id}")))?;
    caller.may(Action::ReportOnTask, owner_object(&r.owner))?;
    let ct = super::tickets::check_file(&body)?;
    let name = super::tickets::label_of(&q.name);
    let fid = s
        .store
        .attach_to_report(id, &name, ct, &body, &caller.user.username)
        .await?;
    let f = s
        .store
        .ledger_files(r.plan_id, Some(&r.owner))
        .await?
        .into_iter()
        .find(|f| f.id == fid)
        .ok_or(ApiError::Internal("file not read back"))?;
    Ok(json(&LedgerFileView {
        id: f.id,
        name: f.name,
        content_type: f.content_type,
        size: f.size,
        sha256: f.sha256,
        at: shanghai_ms(f.at_ms),
        by: f.actor,
    }))
}

/// An evidence file's bytes (for those who may see its task).
#[utoipa::path(get, path = "/api/v1/ledger/files/{id}", tag = "ledger",
    params(("id" = i64, Path, description = "The file's id")),
    responses(
        (status = 200, description = "The file as stored"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Another department's or township's task"),
        (status = 404, description = "No such file")
    ))]
pub async fn file(
    State(s): State<HttpState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    // Whose it is first; the bytes only for those who may read them.
    let (info, _) = s
        .store
        .ledger_file(id, false)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no file {id}")))?;
    let r = s
        .store
        .ledger_report(info.report_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no file {id}")))?;
    caller.may(Action::ReadTasks, owner_object(&r.owner))?;
    let (info, body) = s
        .store
        .ledger_file(id, true)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no file {id}")))?;
    Ok(export::download(&info.content_type, &info.name, body))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScoresQuery {
    /// The month, YYYY-MM (default this month).
    pub month: Option<String>,
}

/// The month's scores and ranks.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ScoresView {
    pub month: String,
    /// The day the scores were taken on (the month's end, or today).
    pub on: String,
    pub rules: String,
    pub base: i64,
    pub sample: bool,
    #[schema(value_type = Vec<Object>)]
    pub departments: Vec<Score>,
    #[schema(value_type = Vec<Object>)]
    pub townships: Vec<Score>,
}

/// The month's scores (考核) per department and township, ranked, with
/// the items behind every point lost.
#[utoipa::path(get, path = "/api/v1/ledger/scores", tag = "ledger", params(ScoresQuery),
    responses(
        (status = 200, description = "Scores and ranks", body = ScoresView),
        (status = 400, description = "A bad month"),
        (status = 401, description = "No session or token"),
        (status = 403, description = "Not a user of the bureau, a department or a township"),
        (status = 404, description = "No plan imported")
    ))]
pub async fn scores(
    State(s): State<HttpState>,
    caller: Caller,
    Query(q): Query<ScoresQuery>,
) -> ApiResult<Response> {
    caller.may(Action::ReadPlan, Object::County)?;
    let today = now_beijing().date();
    let month = match q.month.as_deref().filter(|m| !m.is_empty()) {
        None => first_of_month(today),
        Some(m) => NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
            .map_err(|_| ApiError::bad(format!("month `{m}`: YYYY-MM")))?,
    };
    if month > today {
        return Err(ApiError::bad(format!(
            "month {}: not begun",
            month.format("%Y-%m")
        )));
    }
    let ranks = crate::figures::current(&s.snapshot).and_then(|snap| {
        snap.rankings.townships.as_ref().map(|ts| {
            let of = ts.iter().filter(|t| t.rank.is_some()).count();
            ts.iter()
                .filter_map(|t| t.rank.map(|r| (t.township.clone(), (r, of))))
                .collect::<HashMap<_, _>>()
        })
    });
    if let Some(p) = s.store.plan().await? {
        let owed = NaiveDate::parse_from_str(&p.ledger_start, "%Y-%m-%d").unwrap_or(month);
        if month < first_of_month(owed) {
            return Err(ApiError::bad(format!(
                "month {}: the ledger starts in {}",
                month.format("%Y-%m"),
                owed.format("%Y-%m")
            )));
        }
    }
    let (book, sc) = month_scores(&s.store, &s.ledger, month, today, ranks.as_ref()).await?;
    let (departments, townships): (Vec<Score>, Vec<Score>) = sc
        .into_iter()
        .partition(|x| x.owner.starts_with("department:"));
    Ok(json(&ScoresView {
        month: month.format("%Y-%m").to_string(),
        on: book.today.to_string(),
        rules: s.ledger.score.version.clone(),
        base: s.ledger.score.get("base"),
        sample: book.plan.sample != 0,
        departments,
        townships,
    }))
}

/// The scores of `month` (taken at its end, or `today` if sooner), ranked.
pub async fn month_scores(
    store: &Store,
    settings: &LedgerSettings,
    month: NaiveDate,
    today: NaiveDate,
    air_ranks: Option<&HashMap<String, (usize, usize)>>,
) -> ApiResult<(Book, Vec<Score>)> {
    let next = month.checked_add_months(Months::new(1)).unwrap_or(month);
    let on = (next - chrono::Duration::days(1)).min(today);
    let book = book(store, &settings.rules, on, None)
        .await?
        .ok_or_else(no_plan)?;
    let mut facts: Vec<Facts> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    let fact = |facts: &mut Vec<Facts>, at: &mut HashMap<String, usize>, owner: &str| -> usize {
        *at.entry(owner.to_string()).or_insert_with(|| {
            facts.push(Facts {
                owner: owner.to_string(),
                ..Facts::default()
            });
            facts.len() - 1
        })
    };
    // Last month's report, due by the report day of this month.
    let reported = month.checked_sub_months(Months::new(1)).unwrap_or(month);
    let due = month.with_day(settings.rules.report_day).unwrap_or(month);
    for (t, st, rs) in &book.tasks {
        let i = fact(&mut facts, &mut at, &t.owner);
        facts[i]
            .tasks
            .push((t.key.clone(), if st.done { Light::Green } else { st.light }));
        let owed = reported >= first_of_month(t.start) && on > due && !st.done;
        let in_time = rs.iter().any(|r| {
            r.month == reported.to_string() && day_of_ms(r.submitted_ms).is_some_and(|d| d <= due)
        });
        if owed && !in_time {
            facts[i].late_reports.push(t.key.clone());
        }
    }
    let (from_ms, to_ms) = (
        utc_seconds(month.and_hms_opt(0, 0, 0).unwrap_or_default()) * 1000,
        utc_seconds(next.and_hms_opt(0, 0, 0).unwrap_or_default()) * 1000,
    );
    for tk in store.ticket_facts().await? {
        let Some(due) = tk.due_ms.filter(|d| (from_ms..to_ms).contains(d)) else {
            continue;
        };
        let answered = tk
            .answers_ms
            .iter()
            .copied()
            .chain(tk.ended_ms)
            .any(|a| a <= due);
        if let (false, true, Some(&i)) = (
            answered,
            due < super::tickets::now_ms(),
            at.get(&tk.assignee),
        ) {
            facts[i].overdue_tickets.push(tk.id);
        }
    }
    for p in store
        .fire_points(None, from_ms / 1000, to_ms / 1000)
        .await?
    {
        let counted = matches!(p.kind.as_str(), "straw" | "other")
            && p.verified_ms.is_some()
            && p.appeal_state.as_deref() != Some("upheld");
        let owner = p.township.as_ref().map(|t| format!("township:{t}"));
        if let (true, Some(&i)) = (counted, owner.and_then(|o| at.get(&o))) {
            facts[i].fires.push((p.ext_id.clone(), p.kind == "straw"));
        }
    }
    if let Some(ranks) = air_ranks {
        for f in &mut facts {
            if let Some(t) = f.owner.strip_prefix("township:") {
                f.air_rank = ranks.get(t).copied();
            }
        }
    }
    let scored = facts
        .iter()
        .map(|f| score::score(f, &settings.score))
        .collect();
    Ok((book, score::rank(scored)))
}
