-- The one per-server index of shards that migration 0026 leaves, built
-- without holding up writes: a plain build keeps every PUT waiting, about
-- 1.4 s per million shards here. CONCURRENTLY cannot run in a transaction,
-- and golang-migrate sends a file as one query string, which PostgreSQL
-- runs as one transaction when it holds several statements: so it is alone
-- in its file.
CREATE INDEX CONCURRENTLY chunks_server ON chunks (storage_server_id, id);
