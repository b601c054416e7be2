-- name: ClaimHealWork :many
-- Claims shards of completed parity blobs that need rebuilding elsewhere
-- (heal_due, migration 0013): flagged missing or corrupt, or stored on a
-- server that is draining, was removed, or has not heartbeaten for
-- heal_after. The claim is a lease
-- (heal_claimed_until), taken under SKIP LOCKED so that gateways racing for
-- the same rows split them; a gateway that dies lets its lease lapse.
-- Blobs are claimed whole (every shard of theirs that qualifies), so one
-- rebuild reads the survivors once for all of them.
WITH due AS (
    SELECT c.id, c.file_id
    FROM chunks c
    WHERE c.id IN (SELECT d.id FROM heal_due(sqlc.arg(heal_after_seconds)::float8) d)
      AND (c.heal_claimed_until IS NULL OR c.heal_claimed_until < now())
    ORDER BY c.heal_attempts, c.file_id
    LIMIT sqlc.arg(max_shards)
    FOR UPDATE OF c SKIP LOCKED
)
UPDATE chunks c
SET heal_claimed_until = now() + make_interval(secs => sqlc.arg(lease_seconds)::float8)
FROM due
WHERE c.id = due.id
RETURNING c.id, c.file_id, c.chunk_number;

-- name: ReleaseHealClaim :exec
-- A rebuild that failed gives its shards back after a backoff, counting the
-- attempt so that shards that keep failing go behind the others.
UPDATE chunks
SET heal_claimed_until = now() + make_interval(secs => sqlc.arg(retry_after_seconds)::float8),
    heal_attempts = heal_attempts + 1,
    heal_error = sqlc.arg(heal_error)
WHERE id = ANY(sqlc.arg(ids)::uuid[]);

-- name: LockFileForHeal :one
-- The rebuilt shards replace the old ones only while the blob exists; the
-- lock keeps a concurrent delete from slipping between check and swap.
SELECT id FROM files WHERE id = $1 AND status = 'completed' FOR UPDATE;

-- name: ReplaceHealedChunk :execrows
-- Swaps one rebuilt shard in (a pre-parity chunk keeps its byte offset): the old row goes (its file on the old server
-- is queued for deletion in the same transaction) and the new row, stored
-- on the new server, takes its chunk number. Zero rows means the old row
-- changed meanwhile (deleted with its blob), and nothing is swapped.
WITH old AS (
    DELETE FROM chunks
    WHERE chunks.id = sqlc.arg(old_id) AND chunks.file_id = sqlc.arg(file_id)
    RETURNING chunks.id, chunks.storage_server_id, chunks.chunk_number, chunks.byte_offset
), queued AS (
    INSERT INTO chunk_deletions (chunk_id, storage_server_id)
    SELECT id, storage_server_id FROM old
    ON CONFLICT (chunk_id) DO NOTHING
)
INSERT INTO chunks (id, file_id, chunk_number, byte_offset, size, hash, storage_server_id, status, uploaded_at)
SELECT sqlc.arg(new_id), sqlc.arg(file_id), old.chunk_number, old.byte_offset, sqlc.arg(size), sqlc.arg(hash),
       sqlc.arg(server_id), 'stored', now()
FROM old;

-- name: RecordHeal :exec
UPDATE heal_stats
SET shards_healed = shards_healed + sqlc.arg(shards),
    bytes_healed = bytes_healed + sqlc.arg(bytes),
    failures = failures + sqlc.arg(failures),
    last_healed_at = CASE WHEN sqlc.arg(shards) > 0 THEN now() ELSE last_healed_at END;

-- name: HealStatus :one
-- The healer's progress for the operator: what it has done, and what is
-- still waiting (heal_due, as ClaimHealWork takes it, leases ignored).
SELECT h.shards_healed, h.bytes_healed, h.failures, h.last_healed_at,
       (SELECT count(*) FROM heal_due(sqlc.arg(heal_after_seconds)::float8))::bigint AS pending
FROM heal_stats h;

-- name: RemoveDrainedServers :many
-- A draining server that no shard row points at any more is retired.
UPDATE storage_servers s
SET status = 'removed', updated_at = now()
WHERE s.status = 'draining'
  AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.storage_server_id = s.id)
RETURNING s.id, s.name, s.address;

-- name: ListDownServerAddresses :many
-- Servers the gateway should not wait for on reads: their heartbeat is
-- stale or they were shut down or retired.
SELECT address FROM storage_servers
WHERE status IN ('inactive', 'removed')
   OR last_heartbeat < now() - make_interval(secs => sqlc.arg(stale_after_seconds)::float8);
