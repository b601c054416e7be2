-- name: CreateBucket :execrows
INSERT INTO buckets (name) VALUES ($1) ON CONFLICT (name) DO NOTHING;

-- name: GetBucket :one
SELECT * FROM buckets WHERE name = $1;

-- name: LockBucket :one
SELECT * FROM buckets WHERE name = $1 FOR UPDATE;

-- name: ListBuckets :many
SELECT * FROM buckets ORDER BY name;

-- name: BucketHasObjects :one
-- Any version or delete marker counts: S3 deletes only an empty bucket.
SELECT EXISTS (SELECT 1 FROM objects o WHERE o.bucket = sqlc.arg(name)::text)::boolean AS busy;

-- name: ListBucketUploads :many
SELECT id FROM multipart_uploads WHERE bucket = $1;

-- name: SetBucketVersioning :execrows
UPDATE buckets SET versioning = $2 WHERE name = $1;

-- name: SetBucketTags :execrows
UPDATE buckets SET tags = $2 WHERE name = $1;

-- name: DeleteBucket :exec
DELETE FROM buckets WHERE name = $1;

-- name: GetObject :one
-- The latest version of a key (maybe a delete marker), with its bucket's
-- versioning state.
SELECT sqlc.embed(o), b.versioning FROM objects o JOIN buckets b ON b.name = o.bucket
WHERE o.bucket = $1 AND o.key = $2 AND o.is_latest;

-- name: GetObjectVersion :one
SELECT sqlc.embed(o), b.versioning FROM objects o JOIN buckets b ON b.name = o.bucket
WHERE o.bucket = $1 AND o.key = $2 AND o.version_id = $3;

-- name: GetObjectByID :one
SELECT * FROM objects WHERE id = $1;

-- name: DemoteLatest :exec
UPDATE objects SET is_latest = false WHERE bucket = $1 AND key = $2 AND is_latest;

-- name: PromoteNewest :exec
-- After the latest version is deleted, the newest remaining one is latest.
UPDATE objects SET is_latest = true
WHERE id = (SELECT o.id FROM objects o WHERE o.bucket = $1 AND o.key = $2 ORDER BY o.seq DESC LIMIT 1);

-- name: SetObjectMeta :exec
UPDATE objects SET meta = $2 WHERE id = $1;

-- name: DeleteObjectReturningFiles :many
-- Removes an object and returns the blobs it pointed at, for retirement.
WITH gone AS (
    DELETE FROM objects WHERE objects.id = $1 RETURNING objects.id
)
SELECT p.file_id FROM object_parts p WHERE p.object_id IN (SELECT id FROM gone);

-- name: ListObjectParts :many
SELECT * FROM object_parts WHERE object_id = $1 ORDER BY part_number, segment;

-- name: ListObjectChunks :many
-- Every shard of an object, part (blob) after part, with the part's base
-- offset and its blob's layout.
SELECT p.part_number, p.segment, p.byte_offset AS part_offset, p.file_id, f.size AS blob_size, p.blob_offset, p.size AS part_size,
       f.data_shards, f.parity_shards, f.block_size,
       c.id, c.chunk_number, c.byte_offset, c.size, c.hash, c.status, c.storage_server_id,
       s.address AS server_address
FROM object_parts p
JOIN files f ON f.id = p.file_id
JOIN chunks c ON c.file_id = p.file_id
JOIN storage_servers s ON s.id = c.storage_server_id
WHERE p.object_id = $1
ORDER BY p.part_number, p.segment, c.chunk_number;

