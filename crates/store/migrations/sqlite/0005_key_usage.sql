-- keyward schema, version 5, SQLite: usage metering. Verifications counted per key per UTC hour
-- by outcome, written behind by each node (added to, never overwritten) and pruned after the
-- retention period. Kept equivalent to migrations/postgres/0005_key_usage.sql.

CREATE TABLE key_usage (
    key_id         TEXT    NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    hour           INTEGER NOT NULL, -- the start of the UTC hour, unix microseconds
    valid          INTEGER NOT NULL,
    rate_limited   INTEGER NOT NULL,
    usage_exceeded INTEGER NOT NULL,
    refused        INTEGER NOT NULL, -- every other refusal of a found key
    PRIMARY KEY (key_id, hour)
) STRICT;

-- Pruning deletes by age across every key.
CREATE INDEX key_usage_hour ON key_usage (hour);
