-- HJ 212-2025 activation: data loggers that announced their hardware serials
-- (1001, empty MN) and wait for an operator to approve them with an MN.
CREATE TABLE pending_loggers (
    logger_id   TEXT PRIMARY KEY,
    cpu_id      TEXT,
    mac1        TEXT,
    mac2        TEXT,
    peer        TEXT NOT NULL,
    first_ms    INTEGER NOT NULL,
    last_ms     INTEGER NOT NULL,
    approved_mn TEXT
);