-- name: GetObjectForRead :many
-- The latest version of a key (maybe a delete marker) with its bucket's
-- versioning state and, on the same rows, every shard of it as
-- ListObjectChunks lists them: one round trip for a GET. Only the parts
-- that hold a byte of [range_start, range_end), and only part part_number
-- when it is not 0, come: a ranged or part GET of a large multipart object
-- (the transfer manager's downloads) reads one or two of its parts, and
-- every shard row costs the gateway a scan. A version with no
-- shard (a delete marker, an empty object, one no longer stored) comes as
-- one row whose chunk_id is the nil uuid. The version's text and JSON
-- come on the first row only (empty after it), and its JSON as text: each
-- repeat would cost the gateway a string, and jsonb a json.Unmarshal.
SELECT o.id, o.size, o.part_count, o.created_at, o.seq, o.is_latest, o.delete_marker,
       (CASE WHEN ch.n > 1 THEN '' ELSE o.etag END)::text AS etag,
       (CASE WHEN ch.n > 1 THEN '' ELSE o.meta::text END)::text AS meta,
       (CASE WHEN ch.n > 1 THEN '' ELSE o.checksums::text END)::text AS checksums,
       (CASE WHEN ch.n > 1 THEN '' ELSE o.version_id END)::text AS version_id,
       (CASE WHEN ch.n > 1 THEN '' ELSE b.versioning END)::text AS versioning,
       coalesce(ch.part_number, 0)::int4 AS part_number, coalesce(ch.segment, 0)::int2 AS segment,
       coalesce(ch.part_offset, 0)::int8 AS part_offset, coalesce(ch.file_id, '00000000-0000-0000-0000-000000000000')::uuid AS file_id,
       coalesce(ch.blob_size, 0)::int8 AS blob_size, coalesce(ch.blob_offset, 0)::int8 AS blob_offset,
       coalesce(ch.part_size, 0)::int8 AS part_size, coalesce(ch.data_shards, 0)::int2 AS data_shards,
       coalesce(ch.parity_shards, 0)::int2 AS parity_shards, coalesce(ch.block_size, 0)::int4 AS block_size,
       coalesce(ch.id, '00000000-0000-0000-0000-000000000000')::uuid AS chunk_id, coalesce(ch.chunk_number, 0)::int2 AS chunk_number, coalesce(ch.byte_offset, 0)::int8 AS byte_offset,
       coalesce(ch.size, 0)::int8 AS chunk_size, ch.hash, coalesce(ch.status, '')::text AS status,
       coalesce(ch.storage_server_id, '00000000-0000-0000-0000-000000000000')::uuid AS storage_server_id,
       coalesce(ch.server_address, '')::text AS server_address
FROM objects o JOIN buckets b ON b.name = o.bucket
LEFT JOIN LATERAL (
    SELECT p.part_number, p.segment, p.byte_offset AS part_offset, p.file_id, f.size AS blob_size, p.blob_offset, p.size AS part_size,
           f.data_shards, f.parity_shards, f.block_size,
           c.id, c.chunk_number, c.byte_offset, c.size, c.hash, c.status, c.storage_server_id,
           s.address AS server_address,
           row_number() OVER (ORDER BY p.part_number, p.segment, c.chunk_number) AS n
    FROM object_parts p
    JOIN files f ON f.id = p.file_id
    JOIN chunks c ON c.file_id = p.file_id
    JOIN storage_servers s ON s.id = c.storage_server_id
    WHERE p.object_id = o.id
      AND p.byte_offset < sqlc.arg(range_end)::int8 AND p.byte_offset + p.size > sqlc.arg(range_start)::int8
      AND (sqlc.arg(part_number)::int4 = 0 OR p.part_number = sqlc.arg(part_number)::int4)
) ch ON true
WHERE o.bucket = sqlc.arg(bucket) AND o.key = sqlc.arg(key) AND o.is_latest
ORDER BY ch.n;

-- name: GetObjectVersionForRead :many
-- GetObjectForRead for a version named by its id.
SELECT o.id, o.size, o.part_count, o.created_at, o.seq, o.is_latest, o.delete_marker,
       (CASE WHEN ch.n > 1 THEN '' ELSE o.etag END)::text AS etag,
       (CASE WHEN ch.n > 1 THEN '' ELSE o.meta::text END)::text AS meta,
       (CASE WHEN ch.n > 1 THEN '' ELSE o.checksums::text END)::text AS checksums,
       (CASE WHEN ch.n > 1 THEN '' ELSE o.version_id END)::text AS version_id,
       (CASE WHEN ch.n > 1 THEN '' ELSE b.versioning END)::text AS versioning,
       coalesce(ch.part_number, 0)::int4 AS part_number, coalesce(ch.segment, 0)::int2 AS segment,
       coalesce(ch.part_offset, 0)::int8 AS part_offset, coalesce(ch.file_id, '00000000-0000-0000-0000-000000000000')::uuid AS file_id,
       coalesce(ch.blob_size, 0)::int8 AS blob_size, coalesce(ch.blob_offset, 0)::int8 AS blob_offset,
       coalesce(ch.part_size, 0)::int8 AS part_size, coalesce(ch.data_shards, 0)::int2 AS data_shards,
       coalesce(ch.parity_shards, 0)::int2 AS parity_shards, coalesce(ch.block_size, 0)::int4 AS block_size,
       coalesce(ch.id, '00000000-0000-0000-0000-000000000000')::uuid AS chunk_id, coalesce(ch.chunk_number, 0)::int2 AS chunk_number, coalesce(ch.byte_offset, 0)::int8 AS byte_offset,
       coalesce(ch.size, 0)::int8 AS chunk_size, ch.hash, coalesce(ch.status, '')::text AS status,
       coalesce(ch.storage_server_id, '00000000-0000-0000-0000-000000000000')::uuid AS storage_server_id,
       coalesce(ch.server_address, '')::text AS server_address
FROM objects o JOIN buckets b ON b.name = o.bucket
LEFT JOIN LATERAL (
    SELECT p.part_number, p.segment, p.byte_offset AS part_offset, p.file_id, f.size AS blob_size, p.blob_offset, p.size AS part_size,
           f.data_shards, f.parity_shards, f.block_size,
           c.id, c.chunk_number, c.byte_offset, c.size, c.hash, c.status, c.storage_server_id,
           s.address AS server_address,
           row_number() OVER (ORDER BY p.part_number, p.segment, c.chunk_number) AS n
    FROM object_parts p
    JOIN files f ON f.id = p.file_id
    JOIN chunks c ON c.file_id = p.file_id
    JOIN storage_servers s ON s.id = c.storage_server_id
    WHERE p.object_id = o.id
      AND p.byte_offset < sqlc.arg(range_end)::int8 AND p.byte_offset + p.size > sqlc.arg(range_start)::int8
      AND (sqlc.arg(part_number)::int4 = 0 OR p.part_number = sqlc.arg(part_number)::int4)
) ch ON true
WHERE o.bucket = sqlc.arg(bucket) AND o.key = sqlc.arg(key) AND o.version_id = sqlc.arg(version_id)
ORDER BY ch.n;

-- name: ListObjectsPage :many
-- The keys > after that start with prefix: those sort from prefix up to
-- prefix || ceiling, where ceiling is U+10FFFF repeated past the longest
-- key. The upper bound is spelled out because a generic plan cannot turn
-- starts_with(key, prefix) into one, and would then scan every key after
-- the prefix.
SELECT * FROM objects
WHERE bucket = sqlc.arg(bucket) AND is_latest AND NOT delete_marker
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
     WHERE o.bucket = sqlc.arg(bucket) AND o.is_latest AND NOT o.delete_marker
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
         WHERE o.bucket = sqlc.arg(bucket) AND o.is_latest AND NOT o.delete_marker
           AND o.key > skip.past
           AND o.key < sqlc.arg(prefix)::text || sqlc.arg(ceiling)::text
         ORDER BY o.key
         LIMIT 1) nxt
     WHERE w.n < sqlc.arg(max_rows)::int)
)
SELECT id, bucket, key, size, etag, meta, checksums, part_count, created_at, version_id, seq, is_latest, delete_marker
FROM walk ORDER BY key;

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
INSERT INTO multipart_parts (upload_id, part_number, file_id, size, etag, checksums, blob_offset, segment)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- name: ListUploadParts :many
SELECT * FROM multipart_parts WHERE upload_id = $1 ORDER BY part_number, segment;

