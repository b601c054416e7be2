-- name: ListStoredChunksOnServer :many
-- A storage node's scrub and sweep page through its stored chunks by id,
-- skipping rows younger than min_age_seconds (an upload may still be
-- finishing). A stored row always has a hash (a CHECK constraint says so).
-- Like every query here it is batched, never one statement per chunk.
SELECT id, coalesce(hash, '')::text AS hash, size FROM chunks
WHERE storage_server_id = sqlc.arg(server_id)
  AND status = 'stored'
  AND id > sqlc.arg(after_id)
  AND created_at < now() - make_interval(secs => sqlc.arg(min_age_seconds)::float8)
ORDER BY id
LIMIT sqlc.arg(batch_size);

-- name: MarkChunksCorruptOnServer :execrows
-- Flags chunks whose file no longer hashes to chunks.hash. Only stored rows
-- of the server change, so a row deleted or re-flagged meanwhile is left be.
UPDATE chunks SET status = 'corrupt'
WHERE id = ANY(sqlc.arg(ids)::uuid[])
  AND storage_server_id = sqlc.arg(server_id)
  AND status = 'stored';

-- name: MarkChunksMissingOnServer :many
-- Flags stored chunks of the server whose file is gone, returning those it
-- flagged (a row deleted meanwhile, with its file, is not).
UPDATE chunks SET status = 'missing'
WHERE id = ANY(sqlc.arg(ids)::uuid[])
  AND storage_server_id = sqlc.arg(server_id)
  AND status = 'stored'
RETURNING id;

-- name: ListKnownChunkIDs :many
-- The ids among the given ones that metadata still knows: a chunks row on any
-- server (a row exists from the start of an upload, and names its final
-- server only once the upload completes), or a deletion queued for this
-- server (the queue removes the file itself, after its grace period).
SELECT c.id FROM chunks c WHERE c.id = ANY(sqlc.arg(ids)::uuid[])
UNION
SELECT d.chunk_id FROM chunk_deletions d
WHERE d.chunk_id = ANY(sqlc.arg(ids)::uuid[]) AND d.storage_server_id = sqlc.arg(server_id);
