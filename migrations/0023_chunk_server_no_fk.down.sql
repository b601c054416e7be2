ALTER TABLE chunks ADD CONSTRAINT chunks_storage_server_id_fkey
    FOREIGN KEY (storage_server_id) REFERENCES storage_servers (id);
