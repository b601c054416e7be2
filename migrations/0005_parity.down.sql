DROP TABLE heal_stats;
UPDATE storage_servers SET status = 'maintenance' WHERE status IN ('draining', 'removed');
ALTER TABLE storage_servers DROP CONSTRAINT storage_servers_status_check;
ALTER TABLE storage_servers ADD CONSTRAINT storage_servers_status_check
    CHECK (status IN ('active', 'inactive', 'maintenance'));
DROP INDEX chunks_server_stored;
DROP INDEX chunks_unhealthy;
ALTER TABLE chunks DROP COLUMN heal_claimed_until, DROP COLUMN heal_attempts, DROP COLUMN heal_error, DROP COLUMN uploaded_at;
-- Parity blobs cannot be represented without these columns.
DELETE FROM files WHERE block_size > 0;
ALTER TABLE chunks DROP CONSTRAINT chunks_hash_check;
ALTER TABLE chunks ADD CONSTRAINT chunks_hash_check CHECK (hash IS NULL OR hash ~ '^[0-9a-f]{64}$');
ALTER TABLE chunks DROP CONSTRAINT chunks_chunk_number_check;
ALTER TABLE chunks ADD CONSTRAINT chunks_chunk_number_check CHECK (chunk_number >= 0 AND chunk_number < 6);
ALTER TABLE files DROP COLUMN data_shards, DROP COLUMN parity_shards, DROP COLUMN block_size, DROP COLUMN completed_at;
