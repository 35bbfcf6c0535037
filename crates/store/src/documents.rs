//! Documents the operator uploads and the pages read, kept as sent (the
//! county boundary GeoJSON, key `boundary`), and the bytes of attached
//! files, kept once by their SHA-256 (`blobs`).

use sha2::{Digest, Sha256};

use crate::{BeginWrite, Result, Store, now_ms, on, read};

/// The SHA-256 of a file's bytes in hex: the key of its row in `blobs`.
pub(crate) fn sha256_hex(body: &[u8]) -> String {
    Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Keeps a file's bytes once by their SHA-256 (inside the caller's
/// transaction; a file sent twice is stored once).
macro_rules! blob_row {
    ($ex:expr, $hash:expr, $content_type:expr, $body:expr) => {{
        let body: &[u8] = $body;
        sqlx::query(
            "INSERT INTO blobs (sha256, content_type, size, body) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind($hash)
        .bind($content_type)
        .bind(body.len() as i64)
        .bind(body)
        .execute($ex)
        .await
        .map(|_| ())
    }};
}
pub(crate) use blob_row;

/// A kept file's bytes by their SHA-256 (on the caller's connection).
macro_rules! blob_body {
    ($ex:expr, $hash:expr) => {
        sqlx::query_scalar::<_, Vec<u8>>("SELECT body FROM blobs WHERE sha256 = $1")
            .bind($hash)
            .fetch_one($ex)
            .await
    };
}
pub(crate) use blob_body;

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
