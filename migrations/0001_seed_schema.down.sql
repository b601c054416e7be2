DROP TABLE IF EXISTS upload_sessions;
DROP TABLE IF EXISTS chunks;
DROP TABLE IF EXISTS files;
DROP TABLE IF EXISTS hash_ring_nodes;
DROP TABLE IF EXISTS storage_servers;
