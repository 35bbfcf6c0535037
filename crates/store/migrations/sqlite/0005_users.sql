-- Users and roles (admin, bureau, department, township, enterprise, public),
-- and the audit log of logins and administrative changes.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,        -- argon2id PHC string, never a password
    role          TEXT NOT NULL,
    scope         TEXT,                 -- the department, township or enterprise of the user
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_ms    INTEGER NOT NULL
);
CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at_ms   INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    detail  TEXT
);
