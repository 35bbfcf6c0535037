//! Heavy-pollution alerts: forecast batches (append-only: a newer issue of
//! a day's forecast is a new row; the latest issued counts), alerts, and
//! their steps — one transaction each, changing an alert only from the
//! state it was read in, with its history and audit rows.

use crate::{BeginWrite, Error, Result, Store, on, read};

/// One forecast day to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewForecastDay {
    pub day: String,
    pub aqi: i64,
    pub range: Option<(i64, i64)>,
    pub primary: String,
    pub cause: String,
}

/// A forecast day as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ForecastRow {
    pub batch: i64,
    pub day: String,
    pub aqi: i64,
    pub aqi_low: Option<i64>,
    pub aqi_high: Option<i64>,
    pub primary_pollutant: String,
    pub cause: String,
    pub source: String,
    pub issued_ms: i64,
    pub entered_by: String,
}

/// An alert as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AlertRow {
    pub id: i64,
    pub level: String,
    pub state: String,
    pub origin: String,
    pub notice_doc: Option<String>,
    pub notice_level: Option<String>,
    pub basis_level: String,
    pub no_basis: i64,
    pub forecast_batch: Option<i64>,
    pub document_no: Option<String>,
    pub scope: Option<String>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub sample: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub version: i64,
}

/// A step of an alert.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AlertStep {
    pub at_ms: i64,
    pub actor: String,
    pub step: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub level: String,
    pub forecast_batch: Option<i64>,
    pub note: String,
}

/// A proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    pub level: String,
    pub origin: String,
    pub notice_doc: Option<String>,
    /// A notice's level (kept: adjusting the alert does not change it).
    pub notice_level: Option<String>,
    pub basis_level: String,
    pub forecast_batch: Option<i64>,
    pub sample: bool,
}

/// A step of one alert: from the state read, to the next, with what it sets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlertMove {
    pub id: i64,
    /// The version read: a step that keeps the state (adjust) is refused
    /// when another step came first.
    pub version: i64,
    pub from: String,
    pub step: String,
    pub to: String,
    /// The level after the step (adjust changes it).
    pub level: String,
    pub forecast_batch: Option<i64>,
    pub document_no: Option<String>,
    pub scope: Option<String>,
    pub no_basis: Option<bool>,
    pub starts: bool,
    pub ends: bool,
}

const COLUMNS: &str = "id, level, state, origin, notice_doc, notice_level, basis_level, no_basis, forecast_batch, document_no, scope, \
     start_ms, end_ms, sample, created_ms, updated_ms, version";

