ALTER TABLE multipart_parts DROP COLUMN IF EXISTS blob_offset;
ALTER TABLE object_parts DROP COLUMN IF EXISTS blob_offset;
DROP INDEX IF EXISTS objects_versions;
DROP INDEX IF EXISTS objects_live;
DROP INDEX IF EXISTS objects_version;
DROP INDEX IF EXISTS objects_latest;
-- Only the latest version of each key survives a downgrade.
DELETE FROM objects WHERE NOT is_latest OR delete_marker;
ALTER TABLE objects DROP COLUMN IF EXISTS delete_marker;
ALTER TABLE objects DROP COLUMN IF EXISTS is_latest;
ALTER TABLE objects DROP COLUMN IF EXISTS seq;
ALTER TABLE objects DROP COLUMN IF EXISTS version_id;
ALTER TABLE objects ADD CONSTRAINT objects_bucket_key_key UNIQUE (bucket, key);
ALTER TABLE buckets DROP COLUMN IF EXISTS lifecycle;
ALTER TABLE buckets DROP COLUMN IF EXISTS tags;
ALTER TABLE buckets DROP COLUMN IF EXISTS versioning;
