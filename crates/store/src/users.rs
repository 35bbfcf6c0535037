//! Users, their API tokens and browser sessions. Only hashes are stored:
//! argon2id of passwords (made by the caller), SHA-256 of tokens and
//! session ids. Every change is audited in its own transaction.

use crate::audit::audit_row;
use crate::{BeginWrite, Error, Result, Store, now_ms, on, read};

/// A user of the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// admin, bureau, department, township, enterprise, public.
    pub role: String,
    /// The department, township or enterprise the user belongs to.
    pub scope: Option<String>,
    pub disabled: bool,
    pub created_ms: i64,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    password_hash: String,
    role: String,
    scope: Option<String>,
    disabled: i64,
    created_ms: i64,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: r.id,
            username: r.username,
            password_hash: r.password_hash,
            role: r.role,
            scope: r.scope,
            disabled: r.disabled != 0,
            created_ms: r.created_ms,
        }
    }
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    #[sqlx(flatten)]
    user: UserRow,
    csrf: String,
}

/// An API token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenInfo {
    pub id: i64,
    pub label: Option<String>,
    pub created_ms: i64,
    pub revoked: bool,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    label: Option<String>,
    created_ms: i64,
    revoked: i64,
}

const USER_COLUMNS: &str =
    "u.id, u.username, u.password_hash, u.role, u.scope, u.disabled, u.created_ms";

/// Ends a user's sessions and revokes its tokens (on `$ex`, a transaction).
macro_rules! end_credentials {
    ($tx:expr, $user_id:expr) => {{
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind($user_id)
            .execute(&mut *$tx)
            .await?;
        sqlx::query("UPDATE api_tokens SET revoked = 1 WHERE user_id = $1 AND revoked = 0")
            .bind($user_id)
            .execute(&mut *$tx)
            .await?
            .rows_affected()
    }};
}

