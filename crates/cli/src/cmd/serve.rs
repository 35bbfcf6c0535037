//! `lantian serve`, `lantian device …`, `lantian audit acks`.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use lantian_hj212::message::DataTime;
use lantian_server::config::{Config, Overrides};
use lantian_store::{DeviceSpec, Site, Store};
use lantian_types::{Mn, SiteCode};
use serde_json::json;

/// The database when none is named: an SQLite file in the working directory.
pub const DEFAULT_DB: &str = "sqlite://lantian.db";

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// TOML configuration file (see README for the keys).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// sqlite://PATH or postgres://… (default sqlite://lantian.db).
    #[arg(long)]
    pub database: Option<String>,
    /// HJ 212 listener address (default 0.0.0.0:9212).
    #[arg(long)]
    pub hj212: Option<String>,
    /// HTTP listener address (default 127.0.0.1:8080).
    #[arg(long)]
    pub http: Option<String>,
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Logs to stderr at `LANTIAN_LOG` (default `default`: info for serve).
pub(crate) fn init_logs_at(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LANTIAN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn serve(a: ServeArgs) -> Result<()> {
    init_logs_at("info");
    let cfg = Config::load(
        a.config.as_deref(),
        &Overrides {
            database: a.database,
            hj212: a.hj212,
            http: a.http,
        },
    )?;
    runtime()?.block_on(async move {
        let running = lantian_server::start(cfg).await?;
        eprintln!(
            "lantian serve: HJ 212 on {}, HTTP on {} (Ctrl-C or SIGTERM to stop)",
            running.hj212_addr, running.http_addr
        );
        let stop = running.stopper();
        tokio::spawn(async move {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
            }
            tracing::info!("signal received: stopping");
            let _ = stop.send(true);
        });
        running.wait().await
    })
}

