-- name: AdminListServers :many
-- Every storage server for the operator's view, its heartbeat age measured
-- by PostgreSQL's clock (so gateway clock skew does not show), and the
-- stored chunks metadata records on it, from server_chunk_stats (migration
-- 0012): a lookup, not a scan of chunks.
SELECT s.id, s.name, s.address, s.status, s.capacity_bytes, s.available_bytes,
       s.chunk_count, s.used_space, s.last_heartbeat,
       extract(epoch FROM now() - s.last_heartbeat)::float8 AS heartbeat_age_seconds,
       coalesce(c.chunks, 0)::bigint AS chunks_recorded,
       coalesce(c.bytes, 0)::bigint AS bytes_recorded
FROM storage_servers s
LEFT JOIN server_chunk_stats c ON c.storage_server_id = s.id
ORDER BY s.name, s.address;

-- name: AdminTotals :one
-- What the cluster stores: completed blobs of the /files door and of S3
-- (objects and parts), their bytes, and the S3 objects and buckets, as of
-- the last refresh of stored_totals.
SELECT files, files_bytes, s3_bytes, s3_objects, s3_buckets,
       least(refreshed_at, coalesce((SELECT min(refreshed_at) FROM server_chunk_stats), refreshed_at))::timestamptz AS stats_as_of
FROM stored_totals;

-- name: RefreshServerChunkStats :exec
REFRESH MATERIALIZED VIEW CONCURRENTLY server_chunk_stats;

-- name: RefreshStoredTotals :exec
REFRESH MATERIALIZED VIEW CONCURRENTLY stored_totals;

-- name: TryStatsRefreshLock :one
-- One gateway refreshes at a time; the others skip their turn. The lock is
-- the transaction's, so a gateway that dies lets go of it.
SELECT pg_try_advisory_xact_lock(hashtext('sixfold.cluster_stats'));

-- name: AdminSetServerStatus :one
-- An operator puts a server into maintenance (it keeps serving reads but
-- leaves the placement ring), starts draining it (the healer then moves
-- every shard off it), or makes it active again. Becoming active makes an
-- operator-held server active when its heartbeat is fresh and inactive
-- otherwise (its next heartbeat activates it); a server the operator does
-- not hold keeps its status, so "active" never revives a dead node.
-- The status trigger (migration 0004) tells every gateway to refresh.
UPDATE storage_servers
SET status = CASE
        WHEN sqlc.arg(target)::text IN ('maintenance', 'draining') THEN sqlc.arg(target)::text
        WHEN status NOT IN ('maintenance', 'draining', 'removed') THEN status
        WHEN last_heartbeat > now() - make_interval(secs => sqlc.arg(stale_after_seconds)::float8) THEN 'active'
        ELSE 'inactive'
    END,
    updated_at = now()
WHERE id = sqlc.arg(id)
RETURNING id, name, address, status;
