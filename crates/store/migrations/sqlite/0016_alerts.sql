-- Heavy-pollution alerts: forecasts as they were issued (each entry or
-- upload one batch, never overwritten: the history is the table), the
-- alerts and every step of theirs with the forecast batch it rested on.
CREATE TABLE forecasts (
    id                 INTEGER PRIMARY KEY,
    batch              INTEGER NOT NULL,
    day                TEXT NOT NULL,        -- YYYY-MM-DD
    aqi                INTEGER NOT NULL,     -- the value that counts
    aqi_low            INTEGER,              -- a range as given
    aqi_high           INTEGER,
    primary_pollutant  TEXT NOT NULL DEFAULT '',
    cause              TEXT NOT NULL,        -- none, dust, fireworks
    source             TEXT NOT NULL,        -- province, city, county, consult
    issued_ms          INTEGER NOT NULL,
    entered_by         TEXT NOT NULL,
    entered_ms         INTEGER NOT NULL
);
CREATE INDEX forecasts_day ON forecasts (day, issued_ms);
CREATE INDEX forecasts_batch ON forecasts (batch);
CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY,
    level           TEXT NOT NULL,
    state           TEXT NOT NULL,
    origin          TEXT NOT NULL,           -- classifier, notice:city, notice:province
    notice_doc      TEXT,                    -- the notice's document number
    notice_level    TEXT,                    -- the level the notice gave
    open_slot       INTEGER UNIQUE,           -- 1 while proposed, approved or issued: one open alert at a time
    basis_level     TEXT NOT NULL,           -- what the forecast gave when proposed
    no_basis        INTEGER NOT NULL DEFAULT 0,
    forecast_batch  INTEGER,
    document_no     TEXT,
    scope           TEXT,
    start_ms        INTEGER,
    end_ms          INTEGER,
    sample          INTEGER NOT NULL DEFAULT 0,
    created_ms      INTEGER NOT NULL,
    updated_ms      INTEGER NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX alerts_state ON alerts (state);
CREATE TABLE alert_history (
    id              INTEGER PRIMARY KEY,
    alert_id        INTEGER NOT NULL REFERENCES alerts(id),
    at_ms           INTEGER NOT NULL,
    actor           TEXT NOT NULL,
    step            TEXT NOT NULL,
    from_state      TEXT,
    to_state        TEXT NOT NULL,
    level           TEXT NOT NULL,
    forecast_batch  INTEGER,
    note            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alert_history_alert ON alert_history (alert_id, id);
