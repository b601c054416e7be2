-- Reed-Solomon parity: a blob is data_shards data shards plus parity_shards
-- parity shards, striped in blocks of block_size bytes, each block stored
-- behind its own CRC32C. Blobs written before parity keep block_size 0:
-- six contiguous chunks checked by SHA-256, still readable as they were.
ALTER TABLE files
    ADD COLUMN data_shards   SMALLINT NOT NULL DEFAULT 6 CHECK (data_shards BETWEEN 1 AND 32),
    ADD COLUMN parity_shards SMALLINT NOT NULL DEFAULT 0 CHECK (parity_shards BETWEEN 0 AND 32),
    ADD COLUMN block_size    INTEGER  NOT NULL DEFAULT 0 CHECK (block_size >= 0),
    ADD COLUMN completed_at  TIMESTAMPTZ;

-- Parity shards are numbered after the data shards; a shard's hash is the
-- CRC32C of its file (8 hex digits) or, for pre-parity chunks, a SHA-256.
ALTER TABLE chunks DROP CONSTRAINT chunks_chunk_number_check;
ALTER TABLE chunks ADD CONSTRAINT chunks_chunk_number_check CHECK (chunk_number >= 0 AND chunk_number < 64);
ALTER TABLE chunks DROP CONSTRAINT chunks_hash_check;
ALTER TABLE chunks ADD CONSTRAINT chunks_hash_check
    CHECK (hash IS NULL OR hash ~ '^[0-9a-f]{64}$' OR hash ~ '^[0-9a-f]{8}$');

-- The healer's claim on a shard: a lease rather than a row lock, because a
-- rebuild streams gigabytes and must not hold a transaction open. A gateway
-- that dies mid-rebuild lets its lease lapse and another one resumes.
ALTER TABLE chunks
    ADD COLUMN heal_claimed_until TIMESTAMPTZ,
    ADD COLUMN heal_attempts      INTEGER NOT NULL DEFAULT 0 CHECK (heal_attempts >= 0),
    ADD COLUMN heal_error         TEXT,
    ADD COLUMN uploaded_at        TIMESTAMPTZ;

CREATE INDEX chunks_unhealthy ON chunks (file_id) WHERE status IN ('missing', 'corrupt');
CREATE INDEX chunks_server_stored ON chunks (storage_server_id, id) WHERE status = 'stored';

-- draining: an operator is moving every shard off the server; it serves
-- reads meanwhile and takes no new shards. removed: drained and retired.
-- Both are the operator's choice, like maintenance: nodes never undo them.
ALTER TABLE storage_servers DROP CONSTRAINT storage_servers_status_check;
ALTER TABLE storage_servers ADD CONSTRAINT storage_servers_status_check
    CHECK (status IN ('active', 'inactive', 'maintenance', 'draining', 'removed'));

-- Rebuilt shards and bytes, for the operator's view and metrics.
CREATE TABLE heal_stats (
    id             BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    shards_healed  BIGINT NOT NULL DEFAULT 0,
    bytes_healed   BIGINT NOT NULL DEFAULT 0,
    failures       BIGINT NOT NULL DEFAULT 0,
    last_healed_at TIMESTAMPTZ
);
INSERT INTO heal_stats DEFAULT VALUES;
