-- A durable queue of chunk files to remove from storage nodes. Metadata is
-- deleted first, in one transaction that also fills this queue; the gateway
-- then works the queue until every node has confirmed, so a node that is
-- down during a delete still loses its chunk files when it returns.
CREATE TABLE chunk_deletions (
    chunk_id          UUID PRIMARY KEY,
    storage_server_id UUID        NOT NULL REFERENCES storage_servers (id) ON DELETE CASCADE,
    attempts          INTEGER     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error        TEXT,
    enqueued_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    next_attempt_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX chunk_deletions_due ON chunk_deletions (next_attempt_at);
