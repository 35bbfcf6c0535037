//! Documents the operator uploads and the pages read, kept as sent: the
//! county boundary GeoJSON (key `boundary`).

use crate::{BeginWrite, Result, Store, now_ms, on, read};

impl Store {
    /// Stores (replacing) a document and audits it as `by`, in one transaction.
    pub async fn put_document(&self, key: &str, body: &str, by: &str, detail: &str) -> Result<()> {
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            sqlx::query(
                "INSERT INTO documents (key, body, updated_ms, updated_by) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (key) DO UPDATE SET body = excluded.body, updated_ms = excluded.updated_ms, updated_by = excluded.updated_by",
            )
            .bind(key)
            .bind(body)
            .bind(now_ms())
            .bind(by)
            .execute(&mut *tx)
            .await?;
            crate::audit::audit_row!(&mut *tx, by, &format!("{key}.put"), Some(detail))?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// An uploaded document, if any.
    pub async fn document(&self, key: &str) -> Result<Option<String>> {
        read!(self, |c| {
            Ok(
                sqlx::query_scalar("SELECT body FROM documents WHERE key = $1")
                    .bind(key)
                    .fetch_optional(&mut *c)
                    .await?,
            )
        })
    }
}
