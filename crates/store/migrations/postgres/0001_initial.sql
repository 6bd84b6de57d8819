-- keyward schema, version 1, PostgreSQL. Kept equivalent to migrations/sqlite/ (same tables,
-- columns, constraint names and indexes), so both stores pass one conformance suite.
--
-- Representation choices shared by both backends:
-- * times are unix microseconds (bigint), so comparisons, sorting and keyset cursors are plain
--   integer operations and identical on both backends;
-- * ids are uuid (ordered bytewise, like SQLite's canonical UUID text);
-- * roles, scopes, allowed_cidrs, metadata and the operation log's JSON are jsonb;
-- * text columns use COLLATE "C": bytewise comparison and ordering, as SQLite's BINARY, whatever
--   the database's default collation (and LIKE on them is case-sensitive).

CREATE TABLE domains (
    id          uuid    NOT NULL PRIMARY KEY,
    name        text    COLLATE "C" NOT NULL,
    description text    COLLATE "C" NOT NULL,
    is_root     boolean NOT NULL,
    created_at  bigint  NOT NULL,
    updated_at  bigint  NOT NULL,
    CONSTRAINT domains_name_key UNIQUE (name)
);

-- At most one root domain, whatever its name: two nodes bootstrapping at once cannot both win.
CREATE UNIQUE INDEX domains_one_root ON domains (is_root) WHERE is_root;

CREATE TABLE principals (
    id          uuid    NOT NULL PRIMARY KEY,
    domain_id   uuid    NOT NULL REFERENCES domains (id),
    kind        text    COLLATE "C" NOT NULL,
    name        text    COLLATE "C" NOT NULL,
    description text    COLLATE "C" NOT NULL,
    external    boolean NOT NULL,
    created_at  bigint  NOT NULL,
    updated_at  bigint  NOT NULL,
    CONSTRAINT principals_domain_name_key UNIQUE (domain_id, name),
    -- The target of api_keys' (owner_id, domain_id) foreign key: a key lives in its owner's domain.
    CONSTRAINT principals_id_domain_key UNIQUE (id, domain_id)
);

CREATE INDEX principals_domain_created ON principals (domain_id, created_at, id);
CREATE INDEX principals_domain_updated ON principals (domain_id, updated_at, id);

CREATE TABLE api_keys (
    id              uuid    NOT NULL PRIMARY KEY,
    domain_id       uuid    NOT NULL REFERENCES domains (id),
    owner_id        uuid    NOT NULL,
    name            text    COLLATE "C" NOT NULL,
    description     text    COLLATE "C" NOT NULL,
    key_type        text    COLLATE "C" NOT NULL,
    state           text    COLLATE "C" NOT NULL,
    roles           jsonb   NOT NULL, -- array of strings
    scopes          jsonb   NOT NULL, -- array of strings
    allowed_cidrs   jsonb   NOT NULL, -- array of {"name": string|null, "cidr": string}
    expires_at      bigint,
    metadata        jsonb   NOT NULL, -- object
    created_at      bigint  NOT NULL,
    updated_at      bigint  NOT NULL,
    last_used_at    bigint,           -- written only by the verifier's write-behind
    last_rotated_at bigint,
    version         bigint  NOT NULL, -- optimistic concurrency
    CONSTRAINT api_keys_owner_name_key UNIQUE (owner_id, name),
    CONSTRAINT api_keys_owner_fkey FOREIGN KEY (owner_id, domain_id)
        REFERENCES principals (id, domain_id)
);

-- Every list is confined to one domain; these serve its default sort and the common filters.
CREATE INDEX api_keys_domain_created ON api_keys (domain_id, created_at, id);
CREATE INDEX api_keys_domain_name ON api_keys (domain_id, name, id);
CREATE INDEX api_keys_domain_state ON api_keys (domain_id, state, created_at, id);

CREATE TABLE key_secrets (
    key_id     uuid    NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    slot       text    COLLATE "C" NOT NULL,
    hash       bytea   NOT NULL, -- 32 bytes of (keyed) SHA-256; the verify path's lookup key
    hint       text    NOT NULL,
    created_at bigint  NOT NULL,
    expires_at bigint,
    PRIMARY KEY (key_id, slot),
    CONSTRAINT key_secrets_hash_key UNIQUE (hash)
);

CREATE TABLE operations (
    id          uuid    NOT NULL PRIMARY KEY, -- UUIDv7: ordering by id is ordering by time
    domain_id   uuid    NOT NULL,             -- no foreign key: the history outlives its objects
    actor       jsonb   NOT NULL,
    action      text    COLLATE "C" NOT NULL,
    target_kind text    COLLATE "C" NOT NULL,
    target_id   uuid    NOT NULL,
    at          bigint  NOT NULL,
    metadata    jsonb   NOT NULL,
    result      jsonb   NOT NULL
);

CREATE INDEX operations_domain ON operations (domain_id, id);
CREATE INDEX operations_target ON operations (target_id, id);
