-- The emergency reduction list (应急减排清单): one row per firm × line ×
-- level — the measure (action, its percent, what it is measured by), the
-- line's normal emissions and the cuts expected of it (t/d of SO2, NOx,
-- PM and VOCs, exact decimals as text, space-separated in that order) —
-- with every change kept with who and when; and the county's
-- whole-society emissions the list is checked against.
CREATE TABLE reduction_lines (
    credit_code TEXT NOT NULL,
    line        TEXT NOT NULL,
    level       TEXT NOT NULL,           -- yellow, orange, red
    action      TEXT NOT NULL,           -- none, voluntary, stop, limit, max_load, stagger
    percent     BIGINT,
    basis       TEXT NOT NULL,           -- output, feed, kilns, electricity
    normal      TEXT NOT NULL,
    expected    TEXT NOT NULL,
    origin      TEXT NOT NULL,           -- template, white_list, edited, imported
    note        TEXT NOT NULL DEFAULT '',
    sample      BIGINT NOT NULL DEFAULT 0,
    version     BIGINT NOT NULL DEFAULT 1,
    updated_ms  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL,
    PRIMARY KEY (credit_code, line, level)
);
CREATE TABLE reduction_history (
    id          BIGSERIAL PRIMARY KEY,
    at_ms       BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    credit_code TEXT NOT NULL,
    line        TEXT NOT NULL,
    level       TEXT NOT NULL,
    before_row  TEXT,
    after_row   TEXT NOT NULL
);
CREATE INDEX reduction_history_firm ON reduction_history (credit_code, id);
CREATE TABLE emission_inventory (
    pollutant  TEXT PRIMARY KEY,         -- SO2, NOx, PM, VOCs
    t_per_day  TEXT NOT NULL,
    year       BIGINT,
    document   TEXT NOT NULL DEFAULT '',
    updated_ms BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
