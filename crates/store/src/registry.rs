//! The device registry: sites (stations, outlets, …), devices with their
//! settings and sealed keys, and HJ 212-2025 data loggers waiting to be
//! activated. Also the device page's health counts, which the writer keeps
//! as it writes (`device_counts`, see [`crate::journal`]).

use std::collections::HashMap;

use lantian_types::{CrcDialect, DeviceKind, Mn, Protocol, SiteCode, SiteKind};

use crate::{BeginWrite, Error, Result, Store, now_ms, on, read};

/// A site (station, outlet, construction site, …).
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub code: SiteCode,
    pub name: String,
    pub kind: SiteKind,
    pub township: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// Counts in area values (false for background/control sites).
    pub assessment: bool,
}

/// A device as registered: its id, whether it is enabled, and what was registered.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub id: i64,
    pub enabled: bool,
    /// When any accepted frame (data or heartbeat) last came, Unix ms.
    pub last_seen_ms: Option<i64>,
    /// The latest DataTime stored, of any period (UTC seconds).
    pub latest_data_s: Option<i64>,
    /// A site's intake device: it holds the hours pushed over HTTP or
    /// imported from files (see [`crate::intake`]), never a TCP line.
    pub intake: bool,
    pub spec: DeviceSpec,
}

impl Device {
    /// Online when any accepted frame (data or heartbeat) came within
    /// `offline_after_ms` of `now_ms`.
    pub fn is_online(&self, now_ms: i64, offline_after_ms: i64) -> bool {
        self.last_seen_ms
            .is_some_and(|t| now_ms - t <= offline_after_ms)
    }
}

/// A device to register (with its site, created or updated by code).
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceSpec {
    pub mn: Mn,
    pub password: String,
    pub site: Site,
    pub kind: DeviceKind,
    /// The HJ 212 version the device is answered in.
    pub protocol: Protocol,
    pub crc: CrcDialect,
    /// `code=unit;…` overriding the code table's default units.
    pub unit_overrides: String,
    pub rtd_interval_s: Option<i64>,
    pub min_interval_min: Option<i64>,
    /// HJ 212-2025 SM4 key, sealed with the master key (hex); `None`: the
    /// device does not encrypt. This crate never sees a key in clear.
    pub sm4_key_sealed: Option<String>,
}

/// A data logger that sent its hardware serials before it had an MN.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PendingLogger {
    pub logger_id: String,
    pub cpu_id: Option<String>,
    pub mac1: Option<String>,
    pub mac2: Option<String>,
    pub peer: String,
    /// First and last announcement, Unix ms.
    pub first_ms: i64,
    pub last_ms: i64,
    /// The MN an operator assigned, once approved.
    pub approved_mn: Option<String>,
}

/// How a device has been doing over a window (the device page).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceHealth {
    /// Journaled frames by verdict (stored, duplicate, rejected, …).
    pub frames: Vec<(String, i64)>,
    /// Values whose flag is not N (maintenance, calibration, fault…).
    pub flagged: i64,
}

impl DeviceHealth {
    /// Frames with this verdict.
    pub fn frames_of(&self, verdict: crate::Verdict) -> i64 {
        self.frames
            .iter()
            .filter(|(v, _)| v == verdict.as_str())
            .map(|(_, n)| n)
            .sum()
    }
}

/// A device row joined with its site, by column name.
#[derive(sqlx::FromRow)]
struct DeviceRow {
    id: i64,
    mn: String,
    password: String,
    kind: String,
    protocol: String,
    crc: String,
    unit_overrides: String,
    rtd_interval_s: Option<i64>,
    min_interval_min: Option<i64>,
    enabled: i64,
    last_seen_ms: Option<i64>,
    latest_data_s: Option<i64>,
    intake: i64,
    sm4_key_enc: Option<String>,
    site_code: String,
    site_name: String,
    site_kind: String,
    township: Option<String>,
    lon: Option<f64>,
    lat: Option<f64>,
    assessment: i64,
}

impl TryFrom<DeviceRow> for Device {
    type Error = Error;
    fn try_from(r: DeviceRow) -> Result<Self> {
        let bad = |e: String| Error::Invalid(format!("device row {} (MN {}): {e}", r.id, r.mn));
        Ok(Device {
            id: r.id,
            enabled: r.enabled != 0,
            last_seen_ms: r.last_seen_ms,
            latest_data_s: r.latest_data_s,
            intake: r.intake != 0,
            spec: DeviceSpec {
                mn: Mn::parse(&r.mn).map_err(bad)?,
                password: r.password.clone(),
                kind: r.kind.parse().map_err(bad)?,
                protocol: r.protocol.parse().map_err(bad)?,
                crc: r.crc.parse().map_err(bad)?,
                unit_overrides: r.unit_overrides.clone(),
                rtd_interval_s: r.rtd_interval_s,
                min_interval_min: r.min_interval_min,
                sm4_key_sealed: r.sm4_key_enc.clone(),
                site: Site {
                    code: SiteCode::parse(&r.site_code).map_err(bad)?,
                    name: r.site_name.clone(),
                    kind: r.site_kind.parse().map_err(bad)?,
                    township: r.township.clone(),
                    lon: r.lon,
                    lat: r.lat,
                    assessment: r.assessment != 0,
                },
            },
        })
    }
}

