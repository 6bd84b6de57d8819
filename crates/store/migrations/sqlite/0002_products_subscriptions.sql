-- keyward schema, version 2, SQLite: API products and keys' subscriptions to them (NCP API
-- Gateway's vocabulary). Kept equivalent to migrations/postgres/0002_products_subscriptions.sql.

CREATE TABLE products (
    id          TEXT    NOT NULL PRIMARY KEY,
    domain_id   TEXT    NOT NULL REFERENCES domains (id),
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    CONSTRAINT products_domain_name_key UNIQUE (domain_id, name)
) STRICT;

CREATE INDEX products_domain ON products (domain_id, id);

-- A key's subscription goes with the key; a product cannot be deleted while keys subscribe to it.
CREATE TABLE subscriptions (
    key_id     TEXT    NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    product_id TEXT    NOT NULL REFERENCES products (id),
    status     TEXT    NOT NULL, -- REQUEST | ACCEPTED | REJECTED | DENY | BLOCKED_REQUEST
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (key_id, product_id)
) STRICT;

CREATE INDEX subscriptions_product ON subscriptions (product_id, status, key_id);
