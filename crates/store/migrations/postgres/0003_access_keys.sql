-- keyward schema, version 3, PostgreSQL: access keys for signed requests (NCP signature v2). The
-- secret key is stored only sealed (nonce || AES-256-GCM ciphertext) under the master key from
-- configuration. Kept equivalent to migrations/sqlite/0003_access_keys.sql.

CREATE TABLE access_keys (
    id            text    COLLATE "C" NOT NULL PRIMARY KEY, -- KWAK…, sent in the clear by clients
    domain_id     uuid    NOT NULL REFERENCES domains (id),
    key_id        uuid    NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    sealed_secret bytea   NOT NULL,
    created_at    bigint  NOT NULL
);

CREATE INDEX access_keys_key ON access_keys (key_id);