impl Store {
    /// Adds a user (the hash is an argon2id PHC string made by the caller)
    /// and audits it as `actor`.
    pub async fn add_user(
        &self,
        username: &str,
        password_hash: &str,
        role: &str,
        scope: Option<&str>,
        actor: &str,
    ) -> Result<i64> {
        if username.trim().is_empty() {
            return Err(Error::Invalid("empty username".into()));
        }
        let detail = format!("{username} role={role} scope={}", scope.unwrap_or(""));
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
                    .bind(username)
                    .fetch_optional(&mut *tx)
                    .await?;
            if exists.is_some() {
                return Err(Error::Invalid(format!("user {username} already exists")));
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (username, password_hash, role, scope, created_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(username)
            .bind(password_hash)
            .bind(role)
            .bind(scope)
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await?;
            audit_row!(&mut *tx, actor, "user.add", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Replaces a user's password hash: its sessions end and its API tokens
    /// are revoked (whoever knew the old password may have made them).
    /// False if there is no such user.
    pub async fn set_password_hash(
        &self,
        username: &str,
        password_hash: &str,
        actor: &str,
    ) -> Result<bool> {
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let id: Option<i64> = sqlx::query_scalar(
                "UPDATE users SET password_hash = $1 WHERE username = $2 RETURNING id",
            )
            .bind(password_hash)
            .bind(username)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = id else { return Ok(false) };
            let revoked = end_credentials!(tx, id);
            let detail = format!("{username}; sessions ended, {revoked} tokens revoked");
            audit_row!(&mut *tx, actor, "user.passwd", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Disables a user (its sessions end and its tokens are revoked at
    /// once, so enabling it again revives neither) or enables it again.
    /// False if there is no such user.
    pub async fn set_user_disabled(
        &self,
        username: &str,
        disabled: bool,
        actor: &str,
    ) -> Result<bool> {
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let id: Option<i64> = sqlx::query_scalar(
                "UPDATE users SET disabled = $1 WHERE username = $2 RETURNING id",
            )
            .bind(i64::from(disabled))
            .bind(username)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = id else { return Ok(false) };
            let (action, detail) = if disabled {
                let revoked = end_credentials!(tx, id);
                (
                    "user.disable",
                    format!("{username}; sessions ended, {revoked} tokens revoked"),
                )
            } else {
                ("user.enable", username.to_string())
            };
            audit_row!(&mut *tx, actor, action, Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// One user by name.
    pub async fn user(&self, username: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.username = $1");
        read!(self, |c| {
            let r: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(username)
                .fetch_optional(&mut *c)
                .await?;
            Ok(r.map(User::from))
        })
    }

    /// Every user.
    pub async fn users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.username");
        read!(self, |c| {
            let rows: Vec<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut *c)
                .await?;
            Ok(rows.into_iter().map(User::from).collect())
        })
    }

    /// Stores an API token of a user by its hash (the token itself is never
    /// stored) and audits it; returns the token's id.
    pub async fn add_token(
        &self,
        username: &str,
        token_hash: &str,
        label: Option<&str>,
        actor: &str,
    ) -> Result<i64> {
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let user: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
                .bind(username)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(user) = user else {
                return Err(Error::Invalid(format!("no user {username}")));
            };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO api_tokens (user_id, token_hash, label, created_ms) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(user)
            .bind(token_hash)
            .bind(label)
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await?;
            let detail = format!("{username} token {id} label={}", label.unwrap_or(""));
            audit_row!(&mut *tx, actor, "user.token", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// A user's API tokens (ids, labels, when made, revoked or not).
    pub async fn tokens(&self, username: &str) -> Result<Option<Vec<TokenInfo>>> {
        if self.user(username).await?.is_none() {
            return Ok(None);
        }
        read!(self, |c| {
            let rows: Vec<TokenRow> = sqlx::query_as(
                "SELECT t.id, t.label, t.created_ms, t.revoked FROM api_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE u.username = $1 ORDER BY t.id",
            )
            .bind(username)
            .fetch_all(&mut *c)
            .await?;
            Ok(Some(
                rows.into_iter()
                    .map(|r| TokenInfo {
                        id: r.id,
                        label: r.label,
                        created_ms: r.created_ms,
                        revoked: r.revoked != 0,
                    })
                    .collect(),
            ))
        })
    }

    /// Revokes one API token by id; the name of its user, or None if there
    /// is no such token (revoking twice is harmless).
    pub async fn revoke_token(&self, id: i64, actor: &str) -> Result<Option<String>> {
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let owner: Option<String> = sqlx::query_scalar(
                "SELECT u.username FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(owner) = owner else { return Ok(None) };
            sqlx::query("UPDATE api_tokens SET revoked = 1 WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let detail = format!("{owner} token {id}");
            audit_row!(&mut *tx, actor, "user.token.revoke", Some(detail.as_str()))?;
            tx.commit().await?;
            Ok(Some(owner))
        })
    }

    /// Opens a browser session (by the hash of its id) lasting until
    /// `expires_ms`; expired sessions are swept on the way.
    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_ms: i64,
    ) -> Result<()> {
        let now = now_ms();
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            sqlx::query("DELETE FROM sessions WHERE expires_ms <= $1")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO sessions (id_hash, user_id, csrf, created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5)")
                .bind(id_hash)
                .bind(user_id)
                .bind(csrf)
                .bind(now)
                .bind(expires_ms)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The enabled user of an unexpired session, with the session's CSRF token.
    pub async fn session_user(&self, id_hash: &str) -> Result<Option<(User, String)>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id_hash = $1 AND s.expires_ms > $2 AND u.disabled = 0"
        );
        let now = now_ms();
        read!(self, |c| {
            let r: Option<SessionRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id_hash)
                .bind(now)
                .fetch_optional(&mut *c)
                .await?;
            Ok(r.map(|r| (User::from(r.user), r.csrf)))
        })
    }

    /// Ends a session (logout).
    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        on!(self, write, |p| {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(id_hash)
                .execute(p)
                .await?;
            Ok(())
        })
    }

    /// The enabled user holding the unrevoked token with this hash.
    pub async fn user_by_token(&self, token_hash: &str) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked = 0 AND u.disabled = 0"
        );
        read!(self, |c| {
            let r: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(token_hash)
                .fetch_optional(&mut *c)
                .await?;
            Ok(r.map(User::from))
        })
    }
}
