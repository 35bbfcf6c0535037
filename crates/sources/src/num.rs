//! Concentrations as exact fixed-point numbers: a mantissa and a decimal
//! scale, parsed from the text as sent (`35.20` is 3520 at scale 2), so that
//! comparisons and the O2 correction are exact integer arithmetic and the
//! same text compares equal to itself (the constant-value rule).

use std::cmp::Ordering;

use rust_decimal::Decimal;

/// `m × 10^−scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fixed {
    pub m: i64,
    pub scale: u8,
}

/// At most this many decimals are kept exactly.
pub const MAX_SCALE: u8 = 9;

impl Fixed {
    pub const ZERO: Fixed = Fixed { m: 0, scale: 0 };

    pub const fn new(m: i64, scale: u8) -> Fixed {
        Fixed { m, scale }
    }

    /// Parses `[+-]digits[.digits]` (and what `Decimal` reads); `None` for
    /// anything else or more than [`MAX_SCALE`] decimals or 18 digits.
    pub fn parse(s: &str) -> Option<Fixed> {
        let t = s.trim().as_bytes();
        let (neg, digits) = match t.first() {
            Some(b'-') => (true, &t[1..]),
            Some(b'+') => (false, &t[1..]),
            _ => (false, t),
        };
        if digits.is_empty() {
            return None;
        }
        let mut m: i64 = 0;
        let mut scale: u8 = 0;
        let mut dot = false;
        let mut n = 0;
        for &b in digits {
            match b {
                b'0'..=b'9' => {
                    n += 1;
                    if n > 18 {
                        return None;
                    }
                    m = m * 10 + i64::from(b - b'0');
                    if dot {
                        scale += 1;
                        if scale > MAX_SCALE {
                            return None;
                        }
                    }
                }
                b'.' if !dot => dot = true,
                _ => return Fixed::from_decimal(s.trim().parse::<Decimal>().ok()?),
            }
        }
        if n == 0 {
            return None;
        }
        Some(Fixed {
            m: if neg { -m } else { m },
            scale,
        })
    }

    pub fn from_decimal(d: Decimal) -> Option<Fixed> {
        let scale = u8::try_from(d.scale()).ok().filter(|s| *s <= MAX_SCALE)?;
        let m = i64::try_from(d.mantissa()).ok()?;
        Some(Fixed { m, scale })
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.m, u32::from(self.scale))
    }

    /// The mantissa at `scale` (≥ self.scale), as i128.
    fn at(self, scale: u8) -> i128 {
        i128::from(self.m) * 10i128.pow(u32::from(scale - self.scale))
    }

    pub fn is_positive(self) -> bool {
        self.m > 0
    }
}

impl std::fmt::Display for Fixed {
    /// The text form: the mantissa with `scale` decimals (`3520, 2` → `35.20`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.m < 0 { "-" } else { "" };
        let a = self.m.unsigned_abs();
        if self.scale == 0 {
            return write!(f, "{sign}{a}");
        }
        let p = 10u64.pow(u32::from(self.scale));
        write!(
            f,
            "{sign}{}.{:0w$}",
            a / p,
            a % p,
            w = usize::from(self.scale)
        )
    }
}

/// Serialised as its text, so that JSON carries the exact value.
impl serde::Serialize for Fixed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Fixed {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Fixed, D::Error> {
        let t = String::deserialize(d)?;
        Fixed::parse(&t).ok_or_else(|| serde::de::Error::custom(format!("not a number: {t:?}")))
    }
}

impl PartialOrd for Fixed {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Fixed {
    /// By value (`35.0` and `35` are equal in value; [`Fixed`]'s `==`
    /// compares the text form, mantissa and scale).
    fn cmp(&self, other: &Self) -> Ordering {
        let s = self.scale.max(other.scale);
        self.at(s).cmp(&other.at(s))
    }
}

/// Whether `c` corrected to the reference O2 exceeds `limit`:
/// c × (21 − ref) / (21 − o2) > limit, decided without dividing, as
/// c × (21 − ref) > limit × (21 − o2) (both sides exact, 21 − o2 > 0 is the
/// caller's precondition).
pub fn corrected_exceeds(c: Fixed, o2: Fixed, reference: Fixed, limit: Fixed) -> bool {
    let s = c.scale.max(o2.scale).max(reference.scale).max(limit.scale);
    let twenty_one = 21i128 * 10i128.pow(u32::from(s));
    let lhs = c.at(s) * (twenty_one - reference.at(s));
    let rhs = limit.at(s) * (twenty_one - o2.at(s));
    lhs > rhs
}

/// c × (21 − ref) / (21 − o2), exactly (28 significant digits), or `None`
/// when 21 − o2 ≤ 0.
pub fn corrected(c: Fixed, o2: Fixed, reference: Fixed) -> Option<Decimal> {
    let twenty_one = Decimal::from(21);
    let den = twenty_one - o2.to_decimal();
    if den <= Decimal::ZERO {
        return None;
    }
    c.to_decimal()
        .checked_mul(twenty_one - reference.to_decimal())?
        .checked_div(den)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> Fixed {
        Fixed::parse(s).unwrap()
    }

    #[test]
    fn parsing_keeps_the_text_and_compares_values() {
        assert_eq!(f("35.20"), Fixed::new(3520, 2));
        assert_eq!(f("-0.5"), Fixed::new(-5, 1));
        assert_eq!(f("+7"), Fixed::new(7, 0));
        assert_ne!(f("35.0"), f("35"), "different texts");
        assert_eq!(f("35.0").cmp(&f("35")), Ordering::Equal, "the same value");
        assert!(f("35.01") > f("35"));
        assert_eq!(Fixed::parse("1e3"), Some(Fixed::new(1000, 0)));
        for bad in ["", "-", ".", "12a", "1.2.3", "NaN"] {
            assert_eq!(Fixed::parse(bad), None, "{bad}");
        }
        assert_eq!(Fixed::parse("0.0000000001"), None, "more than 9 decimals");
        for t in ["35.20", "-0.05", "7", "0.000000001"] {
            assert_eq!(f(t).to_string(), t);
        }
    }

    #[test]
    fn correction_is_exact() {
        // 30 mg/m³ measured at 12 % O2, reference 9 %: 30 × 12/9 = 40.
        assert_eq!(corrected(f("30"), f("12"), f("9")), Some(Decimal::from(40)));
        assert!(
            !corrected_exceeds(f("30"), f("12"), f("9"), f("40")),
            "equal is not above"
        );
        assert!(corrected_exceeds(f("30.01"), f("12"), f("9"), f("40")));
        // Gas boiler at 3.5 %: 25 at 7.5 % → 25 × 17.5 / 13.5 = 32.407…
        let c = corrected(f("25"), f("7.5"), f("3.5")).unwrap();
        assert_eq!(c.round_dp(3).to_string(), "32.407");
        assert!(corrected_exceeds(f("25"), f("7.5"), f("3.5"), f("30")));
        assert_eq!(corrected(f("25"), f("21"), f("3.5")), None);
    }
}
