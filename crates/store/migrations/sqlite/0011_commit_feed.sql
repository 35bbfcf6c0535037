-- The commit feed's outbox: one row per committed batch that stored
-- uploads, written in the batch's transaction, naming them by key
-- (device_id:cn:data_time, space-separated). A node's own subscribers get
-- the batch in memory; the outbox is how another node, or a restarted
-- subscriber that fell behind, learns what was committed.
CREATE TABLE commits (
    id      INTEGER PRIMARY KEY,
    at_ms   INTEGER NOT NULL,
    node    TEXT NOT NULL,
    uploads INTEGER NOT NULL,
    keys    TEXT NOT NULL
);
-- An upload's values packed in one text (code US field US raw US flag, RS
-- between values; US = char(31), RS = char(30)), so that reading every
-- stored hour back is one row per upload, not one per value. NULL when a
-- value holds a separator: its values are then read from vals.
ALTER TABLE uploads ADD COLUMN packed TEXT;
UPDATE uploads SET packed = p.packed FROM (
    SELECT device_id, cn, ts,
        CASE WHEN MAX(instr(code || field || raw || COALESCE(flag, ''), char(30)) + instr(code || field || raw || COALESCE(flag, ''), char(31))) > 0 THEN NULL
        ELSE group_concat(code || char(31) || field || char(31) || raw || char(31) || COALESCE(flag, ''), char(30)) END AS packed
    FROM vals GROUP BY device_id, cn, ts
) p WHERE p.device_id = uploads.device_id AND p.cn = uploads.cn AND p.ts = uploads.data_time;
-- The dashboard no longer reads uploads by received time (the commit feed
-- tells it what was stored): the index only cost writes.
DROP INDEX IF EXISTS uploads_received;
