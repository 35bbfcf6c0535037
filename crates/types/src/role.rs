//! Who a user is: a [`Role`] (what kind of user) and a [`Scope`] (which
//! part of the county it speaks for). The policy of the HTTP edge decides
//! from both; the store keeps the role's name and the scope's name.

use std::fmt;
use std::str::FromStr;

/// The roles of the platform (the brief's users).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub enum Role {
    /// Everything, including users and devices.
    Admin,
    /// The county environment bureau and the task force: everything but users.
    Bureau,
    /// A department (发改委, 住建局, …): its own ledger and problems.
    Department,
    /// A township or street: its micro-stations, rank and ledgers.
    Township,
    /// An enterprise: its own monitoring data, alarms and measures.
    Enterprise,
    /// The public: current AQI, advice, alerts.
    Public,
    /// A machine: an upper platform, a vendor's platform or a
    /// micro-station network pushing observations of the stations its
    /// scope lists (and nothing else).
    Integration,
    /// The monitoring staff who review the data (数据审核): mark hours of
    /// a station or outlet invalid with a reason, or restore them; they
    /// read the county's figures, devices and journal.
    Reviewer,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::Bureau,
        Role::Department,
        Role::Township,
        Role::Enterprise,
        Role::Public,
        Role::Integration,
        Role::Reviewer,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Bureau => "bureau",
            Role::Department => "department",
            Role::Township => "township",
            Role::Enterprise => "enterprise",
            Role::Public => "public",
            Role::Integration => "integration",
            Role::Reviewer => "reviewer",
        }
    }

    pub const fn name_zh(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::Bureau => "生态环境分局",
            Role::Department => "职能部门",
            Role::Township => "乡镇街道",
            Role::Enterprise => "企业",
            Role::Public => "公众",
            Role::Integration => "数据接入",
            Role::Reviewer => "数据审核",
        }
    }

    /// Department, township and enterprise users belong to one of those;
    /// an integration is bound to the stations it may write.
    pub const fn needs_scope(self) -> bool {
        matches!(
            self,
            Role::Department | Role::Township | Role::Enterprise | Role::Integration
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                format!(
                    "role `{s}`: admin, bureau, department, township, enterprise, public, integration or reviewer"
                )
            })
    }
}

/// The part of the county a user speaks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub enum Scope {
    /// The whole county (admin and bureau).
    County,
    /// One department, by the name the plan gives it (住建局, …).
    Department(String),
    /// One township or street (泌水街道, …).
    Township(String),
    /// One enterprise, by its 统一社会信用代码 (or registered name).
    Enterprise(String),
    /// No part: what the public sees.
    Public,
    /// The stations (site codes) an integration may write, in the order
    /// stored (`S1,S2,…`; `*` is not a wildcard: every station is named).
    Stations(Vec<String>),
}

impl Scope {
    /// The scope of a user with `role` whose stored scope name is `name`.
    pub fn of(role: Role, name: Option<&str>) -> Result<Scope, String> {
        let name = name.map(str::trim).filter(|n| !n.is_empty());
        let named = |make: fn(String) -> Scope| {
            name.map(|n| make(n.to_string()))
                .ok_or_else(|| format!("a {role} user needs a scope (the {role} it belongs to)"))
        };
        match role {
            Role::Admin | Role::Bureau | Role::Reviewer => Ok(Scope::County),
            Role::Public => Ok(Scope::Public),
            Role::Department => named(Scope::Department),
            Role::Township => named(Scope::Township),
            Role::Enterprise => named(Scope::Enterprise),
            Role::Integration => {
                let list: Vec<String> = name
                    .unwrap_or("")
                    .split([',', ' ', ';'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                if list.is_empty() {
                    Err("an integration user needs a scope (the station codes it may write, S1,S2,…)".into())
                } else {
                    Ok(Scope::Stations(list))
                }
            }
        }
    }

    /// The name of the department, township or enterprise.
    pub fn name(&self) -> Option<&str> {
        match self {
            Scope::Department(n) | Scope::Township(n) | Scope::Enterprise(n) => Some(n),
            Scope::County | Scope::Public | Scope::Stations(_) => None,
        }
    }

    /// Whether an integration's scope lists station `code`.
    pub fn has_station(&self, code: &str) -> bool {
        matches!(self, Scope::Stations(list) if list.iter().any(|s| s == code))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::County => f.write_str("county"),
            Scope::Public => f.write_str("public"),
            Scope::Department(n) => write!(f, "department:{n}"),
            Scope::Township(n) => write!(f, "township:{n}"),
            Scope::Enterprise(n) => write!(f, "enterprise:{n}"),
            Scope::Stations(list) => write!(f, "stations:{}", list.join(",")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_scopes() {
        assert_eq!("Bureau".parse::<Role>(), Ok(Role::Bureau));
        assert!("root".parse::<Role>().is_err());
        assert!(Role::Township.needs_scope() && !Role::Public.needs_scope());
        assert_eq!(Scope::of(Role::Bureau, Some("ignored")), Ok(Scope::County));
        assert_eq!(
            Scope::of(Role::Township, Some(" 泌水街道 ")),
            Ok(Scope::Township("泌水街道".into()))
        );
        assert_eq!(
            Scope::of(Role::Department, None).unwrap_err(),
            "a department user needs a scope (the department it belongs to)"
        );
        assert_eq!(
            Scope::Township("泌水街道".into()).to_string(),
            "township:泌水街道"
        );
        let s = Scope::of(Role::Integration, Some("BJ01, BJ02")).unwrap();
        assert_eq!(s, Scope::Stations(vec!["BJ01".into(), "BJ02".into()]));
        assert!(s.has_station("BJ02") && !s.has_station("BJ03"));
        assert_eq!(s.to_string(), "stations:BJ01,BJ02");
        assert!(Scope::of(Role::Integration, Some(" , ")).is_err());
        assert!(!Scope::County.has_station("BJ01"));
    }
}
