//! The alarm lifecycle, as one table of states × actions × roles: an alarm
//! is opened by the rules; the bureau acknowledges it; the firm explains
//! it (its reason, with attachments); the bureau closes it, returns the
//! explanation, or escalates it to a ticket. A transition is allowed only
//! from the state the alarm is in (the store makes it one transaction).

/// Which party acts on an alarm (the HTTP edge maps a caller to one:
/// admin and bureau users are the bureau; the firm's own users the firm).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Who {
    Bureau,
    Firm,
}

impl Who {
    pub const fn as_str(self) -> &'static str {
        match self {
            Who::Bureau => "the bureau",
            Who::Firm => "the firm",
        }
    }
}

/// Where an alarm stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Open,
    Acknowledged,
    Explained,
    Closed,
    Escalated,
}

/// What is done to an alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The bureau has seen it.
    Acknowledge,
    /// The firm writes the reason (with attachments).
    Explain,
    /// The bureau sends the explanation back.
    Return,
    /// The bureau closes it (a note says why).
    Close,
    /// The bureau hands it on as a problem ticket.
    Escalate,
}

/// The lifecycle: from, action, who may, to.
pub const TRANSITIONS: &[(State, Action, Who, State)] = &[
    (
        State::Open,
        Action::Acknowledge,
        Who::Bureau,
        State::Acknowledged,
    ),
    (State::Open, Action::Explain, Who::Firm, State::Explained),
    (
        State::Acknowledged,
        Action::Explain,
        Who::Firm,
        State::Explained,
    ),
    (
        State::Explained,
        Action::Explain,
        Who::Firm,
        State::Explained,
    ),
    (
        State::Explained,
        Action::Return,
        Who::Bureau,
        State::Acknowledged,
    ),
    (State::Open, Action::Close, Who::Bureau, State::Closed),
    (
        State::Acknowledged,
        Action::Close,
        Who::Bureau,
        State::Closed,
    ),
    (State::Explained, Action::Close, Who::Bureau, State::Closed),
    (State::Open, Action::Escalate, Who::Bureau, State::Escalated),
    (
        State::Acknowledged,
        Action::Escalate,
        Who::Bureau,
        State::Escalated,
    ),
    (
        State::Explained,
        Action::Escalate,
        Who::Bureau,
        State::Escalated,
    ),
];

impl State {
    pub const ALL: [State; 5] = [
        State::Open,
        State::Acknowledged,
        State::Explained,
        State::Closed,
        State::Escalated,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Acknowledged => "acknowledged",
            State::Explained => "explained",
            State::Closed => "closed",
            State::Escalated => "escalated",
        }
    }

    pub const fn name_zh(self) -> &'static str {
        match self {
            State::Open => "待处理",
            State::Acknowledged => "已确认",
            State::Explained => "已说明",
            State::Closed => "已关闭",
            State::Escalated => "已转工单",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Still to be dealt with.
    pub const fn is_active(self) -> bool {
        matches!(self, State::Open | State::Acknowledged | State::Explained)
    }
}

impl Action {
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Acknowledge => "acknowledge",
            Action::Explain => "explain",
            Action::Return => "return",
            Action::Close => "close",
            Action::Escalate => "escalate",
        }
    }
}

/// Where `action` by `who` takes an alarm in `from`, or why it cannot.
pub fn next(from: State, action: Action, who: Who) -> Result<State, String> {
    let mut allowed_to = None;
    for (f, a, w, to) in TRANSITIONS {
        if *f == from && *a == action {
            if *w == who {
                return Ok(*to);
            }
            allowed_to = Some(*w);
        }
    }
    match allowed_to {
        Some(w) => Err(format!("`{}` is for {}", action.as_str(), w.as_str())),
        None => Err(format!(
            "an alarm that is {} cannot be {}",
            from.as_str(),
            match action {
                Action::Acknowledge => "acknowledged",
                Action::Explain => "explained",
                Action::Return => "returned",
                Action::Close => "closed",
                Action::Escalate => "escalated",
            }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole lifecycle as a table: every state × action × party, what
    /// it gives (a state, or - for refused).
    #[test]
    fn the_lifecycle_as_a_table() {
        use Action::*;
        use State::*;
        let table: &[(State, Action, Who, Option<State>)] = &[
            (Open, Acknowledge, Who::Bureau, Some(Acknowledged)),
            (Open, Acknowledge, Who::Firm, None),
            (Open, Explain, Who::Firm, Some(Explained)),
            (Open, Explain, Who::Bureau, None),
            (Open, Return, Who::Bureau, None),
            (Open, Close, Who::Bureau, Some(Closed)),
            (Open, Close, Who::Firm, None),
            (Open, Escalate, Who::Bureau, Some(Escalated)),
            (Acknowledged, Acknowledge, Who::Bureau, None),
            (Acknowledged, Explain, Who::Firm, Some(Explained)),
            (Acknowledged, Close, Who::Bureau, Some(Closed)),
            (Acknowledged, Escalate, Who::Bureau, Some(Escalated)),
            (Explained, Explain, Who::Firm, Some(Explained)),
            (Explained, Return, Who::Bureau, Some(Acknowledged)),
            (Explained, Return, Who::Firm, None),
            (Explained, Close, Who::Bureau, Some(Closed)),
            (Explained, Escalate, Who::Bureau, Some(Escalated)),
            (Closed, Acknowledge, Who::Bureau, None),
            (Closed, Explain, Who::Firm, None),
            (Closed, Close, Who::Bureau, None),
            (Closed, Escalate, Who::Bureau, None),
            (Escalated, Close, Who::Bureau, None),
            (Escalated, Explain, Who::Firm, None),
        ];
        for (from, action, who, want) in table {
            assert_eq!(
                next(*from, *action, *who).ok(),
                *want,
                "{from:?} {action:?} {who:?}"
            );
        }
        assert_eq!(
            next(Open, Close, Who::Firm).unwrap_err(),
            "`close` is for the bureau"
        );
        assert_eq!(
            next(Closed, Explain, Who::Firm).unwrap_err(),
            "an alarm that is closed cannot be explained"
        );
        // Every transition of the table is reachable from open.
        for (from, ..) in TRANSITIONS {
            assert!(from.is_active());
        }
    }
}
