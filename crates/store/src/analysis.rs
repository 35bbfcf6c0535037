//! Reads of stored values for the assessment (`lantian assess --database`
//! and the dashboard's figures): streamed row by row on the background
//! pool, so years of hours never sit in memory twice and no API call waits
//! behind them.

use sqlx::{QueryBuilder, Row};

use crate::{Result, Store, on};

/// A value of an ambient device read back for assessment (borrowed from the
/// database row).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueRow<'r> {
    pub site_code: &'r str,
    pub assessment: bool,
    pub code: &'r str,
    /// DataTime, UTC seconds (start of the hour for 2061).
    pub ts: i64,
    pub raw: &'r str,
    pub flag: Option<&'r str>,
    pub unit_overrides: &'r str,
}

impl Store {
    /// Calls `f` with every value of ambient devices with command `cn` (2061
    /// hourly, 2011 real-time) for `codes` and `fields` — with `received`
    /// `(from, until)`, only those of uploads received in `from..until` (Unix
    /// ms); returns the count.
    pub async fn each_ambient_value(
        &self,
        cn: i64,
        codes: &[&str],
        fields: &[&str],
        received: Option<(i64, i64)>,
        f: &mut (dyn FnMut(ValueRow<'_>) + Send),
    ) -> Result<u64> {
        use futures_util::TryStreamExt;
        on!(self, bulk, |p| {
            let mut q = QueryBuilder::new(
                "SELECT s.code AS site_code, s.assessment, v.code, v.ts, v.raw, v.flag, d.unit_overrides \
                 FROM vals v JOIN devices d ON d.id = v.device_id JOIN sites s ON s.id = d.site_id ",
            );
            if let Some((from, until)) = received {
                q.push("JOIN uploads u ON u.device_id = v.device_id AND u.cn = v.cn AND u.data_time = v.ts AND u.received_ms >= ");
                q.push_bind(from);
                q.push(" AND u.received_ms < ");
                q.push_bind(until);
            }
            q.push(" WHERE d.kind = 'ambient' AND v.cn = ");
            q.push_bind(cn);
            q.push(" AND v.code IN (");
            let mut sep = q.separated(", ");
            for c in codes {
                sep.push_bind(c.to_string());
            }
            q.push(") AND v.field IN (");
            let mut sep = q.separated(", ");
            for fl in fields {
                sep.push_bind(fl.to_string());
            }
            q.push(")");
            let mut rows = q.build().fetch(p);
            let mut n = 0;
            while let Some(r) = rows.try_next().await? {
                f(ValueRow {
                    site_code: r.try_get("site_code")?,
                    assessment: r.try_get::<i64, _>("assessment")? != 0,
                    code: r.try_get("code")?,
                    ts: r.try_get("ts")?,
                    raw: r.try_get("raw")?,
                    flag: r.try_get("flag")?,
                    unit_overrides: r.try_get("unit_overrides")?,
                });
                n += 1;
            }
            Ok(n)
        })
    }
}
