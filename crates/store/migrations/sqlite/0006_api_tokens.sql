-- API tokens for machines: only the SHA-256 of a token is kept (a token is
-- 256 random bits, so a fast hash is enough; passwords use argon2id).
CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    token_hash  TEXT NOT NULL UNIQUE,   -- lowercase hex SHA-256 of the token
    label       TEXT,
    created_ms  INTEGER NOT NULL,
    revoked     INTEGER NOT NULL DEFAULT 0
);
