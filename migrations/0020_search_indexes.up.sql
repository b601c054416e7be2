-- Search (GET /files?q=, GET /files/search): the indexes that keep each
-- kind of condition and each sort off a full scan at millions of objects,
-- chosen by EXPLAIN ANALYZE on generated data (docs/search.md). All are
-- partial on the rows a search can see.

-- S3 objects. One GIN (jsonb_path_ops: containment only, and smaller than
-- jsonb_ops) answers metadata, tag and content_type equality: they all
-- live in meta. Key order and key LIKE 'prefix%' use objects_live.
CREATE INDEX objects_search_meta ON objects USING gin (meta jsonb_path_ops)
    WHERE is_latest AND NOT delete_marker;
CREATE INDEX objects_search_size ON objects (bucket, size, id)
    WHERE is_latest AND NOT delete_marker;
CREATE INDEX objects_search_created ON objects (bucket, created_at, id)
    WHERE is_latest AND NOT delete_marker;

-- /files uploads. Newest-first order and created ranges use files_listing.
CREATE INDEX files_search_meta ON files USING gin (metadata jsonb_path_ops)
    WHERE status = 'completed' AND owner = 'files';
CREATE INDEX files_search_size ON files (size, id)
    WHERE status = 'completed' AND owner = 'files';
CREATE INDEX files_search_name ON files ((filename COLLATE "C"), id)
    WHERE status = 'completed' AND owner = 'files';
CREATE INDEX files_search_modified ON files (updated_at, id)
    WHERE status = 'completed' AND owner = 'files';
