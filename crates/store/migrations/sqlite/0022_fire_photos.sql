-- Photos of a fire point's verification (现场照片): kept by hash in
-- `blobs`, each with who added it and when.
CREATE TABLE fire_photos (
    id            INTEGER PRIMARY KEY,
    fire_id       INTEGER NOT NULL REFERENCES fire_points(id),
    sha256        TEXT NOT NULL REFERENCES blobs(sha256),
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    at_ms         INTEGER NOT NULL,
    actor         TEXT NOT NULL
);
CREATE INDEX fire_photos_fire ON fire_photos (fire_id);
