-- Source-supervision alarms: one per event the rules found, by its key
-- (rule:outlet:code:first hour), so that judging the same hours again
-- finds the same alarm and never makes a second one.
CREATE TABLE alarms (
    id            INTEGER PRIMARY KEY,
    key           TEXT NOT NULL UNIQUE,
    credit_code   TEXT NOT NULL,
    township      TEXT NOT NULL,
    outlet        TEXT NOT NULL,      -- outlet code, or the meters' group
    rule          TEXT NOT NULL,
    rule_version  TEXT NOT NULL,
    code          TEXT NOT NULL,      -- factor code, or 'power'
    start_label   TEXT NOT NULL,      -- first hour (its end), Beijing time
    end_label     TEXT NOT NULL,
    hours         INTEGER NOT NULL,
    minutes       INTEGER NOT NULL,
    max_value     TEXT,
    limit_value   TEXT,
    settings      TEXT NOT NULL,      -- JSON: the settings the rule ran with
    evidence      TEXT NOT NULL,      -- JSON: the hours (or windows) it saw
    state         TEXT NOT NULL,
    ticket_id     INTEGER,
    sample        INTEGER NOT NULL DEFAULT 0,
    opened_ms     INTEGER NOT NULL,
    updated_ms    INTEGER NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX alarms_firm ON alarms (credit_code, state);
CREATE INDEX alarms_township ON alarms (township, state);
CREATE INDEX alarms_opened ON alarms (opened_ms);
-- Every transition of an alarm, written in the transition's transaction.
CREATE TABLE alarm_history (
    id         INTEGER PRIMARY KEY,
    alarm_id   INTEGER NOT NULL REFERENCES alarms(id),
    at_ms      INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alarm_history_alarm ON alarm_history (alarm_id, id);
-- Files a firm attaches to its explanation.
CREATE TABLE alarm_attachments (
    id           INTEGER PRIMARY KEY,
    alarm_id     INTEGER NOT NULL REFERENCES alarms(id),
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    body         BLOB NOT NULL,
    at_ms        INTEGER NOT NULL,
    actor        TEXT NOT NULL
);
CREATE INDEX alarm_attachments_alarm ON alarm_attachments (alarm_id);
