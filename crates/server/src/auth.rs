//! Users and roles: who may see and change what. Passwords are kept only as
//! argon2id hashes (PHC strings); there is no built-in default password — a
//! password is given, or generated and shown once.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// The roles (one definition, in `lantian-types`).
pub use lantian_types::Role;

/// The argon2id hash (PHC string) of a password.
pub fn hash_password(password: &str) -> Result<String, String> {
    if password.chars().count() < 8 {
        return Err("a password has at least 8 characters".into());
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// Whether `password` matches the stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A new random password of 16 characters, for a user who was given none.
pub fn generate_password() -> std::io::Result<String> {
    crate::keys::new_key().map(|k| String::from_utf8_lossy(&k).to_string())
}

/// A hash of a random password, verified against when a login names no
/// user, so that the answer takes as long as for a real user.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let p = generate_password().unwrap_or_else(|_| "decoy-password".into());
        hash_password(&p).unwrap_or_default()
    })
}

/// A new API token: `lt_` and 64 hex digits (256 bits from the operating
/// system's random source). Shown once; only [`token_hash`] is stored.
pub fn generate_token() -> std::io::Result<String> {
    Ok(format!("lt_{}", hex(&crate::keys::random_bytes::<32>()?)))
}

/// What is stored of a token: lowercase hex SHA-256. Tokens carry 256
/// random bits, so a fast hash suffices (passwords, with little entropy,
/// use argon2id).
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(token.as_bytes()))
}

fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    b.iter()
        .fold(String::with_capacity(b.len() * 2), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        })
}

/// Login rate limiting, in memory per node: at most [`Self::MAX_PER_USER`]
/// failed logins for one username and [`Self::MAX_PER_PEER`] from one client
/// address within [`Self::WINDOW_MS`]; beyond that logins are refused
/// (even with the right password) until the oldest failure leaves the
/// window. An attempt is counted **before** its password is checked
/// ([`LoginLimiter::begin`]), so parallel tries cannot all pass the check
/// before the first is counted; a success takes its attempt back and clears
/// the username's failures. Addresses of trusted proxies are not counted
/// (everyone behind them would be locked out). Time is given by the caller,
/// so the rule is tested without sleeping.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: std::collections::HashMap<String, std::collections::VecDeque<i64>>,
}

/// An attempt counted by [`LoginLimiter::begin`], to be settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    user_key: String,
    peer_key: Option<String>,
    at_ms: i64,
}

impl LoginLimiter {
    pub const WINDOW_MS: i64 = 15 * 60_000;
    pub const MAX_PER_USER: usize = 5;
    pub const MAX_PER_PEER: usize = 20;
    /// Keys kept at most; beyond this, keys without a failure in the window go.
    const MAX_KEYS: usize = 100_000;

    fn user_key(user: &str) -> String {
        format!("u:{}", user.trim().to_lowercase())
    }

    /// Counts an attempt for `user` from `peer` (`None`: an address not
    /// counted, a trusted proxy's), or says how many milliseconds until one
    /// may be tried again.
    pub fn begin(&mut self, user: &str, peer: Option<&str>, now_ms: i64) -> Result<Attempt, i64> {
        let user_key = Self::user_key(user);
        let peer_key = peer.map(|p| format!("p:{p}"));
        let keys = [
            (Some(&user_key), Self::MAX_PER_USER),
            (peer_key.as_ref(), Self::MAX_PER_PEER),
        ];
        let wait = keys
            .iter()
            .filter_map(|(k, max)| {
                let q = self.failures.get_mut(*k.as_ref()?)?;
                while q.front().is_some_and(|&t| t <= now_ms - Self::WINDOW_MS) {
                    q.pop_front();
                }
                (q.len() >= *max).then(|| q.front().map_or(0, |&t| t + Self::WINDOW_MS - now_ms))
            })
            .max();
        if let Some(ms) = wait {
            return Err(ms.max(1));
        }
        if self.failures.len() >= Self::MAX_KEYS {
            self.failures
                .retain(|_, q| q.back().is_some_and(|&t| t > now_ms - Self::WINDOW_MS));
        }
        for k in [Some(&user_key), peer_key.as_ref()].into_iter().flatten() {
            self.failures
                .entry(k.clone())
                .or_default()
                .push_back(now_ms);
        }
        Ok(Attempt {
            user_key,
            peer_key,
            at_ms: now_ms,
        })
    }

    /// The attempt succeeded: it no longer counts, nor do the username's
    /// earlier failures.
    pub fn succeeded(&mut self, a: Attempt) {
        self.failures.remove(&a.user_key);
        if let Some(k) = &a.peer_key
            && let Some(q) = self.failures.get_mut(k)
            && let Some(i) = q.iter().rposition(|&t| t == a.at_ms)
        {
            q.remove(i);
        }
    }

