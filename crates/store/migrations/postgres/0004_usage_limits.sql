-- keyward schema, version 4, PostgreSQL: usage control. Rate limits and quotas of keys and
-- principals (jsonb: {"rate_limits": [...], "quotas": [...]}), and a key's credit balance: NULL
-- remaining means no balance (unlimited). `credits_epoch` is bumped whenever the balance is set;
-- nodes lease credits by compare-and-set on (remaining, refilled_at, epoch). Kept equivalent to
-- migrations/sqlite/0004_usage_limits.sql.

ALTER TABLE api_keys ADD COLUMN limits jsonb NOT NULL DEFAULT '{}';
ALTER TABLE api_keys ADD COLUMN credits_remaining bigint;
ALTER TABLE api_keys ADD COLUMN credits_refill jsonb;
ALTER TABLE api_keys ADD COLUMN credits_refilled_at bigint;
ALTER TABLE api_keys ADD COLUMN credits_epoch bigint NOT NULL DEFAULT 0;
ALTER TABLE principals ADD COLUMN limits jsonb NOT NULL DEFAULT '{}';
