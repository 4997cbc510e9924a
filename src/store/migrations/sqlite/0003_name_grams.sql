-- The three-character windows ("grams") of each name key, so that a NameContains filter of three or more
-- characters reads only the names holding one of its grams instead of every row (records::read_page).
CREATE TABLE image_name_grams (
    account_id TEXT NOT NULL,
    region     TEXT NOT NULL,
    gram       TEXT NOT NULL,
    name_key   TEXT NOT NULL,
    PRIMARY KEY (account_id, region, gram, name_key)
) WITHOUT ROWID;

CREATE TABLE app_image_config_name_grams (
    account_id TEXT NOT NULL,
    region     TEXT NOT NULL,
    gram       TEXT NOT NULL,
    name_key   TEXT NOT NULL,
    PRIMARY KEY (account_id, region, gram, name_key)
) WITHOUT ROWID;

-- The grams of the names already stored; records::name_grams computes the same windows for new names.
INSERT INTO image_name_grams (account_id, region, gram, name_key)
WITH RECURSIVE windows (account_id, region, name_key, position) AS (
    SELECT account_id, region, name_key, 1 FROM images WHERE length(name_key) >= 3
    UNION ALL
    SELECT account_id, region, name_key, position + 1 FROM windows WHERE position + 3 <= length(name_key)
)
SELECT DISTINCT account_id, region, substr(name_key, position, 3), name_key FROM windows;

INSERT INTO app_image_config_name_grams (account_id, region, gram, name_key)
WITH RECURSIVE windows (account_id, region, name_key, position) AS (
    SELECT account_id, region, name_key, 1 FROM app_image_configs WHERE length(name_key) >= 3
    UNION ALL
    SELECT account_id, region, name_key, position + 1 FROM windows WHERE position + 3 <= length(name_key)
)
SELECT DISTINCT account_id, region, substr(name_key, position, 3), name_key FROM windows;
