-- The dashboard reads what arrived since its last read (uploads by
-- received time, then their values).
CREATE INDEX uploads_received ON uploads (received_ms);
