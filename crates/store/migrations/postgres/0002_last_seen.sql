-- When a device was last heard from (any accepted frame: data or heartbeat).
ALTER TABLE devices ADD COLUMN last_seen_ms BIGINT;
