-- keyward schema, version 2, PostgreSQL: API products and keys' subscriptions to them (NCP API
-- Gateway's vocabulary). Kept equivalent to migrations/sqlite/0002_products_subscriptions.sql.

CREATE TABLE products (
    id          uuid    NOT NULL PRIMARY KEY,
    domain_id   uuid    NOT NULL REFERENCES domains (id),
    name        text    COLLATE "C" NOT NULL,
    description text    COLLATE "C" NOT NULL,
    created_at  bigint  NOT NULL,
    updated_at  bigint  NOT NULL,
    CONSTRAINT products_domain_name_key UNIQUE (domain_id, name)
);

CREATE INDEX products_domain ON products (domain_id, id);

-- A key's subscription goes with the key; a product cannot be deleted while keys subscribe to it.
CREATE TABLE subscriptions (
    key_id     uuid    NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    product_id uuid    NOT NULL REFERENCES products (id),
    status     text    COLLATE "C" NOT NULL, -- REQUEST | ACCEPTED | REJECTED | DENY | BLOCKED_REQUEST
    created_at bigint  NOT NULL,
    updated_at bigint  NOT NULL,
    PRIMARY KEY (key_id, product_id)
);

CREATE INDEX subscriptions_product ON subscriptions (product_id, status, key_id);
