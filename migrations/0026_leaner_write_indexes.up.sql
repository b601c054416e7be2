-- Every index a row has is another insert, and its WAL, in the write that
-- makes the row; a small S3 PUT made 47 of them. This takes away ten of
-- those without taking away an index any query walks
-- (TestQueriesWalkTheirIndexes checks the plans):
--
-- * chunks had two per-server indexes, (storage_server_id) and
--   (storage_server_id, id) WHERE status = 'stored', so a stored shard went
--   into both. chunks_server (0024), on (storage_server_id, id) over every
--   row, serves what each served: a server's stored shards in id order
--   (scrub, sweep, heal_due), whether any row names a server (retiring a
--   drained one).
-- * files_status (status) answered no query: each one that filters on a
--   file's status names its id, or its owner and creation order.
-- * files_listing, the /files door's newest-first order, also held every
--   S3 blob, though each query that walks it asks for owner = 'files';
--   files_uploads_listing (0025) holds those alone and takes its name.
DROP INDEX chunks_storage_server;
DROP INDEX chunks_server_stored;
DROP INDEX files_status;
DROP INDEX files_listing;
ALTER INDEX files_uploads_listing RENAME TO files_listing;
