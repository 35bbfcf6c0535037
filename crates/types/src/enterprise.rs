//! The identifiers of the enterprise register: a firm's 统一社会信用代码
//! (GB 32100-2015, with its check character) and an outlet's code.

use std::fmt;
use std::str::FromStr;

/// The characters of a credit code, in the order of their values
/// (GB 32100-2015 Table 1: digits and upper-case letters without I, O, S,
/// V, Z).
const CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// A 统一社会信用代码: 18 characters of [`CHARSET`], the last the check
/// character of the first 17 (weights 3^(i−1) mod 31; check value
/// 31 − (Σ mod 31), 31 counting as 0).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct CreditCode(String);

/// The check character of the first 17 characters (all in the charset).
fn check_char(first17: &[usize]) -> char {
    let mut w = 1usize;
    let mut sum = 0usize;
    for v in first17 {
        sum += v * w;
        w = (w * 3) % 31;
    }
    let c = (31 - sum % 31) % 31;
    CHARSET.as_bytes()[c] as char
}

impl CreditCode {
    pub fn parse(s: &str) -> Result<CreditCode, String> {
        let t = s.trim().to_ascii_uppercase();
        let n = t.chars().count();
        if n != 18 {
            return Err(format!(
                "credit code `{}`: {n} characters, a 统一社会信用代码 has 18",
                s.trim()
            ));
        }
        let mut values = Vec::with_capacity(18);
        for (i, c) in t.chars().enumerate() {
            match CHARSET.find(c) {
                Some(v) => values.push(v),
                None => {
                    return Err(format!(
                        "credit code `{t}`: character {} `{c}` is not allowed (digits and letters but I, O, S, V, Z)",
                        i + 1
                    ));
                }
            }
        }
        let want = check_char(&values[..17]);
        let got = t.chars().last().unwrap_or(' ');
        if want != got {
            return Err(format!(
                "credit code `{t}`: check character `{got}`, GB 32100 gives `{want}`"
            ));
        }
        Ok(CreditCode(t))
    }

    /// The check character a 17-character prefix would take (for making
    /// valid sample codes).
    pub fn complete(first17: &str) -> Option<CreditCode> {
        let values: Option<Vec<usize>> = first17.chars().map(|c| CHARSET.find(c)).collect();
        let values = values.filter(|v| v.len() == 17)?;
        let mut code = first17.to_string();
        code.push(check_char(&values));
        Some(CreditCode(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for CreditCode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CreditCode::parse(s)
    }
}

/// An outlet's code (排口编号) within its firm, such as `DA001` (HJ 944: D
/// for 大气, A for 废气 …): 1–16 ASCII letters, digits, `-` or `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct OutletCode(String);

impl OutletCode {
    pub fn parse(s: &str) -> Result<OutletCode, String> {
        let t = s.trim().to_ascii_uppercase();
        if t.is_empty() || t.len() > 16 {
            return Err(format!("outlet code `{}`: 1–16 characters", s.trim()));
        }
        if let Some(c) = t
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
        {
            return Err(format!(
                "outlet code `{t}`: `{}` is not allowed",
                c.escape_debug()
            ));
        }
        Ok(OutletCode(t))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OutletCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_codes_by_their_check_character() {
        // GB 32100-2015's worked example: 91350100M000100Y4 takes 3.
        assert_eq!(
            CreditCode::parse("91350100M000100Y43").unwrap().as_str(),
            "91350100M000100Y43"
        );
        assert_eq!(
            CreditCode::parse("91350100M000100Y44").unwrap_err(),
            "credit code `91350100M000100Y44`: check character `4`, GB 32100 gives `3`"
        );
        // The standard's own example of a wrong code ends in Z, which is
        // not even a code character.
        assert!(
            CreditCode::parse("91350100M000100Y4Z")
                .unwrap_err()
                .contains("character 18 `Z` is not allowed")
        );
        assert_eq!(
            CreditCode::complete("91350100M000100Y4").unwrap().as_str(),
            "91350100M000100Y43"
        );
        assert!(
            CreditCode::parse("91350100M000100Y4")
                .unwrap_err()
                .contains("17 characters")
        );
        assert!(
            CreditCode::parse("91350100M0001O0Y43")
                .unwrap_err()
                .contains("character 14 `O`")
        );
        // Lower case is read as upper case.
        assert!(CreditCode::parse("91350100m000100y43").is_ok());
        // Every prefix completes to a code that parses.
        for p in ["91411726MA40000001", "12411726000000000X"] {
            let c = CreditCode::complete(&p[..17]).unwrap();
            assert!(CreditCode::parse(c.as_str()).is_ok(), "{c}");
        }
    }

    #[test]
    fn outlet_codes() {
        assert_eq!(OutletCode::parse(" da001 ").unwrap().as_str(), "DA001");
        assert!(OutletCode::parse("DA 001").is_err());
        assert!(OutletCode::parse("").is_err());
    }
}
