//! The audit log: who did what, when (logins, administrative changes).
//! A change and its audit row are written in one transaction: the modules
//! that change something call [`insert`] on their own transaction.

use crate::{Result, Store, on, read};

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub detail: Option<String>,
}

pub(crate) const INSERT: &str =
    "INSERT INTO audit_log (at_ms, actor, action, detail) VALUES ($1, $2, $3, $4)";

/// Writes an audit row on `$ex` (the transaction of the caller's change);
/// a macro so that one text serves both backends.
macro_rules! audit_row {
    ($ex:expr, $actor:expr, $action:expr, $detail:expr) => {
        sqlx::query($crate::audit::INSERT)
            .bind($crate::now_ms())
            .bind($actor)
            .bind($action)
            .bind($detail)
            .execute($ex)
            .await
            .map(|_| ())
    };
}
pub(crate) use audit_row;

impl Store {
    /// Appends to the audit log (for events that change nothing else:
    /// logins, refusals, logouts).
    pub async fn audit(&self, actor: &str, action: &str, detail: Option<&str>) -> Result<()> {
        on!(self, write, |p| Ok(audit_row!(p, actor, action, detail)?))
    }

    /// The latest `limit` audit entries, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        read!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT at_ms, actor, action, detail FROM audit_log ORDER BY id DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(&mut *c)
            .await?)
        })
    }
}