#[derive(Debug, clap::Subcommand)]
pub enum DeviceCommand {
    /// Register a device (and its site); an existing MN is updated.
    Add(Box<DeviceAddArgs>),
    /// List the registered devices, with when each was last heard from.
    List {
        #[arg(long, default_value = DEFAULT_DB)]
        database: String,
        #[arg(long)]
        json: bool,
        /// A device silent this long (seconds; data or heartbeat) is offline.
        #[arg(long, default_value_t = 600)]
        offline_after: i64,
    },
    /// Register every device of a CSV file (see README for the columns).
    Import {
        #[arg(long, default_value = DEFAULT_DB)]
        database: String,
        file: PathBuf,
    },
    /// HJ 212-2025 data loggers that announced themselves (1001) and wait.
    Pending {
        #[arg(long, default_value = DEFAULT_DB)]
        database: String,
    },
    /// Approve a pending data logger: register it as a device with this MN;
    /// `serve` assigns the MN (1002) the next time the logger announces itself.
    Approve {
        /// The logger id (i23005-Info) from `device pending`.
        logger_id: String,
        #[command(flatten)]
        device: Box<DeviceAddArgs>,
    },
    /// Stop accepting a device's data (its frames go to quarantine).
    Disable {
        #[arg(long, default_value = DEFAULT_DB)]
        database: String,
        mn: String,
    },
    /// Accept a disabled device again.
    Enable {
        #[arg(long, default_value = DEFAULT_DB)]
        database: String,
        mn: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct DeviceAddArgs {
    #[arg(long, default_value = DEFAULT_DB)]
    pub database: String,
    #[arg(long)]
    pub mn: String,
    #[arg(long)]
    pub password: String,
    /// Site code (created if new).
    #[arg(long)]
    pub site: String,
    #[arg(long)]
    pub site_name: Option<String>,
    /// ambient, micro, outlet, construction, restaurant, other.
    #[arg(long, default_value = "ambient")]
    pub site_kind: String,
    #[arg(long)]
    pub township: Option<String>,
    #[arg(long)]
    pub lon: Option<f64>,
    #[arg(long)]
    pub lat: Option<f64>,
    /// A background/control site: left out of area values.
    #[arg(long)]
    pub background: bool,
    /// ambient, cems, vocs, dust, fume, water, other.
    #[arg(long, default_value = "ambient")]
    pub kind: String,
    /// The protocol the device is answered in: auto (its packet's own
    /// version), 2005, 2017 or 2025.
    #[arg(long, default_value = "auto", value_parser = ["auto", "2005", "2017", "2025"])]
    pub protocol: String,
    /// hj212 or modbus.
    #[arg(long, default_value = "hj212")]
    pub crc: String,
    /// Units that differ from the code table, e.g. `a21026=ug/m3;a21004=ug/m3`.
    #[arg(long, default_value = "")]
    pub units: String,
    /// HJ 212-2025 SM4 key of the device (16 characters or 32 hex digits);
    /// sealed with LANTIAN_MASTER_KEY before it is stored.
    #[arg(long)]
    pub sm4_key: Option<String>,
    #[arg(long)]
    pub rtd_interval: Option<i64>,
    #[arg(long)]
    pub min_interval: Option<i64>,
}

/// Seals a device key given on the command line or in a CSV with the master
/// key from `LANTIAN_MASTER_KEY`.
fn seal_key(key: Option<&str>) -> Result<Option<String>, String> {
    let Some(k) = key.filter(|k| !k.trim().is_empty()) else {
        return Ok(None);
    };
    let key = lantian_server::keys::parse_key(k)?;
    let master = lantian_server::keys::master_from_env()?
        .ok_or("set LANTIAN_MASTER_KEY (32 hex digits) to store device keys sealed")?;
    Ok(Some(lantian_server::keys::seal(&master, &key)))
}

impl DeviceAddArgs {
    fn device(&self) -> Result<DeviceSpec> {
        let flag = |name: &'static str| move |e: String| anyhow::anyhow!("--{name}: {e}");
        Ok(DeviceSpec {
            mn: Mn::parse(&self.mn).map_err(flag("mn"))?,
            password: self.password.clone(),
            site: Site {
                code: SiteCode::parse(&self.site).map_err(flag("site"))?,
                name: self.site_name.clone().unwrap_or_else(|| self.site.clone()),
                kind: self.site_kind.parse().map_err(flag("site-kind"))?,
                township: self.township.clone(),
                lon: self.lon,
                lat: self.lat,
                assessment: !self.background,
            },
            kind: self.kind.parse().map_err(flag("kind"))?,
            protocol: self.protocol.parse().map_err(flag("protocol"))?,
            crc: self.crc.parse().map_err(flag("crc"))?,
            unit_overrides: self.units.clone(),
            rtd_interval_s: self.rtd_interval,
            min_interval_min: self.min_interval,
            sm4_key_sealed: seal_key(self.sm4_key.as_deref()).map_err(anyhow::Error::msg)?,
        })
    }
}

pub use lantian_server::registry::DEVICE_CSV_HEADER;

/// One CSV row into a device (keys sealed with `LANTIAN_MASTER_KEY`).
pub fn device_of_row(r: &csv::StringRecord, h: &csv::StringRecord) -> Result<DeviceSpec, String> {
    lantian_server::registry::device_of_row(r, h, &|k| {
        seal_key(Some(k)).map(Option::unwrap_or_default)
    })
}

pub fn device(cmd: DeviceCommand) -> Result<()> {
    runtime()?.block_on(async move {
        match cmd {
            DeviceCommand::Add(a) => {
                let store = Store::connect(&a.database).await?;
                let id = store.add_device(&a.device()?, "cli").await?;
                println!("registered {} (id {id})", a.mn);
            }
            DeviceCommand::List {
                database,
                json,
                offline_after,
            } => {
                let store = Store::connect(&database).await?;
                let devices = store.devices().await?;
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as i64);
                let online = |dev: &lantian_store::Device| dev.is_online(now, offline_after * 1000);
                let last_seen = |dev: &lantian_store::Device| {
                    dev.last_seen_ms.and_then(lantian_types::time::shanghai_ms)
                };
                if json {
                    let v: Vec<_> = devices
                        .iter()
                        .map(|dev| {
                            lantian_server::http::DeviceView::of(dev, now, offline_after * 1000)
                        })
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&v)?);
                } else {
                    println!(
                        "{:<26} {:<16} {:<8} {:<6} {:<7} {:<8} {:<25} site name",
                        "MN", "site", "kind", "crc", "enabled", "online", "last seen"
                    );
                    for dev in &devices {
                        let d = &dev.spec;
                        println!(
                            "{:<26} {:<16} {:<8} {:<6} {:<7} {:<8} {:<25} {}",
                            d.mn,
                            d.site.code,
                            d.kind,
                            d.crc,
                            if dev.enabled { "yes" } else { "no" },
                            if online(dev) { "在线" } else { "离线" },
                            last_seen(dev).unwrap_or_else(|| "—".into()),
                            d.site.name
                        );
                    }
                    println!("{} devices", devices.len());
                }
            }
            DeviceCommand::Import { database, file } => {
                let store = Store::connect(&database).await?;
                let mut rdr = csv::ReaderBuilder::new()
                    .flexible(true)
                    .from_path(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let h = rdr.headers()?.clone();
                let (mut ok, mut bad) = (0, 0);
                for rec in rdr.records() {
                    let line = match &rec {
                        Ok(r) => r.position().map_or(0, |p| p.line()),
                        Err(e) => e.position().map_or(0, |p| p.line()),
                    };
                    let res = match rec {
                        Ok(r) => device_of_row(&r, &h),
                        Err(e) => Err(e.to_string()),
                    };
                    match res {
                        Ok(d) => match store.add_device(&d, "cli").await {
                            Ok(_) => ok += 1,
                            Err(e) => {
                                bad += 1;
                                eprintln!("{}:{line}: {e}", file.display());
                            }
                        },
                        Err(e) => {
                            bad += 1;
                            eprintln!("{}:{line}: {e}", file.display());
                        }
                    }
                }
                println!("imported {ok} devices, {bad} rows skipped");
                if ok == 0 && bad > 0 {
                    bail!("nothing imported from {}", file.display());
                }
            }
            DeviceCommand::Pending { database } => {
                let store = Store::connect(&database).await?;
                let pending = store.pending_loggers().await?;
                println!(
                    "{:<26} {:<14} {:<14} {:<22} MN",
                    "logger id", "CPU", "MAC1", "peer"
                );
                for l in &pending {
                    println!(
                        "{:<26} {:<14} {:<14} {:<22} {}",
                        l.logger_id,
                        l.cpu_id.as_deref().unwrap_or("—"),
                        l.mac1.as_deref().unwrap_or("—"),
                        l.peer,
                        l.approved_mn.as_deref().unwrap_or("待审批 pending")
                    );
                }
                println!("{} loggers", pending.len());
            }
            DeviceCommand::Approve { logger_id, device } => {
                let store = Store::connect(&device.database).await?;
                if !store
                    .pending_loggers()
                    .await?
                    .iter()
                    .any(|l| l.logger_id == logger_id)
                {
                    bail!("no pending logger {logger_id} (see lantian device pending)");
                }
                store.add_device(&device.device()?, "cli").await?;
                store.approve_logger(&logger_id, &device.mn, "cli").await?;
                println!("approved {logger_id} as {}", device.mn);
            }
            DeviceCommand::Disable { database, mn } => {
                let store = Store::connect(&database).await?;
                if !store.set_enabled(&mn, false, "cli").await? {
                    bail!("no device with MN {mn}");
                }
                println!("disabled {mn}");
            }
            DeviceCommand::Enable { database, mn } => {
                let store = Store::connect(&database).await?;
                if !store.set_enabled(&mn, true, "cli").await? {
                    bail!("no device with MN {mn}");
                }
                println!("enabled {mn}");
            }
        }
        Ok(())
    })
}

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Check that every acknowledged frame of an ack log (`MN QN DataTime`
    /// per line, as `lantian simulate --ack-log` writes) is stored; with
    /// `--against`, also that its values are the same as in that database
    /// (an upper platform's database checked against the county's that
    /// forwarded to it: nothing lost, nothing changed, nothing twice).
    Acks {
        #[arg(long, default_value = DEFAULT_DB)]
        database: String,
        /// The database the frames were first stored in (the county's).
        #[arg(long)]
        against: Option<String>,
        file: PathBuf,
    },
}

