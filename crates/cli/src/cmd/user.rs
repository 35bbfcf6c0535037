//! `lantian user add|passwd|token|disable|enable|list`: accounts of the bureau, departments,
//! townships, enterprises and the public. Passwords are stored only as
//! argon2id hashes; when none is given one is generated and shown once.
//! Every change is written to the audit log.

use anyhow::{Result, bail};
use lantian_server::auth::{self, Role};
use lantian_store::Store;

use crate::cmd::serve::{DEFAULT_DB, runtime};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Add a user.
    Add {
        #[arg(long, default_value = DEFAULT_DB)]
        database: String,
        username: String,
        /// admin, bureau, department, township, enterprise, public.
        #[arg(long)]
        role: String,
        /// The department, township or enterprise the user belongs to.
        #[arg(long)]
        scope: Option<String>,
        /// The password (at least 8 characters); generated and shown once if absent.
        #[arg(long)]
        password: Option<String>,
    },
    /// Set a user's password (generated and shown once if none is given).
    Passwd {
        #[arg(long, default_value = DEFAULT_DB)]
        database: String,
        username: String,
        #[arg(long)]
        password: Option<String>,
    },
    /// Issue an API token for a user (for machines: `Authorization: Bearer …`),
    /// shown once (only its SHA-256 is stored); or, with `--revoke ID`,
    /// revoke one token (ids: `lantian user tokens NAME`).
    Token {
        #[arg(long, default_value = DEFAULT_DB)]
        database: String,
        /// The user to issue a token for (not needed with --revoke).
        #[arg(required_unless_present = "revoke")]
        username: Option<String>,
        /// What the token is for (shown in the audit log).
        #[arg(long)]
        label: Option<String>,
        /// Revoke the token with this id instead.
        #[arg(long, conflicts_with = "label")]
        revoke: Option<i64>,
    },
    /// List a user's API tokens: id, label, when issued, revoked or not.
    Tokens {
        #[arg(long, default_value = DEFAULT_DB)]
        database: String,
        username: String,
    },
    /// Disable a user: its sessions end and its API tokens are revoked at
    /// once (enabling it again gives back the login, not those).
    Disable {
        #[arg(long, default_value = DEFAULT_DB)]
        database: String,
        username: String,
    },
    /// Enable a disabled user again.
    Enable {
        #[arg(long, default_value = DEFAULT_DB)]
        database: String,
        username: String,
    },
    /// List the users (never their passwords).
    List {
        #[arg(long, default_value = DEFAULT_DB)]
        database: String,
    },
}

fn password_or_new(given: Option<String>) -> Result<(String, bool)> {
    match given {
        Some(p) => Ok((p, false)),
        None => Ok((auth::generate_password()?, true)),
    }
}

/// `s` padded to `width` terminal columns (a Chinese character takes two),
/// and one space.
pub(crate) fn pad(s: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(s);
    format!("{s}{} ", " ".repeat(width.saturating_sub(w)))
}

async fn set_disabled(database: &str, username: &str, disable: bool) -> Result<()> {
    let store = Store::connect(database).await?;
    if !store.set_user_disabled(username, disable, "cli").await? {
        bail!("no user {username}");
    }
    println!(
        "{username} {}",
        if disable {
            "disabled (停用): sessions ended, tokens revoked"
        } else {
            "enabled (启用)"
        }
    );
    Ok(())
}

pub fn run(cmd: Command) -> Result<()> {
    runtime()?.block_on(async move {
        match cmd {
            Command::Add {
                database,
                username,
                role,
                scope,
                password,
            } => {
                let role: Role = role.parse().map_err(anyhow::Error::msg)?;
                if role.needs_scope() && scope.as_deref().is_none_or(str::is_empty) {
                    bail!("a {} user needs --scope (the {} they belong to)", role.name(), role.name());
                }
                let (password, generated) = password_or_new(password)?;
                let hash = auth::hash_password(&password).map_err(anyhow::Error::msg)?;
                let store = Store::connect(&database).await?;
                store.add_user(&username, &hash, role.name(), scope.as_deref(), "cli").await?;
                println!("added {username} ({} {})", role.name(), role.name_zh());
                if generated {
                    println!("one-time password (shown once; change it with `lantian user passwd`): {password}");
                }
            }
            Command::Passwd {
                database,
                username,
                password,
            } => {
                let (password, generated) = password_or_new(password)?;
                let hash = auth::hash_password(&password).map_err(anyhow::Error::msg)?;
                let store = Store::connect(&database).await?;
                if !store.set_password_hash(&username, &hash, "cli").await? {
                    bail!("no user {username}");
                }
                println!("password of {username} changed; its sessions ended and its API tokens were revoked");
                if generated {
                    println!("one-time password (shown once): {password}");
                }
            }
            Command::Token {
                database,
                username,
                label,
                revoke,
            } => {
                let store = Store::connect(&database).await?;
                if let Some(id) = revoke {
                    let Some(owner) = store.revoke_token(id, "cli").await? else {
                        bail!("no token {id} (list them with `lantian user tokens NAME`)");
                    };
                    println!("token {id} of {owner} revoked");
                    return Ok(());
                }
                let username = username.unwrap_or_default();
                let token = auth::generate_token()?;
                let id = store.add_token(&username, &auth::token_hash(&token), label.as_deref(), "cli").await?;
                println!("API token {id} for {username} (shown once): {token}");
            }
            Command::Tokens { database, username } => {
                let store = Store::connect(&database).await?;
                let Some(tokens) = store.tokens(&username).await? else {
                    bail!("no user {username}");
                };
                println!("{:<6} {:<26} {:<8} label", "id", "issued", "revoked");
                for t in &tokens {
                    println!(
                        "{:<6} {:<26} {:<8} {}",
                        t.id,
                        lantian_types::time::shanghai_ms(t.created_ms).unwrap_or_default(),
                        if t.revoked { "yes" } else { "no" },
                        t.label.as_deref().unwrap_or("")
                    );
                }
                println!("{} tokens", tokens.len());
            }
            Command::Disable { database, username } => set_disabled(&database, &username, true).await?,
            Command::Enable { database, username } => set_disabled(&database, &username, false).await?,
            Command::List { database } => {
                let store = Store::connect(&database).await?;
                let users = store.users().await?;
                let row = |cells: [&str; 5]| {
                    let widths = [20, 12, 14, 20, 0];
                    let line: String = cells.iter().zip(widths).map(|(c, w)| pad(c, w)).collect();
                    println!("{}", line.trim_end());
                };
                row(["username", "role", "角色", "scope", "disabled"]);
                for u in &users {
                    let zh = u.role.parse::<Role>().map_or("?", Role::name_zh);
                    let scope = u.scope.as_deref().unwrap_or("—");
                    row([&u.username, &u.role, zh, scope, if u.disabled { "yes" } else { "no" }]);
                }
                println!("{} users", users.len());
            }
        }
        Ok(())
    })
}
