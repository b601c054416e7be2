-- name: CreateConsoleSession :exec
INSERT INTO console_sessions (id_hash, access_key, secret_check, csrf_token, expires_at)
VALUES ($1, $2, $3, $4, $5);

-- name: GetConsoleSession :one
-- A session that has not expired at the caller's clock ($2).
SELECT access_key, secret_check, csrf_token, expires_at
FROM console_sessions
WHERE id_hash = $1 AND expires_at > sqlc.arg(now)::timestamptz;

-- name: DeleteConsoleSession :exec
DELETE FROM console_sessions WHERE id_hash = $1;

-- name: DeleteExpiredConsoleSessions :execrows
DELETE FROM console_sessions WHERE expires_at <= sqlc.arg(now)::timestamptz;
