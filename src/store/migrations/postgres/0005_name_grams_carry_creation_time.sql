-- Each name window ("gram") carries its name's creation time, which never changes, and is indexed in that
-- order too: a NameContains list sorted by creation time (the default) or by name walks the windows' names
-- in the list's own order and stops once it has a page (records::read_page), instead of looking up and
-- sorting every name that holds the window. Identical for both engines.
ALTER TABLE image_name_grams ADD COLUMN created_ms BIGINT NOT NULL DEFAULT 0;
UPDATE image_name_grams SET created_ms = (
    SELECT i.created_ms FROM images AS i
    WHERE i.account_id = image_name_grams.account_id
      AND i.region = image_name_grams.region
      AND i.name_key = image_name_grams.name_key
);
CREATE INDEX image_name_grams_by_created ON image_name_grams (account_id, region, gram, created_ms, name_key);

ALTER TABLE app_image_config_name_grams ADD COLUMN created_ms BIGINT NOT NULL DEFAULT 0;
UPDATE app_image_config_name_grams SET created_ms = (
    SELECT c.created_ms FROM app_image_configs AS c
    WHERE c.account_id = app_image_config_name_grams.account_id
      AND c.region = app_image_config_name_grams.region
      AND c.name_key = app_image_config_name_grams.name_key
);
CREATE INDEX app_image_config_name_grams_by_created
    ON app_image_config_name_grams (account_id, region, gram, created_ms, name_key);
