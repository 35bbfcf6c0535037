//! Who may do what to which object: every handler asks [`may`] with the
//! caller's role and scope, the action and the object, before it reads or
//! changes anything. The rules are one table ([`RULES`]): for each action,
//! the roles that may take it and how far a scoped role reaches (only its
//! own township, department or enterprise, or the whole county). Pure: no
//! I/O; tested as a table.

use lantian_types::{Role, Scope};

/// What a caller wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Air-quality figures: stations, series, targets, rankings.
    ReadData,
    /// The device registry and its health.
    ReadDevices,
    /// Register, change, disable devices and sites; approve loggers.
    ManageDevices,
    /// The raw-frame journal and the quarantine.
    ReadJournal,
    /// Upload the county boundary.
    ManageBoundary,
    /// The audit log.
    ReadAudit,
    /// Add users, reset passwords, issue tokens.
    ManageUsers,
    /// The enterprise register: a firm, its outlets, limits, grades, live
    /// values and electricity (township users: their township's firms;
    /// enterprise users: their own firm).
    ReadSources,
    /// Register, change, import firms; the county's townships.
    ManageSources,
    /// A firm's alarms and their evidence (the same reach as ReadSources).
    ReadAlarms,
    /// Act on an alarm: the bureau acknowledges, returns, closes,
    /// escalates; the firm explains (the lifecycle table says which).
    ActOnAlarm,
    /// Tickets: the bureau all; a township, department or enterprise those
    /// assigned to it (a township also those located in it).
    ReadTickets,
    /// Open tickets, assign, accept, return, extend (the bureau).
    ManageTickets,
    /// Act on a ticket as its assignee (verify, feedback, comment, attach).
    ActOnTicket,
    /// A public reporter's name and phone (admin and bureau only).
    ReadReporter,
    /// The caller's own inbox (every user: each sees only its own).
    OwnInbox,
    /// Forecasts and heavy-pollution alerts (every logged-in user).
    ReadAlerts,
    /// Enter forecasts; propose, issue, adjust, lift alerts (the bureau;
    /// approving a level also needs the level's approver).
    ManageAlerts,
    /// Push observations of a station over HTTP (the bureau and admins any
    /// station; an integration only the stations its scope lists).
    PushObservations,
    /// Mark hours of a station invalid, or restore them (数据审核: the
    /// reviewers, the bureau and admins).
    ReviewData,
    /// The review marks and their trail (the county's offices and
    /// townships; not firms — a mark of an outlet is the bureau's business
    /// with that firm —, not the public).
    ReadReviews,
    /// Fire points, the fire ledger and the township boundaries (the
    /// bureau and departments all — 农业农村局 leads straw burning —; a
    /// township its own points and its own row of the ledger).
    ReadFires,
    /// Store fire points: satellite lists, camera alarms, patrol entries
    /// (the bureau, admins, and a camera platform's integration).
    ManageFires,
    /// Verify a fire point (straw, other, false), or appeal its verdict:
    /// the bureau any; a township the points in it.
    VerifyFire,
    /// Decide a township's appeal against a fire point (the bureau).
    DecideFireAppeal,
    /// Import the plan file the ledger is kept by (the bureau, admins).
    ManagePlan,
    /// The plan's measures and the monthly scores and ranks (考核 is
    /// published among the county's offices and townships).
    ReadPlan,
    /// The ledger's tasks, their reports and evidence: the bureau all; a
    /// department or township its own.
    ReadTasks,
    /// Report progress on a task, attach evidence: its own department or
    /// township only (not the bureau: a report is the owner's word).
    ReportOnTask,
    /// The report archive: the daily brief, monthly and annual reports and
    /// alert evaluations (the bureau and departments: the reports carry
    /// every township's firms' alarms and fire points, which a township
    /// and a reviewer may not read; the public reads only the public copy
    /// of a finished year's report, without a login).
    ReadReports,
    /// Make a report now, or make one again (the bureau, admins).
    MakeReport,
}

