-- The name index holds four-character windows instead of three: each name key followed by '~' (a character
-- no name holds), so that a name's last three characters form a window too. A window of four is held by
-- about a tenth as many names as a window of three, and a NameContains value reads one window's names
-- (records::read_page); a value of exactly three characters reads the windows it starts, one for each
-- character that can follow it. records::name_grams computes the same windows for new names.
DELETE FROM image_name_grams;
INSERT INTO image_name_grams (account_id, region, gram, name_key)
WITH RECURSIVE windows (account_id, region, name_key, position) AS (
    SELECT account_id, region, name_key, 1 FROM images WHERE length(name_key) >= 3
    UNION ALL
    SELECT account_id, region, name_key, position + 1 FROM windows WHERE position + 3 <= length(name_key)
)
SELECT DISTINCT account_id, region, substr(name_key || '~', position, 4), name_key FROM windows;

DELETE FROM app_image_config_name_grams;
INSERT INTO app_image_config_name_grams (account_id, region, gram, name_key)
WITH RECURSIVE windows (account_id, region, name_key, position) AS (
    SELECT account_id, region, name_key, 1 FROM app_image_configs WHERE length(name_key) >= 3
    UNION ALL
    SELECT account_id, region, name_key, position + 1 FROM windows WHERE position + 3 <= length(name_key)
)
SELECT DISTINCT account_id, region, substr(name_key || '~', position, 4), name_key FROM windows;
