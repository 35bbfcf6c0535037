//! Identifiers that parse: a value of one of these types has been checked
//! once, where it entered, and can be put in a file name, a header, a URL
//! path or a log line without further care.

use std::fmt;

/// A site's code (station, outlet, construction site …): 1–64 characters,
/// each a letter or digit (any script: `城关站` is a code) or one of `-`,
/// `_`, `.`; not starting with `.` or `-`, and no `..`. So no control
/// characters, spaces, quotes, slashes or separators of CSV and headers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct SiteCode(String);

impl SiteCode {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(s: &str) -> Result<SiteCode, String> {
        let n = s.chars().count();
        if n == 0 {
            return Err("a site code is empty".into());
        }
        if n > Self::MAX_CHARS {
            return Err(format!(
                "site code of {n} characters; at most {}",
                Self::MAX_CHARS
            ));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(format!(
                "site code `{}`: {} is not allowed (letters, digits, - _ .)",
                s.escape_debug(),
                describe(c)
            ));
        }
        if s.starts_with('.') || s.starts_with('-') {
            return Err(format!("site code `{s}` starts with `{}`", &s[..1]));
        }
        if s.contains("..") {
            return Err(format!("site code `{s}` contains `..`"));
        }
        Ok(SiteCode(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn describe(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("the character U+{:04X}", c as u32)
    } else {
        format!("`{c}`")
    }
}

impl fmt::Display for SiteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for SiteCode {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for SiteCode {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl std::str::FromStr for SiteCode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SiteCode::parse(s)
    }
}

impl AsRef<str> for SiteCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_codes() {
        for ok in [
            "BY01",
            "1001A",
            "城关站",
            "Wanshouxigong",
            "S-MN001",
            "a.b_c",
        ] {
            assert_eq!(SiteCode::parse(ok).unwrap().as_str(), ok);
        }
        let bad = |s: &str| SiteCode::parse(s).unwrap_err();
        assert_eq!(bad(""), "a site code is empty");
        assert_eq!(
            bad("BY\r\nSet-Cookie: x"),
            "site code `BY\\r\\nSet-Cookie: x`: the character U+000D is not allowed (letters, digits, - _ .)"
        );
        assert!(bad("a/b").contains("`/` is not allowed"));
        assert!(bad("a\"b").contains("`\"` is not allowed"));
        assert!(bad("a b").contains("U+0020"));
        assert_eq!(bad("..x"), "site code `..x` starts with `.`");
        assert_eq!(bad("a..b"), "site code `a..b` contains `..`");
        assert!(bad(&"x".repeat(65)).contains("at most 64"));
    }
}
