-- A user's own /files listing (GET /files for a key that may not read
-- every owner's) walks its uploads newest first, without reading anyone
-- else's.
CREATE INDEX files_owner_listing ON files (owner_identity, created_at DESC, id DESC)
    WHERE status = 'completed' AND owner = 'files';
