//! The alert lifecycle as one table: proposed (by the classifier or from a
//! notice) → approved (by the role the level names) → issued (start,
//! document number, scope) → adjusted (up or down, with a reason; it stays
//! issued) → lifted (end). A proposal may be rejected. Every step records
//! the forecast it rests on (the store keeps it); an alert issued at a
//! level its forecast does not reach is marked "no basis".

use crate::classify::Level;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Proposed,
    Approved,
    Issued,
    Lifted,
    Rejected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    Approve,
    Reject,
    Issue,
    Adjust,
    Lift,
}

/// The table: from, step, to.
pub const TRANSITIONS: &[(State, Step, State)] = &[
    (State::Proposed, Step::Approve, State::Approved),
    (State::Proposed, Step::Reject, State::Rejected),
    (State::Approved, Step::Issue, State::Issued),
    (State::Approved, Step::Reject, State::Rejected),
    (State::Issued, Step::Adjust, State::Issued),
    (State::Issued, Step::Lift, State::Lifted),
];

impl State {
    pub const ALL: [State; 5] = [
        State::Proposed,
        State::Approved,
        State::Issued,
        State::Lifted,
        State::Rejected,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Proposed => "proposed",
            State::Approved => "approved",
            State::Issued => "issued",
            State::Lifted => "lifted",
            State::Rejected => "rejected",
        }
    }
    pub const fn name_zh(self) -> &'static str {
        match self {
            State::Proposed => "拟启动",
            State::Approved => "已批准",
            State::Issued => "已发布",
            State::Lifted => "已解除",
            State::Rejected => "未批准",
        }
    }
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

impl Step {
    pub const ALL: [Step; 5] = [
        Step::Approve,
        Step::Reject,
        Step::Issue,
        Step::Adjust,
        Step::Lift,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            Step::Approve => "approve",
            Step::Reject => "reject",
            Step::Issue => "issue",
            Step::Adjust => "adjust",
            Step::Lift => "lift",
        }
    }
    pub fn parse(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Where `step` takes an alert in `from`, or why it cannot.
pub fn next(from: State, step: Step) -> Result<State, String> {
    TRANSITIONS
        .iter()
        .find(|(f, s, _)| *f == from && *s == step)
        .map(|(.., to)| *to)
        .ok_or_else(|| {
            let can: Vec<&str> = TRANSITIONS
                .iter()
                .filter(|(f, ..)| *f == from)
                .map(|(_, s, _)| s.as_str())
                .collect();
            format!(
                "an alert that is {} cannot be `{}`; from here: {}",
                from.as_str(),
                step.as_str(),
                if can.is_empty() {
                    "nothing".to_string()
                } else {
                    can.join(", ")
                }
            )
        })
}

/// Who approves an alert of each level: a role name per level (a
/// setting; default: the bureau for yellow and orange, an admin — the
/// county head's delegate — for red, after the practice of a vice-head
/// signing yellow/orange and the head signing red, policy.md §1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approvers {
    pub yellow: String,
    pub orange: String,
    pub red: String,
}

impl Default for Approvers {
    fn default() -> Self {
        Approvers {
            yellow: "bureau".into(),
            orange: "bureau".into(),
            red: "admin".into(),
        }
    }
}

impl Approvers {
    /// The role that approves `level`.
    pub fn of(&self, level: Level) -> &str {
        match level {
            Level::Yellow => &self.yellow,
            Level::Orange => &self.orange,
            _ => &self.red,
        }
    }

    /// Whether `role` may approve `level` (admin may approve every level).
    pub fn may(&self, role: &str, level: Level) -> bool {
        let want = match level {
            Level::Yellow => &self.yellow,
            Level::Orange => &self.orange,
            Level::Red => &self.red,
            _ => return false,
        };
        role == want || role == "admin"
    }
}

/// "No basis": issued at `level` while neither the forecast's
/// classification nor a notice from the city or province reaches it.
pub fn no_basis(level: Level, classified: Level, notices: &[Level]) -> bool {
    crate::classify::effective(classified, notices) < level
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (state, step): the state it gives or - when refused.
    #[test]
    fn the_lifecycle_as_a_table() {
        use State::*;
        use Step::*;
        let table = [
            // approve reject issue adjust lift
            (Proposed, "A R - - -"),
            (Approved, "- R I - -"),
            (Issued, "- - - I L"),
            (Lifted, "- - - - -"),
            (Rejected, "- - - - -"),
        ];
        for (from, row) in table {
            for (step, want) in Step::ALL.iter().zip(row.split(' ')) {
                let got = match next(from, *step) {
                    Ok(Approved) => "A",
                    Ok(Rejected) => "R",
                    Ok(Issued) => "I",
                    Ok(Lifted) => "L",
                    Ok(Proposed) => "P",
                    Err(_) => "-",
                };
                assert_eq!(got, want, "{from:?} {step:?}");
            }
        }
        assert_eq!(
            next(Lifted, Adjust).unwrap_err(),
            "an alert that is lifted cannot be `adjust`; from here: nothing"
        );
    }

    #[test]
    fn approvers_and_basis() {
        let a = Approvers::default();
        assert!(
            a.may("bureau", Level::Orange)
                && !a.may("bureau", Level::Red)
                && a.may("admin", Level::Red)
        );
        assert!(!a.may("township", Level::Yellow));
        assert!(no_basis(Level::Orange, Level::Yellow, &[]));
        assert!(
            !no_basis(Level::Orange, Level::Yellow, &[Level::Orange]),
            "the city's notice is a basis"
        );
        assert!(!no_basis(Level::Yellow, Level::Red, &[]));
    }
}