-- name: ListUploadPartsPage :many
-- One row per part: a part of several segments is their total size.
SELECT part_number, sum(size)::bigint AS size, min(etag)::text AS etag,
       min(checksums::text)::jsonb AS checksums, min(created_at)::timestamptz AS created_at
FROM multipart_parts WHERE upload_id = $1 AND part_number > $2
GROUP BY part_number ORDER BY part_number LIMIT $3;

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

-- name: ListVersionsPage :many
-- Versions in (key, newest first) order after the marker: keys > after_key,
-- or versions of after_key older than after_seq (0: none of them), among
-- the keys that start with prefix (bounded as in ListObjectsPage).
SELECT o.* FROM objects o
WHERE o.bucket = sqlc.arg(bucket)
  AND o.key >= sqlc.arg(after_key)::text
  AND (o.key > sqlc.arg(after_key)::text OR o.seq < sqlc.arg(after_seq)::bigint)
  AND o.key >= sqlc.arg(prefix)::text
  AND o.key < sqlc.arg(prefix)::text || sqlc.arg(ceiling)::text
ORDER BY o.key, o.seq DESC
LIMIT sqlc.arg(max_rows);

-- name: LockFile :batchexec
-- Taken before a blob's references are counted (FOR UPDATE) or added
-- (FOR SHARE, LockFilesShared), so a copy and the deletion of the last
-- other reference cannot both go ahead on a stale count. One blob per
-- statement, batched (the caller locks in id order): PostgreSQL's generic
-- plan for an array of ids costs more than its custom plan for the one
-- an overwrite passes, so an array version was planned afresh on every
-- run, and its RetireUnreferencedFile likewise (0.27 ms of PostgreSQL's
-- CPU per overwriting PUT).
SELECT id FROM files WHERE id = sqlc.arg(file_id)::uuid FOR UPDATE;

