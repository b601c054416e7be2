-- files_listing narrowed to the /files door's uploads, built beside it
-- without holding up writes (see 0024); 0026 puts it in its place.
CREATE INDEX CONCURRENTLY files_uploads_listing ON files (created_at DESC, id DESC)
    WHERE status = 'completed' AND owner = 'files';
