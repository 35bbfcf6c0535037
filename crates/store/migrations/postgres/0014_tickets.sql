-- The closed loop: problem tickets, each step of their history (written in
-- the transition's transaction), files kept by content hash, the sealed
-- contacts of public reporters, and each user's inbox.
CREATE TABLE tickets (
    id             BIGSERIAL PRIMARY KEY,
    title          TEXT NOT NULL,
    description    TEXT NOT NULL,
    source         TEXT NOT NULL,     -- manual, public_report, source_alarm, …
    source_ref     TEXT,              -- the source object: alarm:12, …
    category       TEXT,              -- a public report's category
    severity       TEXT NOT NULL,
    state          TEXT NOT NULL,
    assignee       TEXT,              -- township:NAME, department:NAME, enterprise:CODE
    township       TEXT,              -- where the problem is
    lon            TEXT,
    lat            TEXT,
    address        TEXT,
    finding        TEXT,              -- real / unfounded, once verified
    due_ms         BIGINT,
    clock_ms       BIGINT,           -- when the due clock started
    extensions     BIGINT NOT NULL DEFAULT 0,
    escalation     TEXT,              -- highest ladder step fired on this clock
    tracking_code  TEXT UNIQUE,       -- a public report's code
    sample         BIGINT NOT NULL DEFAULT 0,
    created_ms     BIGINT NOT NULL,
    updated_ms     BIGINT NOT NULL,
    ended_ms       BIGINT,
    version        BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX tickets_state ON tickets (state, due_ms);
CREATE INDEX tickets_assignee ON tickets (assignee, state);
CREATE INDEX tickets_township ON tickets (township, state);
CREATE TABLE ticket_history (
    id         BIGSERIAL PRIMARY KEY,
    ticket_id  BIGINT NOT NULL REFERENCES tickets(id),
    at_ms      BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '{}'   -- JSON: assignee, due, result, …
);
CREATE INDEX ticket_history_ticket ON ticket_history (ticket_id, id);
-- Files by the SHA-256 of their bytes (one copy however often attached).
CREATE TABLE blobs (
    sha256       TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    body         BYTEA NOT NULL
);
CREATE TABLE ticket_attachments (
    id           BIGSERIAL PRIMARY KEY,
    ticket_id    BIGINT NOT NULL REFERENCES tickets(id),
    sha256       TEXT NOT NULL REFERENCES blobs(sha256),
    name         TEXT NOT NULL,       -- a label only: never a path
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    kind         TEXT NOT NULL,       -- before, after, document
    at_ms        BIGINT NOT NULL,
    actor        TEXT NOT NULL
);
CREATE INDEX ticket_attachments_ticket ON ticket_attachments (ticket_id);
-- A reporter's name and phone, sealed with the master key; apart from the
-- ticket so that no list or join of tickets carries it.
CREATE TABLE reporter_contacts (
    ticket_id  BIGINT PRIMARY KEY REFERENCES tickets(id),
    sealed     TEXT NOT NULL
);
CREATE TABLE inbox (
    id         BIGSERIAL PRIMARY KEY,
    username   TEXT NOT NULL,
    at_ms      BIGINT NOT NULL,
    kind       TEXT NOT NULL,         -- assigned, remind, urge, yellow, red, returned, closed, feedback
    ticket_id  BIGINT,
    text       TEXT NOT NULL,
    read_ms    BIGINT
);
CREATE INDEX inbox_user ON inbox (username, id);
