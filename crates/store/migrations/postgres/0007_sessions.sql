-- Browser sessions (server-side): the cookie carries a random session id;
-- only its SHA-256 is kept here, with the CSRF token the page must echo on
-- state-changing requests.
CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id),
    csrf        TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    expires_ms  BIGINT NOT NULL
);
