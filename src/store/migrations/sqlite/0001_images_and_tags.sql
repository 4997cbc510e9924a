-- Images, keyed by scope and lower-cased name. A transitional status carries the time it ends (due_ms).
CREATE TABLE images (
    account_id     TEXT    NOT NULL,
    region         TEXT    NOT NULL,
    name_key       TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    display_name   TEXT,
    description    TEXT,
    role_arn       TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    due_ms         INTEGER,
    failure_reason TEXT,
    created_ms     INTEGER NOT NULL,
    modified_ms    INTEGER NOT NULL,
    PRIMARY KEY (account_id, region, name_key)
) WITHOUT ROWID;

-- Keyset paging for ListImages' time sorts.
CREATE INDEX images_by_created ON images (account_id, region, created_ms, name_key);
CREATE INDEX images_by_modified ON images (account_id, region, modified_ms, name_key);

-- Tags of any resource, under its canonical (lower-case) ARN, which already names account and region.
CREATE TABLE tags (
    resource_arn TEXT    NOT NULL,
    tag_key      TEXT    NOT NULL,
    position     INTEGER NOT NULL,
    tag_value    TEXT    NOT NULL,
    PRIMARY KEY (resource_arn, tag_key)
) WITHOUT ROWID;

-- Service-wide values, such as the secret that seals pagination tokens.
CREATE TABLE service_meta (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
