-- Mirrors the SQLite migration 7; see its comments.
CREATE TABLE forced_outcomes (
    rule_id        TEXT   NOT NULL PRIMARY KEY,
    created_ms     BIGINT NOT NULL,
    account_id     TEXT   NOT NULL,
    region         TEXT   NOT NULL,
    operation      TEXT   NOT NULL,
    image_key      TEXT   NOT NULL,
    remaining      BIGINT NOT NULL,
    action         TEXT   NOT NULL,
    failure_reason TEXT
);
