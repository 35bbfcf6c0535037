//! `lantian demo`: the newcomer's first command. Creates an embedded
//! database, registers the 12 stations of the committed Beijing sample
//! (real coordinates from the CNEMC release), loads their history up to
//! 2016-06-30 straight into the store, starts `serve`, and replays the rest
//! as live HJ 212 traffic: every station's next hour every `--every`
//! seconds. Prints the address and a one-time login.

use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::{Datelike, Days, NaiveDate, NaiveDateTime};
use lantian_assess::input::{self, Format, HourLabel, ReadOptions};
use lantian_server::config::{Config, Overrides};
use lantian_standards::pollutant::Unit;
use lantian_store::{Batch, DeviceSpec, Site, Store, UploadRec, ValueRec};
use lantian_types::{CrcDialect, DeviceKind, Mn, Protocol, SiteCode, SiteKind};

use crate::cmd::serve::runtime;

pub mod alerts;
pub mod fires;
pub mod ledger;
pub mod reviews;
pub mod sources;
mod tickets;
use crate::cmd::simulate;

/// The committed sample: (file name, gzipped UCI rows).
const SAMPLE: [(&str, &[u8]); 12] = [
    (
        "Aotizhongxin",
        include_bytes!("../../../demo/PRSA_Data_Aotizhongxin_2015-2016.csv.gz"),
    ),
    (
        "Changping",
        include_bytes!("../../../demo/PRSA_Data_Changping_2015-2016.csv.gz"),
    ),
    (
        "Dingling",
        include_bytes!("../../../demo/PRSA_Data_Dingling_2015-2016.csv.gz"),
    ),
    (
        "Dongsi",
        include_bytes!("../../../demo/PRSA_Data_Dongsi_2015-2016.csv.gz"),
    ),
    (
        "Guanyuan",
        include_bytes!("../../../demo/PRSA_Data_Guanyuan_2015-2016.csv.gz"),
    ),
    (
        "Gucheng",
        include_bytes!("../../../demo/PRSA_Data_Gucheng_2015-2016.csv.gz"),
    ),
    (
        "Huairou",
        include_bytes!("../../../demo/PRSA_Data_Huairou_2015-2016.csv.gz"),
    ),
    (
        "Nongzhanguan",
        include_bytes!("../../../demo/PRSA_Data_Nongzhanguan_2015-2016.csv.gz"),
    ),
    (
        "Shunyi",
        include_bytes!("../../../demo/PRSA_Data_Shunyi_2015-2016.csv.gz"),
    ),
    (
        "Tiantan",
        include_bytes!("../../../demo/PRSA_Data_Tiantan_2015-2016.csv.gz"),
    ),
    (
        "Wanliu",
        include_bytes!("../../../demo/PRSA_Data_Wanliu_2015-2016.csv.gz"),
    ),
    (
        "Wanshouxigong",
        include_bytes!("../../../demo/PRSA_Data_Wanshouxigong_2015-2016.csv.gz"),
    ),
];
const STATIONS: &str = include_str!("../../../demo/stations.csv");

/// The note every page shows.
pub const LABEL: &str = "示例数据：北京市 12 个国控站点 2015–2016 年小时数据（UCI Beijing Multi-Site Air-Quality, CC BY 4.0），以 HJ 212 实时上报方式回放，并非泌阳县数据。Sample data: Beijing's 12 national stations, 2015–2016 (UCI, CC BY 4.0), replayed as live HJ 212 uploads — not Biyang County data.";

const DEFAULT_DB: &str = "sqlite://lantian-demo.db";
const PREFIX: &str = "LTDEMO";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Database; the default file is recreated on every start.
    #[arg(long, default_value = DEFAULT_DB)]
    pub database: String,
    /// HTTP listener (the dashboard and the API).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub http: String,
    /// HJ 212 listener the simulated stations upload to.
    #[arg(long, default_value = "127.0.0.1:9212")]
    pub hj212: String,
    /// Seconds between two live hours of each station.
    #[arg(long, default_value_t = 5.0)]
    pub every: f64,
    /// Live replay starts at this day; the hours before it are loaded at once.
    #[arg(long, default_value = "2016-07-01")]
    pub live_from: NaiveDate,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    pub duration: Option<u64>,
}

/// One station of `stations.csv`.
struct Station {
    code: String,
    name_zh: String,
    lon: f64,
    lat: f64,
    /// The Beijing district (区) of the station, standing in for a township.
    district: String,
}

