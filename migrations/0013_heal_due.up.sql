-- The shards the healer must rebuild or move, defined once for the claim
-- and for the operator's count. It is two index walks rather than one scan
-- of chunks: flagged shards through chunks_unhealthy, and shards stored on
-- a server that is draining, removed or silent through chunks_server_stored
-- (there are few such servers). A pre-parity chunk cannot be rebuilt, only
-- copied off a draining server that still serves it.
CREATE FUNCTION heal_due(heal_after_seconds float8)
RETURNS TABLE (id uuid, file_id uuid)
LANGUAGE sql STABLE AS $$
    SELECT c.id, c.file_id
    FROM chunks c
    JOIN files f ON f.id = c.file_id
    WHERE c.status IN ('missing', 'corrupt')
      AND f.status = 'completed' AND f.block_size > 0
    UNION ALL
    SELECT c.id, c.file_id
    FROM storage_servers s
    -- OFFSET 0 keeps the planner from flattening this into a join it would
    -- run as a scan of chunks: it cannot know the few unhealthy servers
    -- hold few shards (or none), so it must walk them server by server.
    CROSS JOIN LATERAL (
        SELECT c.id, c.file_id FROM chunks c
        WHERE c.storage_server_id = s.id AND c.status = 'stored'
        OFFSET 0
    ) c
    JOIN files f ON f.id = c.file_id
    WHERE (s.status IN ('draining', 'removed')
           OR s.last_heartbeat < now() - make_interval(secs => heal_after_seconds))
      AND f.status = 'completed'
      AND (f.block_size > 0 OR s.status = 'draining')
$$;
