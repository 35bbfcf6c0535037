-- Outgoing webhooks per assignee (township:NAME, department:NAME,
-- enterprise:CODE): the secret is sealed with the master key. Each notice
-- to an assignee with a webhook is queued in the outbox in the notice's
-- own transaction and sent (signed, retried with backoff) by `serve`.
CREATE TABLE webhooks (
    assignee       TEXT PRIMARY KEY,
    url            TEXT NOT NULL,
    secret_sealed  TEXT NOT NULL,
    updated_ms     BIGINT NOT NULL,
    actor          TEXT NOT NULL
);
CREATE TABLE webhook_outbox (
    id            BIGSERIAL PRIMARY KEY,
    assignee      TEXT NOT NULL,
    url           TEXT NOT NULL,
    body          TEXT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    next_ms       BIGINT NOT NULL,
    delivered_ms  BIGINT,
    failed        BIGINT NOT NULL DEFAULT 0,
    last_error    TEXT,
    created_ms    BIGINT NOT NULL
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (delivered_ms, failed, next_ms);
