-- name: AdminListServers :many
-- Every storage server for the operator's view, its heartbeat age measured
-- by PostgreSQL's clock (so gateway clock skew does not show), and the
-- stored chunks metadata records on it. The chunk count is one grouped
-- scan of chunks: an operator's query, not a hot path.
SELECT s.id, s.name, s.address, s.status, s.capacity_bytes, s.available_bytes,
       s.chunk_count, s.last_heartbeat,
       extract(epoch FROM now() - s.last_heartbeat)::float8 AS heartbeat_age_seconds,
       coalesce(c.recorded, 0)::bigint AS chunks_recorded
FROM storage_servers s
LEFT JOIN (
    SELECT storage_server_id, count(*) AS recorded
    FROM chunks WHERE status = 'stored'
    GROUP BY storage_server_id
) c ON c.storage_server_id = s.id
ORDER BY s.name, s.address;

-- name: AdminTotals :one
-- What the cluster stores: completed blobs of the /files door and of S3
-- (objects and parts), their bytes, and the S3 objects and buckets.
SELECT count(*) FILTER (WHERE f.owner = 'files') AS files,
       coalesce(sum(f.size) FILTER (WHERE f.owner = 'files'), 0)::bigint AS files_bytes,
       coalesce(sum(f.size) FILTER (WHERE f.owner = 's3'), 0)::bigint AS s3_bytes,
       (SELECT count(*) FROM objects) AS s3_objects,
       (SELECT count(*) FROM buckets) AS s3_buckets
FROM files f
WHERE f.status = 'completed';

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