pub fn audit(cmd: AuditCommand) -> Result<()> {
    let AuditCommand::Acks {
        database,
        against,
        file,
    } = cmd;
    let f =
        std::fs::File::open(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut lines = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line?;
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.is_empty() {
            continue;
        }
        let [mn, _qn, dt] = parts[..] else {
            bail!("{}:{}: expected `MN QN DataTime`", file.display(), i + 1);
        };
        let t = DataTime::parse(dt)
            .with_context(|| format!("{}:{}: bad DataTime `{dt}`", file.display(), i + 1))?;
        lines.push((mn.to_string(), t.unix_seconds(8 * 3600)));
    }
    let compare = against.is_some();
    let (acked, missing, different) = runtime()?.block_on(async move {
        let store = Store::connect(&database).await?;
        let first = match &against {
            Some(url) => Some(Store::connect(url).await?),
            None => None,
        };
        let mut missing = Vec::new();
        let mut different = Vec::new();
        for (mn, ts) in &lines {
            if !store.upload_exists(mn, *ts).await? {
                missing.push((mn.clone(), *ts));
                continue;
            }
            if let Some(first) = &first
                && store.upload_values(mn, *ts).await? != first.upload_values(mn, *ts).await?
            {
                different.push((mn.clone(), *ts));
            }
        }
        anyhow::Ok((lines.len(), missing, different))
    })?;
    for (mn, ts) in missing.iter().take(20) {
        eprintln!("missing: MN {mn} at {ts} (UTC seconds)");
    }
    for (mn, ts) in different.iter().take(20) {
        eprintln!(
            "different: MN {mn} at {ts} (UTC seconds): the values are not those of --against"
        );
    }
    if compare {
        println!(
            "{}",
            json!({"acked": acked, "missing": missing.len(), "different": different.len()})
        );
    } else {
        println!("{}", json!({"acked": acked, "missing": missing.len()}));
    }
    if !missing.is_empty() {
        bail!("{} acknowledged uploads are not stored", missing.len());
    }
    if !different.is_empty() {
        bail!("{} uploads differ from --against", different.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: &str) -> Result<DeviceSpec, String> {
        let h = csv::StringRecord::from(DEVICE_CSV_HEADER.split(',').collect::<Vec<_>>());
        let r = csv::StringRecord::from(line.split(',').collect::<Vec<_>>());
        device_of_row(&r, &h)
    }

    #[test]
    fn device_rows_name_what_is_wrong() {
        let ok = row("MN1,pw,S1,东四,ambient,,116.4,39.9,1,ambient,,hj212,,,,").unwrap();
        assert_eq!((ok.protocol.as_str(), ok.crc.as_str()), ("auto", "hj212"));
        let v = row("MN1,pw,S1,东四,ambient,,116.4,39.9,1,ambient,2025,modbus,,,,").unwrap();
        assert_eq!((v.protocol.as_str(), v.crc.as_str()), ("2025", "modbus"));
        for (line, why) in [
            (
                "MN1,pw,S1,,,,,,1,ambient,2019,,,,,",
                "protocol `2019`: auto, 2005, 2017 or 2025",
            ),
            (
                "MN1,pw,S1,,,,,,1,ambient,,crc32,,,,",
                "crc `crc32`: hj212 or modbus",
            ),
            (
                "MN1,pw,S1,,,,east,,1,ambient,,,,,,",
                "lon `east` is not a number",
            ),
            (",pw,S1,,,,,,1,ambient,,,,,,", "empty mn"),
            (
                "MN1,pw,..etc,,,,,,1,ambient,,,,,,",
                "site code `..etc` starts with `.`",
            ),
            (
                "MN1,pw,BY\r\nX,,,,,,1,ambient,,,,,,",
                "site code `BY\\r\\nX`: the character U+000D is not allowed (letters, digits, - _ .)",
            ),
            (
                "MN1,pw,a/b,,,,,,1,ambient,,,,,,",
                "site code `a/b`: `/` is not allowed (letters, digits, - _ .)",
            ),
        ] {
            assert_eq!(row(line).unwrap_err(), why, "{line}");
        }
    }
}
