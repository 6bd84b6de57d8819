-- keyward schema, version 5, PostgreSQL: usage metering. Verifications counted per key per UTC
-- hour by outcome, written behind by each node (added to, never overwritten) and pruned after the
-- retention period. Kept equivalent to migrations/sqlite/0005_key_usage.sql.

CREATE TABLE key_usage (
    key_id         uuid    NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    hour           bigint  NOT NULL, -- the start of the UTC hour, unix microseconds
    valid          bigint  NOT NULL,
    rate_limited   bigint  NOT NULL,
    usage_exceeded bigint  NOT NULL,
    refused        bigint  NOT NULL, -- every other refusal of a found key
    PRIMARY KEY (key_id, hour)
);

-- Pruning deletes by age across every key.
CREATE INDEX key_usage_hour ON key_usage (hour);