fn stations() -> Result<Vec<Station>> {
    let mut r = csv::Reader::from_reader(STATIONS.as_bytes());
    r.records()
        .map(|rec| {
            let rec = rec?;
            Ok(Station {
                code: rec[0].to_string(),
                name_zh: rec[2].to_string(),
                lon: rec[3].parse()?,
                lat: rec[4].parse()?,
                district: rec[5].to_string(),
            })
        })
        .collect()
}

/// Unpacks the sample into a temporary folder for the file readers.
fn unpack() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("lantian-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    for (name, gz) in SAMPLE {
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_end(&mut text)
            .with_context(|| format!("sample {name}"))?;
        std::fs::write(dir.join(format!("PRSA_Data_{name}_2015-2016.csv")), text)?;
    }
    Ok(dir)
}

/// Wind of each station-hour in the sample: (station, hour start) →
/// (direction in degrees, speed m/s). UCI gives a 16-point compass name
/// (`N`, `NNE`, …); its degrees are the point's centre.
type Wind = std::collections::HashMap<(String, NaiveDateTime), (f64, f64)>;

fn wind(dir: &std::path::Path) -> Result<Wind> {
    const POINTS: [&str; 16] = [
        "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW",
        "NW", "NNW",
    ];
    let mut out = Wind::new();
    for (name, _) in SAMPLE {
        let path = dir.join(format!("PRSA_Data_{name}_2015-2016.csv"));
        let mut r = csv::Reader::from_path(&path)?;
        for rec in r.records() {
            let rec = rec?;
            let (Some(k), Some(speed)) = (
                POINTS.iter().position(|p| *p == &rec[10]),
                rec[11].parse::<f64>().ok(),
            ) else {
                continue;
            };
            let num = |i: usize| rec[i].parse::<u32>().ok();
            let Some(t) = num(0)
                .zip(num(1))
                .zip(num(2))
                .and_then(|((y, m), d)| NaiveDate::from_ymd_opt(y as i32, m, d))
                .and_then(|d| d.and_hms_opt(num(3)?, 0, 0))
            else {
                continue;
            };
            out.insert((name.to_string(), t), (k as f64 * 22.5, speed));
        }
    }
    Ok(out)
}

/// The wind of an hour as stored values (a01008 direction, a01007 speed).
fn wind_values(w: Option<&(f64, f64)>) -> Vec<ValueRec> {
    let Some((deg, speed)) = w else {
        return Vec::new();
    };
    [("a01008", format!("{deg}")), ("a01007", format!("{speed}"))]
        .into_iter()
        .map(|(code, raw)| ValueRec {
            code: code.into(),
            field: "Avg".into(),
            num: raw.parse().ok(),
            raw,
            flag: Some("N".into()),
        })
        .collect()
}

/// Registers the stations' devices; their ids by station index.
async fn register(store: &Store, stations: &[Station]) -> Result<Vec<i64>> {
    let mut ids = Vec::new();
    for (i, s) in stations.iter().enumerate() {
        let (mn, password, units) = simulate::ambient_device(PREFIX, i);
        let spec = DeviceSpec {
            mn: Mn::parse(&mn).map_err(anyhow::Error::msg)?,
            password,
            site: Site {
                code: SiteCode::parse(&s.code).map_err(anyhow::Error::msg)?,
                name: s.name_zh.clone(),
                kind: SiteKind::Ambient,
                township: Some(s.district.clone()),
                lon: Some(s.lon),
                lat: Some(s.lat),
                // Dingling is Beijing's background (对照) site.
                assessment: s.code != "Dingling",
            },
            kind: DeviceKind::Ambient,
            protocol: Protocol::V2017,
            crc: CrcDialect::Hj212,
            unit_overrides: units.into(),
            rtd_interval_s: None,
            min_interval_min: None,
            sm4_key_sealed: None,
        };
        ids.push(store.add_device(&spec, "demo").await?);
    }
    Ok(ids)
}

