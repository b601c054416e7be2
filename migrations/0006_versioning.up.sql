-- S3 as tools use it: bucket versioning and tags, object versions and
-- delete markers, and blobs shared between objects (server-side copies).

-- '' = never versioned; once Enabled a bucket can only be Suspended.
ALTER TABLE buckets ADD COLUMN versioning TEXT NOT NULL DEFAULT ''
    CHECK (versioning IN ('', 'Enabled', 'Suspended'));
-- NULL = no tag set (GetBucketTagging answers NoSuchTagSet).
ALTER TABLE buckets ADD COLUMN tags JSONB;
-- The lifecycle rules (s3api.LifecycleRule as JSON); NULL = none.
ALTER TABLE buckets ADD COLUMN lifecycle JSONB;

-- Every version of a key is a row. version_id is 'null' for the version a
-- bucket that is not versioning-enabled writes; seq orders the versions of
-- a key (newest = highest); the newest is is_latest. A delete marker is a
-- version with no bytes.
ALTER TABLE objects DROP CONSTRAINT objects_bucket_key_key;
ALTER TABLE objects ADD COLUMN version_id TEXT NOT NULL DEFAULT 'null';
ALTER TABLE objects ADD COLUMN seq BIGINT NOT NULL GENERATED ALWAYS AS IDENTITY;
ALTER TABLE objects ADD COLUMN is_latest BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE objects ADD COLUMN delete_marker BOOLEAN NOT NULL DEFAULT false;

CREATE UNIQUE INDEX objects_latest ON objects (bucket, key) WHERE is_latest;
CREATE UNIQUE INDEX objects_version ON objects (bucket, key, version_id);
-- ListObjects walks the live keys only.
CREATE INDEX objects_live ON objects (bucket, key) WHERE is_latest AND NOT delete_marker;
-- ListObjectVersions: key order, newest version first.
CREATE INDEX objects_versions ON objects (bucket, key, seq DESC);

-- A copied object or part points at the source's blobs: the byte range of
-- the blob it uses starts at blob_offset. A blob is retired only when no
-- object part and no upload part points at it.
ALTER TABLE object_parts ADD COLUMN blob_offset BIGINT NOT NULL DEFAULT 0 CHECK (blob_offset >= 0);
ALTER TABLE multipart_parts ADD COLUMN blob_offset BIGINT NOT NULL DEFAULT 0 CHECK (blob_offset >= 0);
