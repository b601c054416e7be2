DROP INDEX IF EXISTS objects_search_meta;
DROP INDEX IF EXISTS objects_search_size;
DROP INDEX IF EXISTS objects_search_created;
DROP INDEX IF EXISTS files_search_meta;
DROP INDEX IF EXISTS files_search_size;
DROP INDEX IF EXISTS files_search_name;
DROP INDEX IF EXISTS files_search_modified;
