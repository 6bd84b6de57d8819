-- keyward schema, version 6, SQLite: usage plans, the plan of a product and of one key's
-- subscription, and NCP's stage associations. Kept equivalent to
-- migrations/postgres/0006_usage_plans.sql.

CREATE TABLE usage_plans (
    id          TEXT    NOT NULL PRIMARY KEY,
    domain_id   TEXT    NOT NULL REFERENCES domains (id),
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL,
    limits      TEXT    NOT NULL, -- JSON: {"rate_limits": [...], "quotas": [...]}
    compat      TEXT    NOT NULL, -- JSON: vendor fields shown back, never enforced
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    CONSTRAINT usage_plans_domain_name_key UNIQUE (domain_id, name)
) STRICT;

CREATE INDEX usage_plans_domain ON usage_plans (domain_id, id);

-- A plan in use cannot be deleted (no ON DELETE): the product, subscription or association
-- must let go of it first.
ALTER TABLE products ADD COLUMN usage_plan_id TEXT REFERENCES usage_plans (id);
ALTER TABLE subscriptions ADD COLUMN usage_plan_id TEXT REFERENCES usage_plans (id);
CREATE INDEX products_usage_plan ON products (usage_plan_id);
CREATE INDEX subscriptions_usage_plan ON subscriptions (usage_plan_id);

-- NCP associates plans with a stage of an API of a product; keyward has neither APIs nor
-- stages, so it records their ids as given. They go with their product.
CREATE TABLE usage_plan_stages (
    product_id    TEXT    NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    api_id        TEXT    NOT NULL,
    stage_id      TEXT    NOT NULL,
    usage_plan_id TEXT    NOT NULL REFERENCES usage_plans (id),
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (product_id, api_id, stage_id, usage_plan_id)
) STRICT;

CREATE INDEX usage_plan_stages_plan ON usage_plan_stages (usage_plan_id, product_id);
