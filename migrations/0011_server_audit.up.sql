-- The seed's audit columns for storage servers. host and port are derived
-- from address, which stays the key (a node registers by it), so they can
-- never disagree with it; an address that is not host:port leaves them
-- NULL. used_space is the bytes of chunk files the node holds, from its
-- last registration or heartbeat: capacity minus available also counts
-- everything else on the filesystem.
ALTER TABLE storage_servers
    ADD COLUMN host       TEXT GENERATED ALWAYS AS (substring(address FROM '^\[?(.*?)\]?:[0-9]+$')) STORED,
    ADD COLUMN port       INTEGER GENERATED ALWAYS AS (substring(address FROM ':([0-9]{1,5})$')::integer) STORED,
    ADD COLUMN used_space BIGINT NOT NULL DEFAULT 0 CHECK (used_space >= 0);
