-- keyward schema, version 4, SQLite: usage control. Rate limits and quotas of keys and principals
-- (JSON: {"rate_limits": [...], "quotas": [...]}), and a key's credit balance: NULL remaining
-- means no balance (unlimited). `credits_epoch` is bumped whenever the balance is set; nodes lease
-- credits by compare-and-set on (remaining, refilled_at, epoch). Kept equivalent to
-- migrations/postgres/0004_usage_limits.sql.

ALTER TABLE api_keys ADD COLUMN limits TEXT NOT NULL DEFAULT '{}';
ALTER TABLE api_keys ADD COLUMN credits_remaining INTEGER;
ALTER TABLE api_keys ADD COLUMN credits_refill TEXT;
ALTER TABLE api_keys ADD COLUMN credits_refilled_at INTEGER;
ALTER TABLE api_keys ADD COLUMN credits_epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE principals ADD COLUMN limits TEXT NOT NULL DEFAULT '{}';
