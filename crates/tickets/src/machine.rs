//! The ticket state machine: 发现 → 交办 → 核查 → 整改 → 反馈 → 复核 → 销号
//! as one table of (state, action, party, finding) → state. The store
//! makes each transition one transaction that changes the ticket only from
//! the state it was read in; the HTTP edge maps a caller to a party.
//!
//! Choices the issue leaves open, written down:
//! - `verify` with `unfounded` sends the ticket to the bureau's review
//!   (reviewing); the bureau's `accept` then ends it as `unfounded`, and
//!   its `return` sends it to rectifying (the bureau holds it real).
//! - `reassign` keeps the state (the new assignee carries on where the
//!   old one stood); `extend` is the bureau's (its approval is the act)
//!   and is open while the assignee still owes an answer.
//! - `comment` is open to both parties in every state, terminal ones
//!   included (a note after 销号 is still a note); it changes no state.

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// 发现: found, not yet assigned.
    New,
    /// 交办: assigned, to be verified on site.
    Assigned,
    /// 整改: verified real, being put right.
    Rectifying,
    /// 复核: the assignee has answered; the bureau reviews.
    Reviewing,
    /// 销号: done.
    Closed,
    /// 不属实: verified unfounded and accepted as such.
    Unfounded,
}

/// What is done to a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Assign,
    Verify,
    Feedback,
    Accept,
    Return,
    Comment,
    Reassign,
    Extend,
}

/// Who acts: the bureau (admin and bureau users) or the ticket's assignee
/// (the users of the township, department or enterprise it is assigned to).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Party {
    Bureau,
    Assignee,
}

/// What the on-site check found (`verify`'s `result`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Finding {
    Real,
    Unfounded,
}

/// A row's condition on the finding: for `verify` the result given, for
/// `accept` the finding recorded on the ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Any,
    Is(Finding),
}

use Action as A;
use Party::{Assignee as Asg, Bureau as Bur};
use State as S;

/// The machine: from, action, party, condition, to.
pub const TRANSITIONS: &[(State, Action, Party, When, State)] = &[
    (S::New, A::Assign, Bur, When::Any, S::Assigned),
    (
        S::Assigned,
        A::Verify,
        Asg,
        When::Is(Finding::Real),
        S::Rectifying,
    ),
    (
        S::Assigned,
        A::Verify,
        Asg,
        When::Is(Finding::Unfounded),
        S::Reviewing,
    ),
    (S::Assigned, A::Reassign, Bur, When::Any, S::Assigned),
    (S::Assigned, A::Extend, Bur, When::Any, S::Assigned),
    (S::Rectifying, A::Feedback, Asg, When::Any, S::Reviewing),
    (S::Rectifying, A::Reassign, Bur, When::Any, S::Rectifying),
    (S::Rectifying, A::Extend, Bur, When::Any, S::Rectifying),
    (
        S::Reviewing,
        A::Accept,
        Bur,
        When::Is(Finding::Real),
        S::Closed,
    ),
    (
        S::Reviewing,
        A::Accept,
        Bur,
        When::Is(Finding::Unfounded),
        S::Unfounded,
    ),
    (S::Reviewing, A::Return, Bur, When::Any, S::Rectifying),
    (S::New, A::Comment, Bur, When::Any, S::New),
    (S::Assigned, A::Comment, Bur, When::Any, S::Assigned),
    (S::Assigned, A::Comment, Asg, When::Any, S::Assigned),
    (S::Rectifying, A::Comment, Bur, When::Any, S::Rectifying),
    (S::Rectifying, A::Comment, Asg, When::Any, S::Rectifying),
    (S::Reviewing, A::Comment, Bur, When::Any, S::Reviewing),
    (S::Reviewing, A::Comment, Asg, When::Any, S::Reviewing),
    (S::Closed, A::Comment, Bur, When::Any, S::Closed),
    (S::Closed, A::Comment, Asg, When::Any, S::Closed),
    (S::Unfounded, A::Comment, Bur, When::Any, S::Unfounded),
    (S::Unfounded, A::Comment, Asg, When::Any, S::Unfounded),
];

impl State {
    pub const ALL: [State; 6] = [
        S::New,
        S::Assigned,
        S::Rectifying,
        S::Reviewing,
        S::Closed,
        S::Unfounded,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            S::New => "new",
            S::Assigned => "assigned",
            S::Rectifying => "rectifying",
            S::Reviewing => "reviewing",
            S::Closed => "closed",
            S::Unfounded => "unfounded",
        }
    }

    pub const fn name_zh(self) -> &'static str {
        match self {
            S::New => "待交办",
            S::Assigned => "已交办",
            S::Rectifying => "整改中",
            S::Reviewing => "待复核",
            S::Closed => "已销号",
            S::Unfounded => "不属实",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Ended (销号 or 不属实): no deadline runs.
    pub const fn is_final(self) -> bool {
        matches!(self, S::Closed | S::Unfounded)
    }

    /// The assignee owes an answer (the due time runs against it).
    pub const fn owes_answer(self) -> bool {
        matches!(self, S::Assigned | S::Rectifying)
    }
}

