DROP TRIGGER IF EXISTS storage_servers_status_changed ON storage_servers;
DROP TRIGGER IF EXISTS storage_servers_joined ON storage_servers;
DROP FUNCTION IF EXISTS notify_ring_change();
