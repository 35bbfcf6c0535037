//! The demo's enterprise side: Biyang's townships, 20 synthetic sample
//! firms (示例企业, labelled as samples everywhere) in the county's
//! clusters (stone, food, pharma, building materials, chemicals), their
//! outlets with the shipped default limits, CEMS devices on eight of them,
//! and their data: a week of hours before the live replay (loaded at
//! once) and then one hour per tick over HJ 212, beside the stations.
//! Faults are injected so every kind of finding shows: an exceedance, a
//! constant value, zeros, a gap, a long maintenance flag, and a treatment
//! plant switched off while production runs; one more exceedance happens
//! during the live replay.
//!
//! The townships are the county's 3 streets and 18 towns and townships as
//! a third-party listing gives them (names and 9-digit codes, not checked
//! against the statistics bureau's release; stored as samples).

use std::time::Duration;

use anyhow::Result;
use chrono::{NaiveDate, NaiveDateTime};
use lantian_sources::grade::Grade;
use lantian_sources::limits::{self, Averaging};
use lantian_sources::num::Fixed;
use lantian_sources::power::MeterRole;
use lantian_sources::register::{
    Facility, Firm, GradeEntry, LimitEntry, Line, Meter, Outlet, WhiteEntry,
};
use lantian_store::enterprises::Township;
use lantian_store::{Batch, DeviceSpec, Site, Store, UploadRec, ValueRec};
use lantian_types::{CrcDialect, DeviceKind, Mn, Protocol, SiteCode, SiteKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Biyang's townships (third-party listing, unverified).
pub const TOWNSHIPS: [(&str, &str); 21] = [
    ("泌水街道", "411726002"),
    ("古城街道", "411726003"),
    ("花园街道", "411726004"),
    ("羊册镇", "411726102"),
    ("马谷田镇", "411726103"),
    ("春水镇", "411726105"),
    ("官庄镇", "411726106"),
    ("赊湾镇", "411726107"),
    ("郭集镇", "411726108"),
    ("泰山庙镇", "411726109"),
    ("王店镇", "411726110"),
    ("杨家集镇", "411726111"),
    ("高邑镇", "411726113"),
    ("高店镇", "411726200"),
    ("盘古乡", "411726201"),
    ("铜山乡", "411726204"),
    ("下碑寺乡", "411726206"),
    ("象河乡", "411726207"),
    ("付庄乡", "411726208"),
    ("贾楼乡", "411726209"),
    ("双庙街乡", "411726215"),
];

/// One sample firm: name, township, key industry (or ""), GB/T 4754
/// code, outlet source type, grade, whether its first outlet has a CEMS.
type SampleFirm = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<Grade>,
    bool,
);

