-- name: UpsertStorageServer :one
-- Registration is idempotent by address: a node that restarts keeps its id,
-- and with it its ring points and the chunks recorded against it.
INSERT INTO storage_servers (id, name, address, status, capacity_bytes, available_bytes, chunk_count, used_space, last_heartbeat)
VALUES ($1, $2, $3, 'active', $4, $5, $6, $7, now())
ON CONFLICT (address) DO UPDATE
SET name            = EXCLUDED.name,
    status          = CASE WHEN storage_servers.status IN ('maintenance', 'draining', 'removed') THEN storage_servers.status ELSE 'active' END,
    capacity_bytes  = EXCLUDED.capacity_bytes,
    available_bytes = EXCLUDED.available_bytes,
    chunk_count     = EXCLUDED.chunk_count,
    used_space      = EXCLUDED.used_space,
    last_heartbeat  = now(),
    updated_at      = now()
RETURNING *;

-- name: UpsertRingNodes :exec
-- A server's virtual nodes in one statement: hash_values[i] is the point of
-- virtual index i.
INSERT INTO hash_ring_nodes (server_id, virtual_index, hash_value)
SELECT sqlc.arg(server_id), (v.ord - 1)::integer, v.hash
FROM unnest(sqlc.arg(hash_values)::bigint[]) WITH ORDINALITY AS v(hash, ord)
ON CONFLICT (server_id, virtual_index) DO UPDATE SET hash_value = EXCLUDED.hash_value;

-- name: DeleteRingNodesAbove :exec
-- Drops virtual nodes beyond the configured count after a config change.
DELETE FROM hash_ring_nodes WHERE server_id = $1 AND virtual_index >= $2;

-- name: Heartbeat :execrows
UPDATE storage_servers
SET last_heartbeat  = now(),
    status          = CASE WHEN status = 'inactive' THEN 'active' ELSE status END,
    capacity_bytes  = $2,
    available_bytes = $3,
    chunk_count     = $4,
    used_space      = $5,
    updated_at      = now()
WHERE id = $1;

-- name: SetServerStatus :execrows
UPDATE storage_servers SET status = $2, updated_at = now() WHERE id = $1;

-- name: DeactivateServer :execrows
-- A node shutting down leaves the placement ring, unless an operator put
-- it in maintenance, draining or removed: that choice outlives the process.
UPDATE storage_servers SET status = 'inactive', updated_at = now()
WHERE id = $1 AND status NOT IN ('maintenance', 'draining', 'removed');

-- name: ListStorageServers :many
SELECT * FROM storage_servers ORDER BY address;

-- name: GetStorageServer :one
SELECT * FROM storage_servers WHERE id = $1;

-- name: ListPlacementRingNodes :many
-- The ring new chunks are placed on: active servers whose heartbeat is fresh.
SELECT r.server_id, r.virtual_index, r.hash_value, s.address
FROM hash_ring_nodes r
JOIN storage_servers s ON s.id = r.server_id
WHERE s.status = 'active'
  AND s.last_heartbeat > now() - make_interval(secs => sqlc.arg(stale_after_seconds)::float8)
ORDER BY r.hash_value, r.server_id;

-- name: MarkStaleServersInactive :many
UPDATE storage_servers
SET status = 'inactive', updated_at = now()
WHERE status = 'active'
  AND last_heartbeat <= now() - make_interval(secs => sqlc.arg(stale_after_seconds)::float8)
RETURNING id, address;

-- name: CountActiveServers :one
SELECT count(*) FROM storage_servers
WHERE status = 'active'
  AND last_heartbeat > now() - make_interval(secs => sqlc.arg(stale_after_seconds)::float8);
