-- The name windows' old tables, replaced by the postings of migration 5. Dropped in a migration of their
-- own because each migration is one transaction and CockroachDB refuses a schema change after a write in
-- one (cockroachdb/cockroach issue 54477); IF EXISTS because stores migrated before this split dropped them
-- in migration 5.
DROP TABLE IF EXISTS image_name_grams;
DROP TABLE IF EXISTS app_image_config_name_grams;
