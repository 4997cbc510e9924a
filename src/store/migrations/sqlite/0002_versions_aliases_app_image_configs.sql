-- Version numbers are never reused: the image keeps the highest it has given.
ALTER TABLE images ADD COLUMN last_version INTEGER NOT NULL DEFAULT 0;

CREATE TABLE image_versions (
    account_id     TEXT    NOT NULL,
    region         TEXT    NOT NULL,
    image_key      TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    base_image     TEXT    NOT NULL,
    metadata       TEXT    NOT NULL, -- JSON of the optional CreateImageVersion members
    status         TEXT    NOT NULL,
    due_ms         INTEGER,
    failure_reason TEXT,
    client_token   TEXT    NOT NULL,
    request_digest TEXT    NOT NULL,
    created_ms     INTEGER NOT NULL,
    modified_ms    INTEGER NOT NULL,
    PRIMARY KEY (account_id, region, image_key, version)
) WITHOUT ROWID;

-- An alias names one version of one image.
CREATE TABLE image_version_aliases (
    account_id TEXT    NOT NULL,
    region     TEXT    NOT NULL,
    image_key  TEXT    NOT NULL,
    alias      TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    PRIMARY KEY (account_id, region, image_key, alias)
) WITHOUT ROWID;

CREATE TABLE app_image_configs (
    account_id  TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    name_key    TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    configs     TEXT    NOT NULL, -- JSON of the KernelGateway / JupyterLab / CodeEditor configurations
    created_ms  INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL,
    PRIMARY KEY (account_id, region, name_key)
) WITHOUT ROWID;

CREATE INDEX app_image_configs_by_created ON app_image_configs (account_id, region, created_ms, name_key);
CREATE INDEX app_image_configs_by_modified ON app_image_configs (account_id, region, modified_ms, name_key);
