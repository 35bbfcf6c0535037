-- The device page's counts, kept as frames are written (the page no longer
-- scans the journal or the values): per registered device and clock hour
-- (received_ms / 3,600,000, UTC), frames by verdict and values whose flag
-- is not N (kind 'flagged'). The page sums the rows of the last 24 hours.
CREATE TABLE device_counts (
    device_id BIGINT NOT NULL,
    hour      BIGINT NOT NULL,
    kind      TEXT NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (device_id, hour, kind)
);
-- The latest DataTime stored per device (UTC seconds), kept by the writer.
ALTER TABLE devices ADD COLUMN latest_data_s BIGINT;
UPDATE devices SET latest_data_s = (SELECT MAX(u.data_time) FROM uploads u WHERE u.device_id = devices.id);
-- Frames of the last 25 hours, counted once at the upgrade (flagged values
-- are counted from the upgrade on).
INSERT INTO device_counts (device_id, hour, kind, n)
SELECT d.id, f.received_ms / 3600000, f.verdict, COUNT(*)
FROM frames f JOIN devices d ON d.mn = f.mn
WHERE f.received_ms >= (EXTRACT(EPOCH FROM now())::BIGINT - 90000) * 1000
GROUP BY d.id, f.received_ms / 3600000, f.verdict;
