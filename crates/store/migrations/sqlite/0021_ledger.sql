-- The plan as a living ledger: plan files imported (each import a row;
-- the latest is in force), monthly progress reports on its tasks (each
-- submission a row: the latest for a month counts, the rest is history),
-- their evidence files (bytes in `blobs`), and the tickets that overdue
-- tasks were escalated to (once per task and year).
CREATE TABLE plans (
    id            INTEGER PRIMARY KEY,
    county        TEXT NOT NULL,
    name          TEXT NOT NULL,
    file          TEXT NOT NULL,
    body          TEXT NOT NULL,          -- the TOML as imported
    measures      INTEGER NOT NULL,
    ledger_start  TEXT NOT NULL,          -- YYYY-MM-DD: reports are owed from this month on
    sample        INTEGER NOT NULL DEFAULT 0,
    imported_by   TEXT NOT NULL,
    imported_ms   INTEGER NOT NULL
);
CREATE TABLE ledger_reports (
    id            INTEGER PRIMARY KEY,
    plan_id       INTEGER NOT NULL REFERENCES plans(id),
    task_key      TEXT NOT NULL,          -- 16/department:农业农村局
    owner         TEXT NOT NULL,          -- department:农业农村局
    month         TEXT NOT NULL,          -- YYYY-MM-01, the month reported on
    progress      INTEGER NOT NULL,       -- 0–100
    text          TEXT NOT NULL,
    figures       TEXT NOT NULL DEFAULT '',
    submitted_by  TEXT NOT NULL,
    submitted_ms  INTEGER NOT NULL,
    sample        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ledger_reports_task ON ledger_reports (plan_id, task_key, month);
CREATE INDEX ledger_reports_owner ON ledger_reports (plan_id, owner);
CREATE TABLE ledger_files (
    id            INTEGER PRIMARY KEY,
    report_id     INTEGER NOT NULL REFERENCES ledger_reports(id),
    sha256        TEXT NOT NULL REFERENCES blobs(sha256),
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    at_ms         INTEGER NOT NULL,
    actor         TEXT NOT NULL
);
CREATE INDEX ledger_files_report ON ledger_files (report_id);
CREATE TABLE ledger_escalations (
    plan_id       INTEGER NOT NULL REFERENCES plans(id),
    task_key      TEXT NOT NULL,
    year          INTEGER NOT NULL,
    ticket_id     INTEGER NOT NULL REFERENCES tickets(id),
    at_ms         INTEGER NOT NULL,
    PRIMARY KEY (plan_id, task_key, year)
);
