ALTER TABLE images ADD COLUMN last_version BIGINT NOT NULL DEFAULT 0;

CREATE TABLE image_versions (
    account_id     TEXT   NOT NULL,
    region         TEXT   NOT NULL,
    image_key      TEXT   NOT NULL,
    version        BIGINT NOT NULL,
    base_image     TEXT   NOT NULL,
    metadata       TEXT   NOT NULL,
    status         TEXT   NOT NULL,
    due_ms         BIGINT,
    failure_reason TEXT,
    client_token   TEXT   NOT NULL,
    request_digest TEXT   NOT NULL,
    created_ms     BIGINT NOT NULL,
    modified_ms    BIGINT NOT NULL,
    PRIMARY KEY (account_id, region, image_key, version)
);

CREATE TABLE image_version_aliases (
    account_id TEXT   NOT NULL,
    region     TEXT   NOT NULL,
    image_key  TEXT   NOT NULL,
    alias      TEXT   NOT NULL,
    version    BIGINT NOT NULL,
    PRIMARY KEY (account_id, region, image_key, alias)
);

CREATE TABLE app_image_configs (
    account_id  TEXT   NOT NULL,
    region      TEXT   NOT NULL,
    name_key    TEXT   NOT NULL,
    name        TEXT   NOT NULL,
    configs     TEXT   NOT NULL,
    created_ms  BIGINT NOT NULL,
    modified_ms BIGINT NOT NULL,
    PRIMARY KEY (account_id, region, name_key)
);
CREATE INDEX app_image_configs_by_created ON app_image_configs (account_id, region, created_ms, name_key);
CREATE INDEX app_image_configs_by_modified ON app_image_configs (account_id, region, modified_ms, name_key);
