-- NOT VALID: S3 blobs completed without a checksum since the up migration
-- stay as they are; new rows are held to the old rule again.
ALTER TABLE files DROP CONSTRAINT files_completed_checksum;
ALTER TABLE files ADD CONSTRAINT files_check
    CHECK (status <> 'completed' OR checksum IS NOT NULL) NOT VALID;