impl Action {
    pub const ALL: [Action; 8] = [
        A::Assign,
        A::Verify,
        A::Feedback,
        A::Accept,
        A::Return,
        A::Comment,
        A::Reassign,
        A::Extend,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            A::Assign => "assign",
            A::Verify => "verify",
            A::Feedback => "feedback",
            A::Accept => "accept",
            A::Return => "return",
            A::Comment => "comment",
            A::Reassign => "reassign",
            A::Extend => "extend",
        }
    }

    pub const fn name_zh(self) -> &'static str {
        match self {
            A::Assign => "交办",
            A::Verify => "核查",
            A::Feedback => "反馈",
            A::Accept => "复核通过",
            A::Return => "退回",
            A::Comment => "备注",
            A::Reassign => "改派",
            A::Extend => "延期",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

impl Party {
    pub const fn as_str(self) -> &'static str {
        match self {
            Bur => "the bureau",
            Asg => "the assignee",
        }
    }
}

/// Why a transition is refused: the party may never take it from here
/// (403 at the edge), or no one may from this state (409).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    NotYours(String),
    NotNow(String),
}

impl Refused {
    pub fn message(&self) -> &str {
        match self {
            Refused::NotYours(m) | Refused::NotNow(m) => m,
        }
    }
}

/// Where `action` by `party` takes a ticket in `from`. `finding` is the
/// result `verify` gives, or for `accept` the finding on the ticket
/// (`None` when it was never verified).
pub fn next(
    from: State,
    action: Action,
    party: Party,
    finding: Option<Finding>,
) -> Result<State, Refused> {
    let rows = || {
        TRANSITIONS
            .iter()
            .filter(move |(f, a, ..)| *f == from && *a == action)
    };
    let mut others = None;
    for (_, _, p, when, to) in rows() {
        if *p != party {
            others = Some(*p);
            continue;
        }
        match (when, finding) {
            (When::Any, _) => return Ok(*to),
            (When::Is(w), Some(f)) if *w == f => return Ok(*to),
            _ => {}
        }
    }
    if rows().any(|(_, _, p, ..)| *p == party) {
        return Err(Refused::NotNow(match action {
            A::Verify => "verify needs `result`: real or unfounded".to_string(),
            _ => format!(
                "a {} ticket cannot be accepted before it is verified",
                from.as_str()
            ),
        }));
    }
    match others {
        Some(p) => Err(Refused::NotYours(format!(
            "`{}` is for {}",
            action.as_str(),
            p.as_str()
        ))),
        None => Err(Refused::NotNow(format!(
            "a ticket that is {} ({}) cannot take `{}`; from here: {}",
            from.as_str(),
            from.name_zh(),
            action.as_str(),
            allowed(from).join(", ")
        ))),
    }
}

/// The actions some party may take from `from` (each once, in table order).
pub fn allowed(from: State) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for (f, a, ..) in TRANSITIONS {
        if *f == from && !out.contains(&a.as_str()) {
            out.push(a.as_str());
        }
    }
    out
}