impl Store {
    /// Stores one forecast (a batch of days issued together) at `at_ms`; its batch number.
    pub async fn add_forecast(
        &self,
        days: &[NewForecastDay],
        source: &str,
        issued_ms: i64,
        actor: &str,
        at_ms: i64,
    ) -> Result<i64> {
        if days.is_empty() {
            return Err(Error::Invalid("a forecast of no day".into()));
        }
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            // The batch is the id of its first row (unique without a lock).
            let mut batch = 0i64;
            for (i, d) in days.iter().enumerate() {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO forecasts (batch, day, aqi, aqi_low, aqi_high, primary_pollutant, cause, source, issued_ms, entered_by, entered_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                )
                .bind(batch)
                .bind(&d.day)
                .bind(d.aqi)
                .bind(d.range.map(|r| r.0))
                .bind(d.range.map(|r| r.1))
                .bind(&d.primary)
                .bind(&d.cause)
                .bind(source)
                .bind(issued_ms)
                .bind(actor)
                .bind(at_ms)
                .fetch_one(&mut *tx)
                .await?;
                if i == 0 {
                    batch = id;
                    sqlx::query("UPDATE forecasts SET batch = $1 WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            let detail = format!(
                "batch {batch}: {} days from {} ({source})",
                days.len(),
                days[0].day
            );
            crate::audit::audit_row!(&mut *tx, actor, "forecast.add", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(batch)
        })
    }

    /// The latest forecast of each day from `from_day` on (the newest
    /// issued wins; a later entry of the same issue time wins a tie).
    pub async fn latest_forecast(&self, from_day: &str) -> Result<Vec<ForecastRow>> {
        read!(self, |c| {
            let rows: Vec<ForecastRow> = sqlx::query_as(
                "SELECT batch, day, aqi, aqi_low, aqi_high, primary_pollutant, cause, source, issued_ms, entered_by FROM forecasts \
                 WHERE day >= $1 ORDER BY day, issued_ms DESC, batch DESC",
            )
            .bind(from_day)
            .fetch_all(&mut *c)
            .await?;
            let mut out: Vec<ForecastRow> = Vec::new();
            for r in rows {
                if out.last().is_none_or(|l| l.day != r.day) {
                    out.push(r);
                }
            }
            Ok(out)
        })
    }

    /// Every forecast row of a day (its history), newest first.
    pub async fn forecast_history(&self, day: &str) -> Result<Vec<ForecastRow>> {
        read!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT batch, day, aqi, aqi_low, aqi_high, primary_pollutant, cause, source, issued_ms, entered_by FROM forecasts \
                 WHERE day = $1 ORDER BY issued_ms DESC, batch DESC",
            )
            .bind(day)
            .fetch_all(&mut *c)
            .await?)
        })
    }

    /// Proposes an alert at `at_ms`; its id.
    pub async fn propose_alert(
        &self,
        a: &NewAlert,
        actor: &str,
        note: &str,
        at_ms: i64,
    ) -> Result<i64> {
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let open: Option<(i64, String)> =
                sqlx::query_as("SELECT id, state FROM alerts WHERE open_slot = 1")
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some((id, state)) = open {
                return Err(Error::Conflict(format!(
                    "alert {id} is {state} already: adjust it rather than propose another"
                )));
            }
            // The unique open slot makes a concurrent second proposal fail.
            let id: std::result::Result<i64, sqlx::Error> = sqlx::query_scalar(
                "INSERT INTO alerts (level, state, origin, notice_doc, notice_level, open_slot, basis_level, forecast_batch, sample, created_ms, updated_ms, version) \
                 VALUES ($1, 'proposed', $2, $3, $4, 1, $5, $6, $7, $8, $8, 1) RETURNING id",
            )
            .bind(&a.level)
            .bind(&a.origin)
            .bind(&a.notice_doc)
            .bind(&a.notice_level)
            .bind(&a.basis_level)
            .bind(a.forecast_batch)
            .bind(i64::from(a.sample))
            .bind(at_ms)
            .fetch_one(&mut *tx)
            .await;
            let id = match id {
                Ok(id) => id,
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    return Err(Error::Conflict(
                        "another alert was proposed at the same moment; reload".into(),
                    ));
                }
                Err(e) => return Err(e.into()),
            };
            sqlx::query(
                "INSERT INTO alert_history (alert_id, at_ms, actor, step, from_state, to_state, level, forecast_batch, note) \
                 VALUES ($1, $2, $3, 'propose', NULL, 'proposed', $4, $5, $6)",
            )
            .bind(id)
            .bind(at_ms)
            .bind(actor)
            .bind(&a.level)
            .bind(a.forecast_batch)
            .bind(note)
            .execute(&mut *tx)
            .await?;
            let detail = format!("alert {id}: {} proposed ({})", a.level, a.origin);
            crate::audit::audit_row!(&mut *tx, actor, "alert.propose", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Takes a step of an alert; a conflict when it is no longer in `m.from`.
    pub async fn move_alert(
        &self,
        m: &AlertMove,
        actor: &str,
        note: &str,
        at_ms: i64,
    ) -> Result<()> {
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let r = sqlx::query(
                "UPDATE alerts SET state = $1, level = $2, updated_ms = $3, version = version + 1, \
                 document_no = COALESCE($4, document_no), scope = COALESCE($5, scope), \
                 no_basis = COALESCE($6, no_basis), forecast_batch = COALESCE($7, forecast_batch), \
                 start_ms = CASE WHEN $8 THEN $3 ELSE start_ms END, end_ms = CASE WHEN $9 THEN $3 ELSE end_ms END, \
                 open_slot = CASE WHEN $1 IN ('lifted', 'rejected') THEN NULL ELSE open_slot END \
                 WHERE id = $10 AND state = $11 AND version = $12",
            )
            .bind(&m.to)
            .bind(&m.level)
            .bind(at_ms)
            .bind(&m.document_no)
            .bind(&m.scope)
            .bind(m.no_basis.map(i64::from))
            .bind(m.forecast_batch)
            .bind(m.starts)
            .bind(m.ends)
            .bind(m.id)
            .bind(&m.from)
            .bind(m.version)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() != 1 {
                return Err(Error::Conflict(format!(
                    "alert {} is no longer {} as read (someone acted on it first); reload it",
                    m.id, m.from
                )));
            }
            sqlx::query(
                "INSERT INTO alert_history (alert_id, at_ms, actor, step, from_state, to_state, level, forecast_batch, note) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(m.id)
            .bind(at_ms)
            .bind(actor)
            .bind(&m.step)
            .bind(&m.from)
            .bind(&m.to)
            .bind(&m.level)
            .bind(m.forecast_batch)
            .bind(note)
            .execute(&mut *tx)
            .await?;
            let detail = format!("alert {}: {} → {} ({})", m.id, m.from, m.to, m.level);
            let what = format!("alert.{}", m.step);
            crate::audit::audit_row!(&mut *tx, actor, what.as_str(), Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn alert(&self, id: i64) -> Result<Option<AlertRow>> {
        read!(self, |c| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM alerts WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(&mut *c)
            .await?)
        })
    }

    /// Alerts, newest first (at most `limit`).
    pub async fn alerts(&self, limit: i64) -> Result<Vec<AlertRow>> {
        read!(self, |c| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM alerts ORDER BY created_ms DESC, id DESC LIMIT $1"
            )))
            .bind(limit.clamp(1, 1000))
            .fetch_all(&mut *c)
            .await?)
        })
    }

    pub async fn alert_history(&self, id: i64) -> Result<Vec<AlertStep>> {
        read!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT at_ms, actor, step, from_state, to_state, level, forecast_batch, note FROM alert_history WHERE alert_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(&mut *c)
            .await?)
        })
    }
}
