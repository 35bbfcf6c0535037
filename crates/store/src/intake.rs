//! Intake: hours that come over HTTP (`POST /api/v1/observations`) or from
//! files (`lantian import`), not over a device's own HJ 212 line.
//!
//! Each site that takes such data has one **intake device** (`devices.intake
//! = 1`, MN `LTIN` + the site id in ten digits, disabled for TCP), so an
//! intake hour is an upload like any other (`uploads`, `vals`, the commit
//! feed's outbox) and every reader of stored uploads — the dashboard's
//! figures, `lantian assess --database`, the feed's subscribers — sees it.
//! Values are stored in the units the readers expect (µg/m³, CO mg/m³: the
//! device's unit overrides say so).
//!
//! **Idempotent on (station, time, code).** An hour's values are one upload
//! (CN 2061, field `Avg`); a value already stored for its station, hour and
//! code is a duplicate and left as it was (the first wins, as with HJ 212
//! retransmissions). A later call may add a pollutant to an hour already
//! stored: its value joins the upload (whose packed copy is then dropped,
//! so readers take its values from `vals`).

use std::collections::{HashMap, HashSet};

use sha2::{Digest, Sha256};

use crate::journal::UploadRec;
use crate::{BeginWrite, Result, Site, Store, ValueRec, now_ms, on};

/// Uploads per statement (their values: six each, at most a chunk).
const CHUNK: usize = 12_000;

/// The units intake values are stored in (what the readers convert from).
pub const INTAKE_UNITS: &str =
    "a21026=ug/m3;a21004=ug/m3;a21005=mg/m3;a05024=ug/m3;a34002=ug/m3;a34004=ug/m3";

/// The MN prefix of intake devices (`LTIN` + the site id in ten digits);
/// `add_device` refuses it.
pub const INTAKE_MN_PREFIX: &str = "LTIN";

/// The HJ 212 command of an intake hour (hourly data).
pub const INTAKE_CN: i64 = 2061;

/// An upload as its JSON row: device, DataTime, MN, received, late, packed.
type UploadJson<'a> = (i64, i64, &'a str, i64, i64, Option<String>);
/// A value as its JSON row: device, DataTime, code, text, flag.
type ValueJson<'a> = (i64, i64, &'a str, &'a str, Option<&'a str>);

/// A site's intake device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeDevice {
    pub device_id: i64,
    pub mn: String,
    /// The site counts in area values (false for background sites).
    pub assessment: bool,
}

/// One value to take in.
#[derive(Debug, Clone, PartialEq)]
pub struct IntakeValue {
    pub device_id: i64,
    pub mn: String,
    /// The start of the hour, UTC seconds (an hourly value is labelled by
    /// the end of its hour; its DataTime is the start).
    pub data_time: i64,
    /// The HJ 212 factor code (a34004, …).
    pub code: String,
    /// As given (a decimal number).
    pub raw: String,
    /// The HJ 212 data flag as given (`None`: N).
    pub flag: Option<String>,
}

/// What one intake write did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IntakeOutcome {
    /// Values stored now.
    pub stored: u64,
    /// Values whose station, hour and code were already stored (or came
    /// twice in the call: the first counts).
    pub duplicates: u64,
    /// The commit feed's outbox row (when something was stored).
    pub commit_id: Option<i64>,
    /// What was stored, as uploads with only the new values (for the feed).
    pub uploads: Vec<UploadRec>,
}

/// The device kind whose readers take a site kind's data.
fn device_kind_of(site_kind: &str) -> &'static str {
    match site_kind {
        "ambient" | "micro" => "ambient",
        "outlet" => "cems",
        "construction" => "dust",
        "restaurant" => "fume",
        _ => "other",
    }
}

#[derive(sqlx::FromRow)]
struct SiteRow {
    id: i64,
    kind: String,
    assessment: i64,
}

/// Intake values made ready for [`Store::commit_intake`] by
/// [`Store::prepare_intake`].
#[derive(Debug)]
pub struct PreparedIntake {
    groups: Vec<UploadRec>,
    total: u64,
    received_ms: i64,
    late: bool,
    upload_rows: Vec<String>,
    val_rows: Vec<String>,
}

/// The value rows of `us` as the JSON text the inserts unpack. A value's
/// number is its text read as a float by the database (the text is a
/// validated decimal); rows in the key's order (device, code, time), so
/// each insert lands beside the last.
fn val_rows(us: &[UploadRec]) -> Result<String> {
    let mut rows: Vec<ValueJson<'_>> = us
        .iter()
        .flat_map(|u| {
            u.values.iter().map(move |v| {
                (
                    u.device_id,
                    u.data_time,
                    v.code.as_str(),
                    v.raw.as_str(),
                    v.flag.as_deref(),
                )
            })
        })
        .collect();
    rows.sort_unstable_by(|a, b| (a.0, a.2, a.1).cmp(&(b.0, b.2, b.1)));
    serde_json::to_string(&rows).map_err(|e| crate::Error::Invalid(e.to_string()))
}

