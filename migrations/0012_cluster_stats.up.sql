-- What the operator's view counts, computed in the background instead of
-- per request: at ten million chunks a grouped scan of chunks takes seconds,
-- and the view must answer in milliseconds. One gateway at a time refreshes
-- them (see gateway/admin), CONCURRENTLY so readers never wait; refreshed_at
-- says how old the figures are.
CREATE MATERIALIZED VIEW server_chunk_stats AS
SELECT storage_server_id,
       count(*)::bigint                AS chunks,
       coalesce(sum(size), 0)::bigint  AS bytes,
       now()                           AS refreshed_at
FROM chunks
WHERE status = 'stored'
GROUP BY storage_server_id;

CREATE UNIQUE INDEX server_chunk_stats_server ON server_chunk_stats (storage_server_id);

CREATE MATERIALIZED VIEW stored_totals AS
SELECT true AS singleton,
       count(*) FILTER (WHERE f.owner = 'files')::bigint                 AS files,
       coalesce(sum(f.size) FILTER (WHERE f.owner = 'files'), 0)::bigint AS files_bytes,
       coalesce(sum(f.size) FILTER (WHERE f.owner = 's3'), 0)::bigint    AS s3_bytes,
       (SELECT count(*) FROM objects WHERE is_latest AND NOT delete_marker)::bigint AS s3_objects,
       (SELECT count(*) FROM buckets)::bigint                            AS s3_buckets,
       now()                                                             AS refreshed_at
FROM files f
WHERE f.status = 'completed';

CREATE UNIQUE INDEX stored_totals_singleton ON stored_totals (singleton);