const DEVICES_SQL: &str = "SELECT d.id, d.mn, d.password, d.kind, d.protocol, d.crc, d.unit_overrides, \
     d.rtd_interval_s, d.min_interval_min, d.enabled, d.last_seen_ms, d.latest_data_s, d.intake, d.sm4_key_enc, \
     s.code AS site_code, s.name AS site_name, s.kind AS site_kind, s.township, s.lon, s.lat, s.assessment \
     FROM devices d JOIN sites s ON s.id = d.site_id ORDER BY d.mn";

pub(crate) const UPSERT_SITE: &str = "INSERT INTO sites (code, name, kind, township, lon, lat, assessment) VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, township = excluded.township, \
     lon = excluded.lon, lat = excluded.lat, assessment = excluded.assessment RETURNING id";

const UPSERT_DEVICE: &str = "INSERT INTO devices (mn, password, site_id, kind, protocol, crc, unit_overrides, rtd_interval_s, min_interval_min, enabled, created_ms, sm4_key_enc) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11) \
     ON CONFLICT (mn) DO UPDATE SET password = excluded.password, site_id = excluded.site_id, kind = excluded.kind, \
     protocol = excluded.protocol, crc = excluded.crc, unit_overrides = excluded.unit_overrides, \
     rtd_interval_s = excluded.rtd_interval_s, min_interval_min = excluded.min_interval_min, enabled = 1, \
     sm4_key_enc = excluded.sm4_key_enc RETURNING id";

/// A site's name, township and coordinates checked before it is stored
/// (by a device's registration or an import's).
pub(crate) fn check_site(s: &Site) -> Result<()> {
    let invalid = |e: String| Error::Invalid(format!("site {}: {e}", s.code));
    lantian_types::text::plain(&s.name, "site name", 64).map_err(invalid)?;
    if let Some(t) = &s.township {
        lantian_types::text::plain(t, "township", 32).map_err(invalid)?;
    }
    lantian_types::text::lon_lat(s.lon, s.lat).map_err(invalid)
}

/// Creates or updates site `$s` on connection `$c` (either backend); its id.
macro_rules! upsert_site {
    ($c:expr, $s:expr) => {{
        let s: &$crate::Site = $s;
        sqlx::query_scalar::<_, i64>($crate::registry::UPSERT_SITE)
            .bind(s.code.as_str())
            .bind(&s.name)
            .bind(s.kind.as_str())
            .bind(&s.township)
            .bind(s.lon)
            .bind(s.lat)
            .bind(i64::from(s.assessment))
            .fetch_one($c)
            .await
    }};
}
pub(crate) use upsert_site;

/// What [`Store::approve_logger`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    Approved,
    NoSuchLogger,
    NoSuchDevice,
}

