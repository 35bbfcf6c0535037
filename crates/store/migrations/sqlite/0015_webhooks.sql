-- Outgoing webhooks per assignee (township:NAME, department:NAME,
-- enterprise:CODE): the secret is sealed with the master key. Each notice
-- to an assignee with a webhook is queued in the outbox in the notice's
-- own transaction and sent (signed, retried with backoff) by `serve`.
CREATE TABLE webhooks (
    assignee       TEXT PRIMARY KEY,
    url            TEXT NOT NULL,
    secret_sealed  TEXT NOT NULL,
    updated_ms     INTEGER NOT NULL,
    actor          TEXT NOT NULL
);
CREATE TABLE webhook_outbox (
    id            INTEGER PRIMARY KEY,
    assignee      TEXT NOT NULL,
    url           TEXT NOT NULL,
    body          TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_ms       INTEGER NOT NULL,
    delivered_ms  INTEGER,
    failed        INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    created_ms    INTEGER NOT NULL
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (delivered_ms, failed, next_ms);
