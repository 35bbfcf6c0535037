//! The demo's task ledger: Biyang's plan loaded (the real plan; the
//! townships' tasks and every report are samples, labelled so), reports
//! owed from January of this year, and a year of sample monthly reports
//! that leave tasks in every state: done (绿), on track, at risk (黄: last
//! due report missing, or near the deadline) and overdue (红: two reports
//! missing — `serve` escalates those to tickets). 住房和城乡建设局 (user zhujian)
//! and 羊册镇 (user yangce) have one of each, with an evidence photo.

use anyhow::Result;
use chrono::{Datelike, NaiveDate};
use lantian_ledger::Plan;
use lantian_ledger::tasks;
use lantian_store::Store;
use lantian_store::ledger::NewReport;
use lantian_types::time::utc_seconds;

/// A 1×1 PNG: the sample evidence photo.
const PHOTO: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// What a sample task is made to be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    Done,
    Overdue,
    AtRisk,
    OnTrack,
}

/// Loads the plan and its sample reports once; `today` in Beijing time.
/// The reports stored.
pub async fn seed(store: &Store, today: NaiveDate) -> Result<usize> {
    if store.plan().await?.is_some() {
        return Ok(0);
    }
    let plan = Plan::biyang();
    let jan1 = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let id = store
        .import_plan(
            &plan.county,
            &plan.name,
            "biyang.toml",
            lantian_ledger::plan::BIYANG,
            plan.measures.len(),
            &jan1.to_string(),
            true,
            "demo",
        )
        .await?;
    let towns: Vec<String> = store
        .townships()
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    let end = NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap_or(today);
    let all = tasks::split(&plan, &towns, jan1, end);
    // Months whose report is owed by now: January … last month.
    let months: Vec<NaiveDate> = (1..today.month())
        .filter_map(|m| NaiveDate::from_ymd_opt(today.year(), m, 1))
        .collect();
    let report_day = tasks::LedgerRules::shipped().report_day;
    let due_n = months.len() - usize::from(today.day() <= report_day && !months.is_empty());
    let mut per_owner: std::collections::HashMap<&str, usize> = Default::default();
    let mut out = Vec::new();
    let mut photo_for = Vec::new();
    for (i, t) in all.iter().enumerate() {
        let j = per_owner.entry(t.owner.as_str()).or_default();
        let showcase = matches!(
            t.owner.as_str(),
            "department:住房和城乡建设局" | "township:羊册镇"
        );
        let fate = match *j {
            0 => Fate::Done,
            1 if showcase || i % 9 == 1 => Fate::Overdue,
            2 => Fate::AtRisk,
            _ => Fate::OnTrack,
        };
        *j += 1;
        let n = months.len();
        for (k, m) in months.iter().enumerate() {
            // Overdue: the last two due reports missing; at risk: the last
            // (a month's report is due by the report day of the next one:
            // before that day last month's is not missing yet).
            let missing = match fate {
                Fate::Overdue => k + 2 == due_n || k + 1 == due_n,
                Fate::AtRisk => k + 1 == due_n,
                _ => false,
            };
            if missing {
                continue;
            }
            let progress = match fate {
                Fate::Done => (((k + 1) * 100) / n.max(1)).min(100) as i64,
                _ => (((k + 1) * 90) / 12).min(95) as i64,
            };
            // Handed in on the 3rd of the next month, 10:00.
            let next = m.checked_add_months(chrono::Months::new(1)).unwrap_or(*m);
            let at = next
                .with_day(3)
                .unwrap_or(next)
                .and_hms_opt(10, 0, 0)
                .unwrap_or_default();
            out.push(NewReport {
                plan_id: id,
                task_key: t.key.clone(),
                owner: t.owner.clone(),
                month: m.to_string(),
                progress,
                text: format!(
                    "（示例）{}月：{}{}",
                    m.month(),
                    t.title,
                    if progress >= 100 {
                        "，已完成"
                    } else {
                        "，按计划落实中"
                    }
                ),
                figures: format!("完成 {progress} %（示例）"),
                submitted_by: "demo".into(),
                submitted_ms: utc_seconds(at) * 1000,
                sample: true,
            });
        }
        // The showcase owners' first tasks: a photo on the latest report.
        if showcase && *j <= 4 && out.last().is_some_and(|r| r.task_key == t.key) {
            photo_for.push(out.len() - 1);
        }
    }
    let n = out.len();
    store.add_ledger_reports(&out, "demo").await?;
    // The photos: on the showcase owners' latest reports.
    let stored = store.ledger_reports(id, None, None).await?;
    for idx in photo_for {
        let want = &out[idx];
        if let Some(r) = stored
            .iter()
            .find(|r| r.task_key == want.task_key && r.month == want.month)
        {
            store
                .attach_to_report(r.id, "现场照片（示例）.png", "image/png", PHOTO, "demo")
                .await?;
        }
    }
    Ok(n)
}
