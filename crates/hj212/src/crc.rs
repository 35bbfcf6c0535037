//! The CRC of HJ 212 (Appendix A, "ANSI CRC16") and CRC-16/MODBUS.
//!
//! HJ 212: `reg = 0xFFFF`; per byte `reg = (reg >> 8) ^ byte`, then 8 rounds
//! of `lsb = reg & 1; reg >>= 1; if lsb { reg ^= 0xA001 }`. Because the byte
//! replaces the low byte instead of being XORed into it, the register after
//! each byte is `T[(reg >> 8) ^ byte]` with `T` the reflected-0xA001 byte
//! table, so only its high byte carries state. That state evolves linearly
//! over GF(2) (`s' = H(s ^ b)`, `H(x) = T[x] >> 8`), which lets us fold 8
//! bytes per step with 8 tables (slicing-by-8) and keep the exact result.
//! Check value of `123456789`: `0x2F80` (MODBUS gives `0x4B37`).

/// Which CRC a device uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CrcVariant {
    /// HJ 212 Appendix A (the standard).
    #[default]
    Hj212,
    /// CRC-16/MODBUS, sent by some field devices; accept only when configured.
    Modbus,
}

const fn arc_table() -> [u16; 256] {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut r = i as u16;
        let mut k = 0;
        while k < 8 {
            r = if r & 1 != 0 {
                (r >> 1) ^ 0xA001
            } else {
                r >> 1
            };
            k += 1;
        }
        t[i] = r;
        i += 1;
    }
    t
}

/// Reflected 0xA001 byte table (CRC-16/ARC, MODBUS).
const T: [u16; 256] = arc_table();

/// `P[k][x] = H^(k+1)(x)` with `H(x) = T[x] >> 8`.
const P: [[u8; 256]; 8] = {
    let mut p = [[0u8; 256]; 8];
    let mut x = 0;
    while x < 256 {
        p[0][x] = (T[x] >> 8) as u8;
        x += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut x = 0;
        while x < 256 {
            p[k][x] = p[0][p[k - 1][x] as usize];
            x += 1;
        }
        k += 1;
    }
    p
};

/// The HJ 212 CRC of `data` (the data segment's bytes).
///
/// ```
/// assert_eq!(lantian_hj212::crc::hj212(b"123456789"), 0x2F80);
/// ```
pub fn hj212(data: &[u8]) -> u16 {
    let Some((&last, head)) = data.split_last() else {
        return 0xFFFF;
    };
    // s = high byte of the register; reg after the last byte is T[s ^ last].
    let mut s: u8 = 0xFF;
    let mut chunks = head.chunks_exact(8);
    for c in &mut chunks {
        s = P[7][(s ^ c[0]) as usize]
            ^ P[6][c[1] as usize]
            ^ P[5][c[2] as usize]
            ^ P[4][c[3] as usize]
            ^ P[3][c[4] as usize]
            ^ P[2][c[5] as usize]
            ^ P[1][c[6] as usize]
            ^ P[0][c[7] as usize];
    }
    for &b in chunks.remainder() {
        s = P[0][(s ^ b) as usize];
    }
    T[(s ^ last) as usize]
}

/// The HJ 212 CRC computed byte by byte exactly as Appendix A words it
/// (the reference for tests of [`hj212`]).
pub fn hj212_bitwise(data: &[u8]) -> u16 {
    let mut reg: u16 = 0xFFFF;
    for &b in data {
        reg = (reg >> 8) ^ b as u16;
        for _ in 0..8 {
            let lsb = reg & 1;
            reg >>= 1;
            if lsb != 0 {
                reg ^= 0xA001;
            }
        }
    }
    reg
}

/// CRC-16/MODBUS (init 0xFFFF, reflected 0xA001, byte XORed into the low byte).
///
/// ```
/// assert_eq!(lantian_hj212::crc::modbus(b"123456789"), 0x4B37);
/// ```
pub fn modbus(data: &[u8]) -> u16 {
    let mut reg: u16 = 0xFFFF;
    for &b in data {
        reg = (reg >> 8) ^ T[((reg ^ b as u16) & 0xFF) as usize];
    }
    reg
}

/// The CRC of `data` by `variant`.
pub fn compute(variant: CrcVariant, data: &[u8]) -> u16 {
    match variant {
        CrcVariant::Hj212 => hj212(data),
        CrcVariant::Modbus => modbus(data),
    }
}

/// Parses 4 hex digits, either case.
pub fn parse_hex4(b: &[u8]) -> Option<u16> {
    if b.len() != 4 {
        return None;
    }
    let mut v: u16 = 0;
    for &c in b {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return None,
        };
        v = (v << 4) | d as u16;
    }
    Some(v)
}

/// 4 uppercase hex digits (how we always send a CRC).
pub fn hex4(v: u16) -> [u8; 4] {
    const H: &[u8; 16] = b"0123456789ABCDEF";
    [
        H[(v >> 12) as usize & 15],
        H[(v >> 8) as usize & 15],
        H[(v >> 4) as usize & 15],
        H[v as usize & 15],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values() {
        assert_eq!(hj212(b"123456789"), 0x2F80);
        assert_eq!(hj212_bitwise(b"123456789"), 0x2F80);
        assert_eq!(modbus(b"123456789"), 0x4B37);
        let seg = b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&";
        assert_eq!(hj212(seg), 0x1C80);
    }

    #[test]
    fn sliced_equals_bitwise_for_every_length() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 37 + 11) as u8).collect();
        for n in 0..data.len() {
            assert_eq!(hj212(&data[..n]), hj212_bitwise(&data[..n]), "n={n}");
        }
    }

    #[test]
    fn low_byte_is_restricted() {
        // Only 00, 01, 40, 41, 80, 81, C0, C1 can end an HJ 212 CRC.
        for x in 0..=255u8 {
            let lo = hj212(&[x, 0x31]) & 0xFF;
            assert!(matches!(
                lo,
                0x00 | 0x01 | 0x40 | 0x41 | 0x80 | 0x81 | 0xC0 | 0xC1
            ));
        }
    }

    #[test]
    fn hex() {
        assert_eq!(parse_hex4(b"c0c1"), Some(0xC0C1));
        assert_eq!(parse_hex4(b"1C8G"), None);
        assert_eq!(&hex4(0x1c80), b"1C80");
    }
}
