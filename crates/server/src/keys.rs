//! Device SM4 keys (HJ 212-2025) at rest: sealed with the platform's master
//! key (SM4 of the one 16-byte key block, hex) so the database never holds a
//! key in clear. The master key comes from configuration (`master_key`,
//! env `LANTIAN_MASTER_KEY`, 32 hex digits) and is never stored.

use lantian_hj212::crypto;

/// Parses a key: 16 characters (the standard writes keys as text, e.g. its
/// test key `0000000000000000`) or 32 hex digits.
pub fn parse_key(s: &str) -> Result<[u8; 16], String> {
    let s = s.trim();
    if s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        let mut k = [0u8; 16];
        for (i, slot) in k.iter_mut().enumerate() {
            *slot = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
        }
        return Ok(k);
    }
    <[u8; 16]>::try_from(s.as_bytes())
        .map_err(|_| format!("a key is 16 characters or 32 hex digits, not `{s}`"))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// Seals `key` with `master` (hex text for the database).
pub fn seal(master: &[u8; 16], key: &[u8; 16]) -> String {
    hex(&crypto::encrypt(master, key))
}

/// Opens a sealed key; `None` if it is not 32 hex digits.
pub fn open(master: &[u8; 16], sealed: &str) -> Option<[u8; 16]> {
    if sealed.len() != 32 {
        return None;
    }
    let mut c = [0u8; 16];
    for (i, slot) in c.iter_mut().enumerate() {
        *slot = u8::from_str_radix(sealed.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    <[u8; 16]>::try_from(crypto::decrypt(master, &c).as_slice()).ok()
}

/// `N` bytes from the operating system's random source.
pub fn random_bytes<const N: usize>() -> std::io::Result<[u8; N]> {
    let mut b = [0u8; N];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut b)?;
    Ok(b)
}

/// A new device key: 16 random characters from `[0-9A-Za-z]` (the standard
/// writes keys as 16-character text), from the operating system's random
/// source.
pub fn new_key() -> std::io::Result<[u8; 16]> {
    const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut key = [0u8; 16];
    let mut filled = 0;
    while filled < 16 {
        let buf: [u8; 64] = random_bytes()?;
        // Rejection sampling keeps the characters uniform.
        for b in buf {
            if filled < 16 && b < 248 {
                key[filled] = ALPHABET[(b % 62) as usize];
                filled += 1;
            }
        }
    }
    Ok(key)
}

/// The master key from `LANTIAN_MASTER_KEY`, if set.
pub fn master_from_env() -> Result<Option<[u8; 16]>, String> {
    match std::env::var("LANTIAN_MASTER_KEY") {
        Ok(v) if !v.is_empty() => parse_key(&v)
            .map(Some)
            .map_err(|e| format!("LANTIAN_MASTER_KEY: {e}")),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trip_and_no_clear_key() {
        let master = parse_key("00112233445566778899AABBCCDDEEFF").unwrap();
        let key = parse_key("0000000000000000").unwrap();
        let sealed = seal(&master, &key);
        assert_eq!(sealed.len(), 32);
        assert!(
            !sealed.contains("30303030"),
            "the key is not stored in clear"
        );
        assert_eq!(open(&master, &sealed), Some(key));
        assert_ne!(
            open(
                &parse_key("FFEEDDCCBBAA99887766554433221100").unwrap(),
                &sealed
            ),
            Some(key)
        );
        assert!(parse_key("short").is_err());
    }
}
