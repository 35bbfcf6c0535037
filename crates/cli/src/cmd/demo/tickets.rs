//! The demo's closed loop: logins for a bureau, a township, a
//! department and a reviewer user (one-time passwords, printed once), and sample tickets
//! in every state — one overdue, so the escalation ladder fires as soon as
//! `serve` starts — among them public reports whose tracking codes are
//! printed for the status page. Every ticket is marked a sample.

use anyhow::Result;
use lantian_store::Store;
use lantian_store::tickets::{Changes, NewTicket, TicketMove};
use lantian_tickets::machine::{Action, Finding, State};

const H: i64 = 3_600_000;

/// A small drawn PNG (sky, a dust band, ground): the demo's "photo".
const PIXEL: &[u8] = include_bytes!("../../../demo/sample-photo.png");

/// The demo's staff logins: (user, role, scope, password).
pub async fn users(
    store: &Store,
) -> Result<Vec<(String, &'static str, Option<&'static str>, String)>> {
    let mut out = Vec::new();
    for (name, role, scope) in [
        ("bureau", "bureau", None),
        ("yangce", "township", Some("羊册镇")),
        ("zhujian", "department", Some("住房和城乡建设局")),
        ("shenhe", "reviewer", None),
    ] {
        let password = lantian_server::auth::generate_password()?;
        let hash = lantian_server::auth::hash_password(&password).map_err(anyhow::Error::msg)?;
        if store.user(name).await?.is_some() {
            store.set_password_hash(name, &hash, "demo").await?;
        } else {
            store.add_user(name, &hash, role, scope, "demo").await?;
        }
        out.push((name.to_string(), role, scope, password));
    }
    Ok(out)
}

struct Step<'a> {
    from: State,
    action: Action,
    to: State,
    by: &'a str,
    note: &'a str,
    changes: Changes,
}

async fn run(store: &Store, id: i64, at: i64, steps: Vec<Step<'_>>) -> Result<()> {
    for (i, s) in steps.into_iter().enumerate() {
        let m = TicketMove {
            id,
            from: s.from,
            action: s.action,
            to: s.to,
            version: None,
            changes: s.changes,
            detail: "{}".into(),
        };
        store
            .move_ticket(&m, s.by, s.note, at + i as i64 * 6 * H, &[])
            .await?;
    }
    Ok(())
}

fn assign(to: &str, due: i64, clock: i64) -> Changes {
    Changes {
        assignee: Some(to.into()),
        due_ms: Some(due),
        clock_ms: Some(clock),
        township: to.strip_prefix("township:").map(String::from),
        ..Changes::default()
    }
}

fn verified(f: Finding) -> Changes {
    Changes {
        finding: Some(f),
        ..Changes::default()
    }
}

fn ends() -> Changes {
    Changes {
        ends: true,
        ..Changes::default()
    }
}

/// Tracking codes of the sample public reports: (one closed, one new).
pub struct Seeded {
    pub closed_code: String,
    pub new_code: String,
    pub tickets: usize,
}

fn ticket(
    title: &str,
    description: &str,
    source: &str,
    severity: &str,
    township: Option<&str>,
) -> NewTicket {
    NewTicket {
        title: title.into(),
        description: description.into(),
        source: source.into(),
        severity: severity.into(),
        township: township.map(String::from),
        sample: true,
        ..NewTicket::default()
    }
}

