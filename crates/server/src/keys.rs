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

/// `len` random characters of `alphabet` (uniform, by rejection).
pub fn random_code(len: usize, alphabet: &[u8]) -> std::io::Result<String> {
    let n = alphabet.len().clamp(1, 256);
    let limit = 256 - 256 % n;
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let buf: [u8; 64] = random_bytes()?;
        for b in buf {
            if out.len() < len && usize::from(b) < limit {
                out.push(char::from(alphabet[usize::from(b) % n]));
            }
        }
    }
    Ok(out)
}

/// A derived key: SM4 of a label under the master key (one block).
fn derive(master: &[u8; 16], label: &[u8; 16]) -> [u8; 16] {
    let mut k = [0u8; 16];
    k.copy_from_slice(&crypto::encrypt(master, label)[..16]);
    k
}

fn mac(master: &[u8; 16], data: &[u8]) -> Vec<u8> {
    use hmac::{KeyInit, Mac};
    let key = derive(master, b"lantian-seal-mac");
    let Ok(mut m) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key) else {
        return Vec::new();
    };
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// SM4 in counter mode: the keystream blocks are SM4(nonce ‖ counter).
fn ctr(master: &[u8; 16], nonce: &[u8; 8], data: &[u8]) -> Vec<u8> {
    let key = derive(master, b"lantian-seal-enc");
    let mut out = Vec::with_capacity(data.len());
    for (i, chunk) in data.chunks(16).enumerate() {
        let mut block = [0u8; 16];
        block[..8].copy_from_slice(nonce);
        block[8..].copy_from_slice(&(i as u64).to_be_bytes());
        let ks = crypto::encrypt(&key, &block);
        out.extend(chunk.iter().zip(ks).map(|(a, b)| a ^ b));
    }
    out
}

/// Seals a text of any length with the master key (a reporter's contact):
/// `v1:` + hex(nonce ‖ SM4-CTR ciphertext ‖ HMAC-SHA256 tag), keys derived
/// from the master key for each use; the text is never stored in clear.
pub fn seal_text(master: &[u8; 16], text: &str) -> std::io::Result<String> {
    let nonce: [u8; 8] = random_bytes()?;
    let mut body = nonce.to_vec();
    body.extend(ctr(master, &nonce, text.as_bytes()));
    let tag = mac(master, &body);
    body.extend(tag);
    Ok(format!("v1:{}", hex(&body)))
}

/// Opens what [`seal_text`] made; `None` if it was not made with this key
/// or was changed.
pub fn open_text(master: &[u8; 16], sealed: &str) -> Option<String> {
    let h = sealed.strip_prefix("v1:")?;
    if h.len() % 2 != 0 || h.len() < 2 * (8 + 32) {
        return None;
    }
    let bytes: Vec<u8> = (0..h.len() / 2)
        .map(|i| u8::from_str_radix(h.get(2 * i..2 * i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    let (body, tag) = bytes.split_at(bytes.len() - 32);
    let want = mac(master, body);
    // Constant time: every byte is compared.
    if want.len() != tag.len() || want.iter().zip(tag).fold(0u8, |a, (x, y)| a | (x ^ y)) != 0 {
        return None;
    }
    let nonce: [u8; 8] = body[..8].try_into().ok()?;
    String::from_utf8(ctr(master, &nonce, &body[8..])).ok()
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
    fn texts_are_sealed_and_checked() {
        let master = parse_key("00112233445566778899AABBCCDDEEFF").unwrap();
        let text = r#"{"name":"张三","phone":"13800138000"}"#;
        let a = seal_text(&master, text).unwrap();
        let b = seal_text(&master, text).unwrap();
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!a.contains("13800138000") && !a.contains(&hex(b"13800138000")));
        assert_eq!(open_text(&master, &a).as_deref(), Some(text));
        // Another key, or one changed character, opens nothing.
        let other = parse_key("FFEEDDCCBBAA99887766554433221100").unwrap();
        assert_eq!(open_text(&other, &a), None);
        let mut bad = a.clone().into_bytes();
        let i = bad.len() - 70;
        bad[i] = if bad[i] == b'0' { b'1' } else { b'0' };
        assert_eq!(open_text(&master, &String::from_utf8(bad).unwrap()), None);
        assert_eq!(open_text(&master, "v1:zz"), None);
        let code = random_code(10, b"23456789ABCDEFGHJKMNPQRSTUVWXYZ").unwrap();
        assert_eq!(code.len(), 10);
        assert!(
            code.bytes()
                .all(|c| b"23456789ABCDEFGHJKMNPQRSTUVWXYZ".contains(&c))
        );
    }

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
