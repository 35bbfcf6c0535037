-- Heavy-pollution alerts: forecasts as they were issued (each entry or
-- upload one batch, never overwritten: the history is the table), the
-- alerts and every step of theirs with the forecast batch it rested on.
CREATE TABLE forecasts (
    id                 BIGSERIAL PRIMARY KEY,
    batch              BIGINT NOT NULL,
    day                TEXT NOT NULL,        -- YYYY-MM-DD
    aqi                BIGINT NOT NULL,     -- the value that counts
    aqi_low            BIGINT,              -- a range as given
    aqi_high           BIGINT,
    primary_pollutant  TEXT NOT NULL DEFAULT '',
    cause              TEXT NOT NULL,        -- none, dust, fireworks
    source             TEXT NOT NULL,        -- province, city, county, consult
    issued_ms          BIGINT NOT NULL,
    entered_by         TEXT NOT NULL,
    entered_ms         BIGINT NOT NULL
);
CREATE INDEX forecasts_day ON forecasts (day, issued_ms);
CREATE INDEX forecasts_batch ON forecasts (batch);
CREATE TABLE alerts (
    id              BIGSERIAL PRIMARY KEY,
    level           TEXT NOT NULL,
    state           TEXT NOT NULL,
    origin          TEXT NOT NULL,           -- classifier, notice:city, notice:province
    notice_doc      TEXT,                    -- the notice's document number
    notice_level    TEXT,                    -- the level the notice gave
    open_slot       BIGINT UNIQUE,           -- 1 while proposed, approved or issued: one open alert at a time
    basis_level     TEXT NOT NULL,           -- what the forecast gave when proposed
    no_basis        BIGINT NOT NULL DEFAULT 0,
    forecast_batch  BIGINT,
    document_no     TEXT,
    scope           TEXT,
    start_ms        BIGINT,
    end_ms          BIGINT,
    sample          BIGINT NOT NULL DEFAULT 0,
    created_ms      BIGINT NOT NULL,
    updated_ms      BIGINT NOT NULL,
    version         BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX alerts_state ON alerts (state);
CREATE TABLE alert_history (
    id              BIGSERIAL PRIMARY KEY,
    alert_id        BIGINT NOT NULL REFERENCES alerts(id),
    at_ms           BIGINT NOT NULL,
    actor           TEXT NOT NULL,
    step            TEXT NOT NULL,
    from_state      TEXT,
    to_state        TEXT NOT NULL,
    level           TEXT NOT NULL,
    forecast_batch  BIGINT,
    note            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alert_history_alert ON alert_history (alert_id, id);
