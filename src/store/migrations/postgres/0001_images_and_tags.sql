-- PostgreSQL (and PostgreSQL-wire distributed SQL) schema. Mirrors the SQLite one; see its comments.
CREATE TABLE images (
    account_id     TEXT   NOT NULL,
    region         TEXT   NOT NULL,
    name_key       TEXT   NOT NULL,
    name           TEXT   NOT NULL,
    display_name   TEXT,
    description    TEXT,
    role_arn       TEXT   NOT NULL,
    status         TEXT   NOT NULL,
    due_ms         BIGINT,
    failure_reason TEXT,
    created_ms     BIGINT NOT NULL,
    modified_ms    BIGINT NOT NULL,
    PRIMARY KEY (account_id, region, name_key)
);
CREATE INDEX images_by_created ON images (account_id, region, created_ms, name_key);
CREATE INDEX images_by_modified ON images (account_id, region, modified_ms, name_key);

CREATE TABLE tags (
    resource_arn TEXT   NOT NULL,
    tag_key      TEXT   NOT NULL,
    position     BIGINT NOT NULL,
    tag_value    TEXT   NOT NULL,
    PRIMARY KEY (resource_arn, tag_key)
);

CREATE TABLE service_meta (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
