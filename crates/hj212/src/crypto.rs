//! HJ 212-2025 §6.4 data-segment encryption: SM4, 16-byte key, ECB,
//! "NoPadding" — each full 16-byte group of the CP body (between `CP=&&` and
//! the closing `&&`) is encrypted, a remainder of fewer than 16 bytes is sent
//! in clear, so the ciphertext has the plaintext's length. The CRC is computed
//! over the *plaintext* segment before encryption (App. A.2): a receiver
//! decrypts first, then checks the CRC.
//!
//! The standard prints ciphertext as `{0xE4,0x3E,…}` but keeps the plaintext
//! length in the length field. Which form travels on the wire is open, and
//! field firmware differs, so both are accepted ([`WireForm`]): raw bytes (the
//! length field then stays exact) and the `{0x..}` text form.
//!
//! Which CNs are encrypted (§6.4.4): device→host data commands 2000–2999,
//! plus 1014 and 3020 ([`is_encrypted_cn`]).

use sm4::Sm4;
use sm4::cipher::{Block, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};

/// The App. A.2 test key: sixteen `0x30` (ASCII `0000000000000000`).
pub const TEST_KEY: [u8; 16] = [0x30; 16];

/// How a device puts ciphertext on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WireForm {
    /// The ciphertext bytes themselves.
    Binary,
    /// `{0xE4,0x3E,…}` followed by the clear tail.
    Text,
}

/// Whether §6.4.4 asks a device to encrypt this CN.
pub fn is_encrypted_cn(cn: u16) -> bool {
    (2000..=2999).contains(&cn) || cn == 1014 || cn == 3020
}

fn cipher(key: &[u8; 16]) -> Sm4 {
    // A 16-byte key always has SM4's key length.
    Sm4::new_from_slice(key).unwrap_or_else(|_| unreachable!("SM4 takes 16-byte keys"))
}

/// Encrypts the full 16-byte groups of `plain`; the remainder stays clear.
///
/// ```
/// use lantian_hj212::crypto::{encrypt, TEST_KEY};
/// let c = encrypt(&TEST_KEY, b"DataTime=2024052");
/// assert_eq!(c[..4], [0xE4, 0x3E, 0x15, 0x9A]);
/// ```
pub fn encrypt(key: &[u8; 16], plain: &[u8]) -> Vec<u8> {
    let c = cipher(key);
    let mut out = plain.to_vec();
    for chunk in out.chunks_exact_mut(16) {
        let mut b: Block<Sm4> = <[u8; 16]>::try_from(&*chunk).unwrap_or([0; 16]).into();
        c.encrypt_block(&mut b);
        chunk.copy_from_slice(&b);
    }
    out
}

/// Decrypts what [`encrypt`] made.
pub fn decrypt(key: &[u8; 16], cipher_bytes: &[u8]) -> Vec<u8> {
    let c = cipher(key);
    let mut out = cipher_bytes.to_vec();
    for chunk in out.chunks_exact_mut(16) {
        let mut b: Block<Sm4> = <[u8; 16]>::try_from(&*chunk).unwrap_or([0; 16]).into();
        c.decrypt_block(&mut b);
        chunk.copy_from_slice(&b);
    }
    out
}

/// Renders ciphertext of `len` bytes whose first `len - len % 16` bytes are
/// encrypted in the `{0x..}` text form followed by the clear tail.
pub fn to_text_form(ciphertext: &[u8]) -> Vec<u8> {
    let full = ciphertext.len() - ciphertext.len() % 16;
    let mut out = Vec::with_capacity(full * 5 + 2 + ciphertext.len() - full);
    if full > 0 {
        out.push(b'{');
        for (i, b) in ciphertext[..full].iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(format!("0x{b:02X}").as_bytes());
        }
        out.push(b'}');
    }
    out.extend_from_slice(&ciphertext[full..]);
    out
}

/// Why an encrypted body cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CryptoError {
    /// The `{0x..}` list is malformed at this byte of the body.
    BadTextForm(usize),
    /// The text form's byte count is not a multiple of 16.
    NotWholeGroups(usize),
    /// No `CP=&&…&&` to decrypt.
    NoCp,
}

impl std::fmt::Display for CryptoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CryptoError::BadTextForm(at) => write!(
                f,
                "malformed {{0x..}} ciphertext at byte {at} of the CP body"
            ),
            CryptoError::NotWholeGroups(n) => {
                write!(f, "{n} ciphertext bytes are not whole 16-byte groups")
            }
            CryptoError::NoCp => f.write_str("no CP=&&…&& to decrypt"),
        }
    }
}

impl std::error::Error for CryptoError {}

