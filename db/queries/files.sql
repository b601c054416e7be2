-- name: InsertFile :exec
INSERT INTO files (id, filename, content_type, size, status, metadata, owner, data_shards, parity_shards, block_size)
VALUES ($1, $2, $3, $4, 'uploading', $5, $6, $7, $8, $9);

-- name: InsertChunks :exec
-- All of a blob's shard rows in one statement (the arrays are zipped).
INSERT INTO chunks (id, file_id, chunk_number, byte_offset, size, storage_server_id, status)
SELECT unnest(sqlc.arg(ids)::uuid[]), sqlc.arg(file_id)::uuid, unnest(sqlc.arg(numbers)::smallint[]),
       unnest(sqlc.arg(offsets)::bigint[]), unnest(sqlc.arg(sizes)::bigint[]), unnest(sqlc.arg(servers)::uuid[]), 'pending';

-- name: InsertUploadSession :exec
INSERT INTO upload_sessions (id, file_id, status, started_at, last_activity, expires_at, client_ip)
VALUES ($1, $2, 'active', now(), now(), now() + make_interval(secs => sqlc.arg(timeout_seconds)::float8),
        nullif(sqlc.arg(client_ip)::text, ''));

-- name: TouchUploadSession :exec
-- Progress pushes the expiry forward: only an upload that stops moving
-- for a whole session timeout expires, however large it is.
UPDATE upload_sessions
SET bytes_received = $2,
    last_activity  = now(),
    expires_at     = greatest(expires_at, now() + make_interval(secs => sqlc.arg(timeout_seconds)::float8))
WHERE id = $1 AND status = 'active';

-- name: CompleteChunks :execrows
-- Records what became of each of a blob's shards, in one statement: stored
-- with the digest its node reported, or missing (a node that failed while
-- the write quorum held), for the healer to rebuild. The row count tells
-- whether all of them were still pending.
UPDATE chunks c
SET byte_offset = u.byte_offset, size = u.size, hash = nullif(u.hash, ''), storage_server_id = u.server,
    status = u.status, uploaded_at = CASE WHEN u.status = 'stored' THEN now() END
FROM (SELECT unnest(sqlc.arg(ids)::uuid[]) AS id, unnest(sqlc.arg(offsets)::bigint[]) AS byte_offset,
             unnest(sqlc.arg(sizes)::bigint[]) AS size, unnest(sqlc.arg(hashes)::text[]) AS hash,
             unnest(sqlc.arg(servers)::uuid[]) AS server, unnest(sqlc.arg(statuses)::text[]) AS status) u
WHERE c.id = u.id AND c.status = 'pending';

-- name: CompleteFile :one
-- No row means the upload's session expired and was cleaned up meanwhile.
UPDATE files SET size = $2, checksum = $3, status = 'completed', updated_at = now(), completed_at = now()
WHERE id = $1 AND status = 'uploading'
RETURNING created_at;

-- name: CompleteUploadSession :exec
UPDATE upload_sessions SET status = 'completed', bytes_received = $2, last_activity = now()
WHERE file_id = $1;

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
