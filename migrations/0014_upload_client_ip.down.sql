ALTER TABLE upload_sessions DROP COLUMN client_ip;
