-- The web console's sign-ins, kept here rather than in a gateway's memory
-- so that a session survives a gateway restart and is honoured by every
-- gateway behind a balancer. Neither the cookie value nor the key's secret
-- is stored: id_hash is SHA-256 of the cookie value, and secret_check is
-- SHA-256 of the cookie value and the secret together, so a copy of this
-- table can neither be replayed as cookies nor searched for secrets.
CREATE TABLE console_sessions (
    id_hash      BYTEA PRIMARY KEY CHECK (octet_length(id_hash) = 32),
    access_key   TEXT NOT NULL,
    secret_check BYTEA NOT NULL CHECK (octet_length(secret_check) = 32),
    csrf_token   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL
);

-- Expired sessions are swept by expiry.
CREATE INDEX console_sessions_expires_at_idx ON console_sessions (expires_at);
