ALTER INDEX files_listing RENAME TO files_uploads_listing;
CREATE INDEX files_listing ON files (created_at DESC, id DESC) WHERE status = 'completed';
CREATE INDEX files_status ON files (status);
CREATE INDEX chunks_server_stored ON chunks (storage_server_id, id) WHERE status = 'stored';
CREATE INDEX chunks_storage_server ON chunks (storage_server_id);
