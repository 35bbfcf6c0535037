-- Users and roles (admin, bureau, department, township, enterprise, public),
-- and the audit log of logins and administrative changes.
CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,        -- argon2id PHC string, never a password
    role          TEXT NOT NULL,
    scope         TEXT,                 -- the department, township or enterprise of the user
    disabled      BIGINT NOT NULL DEFAULT 0,
    created_ms    BIGINT NOT NULL
);
CREATE TABLE audit_log (
    id      BIGSERIAL PRIMARY KEY,
    at_ms   BIGINT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    detail  TEXT
);