impl Store {
    /// The intake device of site `code`, created with it when the site has
    /// none (audited as `actor`). An unknown site is registered from
    /// `register` when given, else the answer is `None`.
    pub async fn intake_device(
        &self,
        code: &str,
        register: Option<&Site>,
        actor: &str,
    ) -> Result<Option<IntakeDevice>> {
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let site: Option<SiteRow> =
                sqlx::query_as("SELECT id, kind, assessment FROM sites WHERE code = $1")
                    .bind(code)
                    .fetch_optional(&mut *tx)
                    .await?;
            let site = match (site, register) {
                (Some(s), _) => s,
                (None, None) => return Ok(None),
                (None, Some(s)) => {
                    crate::registry::check_site(s)?;
                    let id: i64 = crate::registry::upsert_site!(&mut *tx, s)?;
                    let detail =
                        format!("site={} kind={} (registered by an import)", s.code, s.kind);
                    crate::audit::audit_row!(&mut *tx, actor, "site.add", Some(detail.as_str()))?;
                    SiteRow {
                        id,
                        kind: s.kind.as_str().to_string(),
                        assessment: i64::from(s.assessment),
                    }
                }
            };
            let found: Option<(i64, String)> = sqlx::query_as(
                "SELECT id, mn FROM devices WHERE site_id = $1 AND intake = 1 ORDER BY id LIMIT 1",
            )
            .bind(site.id)
            .fetch_optional(&mut *tx)
            .await?;
            let (device_id, mn) = match found {
                Some(d) => d,
                None => {
                    let mn = format!("{INTAKE_MN_PREFIX}{:010}", site.id);
                    // Never used: the device is disabled for TCP; a hash so
                    // that no guess could pass if it were enabled.
                    let password: String = Sha256::digest(format!("{code}:{mn}:{}", now_ms()))
                        .iter()
                        .take(8)
                        .map(|b| format!("{b:02x}"))
                        .collect();
                    // Two first pushes of a station may race: the loser
                    // inserts nothing and reads the winner's device.
                    let id: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO devices (mn, password, site_id, kind, protocol, crc, unit_overrides, enabled, created_ms, intake) \
                         VALUES ($1, $2, $3, $4, '2017', 'hj212', $5, 0, $6, 1) ON CONFLICT (mn) DO NOTHING RETURNING id",
                    )
                    .bind(&mn)
                    .bind(&password)
                    .bind(site.id)
                    .bind(device_kind_of(&site.kind))
                    .bind(INTAKE_UNITS)
                    .bind(now_ms())
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some(id) = id else {
                        let id: Option<i64> = sqlx::query_scalar(
                            "SELECT id FROM devices WHERE mn = $1 AND site_id = $2 AND intake = 1",
                        )
                        .bind(&mn)
                        .bind(site.id)
                        .fetch_optional(&mut *tx)
                        .await?;
                        tx.commit().await?;
                        return match id {
                            Some(device_id) => Ok(Some(IntakeDevice {
                                device_id,
                                mn,
                                assessment: site.assessment != 0,
                            })),
                            None => Err(crate::Error::Invalid(format!(
                                "site {code}: MN {mn} is taken by another device"
                            ))),
                        };
                    };
                    let detail = format!("{mn} site={code} (intake device)");
                    crate::audit::audit_row!(
                        &mut *tx,
                        actor,
                        "device.intake",
                        Some(detail.as_str())
                    )?;
                    (id, mn)
                }
            };
            tx.commit().await?;
            Ok(Some(IntakeDevice {
                device_id,
                mn,
                assessment: site.assessment != 0,
            }))
        })
    }

    /// Stores intake values in one transaction (see the module doc): each
    /// value once per (device, hour, code); the outbox row names every
    /// upload that gained a value. `late` marks the uploads as history
    /// (a back-fill).
    pub async fn write_intake(
        &self,
        values: Vec<IntakeValue>,
        node: &str,
        late: bool,
        actor: &str,
    ) -> Result<IntakeOutcome> {
        let prepared = Self::prepare_intake(values, late)?;
        self.commit_intake(prepared, node, actor).await
    }

    /// The CPU half of [`Store::write_intake`]: values grouped into
    /// uploads, sorted, and the rows serialised for the database. Touches
    /// no database, so a back-fill prepares its next batch while the last
    /// one commits (`lantian import`).
    pub fn prepare_intake(values: Vec<IntakeValue>, late: bool) -> Result<PreparedIntake> {
        let received_ms = now_ms();
        let total = values.len() as u64;
        // The call's uploads: values grouped by (device, hour), in the
        // order first seen; a code twice in an hour keeps the first.
        let mut index: HashMap<(i64, i64), usize> = HashMap::new();
        let mut groups: Vec<UploadRec> = Vec::new();
        for v in values {
            let key = (v.device_id, v.data_time);
            // Values mostly come hour by hour: the last group first.
            let i = match groups.last() {
                Some(g) if (g.device_id, g.data_time) == key => groups.len() - 1,
                _ => *index.entry(key).or_insert_with(|| {
                    groups.push(UploadRec {
                        device_id: v.device_id,
                        mn: v.mn.clone(),
                        cn: INTAKE_CN,
                        data_time: v.data_time,
                        qn: None,
                        received_ms,
                        late,
                        values: Vec::with_capacity(6),
                    });
                    groups.len() - 1
                }),
            };
            let g = &mut groups[i].values;
            if g.iter().any(|x| x.code == v.code) {
                continue;
            }
            g.push(ValueRec {
                code: v.code,
                field: "Avg".into(),
                raw: v.raw,
                // The database reads the number from the text (a
                // validated decimal); the feed's readers read the text.
                num: None,
                flag: v.flag,
            });
        }
        // Rows in key order: two writers of the same hours lock them in
        // the same order (PostgreSQL waits, never deadlocks).
        groups.sort_by_key(|g| (g.device_id, g.data_time));
        let upload_rows = groups
            .chunks(CHUNK)
            .map(|chunk| {
                let rows: Vec<UploadJson<'_>> = chunk
                    .iter()
                    .map(|u| {
                        (
                            u.device_id,
                            u.data_time,
                            u.mn.as_str(),
                            u.received_ms,
                            i64::from(u.late),
                            crate::journal::pack(&u.values),
                        )
                    })
                    .collect();
                serde_json::to_string(&rows).map_err(|e| crate::Error::Invalid(e.to_string()))
            })
            .collect::<Result<Vec<String>>>()?;
        // Every hour's values, for the usual case of hours all new.
        let val_rows = groups
            .chunks(CHUNK / 6)
            .map(val_rows)
            .collect::<Result<Vec<String>>>()?;
        Ok(PreparedIntake {
            groups,
            total,
            received_ms,
            late,
            upload_rows,
            val_rows,
        })
    }

    /// The database half of [`Store::write_intake`]: one transaction.
    pub async fn commit_intake(
        &self,
        prepared: PreparedIntake,
        node: &str,
        actor: &str,
    ) -> Result<IntakeOutcome> {
        let PreparedIntake {
            groups,
            total,
            received_ms,
            late,
            upload_rows,
            val_rows: all_val_rows,
        } = prepared;
        if groups.is_empty() {
            return Ok(IntakeOutcome {
                duplicates: total,
                ..IntakeOutcome::default()
            });
        }
        if let crate::Db::Pg(pools) = &self.db {
            self.ensure_partitions(&pools.write, groups.iter().map(|u| u.data_time))
                .await?;
        }
        // Rows go to the database as one JSON text per chunk, unpacked by
        // the database itself (SQLite's jsonb_each, PostgreSQL's
        // jsonb_array_elements): a bound parameter per column and row costs
        // more than the insert (measured: BENCHMARKS.md, intake).
        let (uploads_sql, vals_sql, vals_returning_sql) = match self.backend() {
            crate::Backend::Sqlite => (
                "INSERT INTO uploads (device_id, cn, data_time, mn, qn, received_ms, late, packed) \
                 SELECT j.value ->> 0, 2061, j.value ->> 1, j.value ->> 2, NULL, j.value ->> 3, j.value ->> 4, j.value ->> 5 \
                 FROM jsonb_each($1) j WHERE true ON CONFLICT DO NOTHING RETURNING device_id, data_time",
                "INSERT INTO vals (device_id, cn, ts, code, field, raw, num, flag) \
                 SELECT j.value ->> 0, 2061, j.value ->> 1, j.value ->> 2, 'Avg', j.value ->> 3, CAST(j.value ->> 3 AS REAL), j.value ->> 4 \
                 FROM jsonb_each($1) j WHERE true ON CONFLICT DO NOTHING",
                "INSERT INTO vals (device_id, cn, ts, code, field, raw, num, flag) \
                 SELECT j.value ->> 0, 2061, j.value ->> 1, j.value ->> 2, 'Avg', j.value ->> 3, CAST(j.value ->> 3 AS REAL), j.value ->> 4 \
                 FROM jsonb_each($1) j WHERE true ON CONFLICT DO NOTHING RETURNING device_id, ts, code",
            ),
            crate::Backend::Postgres => (
                "INSERT INTO uploads (device_id, cn, data_time, mn, qn, received_ms, late, packed) \
                 SELECT (e->>0)::bigint, 2061, (e->>1)::bigint, e->>2, NULL, (e->>3)::bigint, (e->>4)::bigint, e->>5 \
                 FROM jsonb_array_elements($1::jsonb) e ON CONFLICT DO NOTHING RETURNING device_id, data_time",
                "INSERT INTO vals (device_id, cn, ts, code, field, raw, num, flag) \
                 SELECT (e->>0)::bigint, 2061, (e->>1)::bigint, e->>2, 'Avg', e->>3, (e->>3)::double precision, e->>4 \
                 FROM jsonb_array_elements($1::jsonb) e ON CONFLICT DO NOTHING",
                "INSERT INTO vals (device_id, cn, ts, code, field, raw, num, flag) \
                 SELECT (e->>0)::bigint, 2061, (e->>1)::bigint, e->>2, 'Avg', e->>3, (e->>3)::double precision, e->>4 \
                 FROM jsonb_array_elements($1::jsonb) e ON CONFLICT DO NOTHING RETURNING device_id, ts, code",
            ),
        };
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            // Uploads first: RETURNING names the hours new to the store.
            let mut inserted: HashSet<(i64, i64)> = HashSet::new();
            for rows in upload_rows {
                let keys: Vec<(i64, i64)> = sqlx::query_as(uploads_sql)
                    .bind(rows)
                    .fetch_all(&mut *tx)
                    .await?;
                inserted.extend(keys);
            }
            let all_new = inserted.len() == groups.len();
            let (fresh, known): (Vec<UploadRec>, Vec<UploadRec>) = groups
                .into_iter()
                .partition(|u| inserted.contains(&(u.device_id, u.data_time)));
            let mut stored = 0u64;
            // A new hour: all its values are new (serialised beforehand
            // when every hour is new, the back-fill's usual case).
            let fresh_rows = if all_new {
                all_val_rows
            } else {
                fresh
                    .chunks(CHUNK / 6)
                    .map(val_rows)
                    .collect::<Result<Vec<String>>>()?
            };
            for rows in fresh_rows {
                stored += sqlx::query(vals_sql)
                    .bind(rows)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            // An hour already stored: only the codes it lacks join it.
            let mut joined: HashSet<(i64, i64, String)> = HashSet::new();
            for chunk in known.chunks(CHUNK / 6) {
                let keys: Vec<(i64, i64, String)> = sqlx::query_as(vals_returning_sql)
                    .bind(val_rows(chunk)?)
                    .fetch_all(&mut *tx)
                    .await?;
                stored += keys.len() as u64;
                joined.extend(keys);
            }
            let mut grown: Vec<UploadRec> = Vec::new();
            for u in known {
                let added: Vec<ValueRec> = u
                    .values
                    .iter()
                    .filter(|v| joined.contains(&(u.device_id, u.data_time, v.code.clone())))
                    .cloned()
                    .collect();
                if added.is_empty() {
                    continue;
                }
                // Its packed copy no longer holds every value.
                sqlx::query("UPDATE uploads SET packed = NULL WHERE device_id = $1 AND cn = $2 AND data_time = $3")
                    .bind(u.device_id)
                    .bind(u.cn)
                    .bind(u.data_time)
                    .execute(&mut *tx)
                    .await?;
                grown.push(UploadRec { values: added, ..u });
            }
            let mut uploads: Vec<UploadRec> = fresh;
            uploads.extend(grown);
            let mut commit_id = None;
            if !uploads.is_empty() {
                let keys: Vec<String> = uploads
                    .iter()
                    .map(|u| format!("{}:{}:{}", u.device_id, u.cn, u.data_time))
                    .collect();
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO commits (at_ms, node, uploads, keys) VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(received_ms)
                .bind(node)
                .bind(uploads.len() as i64)
                .bind(keys.join(" "))
                .fetch_one(&mut *tx)
                .await?;
                commit_id = Some(id);
                // Who sent what: one audit row per write that stored.
                let detail = format!("commit={id} uploads={} stored={stored}", uploads.len());
                crate::audit::audit_row!(
                    &mut *tx,
                    actor,
                    if late { "intake.import" } else { "intake.push" },
                    Some(detail.as_str())
                )?;
                // The latest DataTime stored, per device (freshness).
                let mut latest: HashMap<i64, i64> = HashMap::new();
                for u in &uploads {
                    let e = latest.entry(u.device_id).or_insert(u.data_time);
                    *e = (*e).max(u.data_time);
                }
                let mut latest: Vec<(i64, i64)> = latest.into_iter().collect();
                latest.sort_unstable();
                for (id, t) in latest {
                    sqlx::query(
                        "UPDATE devices SET latest_data_s = $1 WHERE id = $2 AND (latest_data_s IS NULL OR latest_data_s < $1)",
                    )
                    .bind(t)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
            Ok(IntakeOutcome {
                stored,
                duplicates: total - stored,
                commit_id,
                uploads,
            })
        })
    }
}
