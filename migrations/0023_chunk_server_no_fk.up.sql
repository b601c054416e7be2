-- A chunk's storage_server_id no longer references storage_servers, as in
-- the seed schema. The gateway only places chunks on servers its ring read
-- from that table, and no server row is ever deleted, so the key guarded
-- nothing; but every chunk row paid for it: a lookup of its server's row
-- under FOR KEY SHARE, and since every small PUT's eight chunks lock the
-- same six rows, concurrent PUTs kept rewriting those rows' lockers as
-- multixacts.
ALTER TABLE chunks DROP CONSTRAINT chunks_storage_server_id_fkey;