/// Loads every hour before `live_from` as stored 2061 uploads (what the
/// devices would have sent), in batches.
async fn preload(
    store: &Store,
    dir: &std::path::Path,
    ids: &[i64],
    live_from: NaiveDate,
    wind: &Wind,
) -> Result<usize> {
    let ds = input::read(
        dir,
        &ReadOptions {
            format: Format::Auto,
            uci_hours: HourLabel::Start,
            long_co_unit: Unit::MgPerM3,
            progress: false,
            window: None,
        },
    )?;
    let (start, hours) = ds.to_hours().context("the sample has no data")?;
    let now = chrono::Utc::now().timestamp_millis();
    let mut batch = Batch::default();
    let mut n = 0;
    for (st, h) in ds.stations.iter().zip(&hours) {
        let Some(i) = SAMPLE.iter().position(|(name, _)| *name == st.name) else {
            continue;
        };
        let (mn, _, _) = simulate::ambient_device(PREFIX, i);
        for k in 0..h.hours[0].len() {
            let Some(local) = start
                .checked_add_days(Days::new((k / 24) as u64))
                .and_then(|d| d.and_hms_opt((k % 24) as u32, 0, 0))
            else {
                continue;
            };
            if local.date() >= live_from {
                break;
            }
            let mut values: Vec<ValueRec> = lantian_assess::input::AMBIENT_CODES
                .iter()
                .filter_map(|(p, code)| {
                    let v = h.hours[p.index()][k]?;
                    let raw = v.normalize().to_string();
                    Some(ValueRec {
                        code: code.to_string(),
                        field: "Avg".into(),
                        num: raw.parse().ok(),
                        raw,
                        flag: Some("N".into()),
                    })
                })
                .collect();
            if values.is_empty() {
                continue;
            }
            values.extend(wind_values(wind.get(&(st.name.clone(), local))));
            // Devices keep Beijing time; stored instants are UTC.
            let ts = local.and_utc().timestamp() - 8 * 3600;
            batch.uploads.push(UploadRec {
                device_id: ids[i],
                mn: mn.clone(),
                cn: 2061,
                data_time: ts,
                qn: None,
                received_ms: now,
                late: false,
                values,
            });
            n += 1;
            if batch.uploads.len() >= 2000 {
                store
                    .write_batch(&std::mem::take(&mut batch), "demo")
                    .await?;
            }
        }
    }
    store.write_batch(&batch, "demo").await?;
    Ok(n)
}