/// What an action is done to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Object<'a> {
    /// Something of the whole county (the registry, the boundary, the
    /// journal, the county's figures).
    County,
    /// Something that belongs to one township.
    Township(&'a str),
    /// Something that belongs to one department.
    Department(&'a str),
    /// Something that belongs to one enterprise.
    Enterprise(&'a str),
    /// A firm (or what belongs to it): of its enterprise and of its
    /// township, so a township user reaches the firms of the township and
    /// an enterprise user its own.
    Firm {
        credit_code: &'a str,
        township: &'a str,
    },
    /// A ticket: of its assignee (`township:NAME`, …) and, when `located`
    /// is given, of the township it lies in (reading only: acting passes
    /// `located: None`, so only the assignee reaches it).
    Ticket {
        assignee: Option<&'a str>,
        located: Option<&'a str>,
    },
    /// A station (site), by its code: an integration's scope lists it.
    Station(&'a str),
}

/// How far a role with an action reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Any object.
    All,
    /// Only objects of the caller's own township, department or
    /// enterprise (county objects not at all).
    Own,
}

/// The policy: per action, the roles allowed and their reach. A role not
/// listed for an action is refused it.
pub const RULES: &[(Action, &[(Role, Reach)])] = &[
    (
        Action::ReadData,
        &[
            (Role::Admin, Reach::All),
            (Role::Bureau, Reach::All),
            (Role::Department, Reach::All),
            (Role::Township, Reach::All),
            (Role::Enterprise, Reach::All),
            (Role::Public, Reach::All),
            (Role::Reviewer, Reach::All),
        ],
    ),
    (
        Action::ReadDevices,
        &[
            (Role::Admin, Reach::All),
            (Role::Bureau, Reach::All),
            (Role::Reviewer, Reach::All),
        ],
    ),
    (
        Action::ManageDevices,
        &[(Role::Admin, Reach::All), (Role::Bureau, Reach::All)],
    ),
    (
        Action::ReadJournal,
        // Not the reviewers: raw frames carry the devices' passwords.
        &[(Role::Admin, Reach::All), (Role::Bureau, Reach::All)],
    ),
    (
        Action::ManageBoundary,
        &[(Role::Admin, Reach::All), (Role::Bureau, Reach::All)],
    ),
    (
        Action::ReadAudit,
        &[(Role::Admin, Reach::All), (Role::Bureau, Reach::All)],
    ),
    (Action::ManageUsers, &[(Role::Admin, Reach::All)]),
    (
        Action::ReadSources,
        &[
            (Role::Admin, Reach::All),
            (Role::Bureau, Reach::All),
            (Role::Department, Reach::All),
            (Role::Township, Reach::Own),
            (Role::Enterprise, Reach::Own),
        ],
    ),
    (
        Action::ManageSources,
        &[(Role::Admin, Reach::All), (Role::Bureau, Reach::All)],
    ),
    (
        Action::ReadAlarms,
        &[
            (Role::Admin, Reach::All),
            (Role::Bureau, Reach::All),
            (Role::Department, Reach::All),
            (Role::Township, Reach::Own),
            (Role::Enterprise, Reach::Own),
        ],
    ),
    (
        Action::ActOnAlarm,
        &[
            (Role::Admin, Reach::All),
            (Role::Bureau, Reach::All),
            (Role::Enterprise, Reach::Own),
        ],
    ),
    (
        Action::ReadTickets,
        &[
            (Role::Admin, Reach::All),
            (Role::Bureau, Reach::All),
            (Role::Department, Reach::Own),
            (Role::Township, Reach::Own),
            (Role::Enterprise, Reach::Own),
        ],
    ),
    (
        Action::ManageTickets,
        &[(Role::Admin, Reach::All), (Role::Bureau, Reach::All)],
    ),
    (
        Action::ActOnTicket,
        &[
            (Role::Admin, Reach::All),
            (Role::Bureau, Reach::All),
            (Role::Department, Reach::Own),
            (Role::Township, Reach::Own),
            (Role::Enterprise, Reach::Own),
        ],
    ),
    (
        Action::ReadReporter,
        &[(Role::Admin, Reach::All), (Role::Bureau, Reach::All)],
    ),
    (
        Action::OwnInbox,
        &[
            (Role::Admin, Reach::All),
            (Role::Bureau, Reach::All),
            (Role::Department, Reach::All),
            (Role::Township, Reach::All),
            (Role::Enterprise, Reach::All),
            (Role::Public, Reach::All),
            (Role::Reviewer, Reach::All),
        ],
    ),
    (
        Action::ReadAlerts,
        &[
            (Role::Admin, Reach::All),
            (Role::Bureau, Reach::All),
            (Role::Department, Reach::All),
            (Role::Township, Reach::All),
            (Role::Enterprise, Reach::All),
            (Role::Reviewer, Reach::All),
        ],
    ),
    (
        Action::ManageAlerts,
        &[(Role::Admin, Reach::All), (Role::Bureau, Reach::All)],
    ),
    (
        Action::PushObservations,
        &[
            (Role::Admin, Reach::All),
            (Role::Bureau, Reach::All),
            (Role::Integration, Reach::Own),
        ],
    ),
    (
        Action::ReviewData,
        &[
            (Role::Admin, Reach::All),
            (Role::Bureau, Reach::All),
            (Role::Reviewer, Reach::All),
        ],
    ),
    (
        Action::ReadReviews,
        &[
            (Role::Admin, Reach::All),
            (Role::Bureau, Reach::All),
            (Role::Department, Reach::All),
            (Role::Township, Reach::All),
            (Role::Reviewer, Reach::All),
        ],
    ),
    (
        Action::ReadFires,
        &[
            (Role::Admin, Reach::All),
            (Role::Bureau, Reach::All),
            (Role::Department, Reach::All),
            (Role::Township, Reach::Own),
        ],
    ),
    (
        Action::ManageFires,
        &[
            (Role::Admin, Reach::All),
            (Role::Bureau, Reach::All),
            (Role::Integration, Reach::All),
        ],
    ),
    (
        Action::VerifyFire,
        &[
            (Role::Admin, Reach::All),
            (Role::Bureau, Reach::All),
            (Role::Township, Reach::Own),
        ],
    ),
    (
        Action::DecideFireAppeal,
        &[(Role::Admin, Reach::All), (Role::Bureau, Reach::All)],
    ),
    (
        Action::ManagePlan,
        &[(Role::Admin, Reach::All), (Role::Bureau, Reach::All)],
    ),
    (
        Action::ReadPlan,
        &[
            (Role::Admin, Reach::All),
            (Role::Bureau, Reach::All),
            (Role::Department, Reach::All),
            (Role::Township, Reach::All),
        ],
    ),
    (
        Action::ReadTasks,
        &[
            (Role::Admin, Reach::All),
            (Role::Bureau, Reach::All),
            (Role::Department, Reach::Own),
            (Role::Township, Reach::Own),
        ],
    ),
    (
        Action::ReportOnTask,
        &[(Role::Department, Reach::Own), (Role::Township, Reach::Own)],
    ),
    (
        Action::ReadReports,
        &[
            (Role::Admin, Reach::All),
            (Role::Bureau, Reach::All),
            (Role::Department, Reach::All),
        ],
    ),
    (
        Action::MakeReport,
        &[(Role::Admin, Reach::All), (Role::Bureau, Reach::All)],
    ),
];

/// Why a caller is refused (the API's 403 text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied(pub String);

fn what(a: Action) -> &'static str {
    match a {
        Action::ReadData => "the air-quality figures",
        Action::ReadDevices => "devices are for the bureau and admins",
        Action::ManageDevices => "managing devices is for the bureau and admins",
        Action::ReadJournal => "the frame journal is for the bureau and admins",
        Action::ManageBoundary => "the boundary is for the bureau and admins",
        Action::ReadAudit => "the audit log is for the bureau and admins",
        Action::ManageUsers => "users are for admins",
        Action::ReadSources => {
            "the enterprise register is for the bureau, departments, a firm's township and the firm itself"
        }
        Action::ManageSources => "changing the enterprise register is for the bureau and admins",
        Action::ReadAlarms => {
            "source alarms are for the bureau, departments, a firm's township and the firm itself"
        }
        Action::ActOnAlarm => "acting on alarms is for the bureau and the firm itself",
        Action::ReadTickets => "tickets are for the bureau and their assignees",
        Action::ManageTickets => "opening, assigning and accepting tickets is for the bureau",
        Action::ActOnTicket => "acting on a ticket is for the bureau and its assignee",
        Action::ReadReporter => "a reporter's contact is for the bureau and admins",
        Action::OwnInbox => "the inbox",
        Action::ReadAlerts => {
            "alerts are for logged-in users of the bureau, departments, townships and firms (the public page shows the level)"
        }
        Action::ManageAlerts => "forecasts and alert steps are for the bureau",
        Action::PushObservations => {
            "pushing observations is for the bureau, admins and the integration bound to the station"
        }
        Action::ReviewData => "reviewing data is for the reviewers, the bureau and admins",
        Action::ReadReviews => {
            "the data review's trail is for the bureau, departments and townships"
        }
        Action::ReadFires => {
            "fire points are for the bureau, departments and (their own) townships"
        }
        Action::ManageFires => "storing fire points is for the bureau and its integrations",
        Action::VerifyFire => "verifying a fire point is for the bureau and its own township",
        Action::DecideFireAppeal => "deciding an appeal is for the bureau",
        Action::ManagePlan => "importing the plan is for the bureau and admins",
        Action::ReadPlan => "the plan and the scores are for the bureau, departments and townships",
        Action::ReadTasks => {
            "the ledger's tasks are for the bureau and (their own) departments and townships"
        }
        Action::ReportOnTask => {
            "reporting on a task is for its own department or township (the bureau reads)"
        }
        Action::ReadReports => {
            "the report archive is for the bureau and departments (the public reads the annual summary)"
        }
        Action::MakeReport => "making a report is for the bureau and admins",
    }
}

/// Whether a caller with `role` and `scope` may take `action` on `object`.
pub fn may(role: Role, scope: &Scope, action: Action, object: Object<'_>) -> Result<(), Denied> {
    may_by(RULES, role, scope, action, object)
}

/// [`may`] by another rule table.
pub fn may_by(
    rules: &[(Action, &[(Role, Reach)])],
    role: Role,
    scope: &Scope,
    action: Action,
    object: Object<'_>,
) -> Result<(), Denied> {
    let reach = rules
        .iter()
        .find(|(a, _)| *a == action)
        .and_then(|(_, roles)| roles.iter().find(|(r, _)| *r == role))
        .map(|(_, reach)| *reach);
    match reach {
        None => Err(Denied(what(action).to_string())),
        Some(Reach::All) => Ok(()),
        Some(Reach::Own) => {
            let own = match (scope, object) {
                (Scope::Township(mine), Object::Township(it))
                | (Scope::Department(mine), Object::Department(it))
                | (Scope::Enterprise(mine), Object::Enterprise(it))
                | (Scope::Township(mine), Object::Firm { township: it, .. })
                | (
                    Scope::Enterprise(mine),
                    Object::Firm {
                        credit_code: it, ..
                    },
                ) => mine == it,
                (
                    Scope::Department(_) | Scope::Township(_) | Scope::Enterprise(_),
                    Object::Ticket { assignee, located },
                ) => {
                    assignee.is_some_and(|a| a == scope.to_string())
                        || matches!((scope, located), (Scope::Township(mine), Some(t)) if mine == t)
                }
                (Scope::Stations(_), Object::Station(code)) => scope.has_station(code),
                _ => false,
            };
            if own {
                Ok(())
            } else {
                Err(Denied(format!("{}: not of {scope}", what(action))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope_of(role: Role) -> Scope {
        Scope::of(role, Some("泌水街道")).unwrap()
    }

    /// Every role against every action on a county object, as a table
    /// (A = allowed, - = refused).
    #[test]
    fn the_policy_as_a_table() {
        let table = [
            // action            admin bureau dept town firm public integration reviewer
            (Action::ReadData, "AAAAAA-A"),
            (Action::ReadDevices, "AA-----A"),
            (Action::ManageDevices, "AA------"),
            (Action::ReadJournal, "AA------"),
            (Action::ManageBoundary, "AA------"),
            (Action::ReadAudit, "AA------"),
            (Action::ManageUsers, "A-------"),
            (Action::ReadSources, "AAA-----"),
            (Action::ManageSources, "AA------"),
            (Action::ReadAlarms, "AAA-----"),
            (Action::ActOnAlarm, "AA------"),
            (Action::ReadTickets, "AA------"),
            (Action::ManageTickets, "AA------"),
            (Action::ActOnTicket, "AA------"),
            (Action::ReadReporter, "AA------"),
            (Action::OwnInbox, "AAAAAA-A"),
            (Action::ReadAlerts, "AAAAA--A"),
            (Action::ManageAlerts, "AA------"),
            (Action::PushObservations, "AA------"),
            (Action::ReviewData, "AA-----A"),
            (Action::ReadReviews, "AAAA---A"),
            (Action::ReadFires, "AAA-----"),
            (Action::ManageFires, "AA----A-"),
            (Action::VerifyFire, "AA------"),
            (Action::DecideFireAppeal, "AA------"),
            (Action::ManagePlan, "AA------"),
            (Action::ReadPlan, "AAAA----"),
            (Action::ReadTasks, "AA------"),
            (Action::ReportOnTask, "--------"),
            (Action::ReadReports, "AAA-----"),
            (Action::MakeReport, "AA------"),
        ];
        for (action, want) in table {
            for (role, w) in Role::ALL.iter().zip(want.chars()) {
                let got = may(*role, &scope_of(*role), action, Object::County).is_ok();
                assert_eq!(got, w == 'A', "{role} {action:?}");
            }
        }
        // Every action has a rule.
        assert_eq!(RULES.len(), 31);
        assert_eq!(
            may(
                Role::Township,
                &scope_of(Role::Township),
                Action::ReadDevices,
                Object::County
            ),
            Err(Denied("devices are for the bureau and admins".into()))
        );
    }

    /// A task is read by the bureau and its own department or township,
    /// reported on by its owner only: a neighbour department is refused.
    #[test]
    fn a_task_is_its_owners() {
        let own = Scope::Department("住建局".into());
        let other = Scope::Department("交通运输局".into());
        let task = Object::Department("住建局");
        for a in [Action::ReadTasks, Action::ReportOnTask] {
            assert!(may(Role::Department, &own, a, task).is_ok());
            assert!(may(Role::Department, &other, a, task).is_err());
        }
        let town = Scope::Township("羊册镇".into());
        assert!(
            may(
                Role::Township,
                &town,
                Action::ReportOnTask,
                Object::Township("羊册镇")
            )
            .is_ok()
        );
        assert!(
            may(
                Role::Township,
                &town,
                Action::ReportOnTask,
                Object::Township("马谷田镇")
            )
            .is_err()
        );
        assert!(may(Role::Bureau, &Scope::County, Action::ReadTasks, task).is_ok());
        assert!(may(Role::Bureau, &Scope::County, Action::ReportOnTask, task).is_err());
    }

    /// A firm is reached by its township's users and its own users, not by
    /// a neighbour's.
    #[test]
    fn a_firm_belongs_to_its_township_and_to_itself() {
        let firm = Object::Firm {
            credit_code: "91411726MA40000019",
            township: "泌水街道",
        };
        let town = Scope::Township("泌水街道".into());
        let other_town = Scope::Township("花园街道".into());
        let own = Scope::Enterprise("91411726MA40000019".into());
        let other = Scope::Enterprise("91411726MA4000002X".into());
        for action in [Action::ReadSources, Action::ReadAlarms] {
            assert!(may(Role::Township, &town, action, firm).is_ok());
            assert!(may(Role::Township, &other_town, action, firm).is_err());
            assert!(may(Role::Enterprise, &own, action, firm).is_ok());
            assert!(may(Role::Enterprise, &other, action, firm).is_err());
            assert!(may(Role::Public, &Scope::Public, action, firm).is_err());
        }
        assert!(may(Role::Enterprise, &own, Action::ActOnAlarm, firm).is_ok());
        assert!(may(Role::Enterprise, &other, Action::ActOnAlarm, firm).is_err());
        assert!(may(Role::Township, &town, Action::ActOnAlarm, firm).is_err());
        assert!(may(Role::Enterprise, &own, Action::ManageSources, firm).is_err());
    }

    /// A fire point is its township's: read and verified by it, never by
    /// a neighbour; departments read all, verify none.
    #[test]
    fn a_fire_point_belongs_to_its_township() {
        let here = Object::Township("泌水街道");
        let town = Scope::Township("泌水街道".into());
        let other = Scope::Township("花园街道".into());
        let dept = Scope::Department("农业农村局".into());
        for action in [Action::ReadFires, Action::VerifyFire] {
            assert!(may(Role::Township, &town, action, here).is_ok());
            assert!(may(Role::Township, &other, action, here).is_err());
            assert!(may(Role::Bureau, &Scope::County, action, here).is_ok());
        }
        assert!(may(Role::Department, &dept, Action::ReadFires, here).is_ok());
        assert!(may(Role::Department, &dept, Action::VerifyFire, here).is_err());
        assert!(may(Role::Township, &town, Action::ManageFires, here).is_err());
    }

    /// A ticket is reached by its assignee and, for reading, by the
    /// township it lies in; never by a neighbour.
    #[test]
    fn a_ticket_belongs_to_its_assignee() {
        let t = Object::Ticket {
            assignee: Some("township:泌水街道"),
            located: Some("泌水街道"),
        };
        let by_dept = Object::Ticket {
            assignee: Some("department:住建局"),
            located: Some("泌水街道"),
        };
        let acting = Object::Ticket {
            assignee: Some("department:住建局"),
            located: None,
        };
        let town = Scope::Township("泌水街道".into());
        let other = Scope::Township("花园街道".into());
        let dept = Scope::Department("住建局".into());
        let other_dept = Scope::Department("交通局".into());
        let firm = Scope::Enterprise("91411726MA40000019".into());
        let ok = |role, scope: &Scope, action, object| may(role, scope, action, object).is_ok();
        assert!(ok(Role::Township, &town, Action::ReadTickets, t));
        assert!(ok(Role::Township, &town, Action::ActOnTicket, t));
        assert!(!ok(Role::Township, &other, Action::ReadTickets, t));
        assert!(!ok(Role::Township, &other, Action::ActOnTicket, t));
        // Located in the township, assigned to a department: it reads, it cannot act.
        assert!(ok(Role::Township, &town, Action::ReadTickets, by_dept));
        assert!(!ok(Role::Township, &town, Action::ActOnTicket, acting));
        assert!(ok(Role::Department, &dept, Action::ActOnTicket, acting));
        assert!(!ok(
            Role::Department,
            &other_dept,
            Action::ReadTickets,
            by_dept
        ));
        assert!(!ok(Role::Enterprise, &firm, Action::ReadTickets, t));
        assert!(!ok(Role::Township, &town, Action::ManageTickets, t));
        assert!(!ok(Role::Township, &town, Action::ReadReporter, t));
        assert!(ok(Role::Bureau, &Scope::County, Action::ReadReporter, t));
        let unassigned = Object::Ticket {
            assignee: None,
            located: None,
        };
        assert!(!ok(Role::Township, &town, Action::ReadTickets, unassigned));
    }

    /// An integration writes the stations its scope lists, no other, and
    /// reaches nothing else.
    #[test]
    fn an_integration_writes_its_stations_only() {
        let bound = Scope::Stations(vec!["BJ01".into(), "BJ02".into()]);
        let push = |scope: &Scope, code| {
            may(
                Role::Integration,
                scope,
                Action::PushObservations,
                Object::Station(code),
            )
        };
        assert!(push(&bound, "BJ02").is_ok());
        assert_eq!(
            push(&bound, "BJ03"),
            Err(Denied(
                "pushing observations is for the bureau, admins and the integration bound to the station: not of stations:BJ01,BJ02"
                    .into()
            ))
        );
        assert!(
            may(
                Role::Bureau,
                &Scope::County,
                Action::PushObservations,
                Object::Station("BJ03")
            )
            .is_ok()
        );
        assert!(
            may(
                Role::Township,
                &scope_of(Role::Township),
                Action::PushObservations,
                Object::Station("BJ01")
            )
            .is_err()
        );
        for action in [
            Action::ReadData,
            Action::ReadDevices,
            Action::OwnInbox,
            Action::ReadAlerts,
        ] {
            assert!(may(Role::Integration, &bound, action, Object::Station("BJ01")).is_err());
        }
    }

    #[test]
    fn an_own_reach_stops_at_the_neighbour() {
        // A rule of reach Own, as the wave's tickets and ledgers will have.
        let rules: &[(Action, &[(Role, Reach)])] = &[(
            Action::ReadData,
            &[
                (Role::Bureau, Reach::All),
                (Role::Township, Reach::Own),
                (Role::Enterprise, Reach::Own),
            ],
        )];
        let town = Scope::Township("泌水街道".into());
        let ok = |role, scope: &Scope, object| {
            may_by(rules, role, scope, Action::ReadData, object).is_ok()
        };
        assert!(ok(Role::Township, &town, Object::Township("泌水街道")));
        assert!(!ok(Role::Township, &town, Object::Township("花园街道")));
        assert!(!ok(Role::Township, &town, Object::County));
        assert!(!ok(Role::Township, &town, Object::Department("泌水街道")));
        let firm = Scope::Enterprise("91411726MA40000001".into());
        assert!(ok(
            Role::Enterprise,
            &firm,
            Object::Enterprise("91411726MA40000001")
        ));
        assert!(!ok(
            Role::Enterprise,
            &firm,
            Object::Enterprise("91411726MA40000002")
        ));
        assert!(ok(
            Role::Bureau,
            &Scope::County,
            Object::Township("花园街道")
        ));
        assert!(!ok(Role::Public, &Scope::Public, Object::County));
        assert_eq!(
            may_by(
                rules,
                Role::Township,
                &town,
                Action::ReadData,
                Object::Township("花园街道")
            ),
            Err(Denied(
                "the air-quality figures: not of township:泌水街道".into()
            ))
        );
    }
}
