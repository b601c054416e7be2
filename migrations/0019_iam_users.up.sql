-- Users and their access keys, managed at runtime (gateway admin user|key).
-- A user acts under its policy: the name of a built-in (readwrite,
-- readonly, writeonly, admin), an IAM policy document (JSON), or '' for
-- nothing at all.
CREATE TABLE iam_users (
    name       TEXT PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_.@+=-]{1,64}$'),
    policy     TEXT        NOT NULL DEFAULT '',
    disabled   BOOLEAN     NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- secret_sealed is the secret key under AES-256-GCM with the gateways'
-- master key (nonce || ciphertext, the access key as associated data);
-- master_key_id names the master key (a digest prefix), so a gateway
-- started with another one says so instead of failing every signature.
CREATE TABLE iam_access_keys (
    access_key    TEXT PRIMARY KEY CHECK (access_key ~ '^[A-Za-z0-9]{16,128}$'),
    user_name     TEXT        NOT NULL REFERENCES iam_users (name) ON DELETE CASCADE,
    secret_sealed BYTEA       NOT NULL,
    master_key_id TEXT        NOT NULL,
    disabled      BOOLEAN     NOT NULL DEFAULT false,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    rotated_at    TIMESTAMPTZ
);

CREATE INDEX iam_access_keys_user ON iam_access_keys (user_name);

-- Every gateway LISTENs on sixfold_iam and reloads its key cache, so a
-- disabled or deleted key stops working everywhere at once.
CREATE FUNCTION notify_iam_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('sixfold_iam', TG_TABLE_NAME);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER iam_users_changed
    AFTER INSERT OR UPDATE OR DELETE ON iam_users
    FOR EACH STATEMENT EXECUTE FUNCTION notify_iam_change();

CREATE TRIGGER iam_access_keys_changed
    AFTER INSERT OR UPDATE OR DELETE ON iam_access_keys
    FOR EACH STATEMENT EXECUTE FUNCTION notify_iam_change();

-- Who owns what: the identity (user name, or a configured access key) that
-- uploaded a /files object or created a bucket. NULL is from before owners
-- were recorded: only an admin sees such a /files object.
ALTER TABLE files ADD COLUMN owner_identity TEXT;
ALTER TABLE buckets ADD COLUMN owner_identity TEXT;

-- A bucket policy (IAM JSON with Principal), e.g. anonymous read.
ALTER TABLE buckets ADD COLUMN policy TEXT;
