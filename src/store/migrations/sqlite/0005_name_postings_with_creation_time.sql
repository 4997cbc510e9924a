-- The name windows ("grams") move to tables whose rows also carry the name's creation time, which never
-- changes, with a second index in (gram, creation time, name) order: a NameContains list sorted by creation
-- time (the default) or by name walks the windows' names in the list's own order and stops once it has a
-- page (records::read_page), instead of looking up and sorting every name that holds the window. New
-- tables rather than a column added to the old ones: CockroachDB cannot use a column added in the same
-- transaction (cockroachdb/cockroach issue 43057). The tables are created before they are filled, as
-- CockroachDB refuses a schema change after a write in one transaction; migration 6 drops the old tables.
CREATE TABLE image_name_postings (
    account_id TEXT   NOT NULL,
    region     TEXT   NOT NULL,
    gram       TEXT   NOT NULL,
    name_key   TEXT   NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (account_id, region, gram, name_key)
) WITHOUT ROWID;
CREATE INDEX image_name_postings_by_created ON image_name_postings (account_id, region, gram, created_ms, name_key);
CREATE TABLE app_image_config_name_postings (
    account_id TEXT   NOT NULL,
    region     TEXT   NOT NULL,
    gram       TEXT   NOT NULL,
    name_key   TEXT   NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (account_id, region, gram, name_key)
) WITHOUT ROWID;
CREATE INDEX app_image_config_name_postings_by_created
    ON app_image_config_name_postings (account_id, region, gram, created_ms, name_key);

INSERT INTO image_name_postings (account_id, region, gram, name_key, created_ms)
SELECT g.account_id, g.region, g.gram, g.name_key, i.created_ms
FROM image_name_grams AS g
JOIN images AS i ON i.account_id = g.account_id AND i.region = g.region AND i.name_key = g.name_key;
INSERT INTO app_image_config_name_postings (account_id, region, gram, name_key, created_ms)
SELECT g.account_id, g.region, g.gram, g.name_key, c.created_ms
FROM app_image_config_name_grams AS g
JOIN app_image_configs AS c ON c.account_id = g.account_id AND c.region = g.region AND c.name_key = g.name_key;
