-- Documents the operator uploads and the pages read: the county boundary
-- GeoJSON (key 'boundary'), kept as sent.
CREATE TABLE documents (
    key         TEXT PRIMARY KEY,
    body        TEXT NOT NULL,
    updated_ms  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL
);
