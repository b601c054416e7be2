-- The S3 door: buckets, objects as ordered lists of blobs, and multipart
-- uploads whose parts are blobs of their own.

-- Who a blob belongs to: the /files door, or an S3 object or upload part.
-- /files lists and deletes only its own blobs.
ALTER TABLE files ADD COLUMN owner TEXT NOT NULL DEFAULT 'files'
    CHECK (owner IN ('files', 's3'));

CREATE TABLE buckets (
    name       TEXT PRIMARY KEY CHECK (length(name) BETWEEN 3 AND 63),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- An object is a name pointing at its blobs. Overwriting a key replaces
-- the row in one transaction, so readers see one version or the other.
CREATE TABLE objects (
    id           UUID PRIMARY KEY,
    bucket       TEXT        NOT NULL REFERENCES buckets (name),
    -- COLLATE "C" orders keys by their UTF-8 bytes, as S3 lists them.
    key          TEXT COLLATE "C" NOT NULL CHECK (octet_length(key) BETWEEN 1 AND 1024),
    size         BIGINT      NOT NULL CHECK (size >= 0 AND size <= 10737418240),
    etag         TEXT        NOT NULL,
    meta         JSONB       NOT NULL DEFAULT '{}'::jsonb,
    checksums    JSONB       NOT NULL DEFAULT '{}'::jsonb,
    -- 0 for a single PUT; the number of parts for a multipart object.
    part_count   INTEGER     NOT NULL DEFAULT 0 CHECK (part_count BETWEEN 0 AND 10000),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (bucket, key)
);

CREATE TABLE object_parts (
    object_id   UUID    NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    part_number INTEGER NOT NULL CHECK (part_number BETWEEN 1 AND 10000),
    file_id     UUID    NOT NULL REFERENCES files (id),
    byte_offset BIGINT  NOT NULL CHECK (byte_offset >= 0),
    size        BIGINT  NOT NULL CHECK (size >= 0),
    etag        TEXT    NOT NULL,
    checksums   JSONB   NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (object_id, part_number)
);

CREATE INDEX object_parts_file ON object_parts (file_id);

CREATE TABLE multipart_uploads (
    id           UUID PRIMARY KEY,
    bucket       TEXT        NOT NULL REFERENCES buckets (name),
    key          TEXT COLLATE "C" NOT NULL CHECK (octet_length(key) BETWEEN 1 AND 1024),
    meta         JSONB       NOT NULL DEFAULT '{}'::jsonb,
    initiated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX multipart_uploads_listing ON multipart_uploads (bucket, key, id);
CREATE INDEX multipart_uploads_age ON multipart_uploads (initiated_at);

CREATE TABLE multipart_parts (
    upload_id   UUID        NOT NULL REFERENCES multipart_uploads (id) ON DELETE CASCADE,
    part_number INTEGER     NOT NULL CHECK (part_number BETWEEN 1 AND 10000),
    file_id     UUID        NOT NULL REFERENCES files (id),
    size        BIGINT      NOT NULL CHECK (size >= 0),
    etag        TEXT        NOT NULL,
    checksums   JSONB       NOT NULL DEFAULT '{}'::jsonb,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (upload_id, part_number)
);

CREATE INDEX multipart_parts_file ON multipart_parts (file_id);