-- name: LockFilesShared :many
SELECT id FROM files WHERE id = ANY(sqlc.arg(file_ids)::uuid[]) ORDER BY id FOR SHARE;

-- name: RetireUnreferencedFile :batchexec
-- Retires the given blob if no object part and no upload part points at
-- it any more: its chunks are queued with a grace delay (reads that began
-- before may still stream them) and its row goes now. Batched, one blob
-- per statement, as LockFile is.
WITH gone AS (
    SELECT f.id FROM files f
    WHERE f.id = sqlc.arg(file_id)::uuid
      AND NOT EXISTS (SELECT 1 FROM object_parts p WHERE p.file_id = f.id)
      AND NOT EXISTS (SELECT 1 FROM multipart_parts m WHERE m.file_id = f.id)
), queued AS (
    INSERT INTO chunk_deletions (chunk_id, storage_server_id, next_attempt_at)
    SELECT c.id, c.storage_server_id, now() + make_interval(secs => sqlc.arg(grace_seconds)::float8)
    FROM chunks c WHERE c.file_id IN (SELECT id FROM gone)
    ON CONFLICT (chunk_id) DO NOTHING
)
DELETE FROM files WHERE id IN (SELECT id FROM gone);

-- name: SetBucketLifecycle :execrows
UPDATE buckets SET lifecycle = $2 WHERE name = $1;

-- name: BucketsWithLifecycle :many
SELECT name, lifecycle FROM buckets WHERE lifecycle IS NOT NULL ORDER BY name;

-- name: TryLifecycleLock :one
-- One gateway at a time applies lifecycle rules; the others skip the round.
SELECT pg_try_advisory_xact_lock(hashtextextended('sixfold lifecycle', 0))::boolean AS locked;

-- name: ExpiringObjects :many
-- Current versions under prefix written before the cutoff.
SELECT key, meta FROM objects
WHERE bucket = sqlc.arg(bucket) AND is_latest AND NOT delete_marker
  AND key >= sqlc.arg(prefix)::text AND key < sqlc.arg(prefix)::text || sqlc.arg(ceiling)::text
  AND created_at < sqlc.arg(cutoff)::timestamptz
ORDER BY key
LIMIT sqlc.arg(max_rows);