impl Store {
    /// Registers (or updates) a device and its site, and audits it as
    /// `actor`, in one transaction.
    pub async fn add_device(&self, d: &DeviceSpec, actor: &str) -> Result<i64> {
        let s = &d.site;
        check_site(s)?;
        // MNs `LTIN…` are the stations' intake devices (crate::intake):
        // never registered, changed or taken over here.
        if d.mn.as_str().starts_with(crate::intake::INTAKE_MN_PREFIX) {
            return Err(Error::Invalid(format!(
                "MN {}: MNs starting {} are kept for the stations' intake devices",
                d.mn,
                crate::intake::INTAKE_MN_PREFIX
            )));
        }
        let detail = format!("{} site={} kind={}", d.mn, s.code, d.kind);
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let site_id: i64 = upsert_site!(&mut *tx, s)?;
            let id: i64 = sqlx::query_scalar(UPSERT_DEVICE)
                .bind(d.mn.as_str())
                .bind(&d.password)
                .bind(site_id)
                .bind(d.kind.as_str())
                .bind(d.protocol.as_str())
                .bind(d.crc.as_str())
                .bind(&d.unit_overrides)
                .bind(d.rtd_interval_s)
                .bind(d.min_interval_min)
                .bind(now_ms())
                .bind(&d.sm4_key_sealed)
                .fetch_one(&mut *tx)
                .await?;
            crate::audit::audit_row!(&mut *tx, actor, "device.add", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Every registered device with its site (for the API: a limited read).
    pub async fn devices(&self) -> Result<Vec<Device>> {
        read!(self, |c| {
            let rows: Vec<DeviceRow> = sqlx::query_as(DEVICES_SQL).fetch_all(&mut *c).await?;
            rows.into_iter().map(Device::try_from).collect()
        })
    }

    /// Every registered device, read on the background pool (the registry
    /// reload and the dashboard's figures: never cut short by the API's
    /// limit, never waiting behind API calls).
    pub async fn devices_bulk(&self) -> Result<Vec<Device>> {
        on!(self, bulk, |p| {
            let rows: Vec<DeviceRow> = sqlx::query_as(DEVICES_SQL).fetch_all(p).await?;
            rows.into_iter().map(Device::try_from).collect()
        })
    }

    /// Enables or disables a device and audits it as `actor`; false if
    /// there is no such MN (or it is an intake device, never enabled).
    pub async fn set_enabled(&self, mn: &str, enabled: bool, actor: &str) -> Result<bool> {
        let action = if enabled {
            "device.enable"
        } else {
            "device.disable"
        };
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            // An intake device stays off its (non-existent) TCP line.
            let r = sqlx::query("UPDATE devices SET enabled = $1 WHERE mn = $2 AND intake = 0")
                .bind(i64::from(enabled))
                .bind(mn)
                .execute(&mut *tx)
                .await?;
            if r.rows_affected() == 0 {
                return Ok(false);
            }
            crate::audit::audit_row!(&mut *tx, actor, action, Some(mn))?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Replaces a device's sealed SM4 key (key rotation); false if no such MN.
    pub async fn set_key(&self, mn: &str, sealed: &str) -> Result<bool> {
        on!(self, write, |p| {
            let r = sqlx::query("UPDATE devices SET sm4_key_enc = $1 WHERE mn = $2")
                .bind(sealed)
                .bind(mn)
                .execute(p)
                .await?;
            Ok(r.rows_affected() > 0)
        })
    }

    /// Data loggers that announced themselves (1001) and their approval.
    pub async fn pending_loggers(&self) -> Result<Vec<PendingLogger>> {
        read!(self, |c| {
            Ok(sqlx::query_as(PENDING_SQL).fetch_all(&mut *c).await?)
        })
    }

    /// As [`Store::pending_loggers`], on the background pool (registry reload).
    pub async fn pending_loggers_bulk(&self) -> Result<Vec<PendingLogger>> {
        on!(self, bulk, |p| {
            Ok(sqlx::query_as(PENDING_SQL).fetch_all(p).await?)
        })
    }

    /// Assigns `mn` (a registered device) to a logger that announced itself,
    /// and audits it as `actor`, in one transaction.
    pub async fn approve_logger(&self, logger_id: &str, mn: &str, actor: &str) -> Result<Approval> {
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let device: Option<i64> = sqlx::query_scalar("SELECT id FROM devices WHERE mn = $1")
                .bind(mn)
                .fetch_optional(&mut *tx)
                .await?;
            if device.is_none() {
                return Ok(Approval::NoSuchDevice);
            }
            let r = sqlx::query("UPDATE pending_loggers SET approved_mn = $1 WHERE logger_id = $2")
                .bind(mn)
                .bind(logger_id)
                .execute(&mut *tx)
                .await?;
            if r.rows_affected() == 0 {
                return Ok(Approval::NoSuchLogger);
            }
            crate::audit::audit_row!(
                &mut *tx,
                actor,
                "logger.approve",
                Some(&format!("{logger_id} as {mn}"))
            )?;
            tx.commit().await?;
            Ok(Approval::Approved)
        })
    }

    /// Per device (by MN), the frames by verdict and the flagged values
    /// counted since the clock hour holding `since_ms` (UTC): the window is
    /// whole hours, so "the last 24 hours" covers 24 to 25 hours.
    pub async fn device_health(&self, since_ms: i64) -> Result<HashMap<String, DeviceHealth>> {
        #[derive(sqlx::FromRow)]
        struct CountRow {
            mn: String,
            kind: String,
            n: i64,
        }
        let hour = since_ms.div_euclid(3_600_000);
        let rows: Vec<CountRow> = read!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT d.mn, c.kind, CAST(SUM(c.n) AS BIGINT) AS n FROM device_counts c JOIN devices d ON d.id = c.device_id \
                 WHERE c.hour >= $1 GROUP BY d.mn, c.kind ORDER BY d.mn, c.kind",
            )
            .bind(hour)
            .fetch_all(&mut *c)
            .await?)
        })?;
        let mut out: HashMap<String, DeviceHealth> = HashMap::new();
        for r in rows {
            let h = out.entry(r.mn).or_default();
            if r.kind == crate::journal::FLAGGED {
                h.flagged += r.n;
            } else {
                h.frames.push((r.kind, r.n));
            }
        }
        Ok(out)
    }
}

const PENDING_SQL: &str = "SELECT logger_id, cpu_id, mac1, mac2, peer, first_ms, last_ms, approved_mn FROM pending_loggers ORDER BY first_ms";
