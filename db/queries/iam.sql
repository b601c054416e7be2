-- name: ListIAMKeys :many
-- Every key with its user, as the gateways cache them.
SELECT k.access_key, k.secret_sealed, k.master_key_id, k.disabled AS key_disabled,
       u.name AS user_name, u.policy, u.disabled AS user_disabled
FROM iam_access_keys k
JOIN iam_users u ON u.name = k.user_name;

-- name: InsertIAMUser :one
INSERT INTO iam_users (name, policy) VALUES ($1, $2)
RETURNING *;

-- name: GetIAMUser :one
SELECT * FROM iam_users WHERE name = $1;

-- name: ListIAMUsers :many
SELECT * FROM iam_users ORDER BY name;

-- name: SetIAMUserPolicy :one
UPDATE iam_users SET policy = $2, updated_at = now() WHERE name = $1
RETURNING *;

-- name: SetIAMUserDisabled :one
UPDATE iam_users SET disabled = $2, updated_at = now() WHERE name = $1
RETURNING *;

-- name: DeleteIAMUser :execrows
DELETE FROM iam_users WHERE name = $1;

-- name: DisownIdentity :exec
-- Hands what a deleted user owned to an identity no user can take, so a
-- user created later under the same name inherits none of it.
WITH f AS (
    UPDATE files SET owner_identity = sqlc.arg(tombstone)::text WHERE owner_identity = sqlc.arg(identity)::text
)
UPDATE buckets SET owner_identity = sqlc.arg(tombstone)::text WHERE owner_identity = sqlc.arg(identity)::text;

-- name: InsertIAMKey :one
INSERT INTO iam_access_keys (access_key, user_name, secret_sealed, master_key_id)
VALUES ($1, $2, $3, $4)
RETURNING access_key, user_name, disabled, created_at, rotated_at;

-- name: ListIAMKeysOfUser :many
SELECT access_key, user_name, disabled, created_at, rotated_at
FROM iam_access_keys WHERE user_name = $1 ORDER BY created_at, access_key;

-- name: ListAllIAMKeys :many
SELECT access_key, user_name, disabled, created_at, rotated_at
FROM iam_access_keys ORDER BY user_name, created_at, access_key;

-- name: SetIAMKeyDisabled :one
UPDATE iam_access_keys SET disabled = $2 WHERE access_key = $1
RETURNING access_key, user_name, disabled, created_at, rotated_at;

-- name: RotateIAMKey :one
UPDATE iam_access_keys SET secret_sealed = $2, master_key_id = $3, rotated_at = now()
WHERE access_key = $1
RETURNING access_key, user_name, disabled, created_at, rotated_at;

-- name: DeleteIAMKey :execrows
DELETE FROM iam_access_keys WHERE access_key = $1;

-- name: SetFileOwner :execrows
UPDATE files SET owner_identity = $2 WHERE id = $1;

-- name: ListCompletedFilesOwnedBy :many
-- ListCompletedFiles for one owner.
SELECT * FROM files
WHERE status = 'completed' AND owner = 'files' AND owner_identity = sqlc.arg(owner_identity)
  AND (sqlc.narg(after_created_at)::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg(after_created_at)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY created_at DESC, id DESC
LIMIT $1;

-- name: ClaimBucket :exec
-- The creator owns a bucket; a bucket from before owners keeps none.
UPDATE buckets SET owner_identity = $2 WHERE name = $1 AND owner_identity IS NULL;

-- name: SetBucketPolicy :execrows
UPDATE buckets SET policy = nullif(sqlc.arg(policy)::text, '') WHERE name = $1;