-- name: ExpiringNoncurrent :many
-- Versions under prefix that stopped being current (a newer version was
-- written) before the cutoff.
SELECT o.key, o.version_id FROM objects o
WHERE o.bucket = sqlc.arg(bucket) AND NOT o.is_latest
  AND o.key >= sqlc.arg(prefix)::text AND o.key < sqlc.arg(prefix)::text || sqlc.arg(ceiling)::text
  AND (SELECT n.created_at FROM objects n WHERE n.bucket = o.bucket AND n.key = o.key AND n.seq > o.seq
       ORDER BY n.seq LIMIT 1) < sqlc.arg(cutoff)::timestamptz
ORDER BY o.key, o.seq
LIMIT sqlc.arg(max_rows);

-- name: ExpiredDeleteMarkers :many
-- Delete markers under prefix that are the only version of their key.
SELECT o.key, o.version_id FROM objects o
WHERE o.bucket = sqlc.arg(bucket) AND o.is_latest AND o.delete_marker
  AND o.key >= sqlc.arg(prefix)::text AND o.key < sqlc.arg(prefix)::text || sqlc.arg(ceiling)::text
  AND NOT EXISTS (SELECT 1 FROM objects n WHERE n.bucket = o.bucket AND n.key = o.key AND n.id <> o.id)
ORDER BY o.key
LIMIT sqlc.arg(max_rows);

-- name: ExpiringUploads :many
SELECT id FROM multipart_uploads
WHERE bucket = sqlc.arg(bucket) AND starts_with(key, sqlc.arg(prefix)::text)
  AND initiated_at < sqlc.arg(cutoff)::timestamptz
ORDER BY initiated_at
LIMIT sqlc.arg(max_rows);

-- name: LockKeyForWrite :many
-- What a writer of a key needs once it holds the key's lock
-- (LockObjectName): the bucket's versioning state, with the bucket
-- KEY SHARE locked so that it cannot be deleted under the write (without
-- blocking a change of its versioning), and, locked, the key's latest
-- version and its version version_id: up to two rows, or one whose
-- object columns are NULL when the key has neither; no row when there is
-- no such bucket. One statement where three used to be.
SELECT b.versioning, (o.id IS NOT NULL)::boolean AS found,
       coalesce(o.id, '00000000-0000-0000-0000-000000000000')::uuid AS id, coalesce(o.version_id, '')::text AS version_id,
       coalesce(o.etag, '')::text AS etag, coalesce(o.is_latest, false)::boolean AS is_latest,
       coalesce(o.delete_marker, false)::boolean AS delete_marker
FROM buckets b
LEFT JOIN LATERAL (
    SELECT x.id, x.version_id, x.etag, x.is_latest, x.delete_marker FROM objects x
    WHERE x.bucket = b.name AND x.key = sqlc.arg(key)::text AND (x.is_latest OR x.version_id = sqlc.arg(version_id)::text)
    FOR UPDATE
) o ON true
WHERE b.name = sqlc.arg(bucket)::text
FOR KEY SHARE OF b;

-- name: InsertObjectWithParts :exec
-- An object row and all its parts (up to 10,000 for a multipart object;
-- the arrays are zipped) in one statement. The parts' foreign key is
-- checked at the end of the statement, when the object row is there.
WITH obj AS (
    INSERT INTO objects (id, bucket, key, size, etag, meta, checksums, part_count, version_id, delete_marker)
    VALUES (sqlc.arg(id), sqlc.arg(bucket), sqlc.arg(key), sqlc.arg(size), sqlc.arg(etag), sqlc.arg(meta),
            sqlc.arg(checksums), sqlc.arg(part_count), sqlc.arg(version_id), sqlc.arg(delete_marker))
    RETURNING id
)
INSERT INTO object_parts (object_id, part_number, segment, file_id, byte_offset, size, etag, checksums, blob_offset)
SELECT obj.id, unnest(sqlc.arg(part_numbers)::int[]), unnest(sqlc.arg(segments)::smallint[]),
       unnest(sqlc.arg(file_ids)::uuid[]), unnest(sqlc.arg(offsets)::bigint[]), unnest(sqlc.arg(sizes)::bigint[]),
       unnest(sqlc.arg(part_etags)::text[]), unnest(sqlc.arg(part_checksums)::text[])::jsonb,
       unnest(sqlc.arg(blob_offsets)::bigint[])
FROM obj;
