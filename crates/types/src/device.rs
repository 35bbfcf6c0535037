//! What a registered device is, as types: its MN, kind, protocol dialect
//! and CRC dialect, and the kind of its site. The store keeps their names;
//! the CLI and the HTTP edge parse them where they enter.

use std::fmt;
use std::str::FromStr;

/// Declares a closed list of names as an enum with `as_str`, `ALL`,
/// `FromStr` (the error lists the names) and `Display`. (The names are
/// `tt`, not `literal`: a `literal` fragment reaches derive macros wrapped
/// in an invisible group, and utoipa would not see the serde rename.)
macro_rules! names {
    ($(#[$m:meta])* $name:ident, $what:literal { $($(#[$vm:meta])* $v:ident = $s:tt),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $s)] $v),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$v => $s),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = s.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str().eq_ignore_ascii_case(t))
                    .ok_or_else(|| {
                        format!(
                            concat!($what, " `{}`: {}"),
                            s,
                            Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
                        )
                    })
            }
        }
    };
}

names! {
    /// What a device measures.
    DeviceKind, "device kind" {
        /// An ambient air-quality station (national, provincial or micro).
        Ambient = "ambient",
        /// A stack's continuous emission monitoring system.
        Cems = "cems",
        Vocs = "vocs",
        /// A construction site's dust monitor.
        Dust = "dust",
        /// A restaurant's cooking-fume monitor.
        Fume = "fume",
        Water = "water",
        /// An electricity meter of production or treatment (HJ 212 ST=44).
        Electricity = "electricity",
        Other = "other",
    }
}

names! {
    /// Where a device stands.
    SiteKind, "site kind" {
        Ambient = "ambient",
        Micro = "micro",
        Outlet = "outlet",
        Construction = "construction",
        Restaurant = "restaurant",
        Other = "other",
    }
}

names! {
    /// The HJ 212 version a device is answered in.
    Protocol, "protocol" {
        /// The packet's own (by its Flag and content).
        Auto = "auto",
        V2005 = "2005",
        V2017 = "2017",
        V2025 = "2025",
    }
}

names! {
    /// The CRC a device computes.
    CrcDialect, "CRC variant" {
        /// HJ 212 Appendix A.
        Hj212 = "hj212",
        /// CRC-16/MODBUS (a device dialect, accepted per device).
        Modbus = "modbus",
    }
}

/// A device's MN (监测点编码): 1–32 ASCII letters, digits, `-` or `_`
/// (HJ 212 gives 14 or 24 characters; vendors vary).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct Mn(String);

impl Mn {
    pub const MAX_CHARS: usize = 32;

    pub fn parse(s: &str) -> Result<Mn, String> {
        let t = s.trim();
        if t.is_empty() {
            return Err("device MN is empty".into());
        }
        if t.len() > Self::MAX_CHARS {
            return Err(format!(
                "MN of {} characters; at most {}",
                t.len(),
                Self::MAX_CHARS
            ));
        }
        if let Some(c) = t
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
        {
            return Err(format!(
                "MN `{}`: `{}` is not allowed (ASCII letters, digits, - _)",
                t.escape_debug(),
                c.escape_debug()
            ));
        }
        Ok(Mn(t.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Mn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Mn {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Mn {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl FromStr for Mn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mn::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_refusals_list_them() {
        assert_eq!("CEMS".parse::<DeviceKind>(), Ok(DeviceKind::Cems));
        assert_eq!("2025".parse::<Protocol>(), Ok(Protocol::V2025));
        assert_eq!(
            "2019".parse::<Protocol>().unwrap_err(),
            "protocol `2019`: auto, 2005, 2017, 2025"
        );
        assert_eq!(
            "crc32".parse::<CrcDialect>().unwrap_err(),
            "CRC variant `crc32`: hj212, modbus"
        );
        for k in DeviceKind::ALL {
            assert_eq!(k.as_str().parse::<DeviceKind>(), Ok(*k));
        }
        assert_eq!(SiteKind::Construction.to_string(), "construction");
    }

    #[test]
    fn mns() {
        assert_eq!(
            Mn::parse(" 410000A8900016F000169DC0 ").unwrap().as_str(),
            "410000A8900016F000169DC0"
        );
        assert_eq!(Mn::parse("").unwrap_err(), "device MN is empty");
        assert!(
            Mn::parse("MN;PW=1")
                .unwrap_err()
                .contains("`;` is not allowed")
        );
        assert!(Mn::parse(&"1".repeat(33)).is_err());
    }
}