/// The actions `party` may take from `from`.
pub fn actions_for(from: State, party: Party) -> Vec<Action> {
    let mut out = Vec::new();
    for (f, a, p, ..) in TRANSITIONS {
        if *f == from && *p == party && !out.contains(a) {
            out.push(*a);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (state, action, party) as one table: the state it gives, `-`
    /// when the party may not take it from there (403), `x` when nobody may
    /// (409). Verify and accept are written for each finding.
    #[test]
    fn the_machine_as_a_table() {
        // Columns: bureau, assignee. Each cell: a state's first letters, or - / x.
        // n=new a=assigned r=rectifying v=reviewing c=closed u=unfounded
        let table: &[(State, Action, Option<Finding>, &str, &str)] = &[
            (S::New, A::Assign, None, "a", "-"),
            (S::New, A::Verify, Some(Finding::Real), "x", "x"),
            (S::New, A::Feedback, None, "x", "x"),
            (S::New, A::Accept, Some(Finding::Real), "x", "x"),
            (S::New, A::Return, None, "x", "x"),
            (S::New, A::Comment, None, "n", "-"),
            (S::New, A::Reassign, None, "x", "x"),
            (S::New, A::Extend, None, "x", "x"),
            (S::Assigned, A::Assign, None, "x", "x"),
            (S::Assigned, A::Verify, Some(Finding::Real), "-", "r"),
            (S::Assigned, A::Verify, Some(Finding::Unfounded), "-", "v"),
            (S::Assigned, A::Feedback, None, "x", "x"),
            (S::Assigned, A::Accept, Some(Finding::Real), "x", "x"),
            (S::Assigned, A::Return, None, "x", "x"),
            (S::Assigned, A::Comment, None, "a", "a"),
            (S::Assigned, A::Reassign, None, "a", "-"),
            (S::Assigned, A::Extend, None, "a", "-"),
            (S::Rectifying, A::Assign, None, "x", "x"),
            (S::Rectifying, A::Verify, Some(Finding::Real), "x", "x"),
            (S::Rectifying, A::Feedback, None, "-", "v"),
            (S::Rectifying, A::Accept, Some(Finding::Real), "x", "x"),
            (S::Rectifying, A::Return, None, "x", "x"),
            (S::Rectifying, A::Comment, None, "r", "r"),
            (S::Rectifying, A::Reassign, None, "r", "-"),
            (S::Rectifying, A::Extend, None, "r", "-"),
            (S::Reviewing, A::Assign, None, "x", "x"),
            (S::Reviewing, A::Verify, Some(Finding::Real), "x", "x"),
            (S::Reviewing, A::Feedback, None, "x", "x"),
            (S::Reviewing, A::Accept, Some(Finding::Real), "c", "-"),
            (S::Reviewing, A::Accept, Some(Finding::Unfounded), "u", "-"),
            (S::Reviewing, A::Return, None, "r", "-"),
            (S::Reviewing, A::Comment, None, "v", "v"),
            (S::Reviewing, A::Reassign, None, "x", "x"),
            (S::Reviewing, A::Extend, None, "x", "x"),
            (S::Closed, A::Assign, None, "x", "x"),
            (S::Closed, A::Verify, Some(Finding::Real), "x", "x"),
            (S::Closed, A::Feedback, None, "x", "x"),
            (S::Closed, A::Accept, Some(Finding::Real), "x", "x"),
            (S::Closed, A::Return, None, "x", "x"),
            (S::Closed, A::Comment, None, "c", "c"),
            (S::Closed, A::Reassign, None, "x", "x"),
            (S::Closed, A::Extend, None, "x", "x"),
            (S::Unfounded, A::Assign, None, "x", "x"),
            (S::Unfounded, A::Verify, Some(Finding::Real), "x", "x"),
            (S::Unfounded, A::Feedback, None, "x", "x"),
            (S::Unfounded, A::Accept, Some(Finding::Real), "x", "x"),
            (S::Unfounded, A::Return, None, "x", "x"),
            (S::Unfounded, A::Comment, None, "u", "u"),
            (S::Unfounded, A::Reassign, None, "x", "x"),
            (S::Unfounded, A::Extend, None, "x", "x"),
        ];
        let code = |r: Result<State, Refused>| match r {
            Ok(s) => match s {
                S::New => "n",
                S::Assigned => "a",
                S::Rectifying => "r",
                S::Reviewing => "v",
                S::Closed => "c",
                S::Unfounded => "u",
            },
            Err(Refused::NotYours(_)) => "-",
            Err(Refused::NotNow(_)) => "x",
        };
        let mut seen = std::collections::HashSet::new();
        for (from, action, finding, bureau, assignee) in table {
            assert_eq!(
                code(next(*from, *action, Bur, *finding)),
                *bureau,
                "{from:?} {action:?} bureau"
            );
            assert_eq!(
                code(next(*from, *action, Asg, *finding)),
                *assignee,
                "{from:?} {action:?} assignee"
            );
            seen.insert((*from, *action));
        }
        // The table covers every (state, action).
        assert_eq!(seen.len(), State::ALL.len() * Action::ALL.len());
        // Every row of the machine gives what it says.
        for (f, a, p, when, to) in TRANSITIONS {
            let finding = match when {
                When::Any => None,
                When::Is(x) => Some(*x),
            };
            assert_eq!(next(*f, *a, *p, finding), Ok(*to), "{f:?} {a:?} {p:?}");
        }
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(
            next(S::Closed, A::Assign, Bur, None),
            Err(Refused::NotNow(
                "a ticket that is closed (已销号) cannot take `assign`; from here: comment".into()
            ))
        );
        assert_eq!(
            next(S::Assigned, A::Verify, Bur, Some(Finding::Real)),
            Err(Refused::NotYours("`verify` is for the assignee".into()))
        );
        assert_eq!(
            next(S::Assigned, A::Verify, Asg, None),
            Err(Refused::NotNow(
                "verify needs `result`: real or unfounded".into()
            ))
        );
        assert_eq!(
            next(S::Reviewing, A::Accept, Bur, None),
            Err(Refused::NotNow(
                "a reviewing ticket cannot be accepted before it is verified".into()
            ))
        );
        assert_eq!(
            actions_for(S::Reviewing, Bur),
            vec![A::Accept, A::Return, A::Comment]
        );
        assert_eq!(actions_for(S::Assigned, Asg), vec![A::Verify, A::Comment]);
    }
}
