-- lantian schema v1 (PostgreSQL). Times are Unix instants, UTC: *_ms in
-- milliseconds, ts and data_time in seconds.
CREATE TABLE sites (
    id          BIGSERIAL PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,          -- ambient | micro | outlet | construction | restaurant | other
    township    TEXT,
    lon         DOUBLE PRECISION,
    lat         DOUBLE PRECISION,
    assessment  BIGINT NOT NULL DEFAULT 1
);
CREATE TABLE devices (
    id               BIGSERIAL PRIMARY KEY,
    mn               TEXT NOT NULL UNIQUE,
    password         TEXT NOT NULL,
    site_id          BIGINT NOT NULL REFERENCES sites(id),
    kind             TEXT NOT NULL,     -- ambient | cems | vocs | dust | fume | water | other
    protocol         TEXT NOT NULL DEFAULT '2017',
    crc              TEXT NOT NULL DEFAULT 'hj212',   -- hj212 | modbus
    unit_overrides   TEXT NOT NULL DEFAULT '',        -- code=unit,code=unit
    rtd_interval_s   BIGINT,
    min_interval_min BIGINT,
    enabled          BIGINT NOT NULL DEFAULT 1,
    created_ms       BIGINT NOT NULL
);
-- Every frame received, as received, with its verdict (audit and replay).
CREATE TABLE frames (
    id          BIGSERIAL PRIMARY KEY,
    received_ms BIGINT NOT NULL,
    node        TEXT NOT NULL,
    peer        TEXT NOT NULL,
    mn          TEXT,
    qn          TEXT,
    cn          TEXT,
    verdict     TEXT NOT NULL,          -- stored | duplicate | part | answer | other | quarantine | rejected
    reason      TEXT,
    raw         BYTEA NOT NULL
);
CREATE INDEX frames_mn ON frames (mn, received_ms);
-- Frames from unknown devices or with a wrong password, with the reason.
CREATE TABLE quarantine (
    id          BIGSERIAL PRIMARY KEY,
    received_ms BIGINT NOT NULL,
    peer        TEXT NOT NULL,
    mn          TEXT,
    reason      TEXT NOT NULL,
    raw         BYTEA NOT NULL
);
-- One row per data upload: the idempotency key of retransmissions.
CREATE TABLE uploads (
    device_id   BIGINT NOT NULL REFERENCES devices(id),
    cn          BIGINT NOT NULL,
    data_time   BIGINT NOT NULL,
    mn          TEXT NOT NULL,
    qn          TEXT,
    received_ms BIGINT NOT NULL,
    late        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (device_id, cn, data_time)
);
CREATE INDEX uploads_mn ON uploads (mn, data_time);
-- Values as sent: raw text kept exactly, num for queries.
CREATE TABLE vals (
    device_id   BIGINT NOT NULL,
    cn          BIGINT NOT NULL,       -- 2011 real-time, 2051 minute, 2061 hour, 2031 day
    ts          BIGINT NOT NULL,       -- DataTime as a UTC instant (start of the period)
    code        TEXT NOT NULL,
    field       TEXT NOT NULL,          -- Rtd, Avg, Min, Max, ZsAvg, Cou, …
    raw         TEXT NOT NULL,
    num         DOUBLE PRECISION,
    flag        TEXT,
    PRIMARY KEY (device_id, cn, code, field, ts)
) PARTITION BY RANGE (ts);
-- Monthly partitions vals_YYYYMM are created by the store before it writes
-- into a month (under an advisory lock, so nodes do not race).