/// Opens the sample tickets, one or more in every state; `now` is the
/// demo's start.
pub async fn seed(store: &Store, now: i64) -> Result<Seeded> {
    use Action as A;
    use State as S;
    let bureau = "bureau";
    let mut n = 0;

    // 待交办: a public report (anonymous) just in.
    let mut t = ticket(
        "扬尘：建设路工地渣土未覆盖",
        "建设路与花园路交叉口工地渣土裸露，车辆出入带泥上路（示例举报）",
        "public_report",
        "ordinary",
        None,
    );
    t.category = Some("dust".into());
    t.address = Some("泌阳县建设路与花园路交叉口".into());
    t.lon = Some("113.3265".into());
    t.lat = Some("32.7241".into());
    t.tracking_code = Some("DEMQ7K3M2P".into());
    store.create_ticket(&t, "public", now - 2 * H, &[]).await?;
    n += 1;

    // 已交办, on time: a station's hot spot for the township.
    let t0 = now - 30 * H;
    let id = store
        .create_ticket(
            &ticket(
                "羊册镇站点 PM2.5 连续偏高",
                "站点热点：近 24 小时 PM2.5 高于全县均值 40%，请排查周边散煤、露天焚烧（示例）",
                "station_hotspot",
                "serious",
                Some("羊册镇"),
            ),
            bureau,
            t0,
            &[],
        )
        .await?;
    run(
        store,
        id,
        t0 + H,
        vec![Step {
            from: S::New,
            action: A::Assign,
            to: S::Assigned,
            by: bureau,
            note: "",
            changes: assign("township:羊册镇", t0 + 168 * H, t0 + H),
        }],
    )
    .await?;
    n += 1;

    // 已交办, overdue: a department's, due five days ago (the ladder fires at start).
    let t0 = now - 20 * 24 * H;
    let id = store
        .create_ticket(
            &ticket(
                "城区工地未落实“六个百分百”",
                "督察交办：城区 3 处工地围挡不全、未洒水降尘（示例）",
                "manual",
                "serious",
                Some("泌水街道"),
            ),
            bureau,
            t0,
            &[],
        )
        .await?;
    run(
        store,
        id,
        t0 + H,
        vec![Step {
            from: S::New,
            action: A::Assign,
            to: S::Assigned,
            by: bureau,
            note: "",
            changes: assign("department:住房和城乡建设局", now - 5 * 24 * H, t0 + H),
        }],
    )
    .await?;
    n += 1;

    // 整改中: verified real, a photo before.
    let t0 = now - 3 * 24 * H;
    let id = store
        .create_ticket(
            &ticket(
                "露天焚烧：羊册镇某村焚烧垃圾",
                "巡查发现村口露天焚烧生活垃圾（示例）",
                "manual",
                "urgent",
                Some("羊册镇"),
            ),
            bureau,
            t0,
            &[],
        )
        .await?;
    run(
        store,
        id,
        t0 + H,
        vec![
            Step {
                from: S::New,
                action: A::Assign,
                to: S::Assigned,
                by: bureau,
                note: "",
                changes: assign("township:羊册镇", now + 2 * 24 * H, t0 + H),
            },
            Step {
                from: S::Assigned,
                action: A::Verify,
                to: S::Rectifying,
                by: "yangce",
                note: "现场核实属实，已扑灭",
                changes: verified(Finding::Real),
            },
        ],
    )
    .await?;
    store
        .attach_to_ticket(
            id,
            "现场照片.png",
            "image/png",
            "before",
            PIXEL,
            "yangce",
            t0 + 8 * H,
        )
        .await?;
    n += 1;

    // 待复核: answered with a photo after.
    let t0 = now - 5 * 24 * H;
    let id = store
        .create_ticket(
            &ticket(
                "混凝土搅拌站料仓除尘失效",
                "在线监控视频显示料仓顶部冒灰（示例）",
                "manual",
                "serious",
                Some("羊册镇"),
            ),
            bureau,
            t0,
            &[],
        )
        .await?;
    run(
        store,
        id,
        t0 + H,
        vec![
            Step {
                from: S::New,
                action: A::Assign,
                to: S::Assigned,
                by: bureau,
                note: "",
                changes: assign("township:羊册镇", now + 2 * 24 * H, t0 + H),
            },
            Step {
                from: S::Assigned,
                action: A::Verify,
                to: S::Rectifying,
                by: "yangce",
                note: "属实，除尘布袋破损",
                changes: verified(Finding::Real),
            },
            Step {
                from: S::Rectifying,
                action: A::Feedback,
                to: S::Reviewing,
                by: "yangce",
                note: "已更换布袋并复产，附整改后照片",
                changes: Changes::default(),
            },
        ],
    )
    .await?;
    store
        .attach_to_ticket(
            id,
            "整改后.png",
            "image/png",
            "after",
            PIXEL,
            "yangce",
            t0 + 20 * H,
        )
        .await?;
    n += 1;

    // 已销号: a public report through the whole loop, returned once.
    let t0 = now - 12 * 24 * H;
    let mut t = ticket(
        "秸秆焚烧：下碑寺乡田间冒烟",
        "田里焚烧秸秆，浓烟很大（示例举报）",
        "public_report",
        "ordinary",
        None,
    );
    t.category = Some("straw_burning".into());
    t.address = Some("泌阳县下碑寺乡".into());
    t.tracking_code = Some("DEMC4R8X5N".into());
    let id = store.create_ticket(&t, "public", t0, &[]).await?;
    run(
        store,
        id,
        t0 + H,
        vec![
            Step {
                from: S::New,
                action: A::Assign,
                to: S::Assigned,
                by: bureau,
                note: "",
                changes: assign("township:羊册镇", t0 + 360 * H, t0 + H),
            },
            Step {
                from: S::Assigned,
                action: A::Verify,
                to: S::Rectifying,
                by: "yangce",
                note: "属实",
                changes: verified(Finding::Real),
            },
            Step {
                from: S::Rectifying,
                action: A::Feedback,
                to: S::Reviewing,
                by: "yangce",
                note: "已扑灭并约谈村组",
                changes: Changes::default(),
            },
            Step {
                from: S::Reviewing,
                action: A::Return,
                to: S::Rectifying,
                by: bureau,
                note: "请补充禁烧巡查安排",
                changes: Changes::default(),
            },
            Step {
                from: S::Rectifying,
                action: A::Feedback,
                to: S::Reviewing,
                by: "yangce",
                note: "已安排网格员每日巡查",
                changes: Changes::default(),
            },
            Step {
                from: S::Reviewing,
                action: A::Accept,
                to: S::Closed,
                by: bureau,
                note: "经核查，火点已扑灭，已落实网格巡查。感谢您的监督。",
                changes: ends(),
            },
        ],
    )
    .await?;
    n += 1;

    // 不属实: verified unfounded, accepted as such.
    let t0 = now - 8 * 24 * H;
    let id = store
        .create_ticket(
            &ticket(
                "异味：工业园区夜间异味",
                "夜间闻到刺鼻气味（示例）",
                "manual",
                "ordinary",
                Some("泌水街道"),
            ),
            bureau,
            t0,
            &[],
        )
        .await?;
    run(
        store,
        id,
        t0 + H,
        vec![
            Step {
                from: S::New,
                action: A::Assign,
                to: S::Assigned,
                by: bureau,
                note: "",
                changes: assign("department:住房和城乡建设局", t0 + 360 * H, t0 + H),
            },
            Step {
                from: S::Assigned,
                action: A::Verify,
                to: S::Reviewing,
                by: "zhujian",
                note: "夜查三次未发现异味源",
                changes: verified(Finding::Unfounded),
            },
            Step {
                from: S::Reviewing,
                action: A::Accept,
                to: S::Unfounded,
                by: bureau,
                note: "经多次核查不属实",
                changes: ends(),
            },
        ],
    )
    .await?;
    n += 1;

    Ok(Seeded {
        closed_code: "DEMC4R8X5N".into(),
        new_code: "DEMQ7K3M2P".into(),
        tickets: n,
    })
}
