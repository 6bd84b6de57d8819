-- keyward schema, version 1, SQLite. Kept equivalent to migrations/postgres/ (same tables, columns,
-- constraint names and indexes), so both stores pass one conformance suite.
--
-- Representation choices shared by both backends:
-- * times are unix microseconds (INTEGER), so comparisons, sorting and keyset cursors are plain
--   integer operations and identical on both backends;
-- * ids are canonical lowercase hyphenated UUID text (byte order = PostgreSQL's uuid order);
-- * roles, scopes, allowed_cidrs, metadata and the operation log's JSON are JSON text;
-- * text compares bytewise (SQLite's BINARY collation; PostgreSQL columns use COLLATE "C").

CREATE TABLE domains (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL,
    is_root     INTEGER NOT NULL CHECK (is_root IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    CONSTRAINT domains_name_key UNIQUE (name)
) STRICT;

-- At most one root domain, whatever its name: two nodes bootstrapping at once cannot both win.
CREATE UNIQUE INDEX domains_one_root ON domains (is_root) WHERE is_root = 1;

CREATE TABLE principals (
    id          TEXT    NOT NULL PRIMARY KEY,
    domain_id   TEXT    NOT NULL REFERENCES domains (id),
    kind        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL,
    external    INTEGER NOT NULL CHECK (external IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    CONSTRAINT principals_domain_name_key UNIQUE (domain_id, name),
    -- The target of api_keys' (owner_id, domain_id) foreign key: a key lives in its owner's domain.
    CONSTRAINT principals_id_domain_key UNIQUE (id, domain_id)
) STRICT;

CREATE INDEX principals_domain_created ON principals (domain_id, created_at, id);
CREATE INDEX principals_domain_updated ON principals (domain_id, updated_at, id);

CREATE TABLE api_keys (
    id              TEXT    NOT NULL PRIMARY KEY,
    domain_id       TEXT    NOT NULL REFERENCES domains (id),
    owner_id        TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    key_type        TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    roles           TEXT    NOT NULL, -- JSON array of strings
    scopes          TEXT    NOT NULL, -- JSON array of strings
    allowed_cidrs   TEXT    NOT NULL, -- JSON array of {"name": string|null, "cidr": string}
    expires_at      INTEGER,
    metadata        TEXT    NOT NULL, -- JSON object
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    last_used_at    INTEGER,          -- written only by the verifier's write-behind
    last_rotated_at INTEGER,
    version         INTEGER NOT NULL, -- optimistic concurrency
    CONSTRAINT api_keys_owner_name_key UNIQUE (owner_id, name),
    CONSTRAINT api_keys_owner_fkey FOREIGN KEY (owner_id, domain_id)
        REFERENCES principals (id, domain_id)
) STRICT;

-- Every list is confined to one domain; these serve its default sort and the common filters.
CREATE INDEX api_keys_domain_created ON api_keys (domain_id, created_at, id);
CREATE INDEX api_keys_domain_name ON api_keys (domain_id, name, id);
CREATE INDEX api_keys_domain_state ON api_keys (domain_id, state, created_at, id);

CREATE TABLE key_secrets (
    key_id     TEXT    NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    slot       TEXT    NOT NULL,
    hash       BLOB    NOT NULL, -- 32 bytes of (keyed) SHA-256; the verify path's lookup key
    hint       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (key_id, slot),
    CONSTRAINT key_secrets_hash_key UNIQUE (hash)
) STRICT;

CREATE TABLE operations (
    id          TEXT    NOT NULL PRIMARY KEY, -- UUIDv7: ordering by id is ordering by time
    domain_id   TEXT    NOT NULL,             -- no foreign key: the history outlives its objects
    actor       TEXT    NOT NULL,             -- JSON
    action      TEXT    NOT NULL,
    target_kind TEXT    NOT NULL,
    target_id   TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    metadata    TEXT    NOT NULL,             -- JSON
    result      TEXT    NOT NULL              -- JSON
) STRICT;

CREATE INDEX operations_domain ON operations (domain_id, id);
CREATE INDEX operations_target ON operations (target_id, id);
