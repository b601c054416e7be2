-- name: BeginUpload :exec
-- A blob's row, its upload session's and its planned chunks' in one
-- statement, so a small object pays one round trip and one commit for it
-- instead of five round trips (BEGIN, three inserts, COMMIT). The
-- sub-statements run once each, whether referenced or not; the foreign keys
-- of chunks and upload_sessions on files are checked at the statement's end,
-- when the file's row exists.
WITH f AS (
    INSERT INTO files (id, filename, content_type, size, status, metadata, owner, data_shards, parity_shards, block_size)
    VALUES (sqlc.arg(id), sqlc.arg(filename), sqlc.arg(content_type), sqlc.arg(size), 'uploading', sqlc.arg(metadata),
            sqlc.arg(owner), sqlc.arg(data_shards), sqlc.arg(parity_shards), sqlc.arg(block_size))
), s AS (
    INSERT INTO upload_sessions (id, file_id, status, started_at, last_activity, expires_at, client_ip)
    VALUES (sqlc.arg(session_id), sqlc.arg(id), 'active', now(), now(),
            now() + make_interval(secs => sqlc.arg(timeout_seconds)::float8), nullif(sqlc.arg(client_ip)::text, ''))
)
INSERT INTO chunks (id, file_id, chunk_number, byte_offset, size, storage_server_id, status)
SELECT unnest(sqlc.arg(chunk_ids)::uuid[]), sqlc.arg(id), unnest(sqlc.arg(chunk_numbers)::smallint[]),
       unnest(sqlc.arg(chunk_offsets)::bigint[]), unnest(sqlc.arg(chunk_sizes)::bigint[]),
       unnest(sqlc.arg(chunk_servers)::uuid[]), 'pending';

-- name: RecordBlob :one
-- A blob written whole (its shards sent before any row of it existed),
-- recorded completed with its session and chunks in one statement: one
-- insert per row instead of BeginUpload's inserts followed by
-- CompleteUpload's updates of the same rows, every one of which touches
-- each of their indexes again. The foreign keys on files are checked at the
-- statement's end.
WITH f AS (
    INSERT INTO files (id, filename, content_type, size, checksum, status, metadata, owner, data_shards, parity_shards,
                       block_size, completed_at)
    VALUES (sqlc.arg(id), sqlc.arg(filename), sqlc.arg(content_type), sqlc.arg(size), sqlc.arg(checksum), 'completed',
            sqlc.arg(metadata), sqlc.arg(owner), sqlc.arg(data_shards), sqlc.arg(parity_shards), sqlc.arg(block_size), now())
    RETURNING created_at
), s AS (
    INSERT INTO upload_sessions (id, file_id, status, bytes_received, started_at, last_activity, expires_at, client_ip)
    VALUES (sqlc.arg(session_id), sqlc.arg(id), 'completed', sqlc.arg(size), sqlc.arg(started_at)::timestamptz, now(),
            sqlc.arg(started_at)::timestamptz + make_interval(secs => sqlc.arg(timeout_seconds)::float8),
            nullif(sqlc.arg(client_ip)::text, ''))
), c AS (
    INSERT INTO chunks (id, file_id, chunk_number, byte_offset, size, hash, storage_server_id, status, uploaded_at)
    SELECT u.id, sqlc.arg(id), u.number, u.byte_offset, u.size, nullif(u.hash, ''), u.server, u.status,
           CASE WHEN u.status = 'stored' THEN now() END
    FROM (SELECT unnest(sqlc.arg(chunk_ids)::uuid[]) AS id, unnest(sqlc.arg(chunk_numbers)::smallint[]) AS number,
                 unnest(sqlc.arg(chunk_offsets)::bigint[]) AS byte_offset, unnest(sqlc.arg(chunk_sizes)::bigint[]) AS size,
                 unnest(sqlc.arg(chunk_hashes)::text[]) AS hash, unnest(sqlc.arg(chunk_servers)::uuid[]) AS server,
                 unnest(sqlc.arg(chunk_statuses)::text[]) AS status) u
)
SELECT created_at FROM f;

-- name: MarkUnwrittenChunks :exec
-- Chunks of a blob being recorded (RecordBlob, in the same transaction)
-- whose shards, written while its rows were, did not become durable: they
-- are recorded missing, for the healer.
UPDATE chunks SET status = 'missing', hash = NULL, uploaded_at = NULL
WHERE id = ANY(sqlc.arg(ids)::uuid[]);

-- name: CompleteUpload :one
-- CompleteChunks, CompleteFile and CompleteUploadSession in one statement
-- (one round trip instead of three). No row means the file is no longer
-- uploading (its session expired and was cleaned up); chunks_completed
-- below the number of ids means some chunk rows vanished: either way the
-- caller rolls back.
WITH c AS (
    UPDATE chunks ch
    SET byte_offset = u.byte_offset, size = u.size, hash = nullif(u.hash, ''), storage_server_id = u.server,
        status = u.status, uploaded_at = CASE WHEN u.status = 'stored' THEN now() END
    FROM (SELECT unnest(sqlc.arg(chunk_ids)::uuid[]) AS id, unnest(sqlc.arg(chunk_offsets)::bigint[]) AS byte_offset,
                 unnest(sqlc.arg(chunk_sizes)::bigint[]) AS size, unnest(sqlc.arg(chunk_hashes)::text[]) AS hash,
                 unnest(sqlc.arg(chunk_servers)::uuid[]) AS server, unnest(sqlc.arg(chunk_statuses)::text[]) AS status) u
    WHERE ch.id = u.id AND ch.status = 'pending'
    RETURNING 1
), f AS (
    UPDATE files SET size = sqlc.arg(size), checksum = sqlc.narg(checksum), status = 'completed', updated_at = now(), completed_at = now()
    WHERE files.id = sqlc.arg(file_id) AND files.status = 'uploading'
    RETURNING created_at
), s AS (
    UPDATE upload_sessions SET status = 'completed', bytes_received = sqlc.arg(size), last_activity = now()
    WHERE upload_sessions.file_id = sqlc.arg(file_id)
)
SELECT f.created_at, (SELECT count(*) FROM c) AS chunks_completed FROM f;
