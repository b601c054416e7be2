-- name: EnqueueFileChunkDeletions :execrows
-- Queues every chunk of a file for removal on its node, due after
-- delay_seconds (a retention, or the time the deleting gateway takes to
-- delete them itself). Run in the same transaction that deletes the file row.
INSERT INTO chunk_deletions (chunk_id, storage_server_id, next_attempt_at)
SELECT id, storage_server_id, now() + make_interval(secs => sqlc.arg(delay_seconds)::float8)
FROM chunks WHERE file_id = sqlc.arg(file_id)
ON CONFLICT (chunk_id) DO NOTHING;

-- name: DeleteFilesLater :exec
-- Retires blobs that readers may still be streaming (an overwritten or
-- deleted S3 object): their chunks are queued with a grace delay so that
-- reads which began before the swap can finish, and their rows go now.
WITH queued AS (
    INSERT INTO chunk_deletions (chunk_id, storage_server_id, next_attempt_at)
    SELECT id, storage_server_id, now() + make_interval(secs => sqlc.arg(grace_seconds)::float8)
    FROM chunks WHERE file_id = ANY(sqlc.arg(file_ids)::uuid[])
    ON CONFLICT (chunk_id) DO NOTHING
)
DELETE FROM files WHERE id = ANY(sqlc.arg(file_ids)::uuid[]);

-- name: EnqueueChunkDeletion :exec
-- Queues one chunk by id, for uploads that fail: their file row may already
-- be gone (an expired session), but the chunk ids are known in memory. Due
-- after delay_seconds, the time the failing gateway takes to delete it.
INSERT INTO chunk_deletions (chunk_id, storage_server_id, next_attempt_at)
VALUES (sqlc.arg(chunk_id), sqlc.arg(storage_server_id), now() + make_interval(secs => sqlc.arg(delay_seconds)::float8))
ON CONFLICT (chunk_id) DO UPDATE SET next_attempt_at = EXCLUDED.next_attempt_at;

-- name: DeferRetainedChunkDeletions :execrows
-- Under a retention (gc.retention) no chunk is deleted before it has been
-- queued that long, however it was queued: due rows younger than that are
-- made due when their retention ends, each once, so the claim below does
-- not walk them again.
UPDATE chunk_deletions SET next_attempt_at = enqueued_at + make_interval(secs => sqlc.arg(retention_seconds)::float8)
WHERE chunk_id IN (
    SELECT chunk_id FROM chunk_deletions
    WHERE next_attempt_at <= now()
      AND enqueued_at > now() - make_interval(secs => sqlc.arg(retention_seconds)::float8)
    LIMIT sqlc.arg(max_rows)
    FOR UPDATE SKIP LOCKED
);

-- name: ClaimDueChunkDeletions :many
-- SKIP LOCKED lets several gateways work the queue at once without taking
-- the same rows; the claim holds only for the claiming transaction. A row
-- queued less than retention_seconds ago is never claimed. named says a
-- chunks row still names the chunk on that server: it was queued after a
-- write whose outcome was unknown (a COMMIT whose reply was lost), and
-- that write committed, so the file is live and must not be deleted.
SELECT d.chunk_id, d.storage_server_id, d.attempts, s.address AS server_address,
       EXISTS (SELECT 1 FROM chunks c WHERE c.id = d.chunk_id AND c.storage_server_id = d.storage_server_id) AS named
FROM chunk_deletions d
JOIN storage_servers s ON s.id = d.storage_server_id
WHERE d.next_attempt_at <= now()
  AND d.enqueued_at <= now() - make_interval(secs => sqlc.arg(retention_seconds)::float8)
ORDER BY d.next_attempt_at
LIMIT sqlc.arg(max_rows)
FOR UPDATE OF d SKIP LOCKED;

-- name: FinishChunkDeletion :exec
DELETE FROM chunk_deletions WHERE chunk_id = $1;

-- name: PostponeChunkDeletion :exec
UPDATE chunk_deletions
SET attempts = attempts + 1,
    last_error = $2,
    next_attempt_at = now() + make_interval(secs => sqlc.arg(retry_after_seconds)::float8)
WHERE chunk_id = $1;

-- name: ClaimExpiredUploadSessions :many
SELECT id, file_id FROM upload_sessions
WHERE status = 'active' AND expires_at <= now()
ORDER BY expires_at
LIMIT $1
FOR UPDATE SKIP LOCKED;

-- name: CountPendingChunkDeletions :one
SELECT count(*) FROM chunk_deletions;

-- name: StoredShardsPage :many
-- The shards recorded as stored of up to max_blobs completed blobs after
-- after_id, in blob order: what a restored database says the nodes hold.
SELECT c.id, c.file_id, c.chunk_number, c.storage_server_id, s.address AS server_address, s.name AS server_name,
       f.data_shards
FROM chunks c
JOIN files f ON f.id = c.file_id
JOIN storage_servers s ON s.id = c.storage_server_id
WHERE c.file_id IN (
    SELECT id FROM files WHERE status = 'completed' AND id > sqlc.arg(after_id)::uuid
    ORDER BY id LIMIT sqlc.arg(max_blobs)
  )
  AND c.status = 'stored'
ORDER BY c.file_id, c.chunk_number;
