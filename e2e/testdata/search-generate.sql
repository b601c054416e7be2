-- Generated objects for the search tests and measurements (docs/search.md):
-- :objects live S3 objects in bucket search-gen (plus old versions and
-- delete markers a search must not see, and a second bucket it must not
-- reach), and :files completed /files uploads. Every value is a function of
-- the row number, so a test can recompute any row. Run with psql -v
-- objects=300000 -v files=100000 -f search-generate.sql.

INSERT INTO buckets (name) VALUES ('search-gen'), ('search-other') ON CONFLICT DO NOTHING;

INSERT INTO objects (id, bucket, key, size, etag, meta, created_at)
SELECT gen_random_uuid(), 'search-gen',
       (ARRAY['photos', 'docs', 'logs', 'video'])[i % 4 + 1] || '/' || (2020 + i % 7) || '/obj-' || lpad(i::text, 7, '0')
           || (ARRAY['.jpg', '.png', '.pdf', '.txt', '.mp4'])[i % 5 + 1],
       CASE WHEN i % 1000 = 0 THEN 2000000000 + i ELSE (i::bigint * 7919) % 5000000 END,
       md5(i::text),
       jsonb_build_object(
           'ContentType', (ARRAY['image/jpeg', 'image/png', 'application/pdf', 'text/plain', 'video/mp4'])[i % 5 + 1],
           'UserMetadata', jsonb_build_object('owner', (ARRAY['ann', 'bob', 'cat', 'dan', 'eve', 'fay', 'gus', 'hal', 'ivy', 'jon', 'kim', 'lou', 'max'])[i % 13 + 1],
                                              'rating', (i % 10)::text)
               || CASE WHEN i % 3 = 0 THEN jsonb_build_object('camera', 'x' || (i % 7)) ELSE '{}' END)
       || CASE WHEN i % 17 < 2 THEN jsonb_build_object('Tags', jsonb_build_object('project', CASE WHEN i % 17 = 0 THEN 'apollo' ELSE 'gemini' END)
                                                            || CASE WHEN i % 5 = 0 THEN jsonb_build_object('tier', 'hot') ELSE '{}' END)
               ELSE '{}' END,
       timestamptz '2026-01-01 00:00:00+00' + i * interval '97 seconds'
FROM generate_series(1, :objects) AS i;

-- Superseded versions of every 50th key and delete markers over every
-- 70th: both carry metadata that would match, and must never be found.
INSERT INTO objects (id, bucket, key, size, etag, meta, created_at, version_id, is_latest)
SELECT gen_random_uuid(), bucket, key, size, etag, meta || '{"UserMetadata": {"owner": "ghost"}}', created_at - interval '1 day', 'old', false
FROM objects WHERE bucket = 'search-gen' AND substr(key, length(key) - 10, 7)::int % 50 = 0;
UPDATE objects SET is_latest = false, version_id = 'v1'
WHERE bucket = 'search-gen' AND is_latest AND substr(key, length(key) - 10, 7)::int % 70 = 0;
INSERT INTO objects (id, bucket, key, size, etag, meta, created_at, version_id, is_latest, delete_marker)
SELECT gen_random_uuid(), bucket, key, 0, '', '{"ContentType": "", "UserMetadata": {"owner": "ghost"}}', created_at + interval '1 hour', 'dm', true, true
FROM objects WHERE bucket = 'search-gen' AND version_id = 'v1';

INSERT INTO objects (id, bucket, key, size, etag, meta, created_at)
SELECT gen_random_uuid(), 'search-other', 'photos/2026/obj-' || lpad(i::text, 7, '0') || '.jpg', 100 + i, md5(i::text),
       '{"ContentType": "image/jpeg", "UserMetadata": {"owner": "ann"}, "Tags": {"project": "apollo"}}', now()
FROM generate_series(1, 1000) AS i;

INSERT INTO files (id, filename, content_type, size, checksum, status, metadata, created_at, updated_at)
SELECT gen_random_uuid(),
       'report-' || lpad(i::text, 6, '0') || (ARRAY['.pdf', '.csv', '.png'])[i % 3 + 1],
       (ARRAY['application/pdf', 'text/csv', 'image/png'])[i % 3 + 1],
       (i::bigint * 104729) % 20000000,
       encode(sha256(i::text::bytea), 'hex'), 'completed',
       jsonb_build_object('owner', (ARRAY['ann', 'bob', 'cat', 'dan', 'eve', 'fay', 'gus'])[i % 7 + 1],
                          'score', i % 100,
                          'dept', jsonb_build_object('name', (ARRAY['ops', 'dev', 'sales'])[i % 3 + 1]))
           || CASE WHEN i % 11 = 0 THEN '{"public": true}'::jsonb ELSE '{}' END,
       timestamptz '2026-01-01 00:00:00+00' + i * interval '5 minutes',
       timestamptz '2026-01-01 00:00:00+00' + i * interval '5 minutes' + (i % 30) * interval '1 day'
FROM generate_series(1, :files) AS i;

ANALYZE objects;
ANALYZE files;
