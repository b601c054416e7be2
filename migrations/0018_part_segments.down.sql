-- Segmented parts cannot be expressed without segments: uploads holding
-- them are dropped, and objects holding them refuse the downgrade.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM object_parts WHERE segment > 0) THEN
        RAISE EXCEPTION 'objects with parts copied across source parts exist; copy them again before downgrading';
    END IF;
END $$;
DELETE FROM multipart_uploads WHERE id IN (SELECT upload_id FROM multipart_parts WHERE segment > 0);
ALTER TABLE multipart_parts DROP CONSTRAINT multipart_parts_pkey;
ALTER TABLE multipart_parts DROP COLUMN segment;
ALTER TABLE multipart_parts ADD PRIMARY KEY (upload_id, part_number);
ALTER TABLE object_parts DROP CONSTRAINT object_parts_pkey;
ALTER TABLE object_parts DROP COLUMN segment;
ALTER TABLE object_parts ADD PRIMARY KEY (object_id, part_number);
