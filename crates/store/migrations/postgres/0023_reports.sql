-- Reports (日报, 月报, 年报, 应对评估): one row per kind and period, which
-- is also the cluster's lock — the node whose INSERT (or remake UPDATE)
-- wins makes it; the PDF and the workbook are kept in `blobs` by their
-- SHA-256, the model JSON beside them.
CREATE TABLE reports (
    id           BIGSERIAL PRIMARY KEY,
    kind         TEXT NOT NULL,
    period       TEXT NOT NULL,
    state        TEXT NOT NULL,
    progress     TEXT NOT NULL DEFAULT '',
    error        TEXT,
    params       TEXT NOT NULL DEFAULT '{}',
    pdf_sha256   TEXT REFERENCES blobs(sha256),
    xlsx_sha256  TEXT REFERENCES blobs(sha256),
    -- The public copy (an annual summary without the management sections).
    public_pdf_sha256 TEXT REFERENCES blobs(sha256),
    model        TEXT,
    public       BIGINT NOT NULL DEFAULT 0,
    sample       BIGINT NOT NULL DEFAULT 0,
    requested_by TEXT NOT NULL,
    node         TEXT,
    requested_ms BIGINT NOT NULL,
    started_ms   BIGINT,
    done_ms      BIGINT,
    version      BIGINT NOT NULL DEFAULT 0,
    UNIQUE (kind, period)
);