    /// The attempt could not be judged (no free password check): it does
    /// not count as a failure.
    pub fn abandoned(&mut self, a: Attempt) {
        for k in [Some(&a.user_key), a.peer_key.as_ref()]
            .into_iter()
            .flatten()
        {
            if let Some(q) = self.failures.get_mut(k)
                && let Some(i) = q.iter().rposition(|&t| t == a.at_ms)
            {
                q.remove(i);
            }
        }
    }
}

/// Trusted reverse proxies: addresses or networks (`10.0.0.1`,
/// `10.0.0.0/8`, `::1`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<ipnet::IpNet>);

impl TrustedProxies {
    pub fn parse(list: &[String]) -> Result<Self, String> {
        list.iter()
            .map(|s| {
                let s = s.trim();
                s.parse::<ipnet::IpNet>()
                    .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| format!("trusted_proxies: `{s}` is not an address or network"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy,
    /// in which case the right-most address of `X-Forwarded-For` that is not
    /// itself a trusted proxy (what the nearest untrusted hop said). Also
    /// whether that address may be counted by the limiter (not when it is a
    /// trusted proxy's own).
    pub fn client(
        &self,
        peer: std::net::IpAddr,
        forwarded_for: Option<&str>,
    ) -> (std::net::IpAddr, bool) {
        if !self.contains(peer) {
            return (peer, true);
        }
        let hop = forwarded_for
            .into_iter()
            .flat_map(|v| v.rsplit(','))
            .find_map(|h| {
                let ip = h.trim().parse::<std::net::IpAddr>().ok()?;
                (!self.contains(ip)).then_some(ip)
            });
        match hop {
            Some(ip) => (ip, true),
            None => (peer, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(!h.contains("correct horse"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct hors", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(hash_password("short").is_err());
        let g = generate_password().unwrap();
        assert_eq!(g.len(), 16);
        assert_ne!(g, generate_password().unwrap());
    }

    #[test]
    fn tokens() {
        let t = generate_token().unwrap();
        assert_eq!(t.len(), 67);
        assert_ne!(t, generate_token().unwrap());
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn login_limits() {
        let mut l = LoginLimiter::default();
        let t0 = 1_000_000;
        let peer = Some("10.0.0.1");
        for i in 0..5 {
            l.begin("chen", peer, t0 + i).unwrap();
        }
        // The sixth try is refused until the first failure is 15 minutes old.
        assert_eq!(
            l.begin("chen", peer, t0 + 10),
            Err(LoginLimiter::WINDOW_MS - 10)
        );
        assert_eq!(
            l.begin("CHEN ", Some("10.0.0.2"), t0 + 10),
            Err(LoginLimiter::WINDOW_MS - 10)
        );
        // Another user from the same peer is not blocked by chen's five ...
        let li = l.begin("li", peer, t0 + 10).unwrap();
        l.succeeded(li);
        // ... but twenty failures from one peer block every name from it.
        for i in 0..15 {
            l.begin(&format!("u{i}"), peer, t0 + 20 + i).unwrap();
        }
        assert!(l.begin("li", peer, t0 + 40).is_err());
        assert!(l.begin("li", Some("10.0.0.3"), t0 + 40).is_ok());
        // An address that is not counted (a trusted proxy) blocks no one.
        for i in 0..30 {
            let _ = l.begin(&format!("v{i}"), None, t0 + 50 + i).unwrap();
        }
        // A success clears the name's failures and takes its attempt back.
        let later = t0 + LoginLimiter::WINDOW_MS;
        let a = l.begin("chen", Some("10.0.0.9"), later).unwrap();
        l.succeeded(a);
        assert!(l.begin("chen", Some("10.0.0.9"), later + 1).is_ok());
        // An attempt abandoned (no free password check) does not count.
        let mut l = LoginLimiter::default();
        for i in 0..10 {
            let a = l.begin("zhao", peer, t0 + i).unwrap();
            l.abandoned(a);
        }
        assert!(l.begin("zhao", peer, t0 + 20).is_ok());
    }

    #[test]
    fn the_client_address_comes_from_forwarded_for_only_behind_a_trusted_proxy() {
        let t = TrustedProxies::parse(&["10.0.0.0/8".into(), "::1".into()]).unwrap();
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        // A direct client: its own address, whatever it claims.
        assert_eq!(
            t.client(ip("203.0.113.9"), Some("1.2.3.4")),
            (ip("203.0.113.9"), true)
        );
        // Behind the proxy: the right-most hop that is not a trusted proxy.
        assert_eq!(
            t.client(ip("10.1.2.3"), Some("1.2.3.4, 198.51.100.7, 10.9.9.9")),
            (ip("198.51.100.7"), true)
        );
        // The proxy itself, or garbage: not counted.
        assert_eq!(t.client(ip("10.1.2.3"), None), (ip("10.1.2.3"), false));
        assert_eq!(t.client(ip("::1"), Some("not an ip")), (ip("::1"), false));
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
    }
}
