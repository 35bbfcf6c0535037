-- Data review (数据审核): hours of a station or outlet marked invalid (or
-- as an exceptional event) by the monitoring staff, with a reason and
-- evidence; a mark is restored, never deleted, so the trail stays.
CREATE TABLE reviews (
    id           INTEGER PRIMARY KEY,
    site_id      INTEGER NOT NULL REFERENCES sites(id),
    code         TEXT,                  -- HJ 212 factor code; NULL: every pollutant
    from_s       INTEGER NOT NULL,        -- UTC seconds, start of the first hour
    to_s         INTEGER NOT NULL,        -- UTC seconds, end of the last hour (exclusive)
    reason       TEXT NOT NULL,         -- calibration | fault | sand_dust | fireworks | other
    note         TEXT NOT NULL,
    evidence     TEXT NOT NULL DEFAULT '',
    marked_by    TEXT NOT NULL,
    marked_ms    INTEGER NOT NULL,
    restored_by  TEXT,
    restored_ms  INTEGER,
    restore_note TEXT
);
CREATE INDEX reviews_site ON reviews (site_id, from_s);
