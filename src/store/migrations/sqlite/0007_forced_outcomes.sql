-- Outcomes a test forced on the next calls of an operation (the control plane's outcome rules). Kept in the
-- store, like holds (a held transition is a transitional status without a due time), so that every process
-- sharing a database honours them. '*' in account_id, region or image_key matches any.
CREATE TABLE forced_outcomes (
    rule_id        TEXT    NOT NULL PRIMARY KEY,
    created_ms     INTEGER NOT NULL,
    account_id     TEXT    NOT NULL,
    region         TEXT    NOT NULL,
    operation      TEXT    NOT NULL,
    image_key      TEXT    NOT NULL,
    remaining      INTEGER NOT NULL,
    action         TEXT    NOT NULL,
    failure_reason TEXT
);
