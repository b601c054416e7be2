-- name: CreateBucket :execrows
INSERT INTO buckets (name) VALUES ($1) ON CONFLICT (name) DO NOTHING;

-- name: GetBucket :one
SELECT * FROM buckets WHERE name = $1;

-- name: LockBucket :one
SELECT * FROM buckets WHERE name = $1 FOR UPDATE;

-- name: ListBuckets :many
SELECT * FROM buckets ORDER BY name;

-- name: BucketHasContents :one
SELECT (EXISTS (SELECT 1 FROM objects o WHERE o.bucket = sqlc.arg(name)::text)
    OR EXISTS (SELECT 1 FROM multipart_uploads u WHERE u.bucket = sqlc.arg(name)::text))::boolean AS busy;

-- name: DeleteBucket :exec
DELETE FROM buckets WHERE name = $1;

-- name: GetObject :one
SELECT * FROM objects WHERE bucket = $1 AND key = $2;

-- name: GetObjectByID :one
SELECT * FROM objects WHERE id = $1;

-- name: LockObject :one
SELECT * FROM objects WHERE bucket = $1 AND key = $2 FOR UPDATE;

-- name: InsertObject :exec
INSERT INTO objects (id, bucket, key, size, etag, meta, checksums, part_count)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- name: InsertObjectParts :exec
-- Every part of an object in one statement (up to 10,000 for a multipart
-- object); the arrays are zipped.
INSERT INTO object_parts (object_id, part_number, file_id, byte_offset, size, etag, checksums)
SELECT sqlc.arg(object_id)::uuid, unnest(sqlc.arg(part_numbers)::int[]), unnest(sqlc.arg(file_ids)::uuid[]),
       unnest(sqlc.arg(offsets)::bigint[]), unnest(sqlc.arg(sizes)::bigint[]), unnest(sqlc.arg(etags)::text[]),
       unnest(sqlc.arg(checksums)::text[])::jsonb;

-- name: DeleteObjectReturningFiles :many
-- Removes an object and returns the blobs it pointed at, for retirement.
WITH gone AS (
    DELETE FROM objects WHERE objects.id = $1 RETURNING objects.id
)
SELECT p.file_id FROM object_parts p WHERE p.object_id IN (SELECT id FROM gone);

-- name: ListObjectParts :many
SELECT * FROM object_parts WHERE object_id = $1 ORDER BY part_number;

-- name: ListObjectChunks :many
-- Every shard of an object, part (blob) after part, with the part's base
-- offset and its blob's layout.
SELECT p.part_number, p.byte_offset AS part_offset, p.file_id, f.size AS blob_size,
       f.data_shards, f.parity_shards, f.block_size,
       c.id, c.chunk_number, c.byte_offset, c.size, c.hash, c.status, c.storage_server_id,
       s.address AS server_address
FROM object_parts p
JOIN files f ON f.id = p.file_id
JOIN chunks c ON c.file_id = p.file_id
JOIN storage_servers s ON s.id = c.storage_server_id
WHERE p.object_id = $1
ORDER BY p.part_number, c.chunk_number;

-- name: ListObjectsPage :many
-- The keys > after that start with prefix: those sort from prefix up to
-- prefix || ceiling, where ceiling is U+10FFFF repeated past the longest
-- key. The upper bound is spelled out because a generic plan cannot turn
-- starts_with(key, prefix) into one, and would then scan every key after
-- the prefix.
SELECT * FROM objects
WHERE bucket = sqlc.arg(bucket)
  AND key > sqlc.arg(after)::text
  AND key >= sqlc.arg(prefix)::text
  AND key < sqlc.arg(prefix)::text || sqlc.arg(ceiling)::text
ORDER BY key
LIMIT sqlc.arg(max_rows);