const FIRMS: [SampleFirm; 20] = [
    (
        "示例石材加工厂（一）",
        "羊册镇",
        "",
        "C3032",
        "industrial-furnace",
        None,
        true,
    ),
    (
        "示例石材加工厂（二）",
        "羊册镇",
        "",
        "C3032",
        "industrial-furnace",
        None,
        false,
    ),
    (
        "示例新型建材砖厂",
        "马谷田镇",
        "砖瓦窑",
        "C3031",
        "brick-kiln",
        Some(Grade::C),
        true,
    ),
    (
        "示例陶瓷有限公司",
        "春水镇",
        "陶瓷",
        "C3071",
        "ceramic-kiln",
        Some(Grade::B),
        true,
    ),
    (
        "示例水泥粉磨站",
        "官庄镇",
        "水泥",
        "C3011",
        "cement-kiln",
        Some(Grade::BMinus),
        true,
    ),
    (
        "示例玻璃制品厂",
        "郭集镇",
        "玻璃",
        "C3041",
        "glass-furnace",
        Some(Grade::C),
        false,
    ),
    (
        "示例制药股份公司",
        "古城街道",
        "制药",
        "C2710",
        "gas-boiler",
        Some(Grade::B),
        true,
    ),
    (
        "示例生物制药厂",
        "花园街道",
        "制药",
        "C2761",
        "gas-boiler",
        None,
        false,
    ),
    (
        "示例食品加工厂（一）",
        "泌水街道",
        "",
        "C1391",
        "gas-boiler",
        None,
        true,
    ),
    (
        "示例食品加工厂（二）",
        "泌水街道",
        "",
        "C1431",
        "biomass-boiler",
        None,
        true,
    ),
    (
        "示例肉制品公司",
        "王店镇",
        "",
        "C1352",
        "gas-boiler",
        None,
        true,
    ),
    (
        "示例化工有限公司",
        "高邑镇",
        "涂料制造",
        "C2641",
        "gas-boiler",
        Some(Grade::D),
        false,
    ),
    (
        "示例精细化工厂",
        "高店镇",
        "",
        "C2662",
        "gas-boiler",
        None,
        false,
    ),
    (
        "示例铸造厂",
        "泰山庙镇",
        "铸造",
        "C3391",
        "industrial-furnace",
        Some(Grade::C),
        false,
    ),
    (
        "示例家具制造公司",
        "杨家集镇",
        "家具制造",
        "C2110",
        "gas-boiler",
        Some(Grade::B),
        false,
    ),
    (
        "示例包装印刷厂",
        "赊湾镇",
        "包装印刷",
        "C2319",
        "gas-boiler",
        None,
        false,
    ),
    (
        "示例热力公司",
        "泌水街道",
        "",
        "D4430",
        "coal-boiler",
        None,
        false,
    ),
    (
        "示例饲料厂",
        "下碑寺乡",
        "",
        "C1329",
        "biomass-boiler",
        None,
        false,
    ),
    (
        "示例石灰厂",
        "铜山乡",
        "石灰窑",
        "C3012",
        "industrial-furnace",
        Some(Grade::D),
        false,
    ),
    (
        "示例人造板厂",
        "象河乡",
        "人造板制造",
        "C2021",
        "biomass-boiler",
        Some(Grade::C),
        false,
    ),
];

pub const MN_PREFIX: &str = "LTDEMOC";
const PASSWORD: &str = "123456";

/// A credit code of the sample firms (`91411726MA4YL` + index, with its
/// GB 32100 check character).
pub fn credit_code(i: usize) -> String {
    lantian_types::CreditCode::complete(&format!("91411726MA4YL{i:04}"))
        .map(|c| c.to_string())
        .unwrap_or_default()
}

/// A stack the demo plays: its device and what it measures.
#[derive(Debug, Clone)]
pub struct Stack {
    /// The firm's index.
    pub index: usize,
    /// The stack's place among the played stacks (which fault it shows).
    pub play: usize,
    pub mn: String,
    pub device_id: i64,
    /// The stack's usual O2 (%): a point above its limits' reference.
    pub o2: f64,
    /// The limits' levels the values keep under (measured, mg/m³).
    pub pm: f64,
    pub so2: f64,
    pub nox: f64,
}

/// The electricity meters the demo plays (one firm: production and
/// treatment).
const METER_FIRM: usize = 2;

/// The MN of a firm's production meter played for the alert's compliance.
pub fn load_meter_mn(i: usize) -> String {
    format!("{MN_PREFIX}P{i:05}")
}

