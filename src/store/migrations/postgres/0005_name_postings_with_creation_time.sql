-- Mirrors the SQLite migration of the same number; see its comments.
CREATE TABLE image_name_postings (
    account_id TEXT   NOT NULL,
    region     TEXT   NOT NULL,
    gram       TEXT   NOT NULL,
    name_key   TEXT   NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (account_id, region, gram, name_key)
);
CREATE INDEX image_name_postings_by_created ON image_name_postings (account_id, region, gram, created_ms, name_key);
CREATE TABLE app_image_config_name_postings (
    account_id TEXT   NOT NULL,
    region     TEXT   NOT NULL,
    gram       TEXT   NOT NULL,
    name_key   TEXT   NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (account_id, region, gram, name_key)
);
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
