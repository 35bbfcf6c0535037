//! # lantian-tickets
//!
//! The closed loop (发现 → 交办 → 核查 → 整改 → 反馈 → 复核 → 销号) as a
//! pure library: no I/O, the time a parameter.
//!
//! - [`machine`]: states × actions × parties as one table.
//! - [`rules`]: deadlines by source and severity, default severities, the
//!   escalation ladder (提醒, 催办, 黄牌, 红牌) and extension limits, from a
//!   versioned rule file.
//! - [`sla`]: on-time closure rate, mean time to close, returns, per
//!   assignee and month.
//! - [`category`]: what the public may report.
//! - [`assignee`]: who a ticket is assigned to (`township:NAME`, …).

pub mod category;
pub mod machine;
pub mod rules;
pub mod sla;

/// Who a ticket may be assigned to: a township, a department or an
/// enterprise, written `township:NAME`, `department:NAME`,
/// `enterprise:CREDIT_CODE` (the scope a user of it has).
pub mod assignee {
    use lantian_types::Scope;

    pub fn parse(s: &str) -> Result<Scope, String> {
        let (kind, name) = s.trim().split_once(':').ok_or_else(|| {
            format!("assignee `{s}`: township:NAME, department:NAME or enterprise:CREDIT_CODE")
        })?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
            return Err(format!(
                "assignee `{s}`: a name of 1–60 printable characters"
            ));
        }
        match kind {
            "township" => Ok(Scope::Township(name.to_string())),
            "department" => Ok(Scope::Department(name.to_string())),
            "enterprise" => {
                lantian_types::CreditCode::parse(name)
                    .map_err(|e| format!("assignee `{s}`: {e}"))?;
                Ok(Scope::Enterprise(name.to_string()))
            }
            _ => Err(format!(
                "assignee `{s}`: `{kind}` is not township, department or enterprise"
            )),
        }
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn assignees_parse() {
            assert_eq!(
                super::parse("township:泌水街道").unwrap().to_string(),
                "township:泌水街道"
            );
            assert!(super::parse("department:住建局").is_ok());
            assert!(super::parse("county:x").is_err());
            assert!(super::parse("township:").is_err());
            assert!(super::parse("enterprise:123").is_err());
        }
    }
}
