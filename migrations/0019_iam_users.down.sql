ALTER TABLE buckets DROP COLUMN policy;
ALTER TABLE buckets DROP COLUMN owner_identity;
ALTER TABLE files DROP COLUMN owner_identity;
DROP TABLE iam_access_keys;
DROP TABLE iam_users;
DROP FUNCTION notify_iam_change();
