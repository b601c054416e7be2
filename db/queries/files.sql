-- name: InsertFile :exec
INSERT INTO files (id, filename, content_type, size, status, metadata, owner, data_shards, parity_shards, block_size)
VALUES ($1, $2, $3, $4, 'uploading', $5, $6, $7, $8, $9);

-- name: TouchUploadSession :exec
-- Progress pushes the expiry forward: only an upload that stops moving
-- for a whole session timeout expires, however large it is.
UPDATE upload_sessions
SET bytes_received = $2,
    last_activity  = now(),
    expires_at     = greatest(expires_at, now() + make_interval(secs => sqlc.arg(timeout_seconds)::float8))
WHERE id = $1 AND status = 'active';

-- name: GetFile :one
SELECT * FROM files WHERE id = $1;

-- name: GetCompletedFileForUpdate :one
SELECT * FROM files WHERE id = $1 AND status = 'completed' AND owner = 'files' FOR UPDATE;

-- name: ListChunks :many
SELECT c.*, s.address AS server_address
FROM chunks c
JOIN storage_servers s ON s.id = c.storage_server_id
WHERE c.file_id = $1
ORDER BY c.chunk_number;

-- name: ListCompletedFiles :many
-- Keyset pagination, newest first: (created_at, id) of the last row seen.
-- Only the /files door's own blobs: S3 objects are listed through S3.
SELECT * FROM files
WHERE status = 'completed' AND owner = 'files'
  AND (sqlc.narg(after_created_at)::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg(after_created_at)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY created_at DESC, id DESC
LIMIT $1;

-- name: DeleteFile :execrows
DELETE FROM files WHERE id = $1;

-- name: MarkChunkCorrupt :exec
UPDATE chunks SET status = 'corrupt' WHERE id = $1;

-- name: CountActiveUploads :one
SELECT count(*) FROM upload_sessions WHERE status = 'active' AND expires_at > now();

-- name: UpdateFileMetadata :execrows
UPDATE files SET metadata = $2, updated_at = now() WHERE id = $1 AND status = 'completed';
