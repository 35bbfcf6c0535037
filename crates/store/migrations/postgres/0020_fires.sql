-- Township boundaries (versioned: each upload a row; the latest places
-- points) and fire points (火点台账): satellite lists, camera alarms and
-- patrol entries, each placed in its township when stored, verified once
-- (straw, other open burning, false alarm) with who and when.
CREATE TABLE township_boundaries (
    id            BIGSERIAL PRIMARY KEY,
    geojson       TEXT NOT NULL,
    name_property TEXT NOT NULL,
    townships     TEXT NOT NULL,          -- the names, 、-joined
    uploaded_by   TEXT NOT NULL,
    uploaded_ms   BIGINT NOT NULL
);
CREATE TABLE fire_points (
    id           BIGSERIAL PRIMARY KEY,
    source       TEXT NOT NULL,          -- satellite, camera, patrol, report, …
    ext_id       TEXT NOT NULL,          -- the list's or the camera's id
    detected_s   BIGINT NOT NULL,       -- UTC seconds
    lon          DOUBLE PRECISION NOT NULL,
    lat          DOUBLE PRECISION NOT NULL,
    township     TEXT,                   -- NULL: outside every township
    boundary_id  BIGINT REFERENCES township_boundaries(id),
    kind         TEXT NOT NULL DEFAULT 'unknown',   -- straw | other | false | unknown
    note         TEXT NOT NULL DEFAULT '',
    verified_by  TEXT,
    ticket_id    BIGINT REFERENCES tickets(id),   -- the township's ticket (straw, other)
    verified_ms  BIGINT,
    sample       BIGINT NOT NULL DEFAULT 0,
    -- An appeal (申诉) by the township against a verified point: pending,
    -- then upheld (not charged) or rejected by the bureau.
    appeal_state TEXT,                   -- NULL | pending | upheld | rejected
    appeal_reason TEXT,
    appeal_by    TEXT,
    appeal_ms    BIGINT,
    appeal_decided_by TEXT,
    appeal_decided_ms BIGINT,
    appeal_decision TEXT,
    created_by   TEXT NOT NULL,
    created_ms   BIGINT NOT NULL,
    UNIQUE (source, ext_id)
);
CREATE INDEX fire_points_time ON fire_points (detected_s);
CREATE INDEX fire_points_township ON fire_points (township, detected_s);
