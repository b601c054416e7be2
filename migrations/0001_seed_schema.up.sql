-- The seed schema: cluster membership, the hash ring, blobs ("files") and
-- their six chunks, and the upload sessions that let interrupted uploads
-- expire.

CREATE TABLE storage_servers (
    id              UUID PRIMARY KEY,
    name            TEXT        NOT NULL,
    address         TEXT        NOT NULL UNIQUE,
    status          TEXT        NOT NULL DEFAULT 'active'
                    CHECK (status IN ('active', 'inactive', 'maintenance')),
    capacity_bytes  BIGINT      NOT NULL DEFAULT 0 CHECK (capacity_bytes >= 0),
    available_bytes BIGINT      NOT NULL DEFAULT 0 CHECK (available_bytes >= 0),
    chunk_count     BIGINT      NOT NULL DEFAULT 0 CHECK (chunk_count >= 0),
    last_heartbeat  TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX storage_servers_status_heartbeat ON storage_servers (status, last_heartbeat);

-- Each server's 150 virtual nodes. hash_value is a uint32 ring position,
-- stored in a BIGINT because PostgreSQL has no unsigned integers.
CREATE TABLE hash_ring_nodes (
    server_id     UUID    NOT NULL REFERENCES storage_servers (id) ON DELETE CASCADE,
    virtual_index INTEGER NOT NULL CHECK (virtual_index >= 0),
    hash_value    BIGINT  NOT NULL CHECK (hash_value >= 0 AND hash_value <= 4294967295),
    PRIMARY KEY (server_id, virtual_index)
);

CREATE INDEX hash_ring_nodes_hash ON hash_ring_nodes (hash_value);

-- A file is one blob: a byte range stored as exactly six chunks.
CREATE TABLE files (
    id           UUID PRIMARY KEY,
    filename     TEXT        NOT NULL CHECK (length(filename) <= 1024),
    content_type TEXT        NOT NULL DEFAULT 'application/octet-stream',
    size         BIGINT      NOT NULL CHECK (size >= 0 AND size <= 10737418240),
    checksum     TEXT        CHECK (checksum IS NULL OR checksum ~ '^[0-9a-f]{64}$'),
    status       TEXT        NOT NULL DEFAULT 'uploading'
                 CHECK (status IN ('uploading', 'completed', 'failed')),
    metadata     JSONB       NOT NULL DEFAULT '{}'::jsonb,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Only a completed file has a checksum; nothing half-written looks whole.
    CHECK (status <> 'completed' OR checksum IS NOT NULL)
);

CREATE INDEX files_listing ON files (created_at DESC, id DESC) WHERE status = 'completed';
CREATE INDEX files_status ON files (status);

CREATE TABLE chunks (
    id                UUID PRIMARY KEY,
    file_id           UUID        NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    chunk_number      SMALLINT    NOT NULL CHECK (chunk_number >= 0 AND chunk_number < 6),
    byte_offset       BIGINT      NOT NULL CHECK (byte_offset >= 0),
    size              BIGINT      NOT NULL CHECK (size >= 0),
    hash              TEXT        CHECK (hash IS NULL OR hash ~ '^[0-9a-f]{64}$'),
    storage_server_id UUID        NOT NULL REFERENCES storage_servers (id),
    status            TEXT        NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'stored', 'corrupt', 'missing')),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (file_id, chunk_number),
    CHECK (status <> 'stored' OR hash IS NOT NULL)
);

CREATE INDEX chunks_storage_server ON chunks (storage_server_id);

CREATE TABLE upload_sessions (
    id             UUID PRIMARY KEY,
    file_id        UUID        NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    status         TEXT        NOT NULL DEFAULT 'active'
                   CHECK (status IN ('active', 'completed', 'failed', 'expired')),
    bytes_received BIGINT      NOT NULL DEFAULT 0 CHECK (bytes_received >= 0),
    started_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_activity  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at     TIMESTAMPTZ NOT NULL,
    CHECK (expires_at > started_at)
);

CREATE INDEX upload_sessions_file ON upload_sessions (file_id);
CREATE INDEX upload_sessions_expiry ON upload_sessions (expires_at) WHERE status = 'active';
