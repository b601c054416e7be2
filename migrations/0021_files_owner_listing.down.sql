DROP INDEX files_owner_listing;