-- name: ListObjectsDelimited :many
-- Up to max_rows entries of a delimited listing, one index probe each: a
-- key listed as itself, or the first key of a common prefix (prefix up to
-- and including the first delimiter after it), after which the walk seeks
-- past every key under that prefix (common prefix || ceiling) instead of
-- reading them. Text is compared as bytes (COLLATE "C"), so the walk
-- works for any delimiter, multi-byte ones included.
WITH RECURSIVE walk AS (
    (SELECT o.*, 1 AS n FROM objects o
     WHERE o.bucket = sqlc.arg(bucket)
       AND o.key > sqlc.arg(after)::text
       AND o.key >= sqlc.arg(prefix)::text
       AND o.key < sqlc.arg(prefix)::text || sqlc.arg(ceiling)::text
     ORDER BY o.key
     LIMIT 1)
    UNION ALL
    (SELECT nxt.*, w.n + 1
     FROM walk w
     CROSS JOIN LATERAL (
         SELECT CASE WHEN strpos(substr(w.key, length(sqlc.arg(prefix)::text) + 1), sqlc.arg(delimiter)::text) > 0
             THEN left(w.key, length(sqlc.arg(prefix)::text) + length(sqlc.arg(delimiter)::text) - 1
                 + strpos(substr(w.key, length(sqlc.arg(prefix)::text) + 1), sqlc.arg(delimiter)::text))
                 || sqlc.arg(ceiling)::text
             ELSE w.key END COLLATE "C" AS past) skip
     CROSS JOIN LATERAL (
         SELECT o.* FROM objects o
         WHERE o.bucket = sqlc.arg(bucket)
           AND o.key > skip.past
           AND o.key < sqlc.arg(prefix)::text || sqlc.arg(ceiling)::text
         ORDER BY o.key
         LIMIT 1) nxt
     WHERE w.n < sqlc.arg(max_rows)::int)
)
SELECT id, bucket, key, size, etag, meta, checksums, part_count, created_at FROM walk ORDER BY key;

-- name: InsertUpload :exec
INSERT INTO multipart_uploads (id, bucket, key, meta) VALUES ($1, $2, $3, $4);

-- name: GetUpload :one
SELECT * FROM multipart_uploads WHERE id = $1;

-- name: LockUpload :one
SELECT * FROM multipart_uploads WHERE id = $1 FOR UPDATE;

-- name: DeleteUpload :exec
DELETE FROM multipart_uploads WHERE id = $1;

-- name: DeleteUploadPart :many
-- Removes a part that is being replaced, returning its blob for retirement.
DELETE FROM multipart_parts WHERE upload_id = $1 AND part_number = $2 RETURNING file_id;

-- name: InsertUploadPart :exec
INSERT INTO multipart_parts (upload_id, part_number, file_id, size, etag, checksums)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: ListUploadParts :many
SELECT * FROM multipart_parts WHERE upload_id = $1 ORDER BY part_number;

-- name: ListUploadPartsPage :many
SELECT * FROM multipart_parts WHERE upload_id = $1 AND part_number > $2
ORDER BY part_number LIMIT $3;

-- name: DeleteUploadParts :exec
DELETE FROM multipart_parts WHERE upload_id = $1;

-- name: ListUploadsPage :many
SELECT * FROM multipart_uploads
WHERE bucket = sqlc.arg(bucket)
  AND starts_with(key, sqlc.arg(prefix)::text)
  AND (key, id) > (sqlc.arg(after_key)::text, sqlc.arg(after_id)::uuid)
ORDER BY key, id
LIMIT sqlc.arg(max_rows);

-- name: LockObjectName :exec
-- Serialises writers of one key (put, complete, delete) for the rest of
-- the transaction, so concurrent overwrites apply one after the other.
SELECT pg_advisory_xact_lock(hashtextextended(sqlc.arg(bucket)::text || '/' || sqlc.arg(key)::text, 0));

-- name: ClaimAbandonedUploads :many
-- Multipart uploads started before the cutoff and never completed or
-- aborted; SKIP LOCKED lets several gateways expire them at once.
SELECT id FROM multipart_uploads
WHERE initiated_at < now() - make_interval(secs => sqlc.arg(max_age_seconds)::float8)
ORDER BY initiated_at
LIMIT sqlc.arg(max_rows)
FOR UPDATE SKIP LOCKED;
