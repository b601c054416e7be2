-- A part made by UploadPartCopy from a range that crosses the source's
-- parts shares each source blob it crosses instead of copying the bytes:
-- it is stored as several segments, each a range of one blob, in order.
-- Every other part is segment 0 alone.
ALTER TABLE object_parts ADD COLUMN segment SMALLINT NOT NULL DEFAULT 0 CHECK (segment >= 0);
ALTER TABLE object_parts DROP CONSTRAINT object_parts_pkey;
ALTER TABLE object_parts ADD PRIMARY KEY (object_id, part_number, segment);

ALTER TABLE multipart_parts ADD COLUMN segment SMALLINT NOT NULL DEFAULT 0 CHECK (segment >= 0);
ALTER TABLE multipart_parts DROP CONSTRAINT multipart_parts_pkey;
ALTER TABLE multipart_parts ADD PRIMARY KEY (upload_id, part_number, segment);
