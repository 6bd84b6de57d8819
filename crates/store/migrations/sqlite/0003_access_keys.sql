-- keyward schema, version 3, SQLite: access keys for signed requests (NCP signature v2). The
-- secret key is stored only sealed (nonce || AES-256-GCM ciphertext) under the master key from
-- configuration. Kept equivalent to migrations/postgres/0003_access_keys.sql.

CREATE TABLE access_keys (
    id            TEXT    NOT NULL PRIMARY KEY, -- KWAK…, sent in the clear by clients
    domain_id     TEXT    NOT NULL REFERENCES domains (id),
    key_id        TEXT    NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    sealed_secret BLOB    NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX access_keys_key ON access_keys (key_id);
