-- The seed's audit column: the address of the client an upload came from
-- (the TCP peer: a proxy in front of the gateway shows as itself).
ALTER TABLE upload_sessions ADD COLUMN client_ip VARCHAR(45);