fn d(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

pub fn firms() -> Vec<Firm> {
    FIRMS
        .iter()
        .enumerate()
        .map(|(i, (name, town, key, industry, source, grade, _))| {
            let code = credit_code(i);
            let stack = i % 7 == 3;
            let outlets: Vec<Outlet> = (1..=if stack { 2 } else { 1 })
                .map(|k| Outlet {
                    code: format!("DA00{k}"),
                    name: if k == 1 {
                        "主排口".into()
                    } else {
                        "烘干排口".into()
                    },
                    mn: (k == 1 && FIRMS[i].6).then(|| format!("{MN_PREFIX}{i:06}")),
                    height_m: Some(Fixed::new(150 + 50 * k as i64, 1)),
                    source_type: source.to_string(),
                    line: "L1".into(),
                })
                .collect();
            let limits: Vec<LimitEntry> = outlets
                .iter()
                .flat_map(|o| {
                    limits::defaults_for(source)
                        .into_iter()
                        .map(|l| LimitEntry {
                            outlet: o.code.clone(),
                            code: l.code,
                            limit: l.limit,
                            ref_o2: l.ref_o2,
                            averaging: Averaging::Hour,
                            standard: l.standard,
                            clause: l.clause,
                            valid_from: None,
                            valid_to: None,
                        })
                })
                .collect();
            let meters = if i == METER_FIRM {
                vec![
                    Meter {
                        code: "E1".into(),
                        name: "焙烧窑主电机".into(),
                        role: MeterRole::Production,
                        rated_kw: Fixed::new(200, 0),
                        mn: Some(format!("{MN_PREFIX}E{i:05}")),
                        factor: "d20001".into(),
                        of: "L1".into(),
                    },
                    Meter {
                        code: "E2".into(),
                        name: "脱硫除尘设施".into(),
                        role: MeterRole::Treatment,
                        rated_kw: Fixed::new(80, 0),
                        mn: Some(format!("{MN_PREFIX}E{i:05}")),
                        factor: "d20002".into(),
                        of: "T1".into(),
                    },
                ]
            } else if super::alerts::LOADS.iter().any(|(f, _)| *f == i) {
                // A production meter whose hourly kW the alert's
                // compliance is judged on (super::alerts::seed_loads).
                vec![Meter {
                    code: "E1".into(),
                    name: "生产总电表".into(),
                    role: MeterRole::Production,
                    rated_kw: Fixed::new(500, 0),
                    mn: Some(load_meter_mn(i)),
                    factor: "d20001".into(),
                    of: "L1".into(),
                }]
            } else {
                Vec::new()
            };
            Firm {
                credit_code: code,
                name: name.to_string(),
                industry: industry.to_string(),
                key_industry: key.to_string(),
                township: town.to_string(),
                address: format!("泌阳县{town}示例路{}号", i + 1),
                lon: Some(113.20 + (i as f64 * 0.037) % 0.5),
                lat: Some(32.60 + (i as f64 * 0.023) % 0.35),
                permit_no: format!("91411726MA4YL{i:04}001P"),
                key_polluter: FIRMS[i].6,
                key_vehicle: i % 5 == 0,
                catering: false,
                sample: true,
                lines: vec![Line {
                    code: "L1".into(),
                    name: "主生产线".into(),
                    process: "示例工艺".into(),
                }],
                facilities: vec![Facility {
                    code: "T1".into(),
                    name: "除尘脱硫设施".into(),
                    kind: "布袋除尘+湿法脱硫".into(),
                    outlet: "DA001".into(),
                    line: "L1".into(),
                }],
                meters,
                grades: grade
                    .map(|g| GradeEntry {
                        industry: key.to_string(),
                        grade: g,
                        valid_from: d("2025-10-01"),
                        valid_to: None,
                        document: "示例〔2025〕1号".into(),
                    })
                    .into_iter()
                    .collect(),
                whitelist: if i == 6 {
                    vec![WhiteEntry {
                        category: "民生保障类（示例）".into(),
                        max_load_pct: Some(Fixed::new(50, 0)),
                        level_ceiling: "orange".into(),
                        valid_from: d("2025-10-01"),
                        valid_to: d("2027-03-31"),
                        document: "示例〔2025〕2号".into(),
                    }]
                } else {
                    Vec::new()
                },
                limits,
                outlets,
            }
        })
        .collect()
}

fn device(
    mn: &str,
    name: &str,
    town: &str,
    kind: DeviceKind,
    lon: Option<f64>,
    lat: Option<f64>,
) -> Result<DeviceSpec> {
    Ok(DeviceSpec {
        mn: Mn::parse(mn).map_err(anyhow::Error::msg)?,
        password: PASSWORD.into(),
        site: Site {
            code: SiteCode::parse(mn).map_err(anyhow::Error::msg)?,
            name: name.to_string(),
            kind: SiteKind::Outlet,
            township: Some(town.to_string()),
            lon,
            lat,
            assessment: false,
        },
        kind,
        protocol: Protocol::V2017,
        crc: CrcDialect::Hj212,
        unit_overrides: String::new(),
        rtd_interval_s: None,
        min_interval_min: None,
        sm4_key_sealed: None,
    })
}

/// Registers the townships, the firms and their devices; the stacks to
/// play, and the meter device's id.
pub async fn register(store: &Store) -> Result<(Vec<Stack>, Option<(String, i64)>)> {
    let towns: Vec<Township> = TOWNSHIPS
        .iter()
        .map(|(n, c)| Township {
            name: n.to_string(),
            code: Some(c.to_string()),
            sample: 1,
        })
        .collect();
    store.put_townships(&towns, "demo").await?;
    let mut stacks = Vec::new();
    let mut meter = None;
    for (i, f) in firms().iter().enumerate() {
        for o in &f.outlets {
            let Some(mn) = &o.mn else { continue };
            let name = format!("{} {}", f.name, o.code);
            let id = store
                .add_device(
                    &device(mn, &name, &f.township, DeviceKind::Cems, f.lon, f.lat)?,
                    "demo",
                )
                .await?;
            let lim = |code: &str| {
                f.limits
                    .iter()
                    .find(|l| l.outlet == o.code && l.code == code)
                    .map_or(50.0, |l| l.limit.to_string().parse().unwrap_or(50.0))
            };
            let ref_o2: f64 = f
                .limits
                .iter()
                .find(|l| l.outlet == o.code)
                .and_then(|l| l.ref_o2)
                .map_or(9.0, |r| r.to_string().parse().unwrap_or(9.0));
            stacks.push(Stack {
                index: i,
                play: stacks.len(),
                mn: mn.clone(),
                device_id: id,
                o2: (ref_o2 + 1.0).min(19.0),
                pm: lim("a34013"),
                so2: lim("a21026"),
                nox: lim("a21002"),
            });
        }
        if let Some(m) = f.meters.first().and_then(|m| m.mn.clone()) {
            let id = store
                .add_device(
                    &device(
                        &m,
                        &format!("{} 分表计电", f.name),
                        &f.township,
                        DeviceKind::Electricity,
                        f.lon,
                        f.lat,
                    )?,
                    "demo",
                )
                .await?;
            if i == METER_FIRM {
                meter = Some((m, id));
            }
        }
        store.put_firm(f, None, "demo").await?;
    }
    Ok((stacks, meter))
}

/// A small deterministic noise in [0, 1).
pub fn noise(a: u64, b: u64) -> f64 {
    let mut x = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    x ^= x >> 29;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 32;
    (x % 10_000) as f64 / 10_000.0
}

/// The hour `k` of a stack (k < 0: before the live replay), as 2061
/// values, or `None` for an hour it does not send. The faults: stack 0
/// exceeds PM for 3 hours two days before the replay; stack 1 repeats one
/// SO2 value for 8 hours; stack 2 sends zero PM for 4 hours; stack 3
/// sends nothing for 5 hours; stack 4 is in maintenance (M) for 6 hours;
/// stack 5 exceeds NOx in the 4th to 6th live hours.
pub fn hour(s: &Stack, k: i64) -> Option<String> {
    let n = s.index as u64;
    let h = k as u64;
    let j = |x: f64, a: u64| x * (0.85 + 0.3 * noise(n * 7 + a, h));
    // O2 a little above the limits' reference, so corrected values are
    // near the measured ones; the measured stay well under the limits.
    let o2 = s.o2 + noise(n * 7 + 1, h) - 0.5;
    let scale = 0.35;
    let mut pm = j(s.pm * scale, 2);
    let mut so2 = j(s.so2 * scale, 3);
    let mut nox = j(s.nox * scale, 4);
    let mut flag = "N";
    match (s.play, k) {
        (0, -48..=-46) => pm = s.pm * 1.9,
        (1, -80..=-73) => so2 = (s.so2 * scale * 100.0).round() / 100.0,
        (2, -30..=-27) => pm = 0.0,
        (3, -60..=-56) => return None,
        (4, -20..=-15) => flag = "M",
        (5, 3..=5) => nox = s.nox * 1.6,
        _ => {}
    }
    Some(format!(
        "a34013-Avg={pm:.2},a34013-Flag={flag};a21026-Avg={so2:.2},a21026-Flag={flag};a21002-Avg={nox:.2},a21002-Flag={flag};a19001-Avg={o2:.2},a19001-Flag={flag}"
    ))
}

/// Devices keep Beijing time; stored instants are UTC.
fn utc_of(local: NaiveDateTime) -> i64 {
    local.and_utc().timestamp() - 8 * 3600
}

fn values_of(cp: &str, field_suffix: &str) -> Vec<ValueRec> {
    let mut out = Vec::new();
    for part in cp.split(';') {
        let mut code = "";
        let mut raw = String::new();
        let mut flag = None;
        for kv in part.split(',') {
            let Some((k, v)) = kv.split_once('=') else {
                continue;
            };
            if let Some(c) = k.strip_suffix(field_suffix) {
                code = c.strip_suffix('-').unwrap_or(c);
                raw = v.to_string();
            } else if k.ends_with("-Flag") {
                flag = Some(v.to_string());
            }
        }
        if !code.is_empty() {
            out.push(ValueRec {
                code: code.to_string(),
                field: field_suffix.to_string(),
                num: raw.parse().ok(),
                raw,
                flag,
            });
        }
    }
    out
}

/// Hours of the week before `live_from`, stored at once; and the meters'
/// 5-minute samples of the day before (the treatment plant off for an
/// hour while the kiln runs, four hours before the replay). Returns the
/// uploads stored.
pub async fn preload(
    store: &Store,
    stacks: &[Stack],
    meter: Option<&(String, i64)>,
    live_from: NaiveDate,
) -> Result<usize> {
    let Some(start) = live_from.and_hms_opt(0, 0, 0) else {
        return Ok(0);
    };
    let now = chrono::Utc::now().timestamp_millis();
    let mut batch = Batch::default();
    for s in stacks {
        for k in -168i64..0 {
            let Some(cp) = hour(s, k) else { continue };
            let t = start + chrono::Duration::hours(k);
            batch.uploads.push(UploadRec {
                device_id: s.device_id,
                mn: s.mn.clone(),
                cn: 2061,
                data_time: utc_of(t),
                qn: None,
                received_ms: now,
                late: false,
                values: values_of(&cp, "Avg"),
            });
        }
    }
    if let Some((mn, id)) = meter {
        for m in -(24 * 12)..0i64 {
            let t = start + chrono::Duration::minutes(5 * m);
            let off = (-4 * 12..-3 * 12).contains(&m);
            let prod = 150.0 + 20.0 * noise(m as u64, 1);
            let treat = if off {
                1.5
            } else {
                60.0 + 8.0 * noise(m as u64, 2)
            };
            let cp =
                format!("d20001-Rtd={prod:.1},d20001-Flag=N;d20002-Rtd={treat:.1},d20002-Flag=N");
            batch.uploads.push(UploadRec {
                device_id: *id,
                mn: mn.clone(),
                cn: 2011,
                data_time: utc_of(t),
                qn: None,
                received_ms: now,
                late: false,
                values: values_of(&cp, "Rtd"),
            });
        }
    }
    let n = batch.uploads.len();
    store.write_batch(&batch, "demo").await?;
    Ok(n)
}

/// Plays each stack's next hour every `every` over HJ 212, from
/// `live_from`, until `deadline` (one connection per device, answers read
/// and dropped).
pub async fn replay(
    target: String,
    stacks: Vec<Stack>,
    live_from: NaiveDate,
    every: Duration,
    deadline: std::time::Instant,
) {
    let Some(start) = live_from.and_hms_opt(0, 0, 0) else {
        return;
    };
    let mut conns = Vec::new();
    for s in &stacks {
        match tokio::net::TcpStream::connect(&target).await {
            Ok(c) => conns.push(Some(c)),
            Err(_) => conns.push(None),
        }
        let _ = s;
    }
    let mut tick = tokio::time::interval(every);
    let mut buf = vec![0u8; 4096];
    for k in 0i64.. {
        tick.tick().await;
        if std::time::Instant::now() >= deadline {
            return;
        }
        let t = start + chrono::Duration::hours(k);
        for (s, c) in stacks.iter().zip(conns.iter_mut()) {
            let Some(cp) = hour(s, k) else { continue };
            if c.is_none() {
                *c = tokio::net::TcpStream::connect(&target).await.ok();
            }
            let Some(conn) = c.as_mut() else { continue };
            let seg = lantian_hj212::build::SegmentBuilder::new()
                .qn(&format!("{}{:03}", t.format("%Y%m%d%H%M%S"), s.play))
                .st("31")
                .cn("2061")
                .pw(PASSWORD)
                .mn(&s.mn)
                .flag(5)
                .cp("DataTime", &t.format("%Y%m%d%H%M%S").to_string())
                .cp_raw(&cp)
                .build();
            let Ok(frame) = lantian_hj212::build::frame(&seg) else {
                continue;
            };
            if conn.write_all(&frame).await.is_err() {
                *c = None;
                continue;
            }
            // The answer (9014) after the commit; not waited for long.
            let _ = tokio::time::timeout(Duration::from_millis(50), conn.read(&mut buf)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_register_reads_back_by_the_register_rules() {
        let firms = firms();
        assert_eq!(firms.len(), 20);
        let known = lantian_sources::register::Known {
            townships: TOWNSHIPS.iter().map(|(n, _)| n.to_string()).collect(),
            outlet_mns: Default::default(),
        };
        let r = lantian_sources::register::read(&lantian_sources::register::tables(&firms), &known);
        assert!(r.issues.is_empty(), "{:?}", r.issues);
        assert_eq!(r.firms, firms);
        // Eight CEMS outlets, each with the default limits of its type.
        let cems: Vec<&Outlet> = firms
            .iter()
            .flat_map(|f| &f.outlets)
            .filter(|o| o.mn.is_some())
            .collect();
        assert_eq!(cems.len(), 8);
        assert!(firms.iter().all(|f| !f.limits.is_empty() && f.sample));
    }

    #[test]
    fn the_injected_faults_are_where_the_comment_says() {
        let s = |play| Stack {
            index: play,
            play,
            mn: "X".into(),
            device_id: 1,
            o2: 6.0,
            pm: 10.0,
            so2: 35.0,
            nox: 50.0,
        };
        assert_eq!(hour(&s(3), -58), None, "the gap");
        assert!(hour(&s(4), -16).unwrap().contains("a34013-Flag=M"));
        assert!(hour(&s(2), -28).unwrap().starts_with("a34013-Avg=0.00,"));
        assert_eq!(
            hour(&s(1), -80).unwrap().split(';').nth(1),
            hour(&s(1), -73).unwrap().split(';').nth(1)
        );
        assert!(hour(&s(0), -47).unwrap().starts_with("a34013-Avg=19.00,"));
    }
}
