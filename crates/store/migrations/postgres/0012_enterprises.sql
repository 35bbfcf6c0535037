-- The county's townships (乡镇/街道): what a firm's, a ticket's or a user's
-- township must be one of.
CREATE TABLE townships (
    name       TEXT PRIMARY KEY,
    code       TEXT,                  -- GB/T 2260 + 3-digit town code, when known
    sample     BIGINT NOT NULL DEFAULT 0,
    updated_ms BIGINT NOT NULL
);
-- The enterprise register: one row per firm, the whole record as JSON
-- (`doc`: lines, outlets, facilities, meters, grades, white list, limits),
-- the fields lists filter by as columns.
CREATE TABLE enterprises (
    id           BIGSERIAL PRIMARY KEY,
    credit_code  TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    township     TEXT NOT NULL,
    industry     TEXT NOT NULL DEFAULT '',
    key_industry TEXT NOT NULL DEFAULT '',
    sample       BIGINT NOT NULL DEFAULT 0,
    doc          TEXT NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1,
    updated_ms   BIGINT NOT NULL,
    updated_by   TEXT NOT NULL
);
CREATE INDEX enterprises_township ON enterprises (township);
-- Derived from `doc` on every change, for lookups and uniqueness: an MN is
-- the device of one outlet in the county.
CREATE TABLE outlets (
    enterprise_id BIGINT NOT NULL REFERENCES enterprises(id) ON DELETE CASCADE,
    code          TEXT NOT NULL,
    mn            TEXT UNIQUE,
    PRIMARY KEY (enterprise_id, code)
);
CREATE TABLE meters (
    enterprise_id BIGINT NOT NULL REFERENCES enterprises(id) ON DELETE CASCADE,
    code          TEXT NOT NULL,
    mn            TEXT,
    factor        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (enterprise_id, code)
);
CREATE INDEX meters_mn ON meters (mn);
-- Every change of a firm: who, when, and the record before and after.
CREATE TABLE enterprise_changes (
    id          BIGSERIAL PRIMARY KEY,
    at_ms       BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    credit_code TEXT NOT NULL,
    action      TEXT NOT NULL,        -- create, update, delete
    before_doc  TEXT,
    after_doc   TEXT
);
CREATE INDEX enterprise_changes_firm ON enterprise_changes (credit_code, id);
