-- lantian schema v1 (SQLite). Times are Unix instants, UTC: *_ms in
-- milliseconds, ts and data_time in seconds.
CREATE TABLE sites (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,          -- ambient | micro | outlet | construction | restaurant | other
    township    TEXT,
    lon         REAL,
    lat         REAL,
    assessment  INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE devices (
    id               INTEGER PRIMARY KEY,
    mn               TEXT NOT NULL UNIQUE,
    password         TEXT NOT NULL,
    site_id          INTEGER NOT NULL REFERENCES sites(id),
    kind             TEXT NOT NULL,     -- ambient | cems | vocs | dust | fume | water | other
    protocol         TEXT NOT NULL DEFAULT '2017',
    crc              TEXT NOT NULL DEFAULT 'hj212',   -- hj212 | modbus
    unit_overrides   TEXT NOT NULL DEFAULT '',        -- code=unit,code=unit
    rtd_interval_s   INTEGER,
    min_interval_min INTEGER,
    enabled          INTEGER NOT NULL DEFAULT 1,
    created_ms       INTEGER NOT NULL
);
-- Every frame received, as received, with its verdict (audit and replay).
CREATE TABLE frames (
    id          INTEGER PRIMARY KEY,
    received_ms INTEGER NOT NULL,
    node        TEXT NOT NULL,
    peer        TEXT NOT NULL,
    mn          TEXT,
    qn          TEXT,
    cn          TEXT,
    verdict     TEXT NOT NULL,          -- stored | duplicate | part | answer | other | quarantine | rejected
    reason      TEXT,
    raw         BLOB NOT NULL
);
CREATE INDEX frames_mn ON frames (mn, received_ms);
-- Frames from unknown devices or with a wrong password, with the reason.
CREATE TABLE quarantine (
    id          INTEGER PRIMARY KEY,
    received_ms INTEGER NOT NULL,
    peer        TEXT NOT NULL,
    mn          TEXT,
    reason      TEXT NOT NULL,
    raw         BLOB NOT NULL
);
-- One row per data upload: the idempotency key of retransmissions.
CREATE TABLE uploads (
    device_id   INTEGER NOT NULL REFERENCES devices(id),
    cn          INTEGER NOT NULL,
    data_time   INTEGER NOT NULL,
    mn          TEXT NOT NULL,
    qn          TEXT,
    received_ms INTEGER NOT NULL,
    late        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (device_id, cn, data_time)
) WITHOUT ROWID;
CREATE INDEX uploads_mn ON uploads (mn, data_time);
-- Values as sent: raw text kept exactly, num for queries.
CREATE TABLE vals (
    device_id   INTEGER NOT NULL,
    cn          INTEGER NOT NULL,       -- 2011 real-time, 2051 minute, 2061 hour, 2031 day
    ts          INTEGER NOT NULL,       -- DataTime as a UTC instant (start of the period)
    code        TEXT NOT NULL,
    field       TEXT NOT NULL,          -- Rtd, Avg, Min, Max, ZsAvg, Cou, …
    raw         TEXT NOT NULL,
    num         REAL,
    flag        TEXT,
    PRIMARY KEY (device_id, cn, code, field, ts)
) WITHOUT ROWID;
