-- Intake: observations that come over HTTP or from files, not over a
-- device's own HJ 212 line. Each site that takes such data gets one
-- intake device (never answered over TCP: enabled = 0, intake = 1), so
-- pushed and imported hours are uploads like any other and every reader
-- of stored uploads sees them.
ALTER TABLE devices ADD COLUMN intake BIGINT NOT NULL DEFAULT 0;
