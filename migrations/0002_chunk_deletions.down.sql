DROP TABLE IF EXISTS chunk_deletions;