/// Parses a body in the text form: `{0x..,…}` + clear tail → ciphertext
/// bytes (encrypted groups followed by the tail).
pub fn from_text_form(body: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let Some(rest) = body.strip_prefix(b"{") else {
        return Ok(body.to_vec());
    };
    let close = memchr::memchr(b'}', rest).ok_or(CryptoError::BadTextForm(body.len()))?;
    let mut out = Vec::with_capacity(close / 5 + 1);
    let mut pos = 1;
    for item in rest[..close].split(|c| *c == b',') {
        let t = item.trim_ascii();
        let hex = t
            .strip_prefix(b"0x")
            .or_else(|| t.strip_prefix(b"0X"))
            .ok_or(CryptoError::BadTextForm(pos))?;
        if hex.is_empty() || hex.len() > 2 {
            return Err(CryptoError::BadTextForm(pos));
        }
        let v = hex.iter().try_fold(0u8, |a, c| {
            let d = (*c as char).to_digit(16)? as u8;
            Some(a * 16 + d)
        });
        out.push(v.ok_or(CryptoError::BadTextForm(pos))?);
        pos += item.len() + 1;
    }
    if out.len() % 16 != 0 {
        return Err(CryptoError::NotWholeGroups(out.len()));
    }
    out.extend_from_slice(&rest[close + 1..]);
    Ok(out)
}

/// Splits a segment into (head up to and including `CP=&&`, CP body, the
/// closing `&&` and anything after it).
fn split_cp(segment: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let start = memchr::memmem::find(segment, b"CP=&&")? + 5;
    let end = memchr::memmem::rfind(&segment[start..], b"&&")? + start;
    Some((&segment[..start], &segment[start..end], &segment[end..]))
}

/// Encrypts the CP body of a plaintext data segment, in `form`.
///
/// ```
/// use lantian_hj212::crypto::{encrypt_segment, decrypt_segment, WireForm, TEST_KEY};
/// let seg = b"QN=1;ST=22;CN=2011;PW=1;MN=M;Flag=9;CP=&&DataTime=20240601085800;a34004-Rtd=35&&";
/// let enc = encrypt_segment(&TEST_KEY, seg, WireForm::Text).unwrap();
/// assert!(enc.windows(8).any(|w| w == b"CP=&&{0x"));
/// let (plain, form) = decrypt_segment(&TEST_KEY, &enc).unwrap();
/// assert_eq!((plain.as_slice(), form), (&seg[..], WireForm::Text));
/// ```
pub fn encrypt_segment(
    key: &[u8; 16],
    segment: &[u8],
    form: WireForm,
) -> Result<Vec<u8>, CryptoError> {
    let (head, body, tail) = split_cp(segment).ok_or(CryptoError::NoCp)?;
    let c = encrypt(key, body);
    let mut out = head.to_vec();
    match form {
        WireForm::Binary => out.extend_from_slice(&c),
        WireForm::Text => out.extend_from_slice(&to_text_form(&c)),
    }
    out.extend_from_slice(tail);
    Ok(out)
}

/// Decrypts the CP body of an encrypted data segment (either wire form) and
/// says which form it was.
pub fn decrypt_segment(key: &[u8; 16], segment: &[u8]) -> Result<(Vec<u8>, WireForm), CryptoError> {
    let (head, body, tail) = split_cp(segment).ok_or(CryptoError::NoCp)?;
    let (cipher_bytes, form) = if body.starts_with(b"{0x") || body.starts_with(b"{0X") {
        (from_text_form(body)?, WireForm::Text)
    } else {
        (body.to_vec(), WireForm::Binary)
    };
    let mut out = head.to_vec();
    out.extend_from_slice(&decrypt(key, &cipher_bytes));
    out.extend_from_slice(tail);
    Ok((out, form))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn gbt32907_check_vector() {
        let key: [u8; 16] = hex("0123456789abcdeffedcba9876543210").try_into().unwrap();
        assert_eq!(encrypt(&key, &key), hex("681edf34d206965e86b3e94f536e4246"));
        assert_eq!(
            decrypt(&key, &hex("681edf34d206965e86b3e94f536e4246")),
            key.to_vec()
        );
    }

    #[test]
    fn appendix_a_unit_vector_and_clear_tail() {
        assert_eq!(
            encrypt(&TEST_KEY, b"DataTime=2024052"),
            hex("E43E159ACFAB242CB53155FB8B9281A1")
        );
        let c = encrypt(&TEST_KEY, b"DataTime=2024052g=N");
        assert_eq!(&c[16..], b"g=N");
    }

    #[test]
    fn text_form_round_trip_and_errors() {
        let c = encrypt(&TEST_KEY, b"0123456789abcdefXYZ");
        let t = to_text_form(&c);
        assert!(t.starts_with(b"{0x") && t.ends_with(b"}XYZ"));
        assert_eq!(from_text_form(&t).unwrap(), c);
        assert_eq!(from_text_form(b"{0xZZ}"), Err(CryptoError::BadTextForm(1)));
        assert_eq!(
            from_text_form(b"{0x01,0x02}"),
            Err(CryptoError::NotWholeGroups(2))
        );
        assert!(from_text_form(b"{0x01").is_err());
    }
}
