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
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Bureau,
        Role::Department,
        Role::Township,
        Role::Enterprise,
        Role::Public,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Bureau => "bureau",
            Role::Department => "department",
            Role::Township => "township",
            Role::Enterprise => "enterprise",
            Role::Public => "public",
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
        }
    }

    /// Department, township and enterprise users belong to one of those.
    pub const fn needs_scope(self) -> bool {
        matches!(self, Role::Department | Role::Township | Role::Enterprise)
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
                format!("role `{s}`: admin, bureau, department, township, enterprise or public")
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
            Role::Admin | Role::Bureau => Ok(Scope::County),
            Role::Public => Ok(Scope::Public),
            Role::Department => named(Scope::Department),
            Role::Township => named(Scope::Township),
            Role::Enterprise => named(Scope::Enterprise),
        }
    }

    /// The name of the department, township or enterprise.
    pub fn name(&self) -> Option<&str> {
        match self {
            Scope::Department(n) | Scope::Township(n) | Scope::Enterprise(n) => Some(n),
            Scope::County | Scope::Public => None,
        }
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
    }
}
