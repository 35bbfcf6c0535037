-- Photos of a fire point's verification (现场照片): kept by hash in
-- `blobs`, each with who added it and when.
CREATE TABLE fire_photos (
    id            BIGSERIAL PRIMARY KEY,
    fire_id       BIGINT NOT NULL REFERENCES fire_points(id),
    sha256        TEXT NOT NULL REFERENCES blobs(sha256),
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          BIGINT NOT NULL,
    at_ms         BIGINT NOT NULL,
    actor         TEXT NOT NULL
);
CREATE INDEX fire_photos_fire ON fire_photos (fire_id);
