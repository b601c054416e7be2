-- Gateways LISTEN on sixfold_ring and rebuild their ring cache at once when
-- a storage server joins or changes status, instead of at the next
-- periodic refresh. Heartbeats (which only touch timestamps and counters)
-- notify nobody.
CREATE FUNCTION notify_ring_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('sixfold_ring', NEW.id::text);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER storage_servers_joined
    AFTER INSERT ON storage_servers
    FOR EACH ROW EXECUTE FUNCTION notify_ring_change();

CREATE TRIGGER storage_servers_status_changed
    AFTER UPDATE OF status ON storage_servers
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION notify_ring_change();
