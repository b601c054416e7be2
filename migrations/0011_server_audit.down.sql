ALTER TABLE storage_servers DROP COLUMN used_space, DROP COLUMN port, DROP COLUMN host;