pub fn run(a: Args) -> Result<()> {
    // Warnings only: the demo's own lines stay readable (LANTIAN_LOG=info for more).
    crate::cmd::serve::init_logs_at("warn");
    if a.database == DEFAULT_DB {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("lantian-demo.db{suffix}"));
        }
    }
    let stations = stations()?;
    let dir = unpack()?;
    let mut cfg = Config::load(
        None,
        &Overrides {
            database: Some(a.database.clone()),
            hj212: Some(a.hj212.clone()),
            http: Some(a.http.clone()),
        },
    )?;
    cfg.label = LABEL.into();
    cfg.analysis_every_s = 5;
    cfg.tickets_every_s = 30;
    // The demo's data are of 2015–2016: a brief of yesterday has no data,
    // so the schedule is off; the demo archives its history's reports
    // itself once the server runs.
    cfg.reports_every_s = 0;
    // Reporters' contacts are sealed with the master key: the demo makes
    // one for its run when none is given (its database is thrown away).
    if cfg.master_key.is_empty() {
        let k: [u8; 16] = lantian_server::keys::random_bytes()?;
        cfg.master_key = k.iter().map(|b| format!("{b:02X}")).collect();
    }
    let every = Duration::from_secs_f64(a.every.max(0.05));
    runtime()?.block_on(async move {
        let store = Store::connect(&cfg.database).await?;
        let ids = register(&store, &stations).await?;
        let wind = wind(&dir)?;
        let loaded = preload(&store, &dir, &ids, a.live_from, &wind).await?;
        let (stacks, meter) = sources::register(&store).await?;
        sources::preload(&store, &stacks, meter.as_ref(), a.live_from).await?;
        let password = lantian_server::auth::generate_password()?;
        let hash = lantian_server::auth::hash_password(&password).map_err(anyhow::Error::msg)?;
        if store.user("admin").await?.is_some() {
            store.set_password_hash("admin", &hash, "demo").await?;
        } else {
            store.add_user("admin", &hash, "admin", None, "demo").await?;
        }
        let staff = tickets::users(&store).await?;
        // An upper platform's integration, bound to Dongsi: its token pushes hours.
        let feed_token = lantian_server::auth::generate_token()?;
        if store.user("jieru").await?.is_none() {
            let pw = lantian_server::auth::generate_password()?;
            let hash = lantian_server::auth::hash_password(&pw).map_err(anyhow::Error::msg)?;
            store.add_user("jieru", &hash, "integration", Some(reviews::STATION), "demo").await?;
        }
        store
            .add_token("jieru", &lantian_server::auth::token_hash(&feed_token), Some("demo"), "demo")
            .await?;
        let seeded = tickets::seed(&store, chrono::Utc::now().timestamp_millis()).await?;
        let now = chrono::Utc::now().timestamp_millis();
        alerts::seed(&store, now).await?;
        alerts::seed_loads(&store, now - 24 * 3_600_000, now).await?;
        alerts::seed_reduction(&store).await?;
        // The violators' tickets at once (the job would open them within
        // seconds; done here so the demo starts with them).
        lantian_server::jobs::alerts::check(
            &store,
            &lantian_alerts::compliance::Settings::default(),
            &lantian_tickets::rules::Rules::default(),
            now,
        )
        .await?;
        reviews::seed(&store, a.live_from).await?;
        let now_local = (chrono::Utc::now() + chrono::Duration::hours(8)).naive_utc();
        fires::seed(&store, now_local).await?;
        ledger::seed(&store, now_local.date()).await?;
        // Every report made from this database says its data are samples.
        store
            .put_document(
                lantian_server::jobs::reports::DATA_LABEL,
                LABEL,
                "demo",
                "the demo's sample label, printed on its reports",
            )
            .await?;
        drop(store);

        // A sample city platform: a second lantian, with the stations
        // registered, that the county forwards its stations' uploads to.
        let city_path = std::env::temp_dir().join(format!("lantian-demo-city-{}.db", std::process::id()));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", city_path.display()));
        }
        let city_db = format!("sqlite://{}", city_path.display());
        let city_store = Store::connect(&city_db).await?;
        register(&city_store, &stations).await?;
        drop(city_store);
        let mut city_cfg = Config::load(
            None,
            &Overrides {
                database: Some(city_db),
                hj212: Some("127.0.0.1:0".into()),
                http: Some("127.0.0.1:0".into()),
            },
        )?;
        city_cfg.label = "示例市级平台（接收县级转发的样例数据）".into();
        city_cfg.freshness_every_s = 0;
        // The sample city holds no station of its own to report on, no
        // alert and no plan: its schedules stay off (they would only warn).
        city_cfg.reports_every_s = 0;
        city_cfg.alerts_every_s = 0;
        city_cfg.ledger_every_s = 0;
        city_cfg.node = "city-sample".into();
        let city = lantian_server::start(city_cfg).await?;
        cfg.forward = vec![lantian_server::config::ForwardTarget {
            name: "city-sample".into(),
            target: city.hj212_addr.to_string(),
            protocol: "2017".into(),
            devices: lantian_server::config::ForwardDevices::List(
                (0..stations.len()).map(|i| simulate::ambient_device(PREFIX, i).0).collect(),
            ),
            mn: Default::default(),
            pw: None,
            from_start: false,
            window: 64,
            ack_timeout_s: 10,
            lag_alarm_s: 900,
            max_tries: 20,
        }];

        let report_settings = cfg.report_settings()?;
        let report_db = cfg.database.clone();
        let running = lantian_server::start(cfg).await?;
        // The 报告 page has the reports of the history to show, made in the
        // background while the demo runs: the brief of its last day, the
        // report of its last month and (public) of the year before the
        // replay, when the sample reaches back to it.
        let brief = a.live_from.pred_opt().context("the day before live data")?;
        let month = brief.with_day(1).context("the month before live data")?;
        let mut periods = vec![
            lantian_server::jobs::reports::Period::Month(month),
            lantian_server::jobs::reports::Period::Day(brief),
        ];
        if a.live_from.year() > 2015 {
            periods.push(lantian_server::jobs::reports::Period::Year(
                a.live_from.year() - 1,
            ));
        }
        tokio::spawn(async move {
            let Ok(store) = Store::connect(&report_db).await else {
                return;
            };
            for p in periods {
                if let Err(e) =
                    lantian_server::jobs::reports::make(&store, &report_settings, p, "demo", false).await
                {
                    eprintln!("demo report {}: {e:#}", p.key());
                }
            }
        });
        // The pages have figures to show before their address is printed.
        eprintln!("computing the first figures…");
        while lantian_server::figures::current(&running.figures).is_none() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let rows: Vec<_> = simulate::station_rows(&dir)?
            .into_iter()
            .map(|(name, rows)| {
                let live: Vec<(NaiveDateTime, String)> = rows
                    .into_iter()
                    .filter(|(t, _)| t.date() >= a.live_from)
                    .map(|(t, mut cp)| {
                        // The station's wind, as an ambient station reports it.
                        if let Some((deg, speed)) = wind.get(&(name.clone(), t)) {
                            cp.push_str(&format!(";a01008-Avg={deg},a01008-Flag=N;a01007-Avg={speed},a01007-Flag=N"));
                        }
                        (t, cp)
                    })
                    .collect();
                (name, live)
            })
            .collect();
        let _ = std::fs::remove_dir_all(&dir);
        // Devices in the order of SAMPLE, as registered.
        let mut ordered = Vec::new();
        for (name, _) in SAMPLE {
            let r = rows.iter().find(|(n, _)| n == name).cloned().unwrap_or((name.to_string(), Vec::new()));
            ordered.push(r);
        }
        let http = running.http_addr;
        let stacks_n = stacks.len();
        println!("蓝天 lantian demo — {loaded} station-hours loaded (Beijing sample, 2015-01-01 … {}), live replay from {} every {:.1} s", a.live_from.pred_opt().unwrap_or(a.live_from), a.live_from, every.as_secs_f64());
        println!();
        println!("  dashboard:    http://{http}/");
        println!("  public page:  http://{http}/#/public");
        println!("  API docs:     http://{http}/api/docs/");
        println!("  login:        admin / {password}   (one-time: printed only now)");
        for (name, role, scope, pw) in &staff {
            println!("                {name} / {pw}   ({role}{})", scope.map(|s| format!(": {s}")).unwrap_or_default());
        }
        println!("  HJ 212:       {} (simulated stations upload here)", running.hj212_addr);
        println!("  push:         curl -H 'Authorization: Bearer {feed_token}' -H 'Content-Type: text/csv' --data-binary $'station,time,pollutant,value\\n{},2014-12-31 24:00,PM2.5,35\\n' http://{http}/api/v1/observations", reviews::STATION);
        println!("                (数据接入: user jieru, an integration bound to {}: pushed hours go to the station's intake device; where the station has the hour already, the figures keep the first)", reviews::STATION);
        println!("  enterprises:  http://{http}/#/sources   (污染源: 20 示例企业 in Biyang's townships, {stacks_n} CEMS stacks played; sample firms)");
        println!("  alerts:       http://{http}/#/alerts    (应急: a sample episode, yellow raised to orange by the forecast)");
        println!("  review:       http://{http}/#/station/{}   (审核: a sample calibration mark; log in as shenhe to mark or restore)", reviews::STATION);
        println!("  forwarding:   http://{http}/#/devices   (数据转发: the stations' uploads go up to a sample city platform, a second lantian on {} — its public page http://{}/#/public)", city.hj212_addr, city.http_addr);
        println!("  tickets:      http://{http}/#/tickets   (工单: {} 示例工单 in every state, one overdue; sample tickets)", seeded.tickets);
        println!("  task ledger:  http://{http}/#/ledger    (任务台账: Biyang's plan, every measure per department and township, sample reports in every state; log in as zhujian or yangce to report)");
        println!("  assessment:   http://{http}/#/scores    (考核: this month's sample scores and ranks with the items behind them)");
        println!("  fire points:  http://{http}/#/fires     (火点: sample points of this year on synthetic township squares; log in as yangce to verify 羊册镇's)");
        println!("  report:       http://{http}/#/report    (举报, no login); follow one: http://{http}/#/report/{} (closed), …/{} (new)", seeded.closed_code, seeded.new_code);
        println!();
        println!("{LABEL}");
        println!("Ctrl-C stops.");
        let deadline = Instant::now() + Duration::from_secs(a.duration.unwrap_or(10 * 365 * 86400));
        let target = running.hj212_addr.to_string();
        let replay = tokio::spawn(simulate::replay_live(target.clone(), ordered, PREFIX.into(), every, deadline));
        let stack_replay = tokio::spawn(sources::replay(target, stacks, a.live_from, every, deadline));
        let stop = running.stopper();
        tokio::spawn(async move {
            let limit = async {
                match a.duration {
                    Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = limit => {}
            }
            let _ = stop.send(true);
        });
        running.wait().await?;
        replay.abort();
        stack_replay.abort();
        city.shutdown().await?;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", city_path.display()));
        }
        anyhow::Ok(())
    })
}
