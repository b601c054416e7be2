DROP INDEX CONCURRENTLY files_uploads_listing;
