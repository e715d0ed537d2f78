-- Several nodes sharing one database (PostgreSQL; on SQLite there is only ever one node,
-- and these stay empty or NULL).

-- The node holding a `sending` lease: a node recovers only its own leases when it starts;
-- the leases of a node that died expire and any node reclaims them.
ALTER TABLE messages ADD COLUMN lease_node TEXT;

-- The nodes seen: each writes its row every few seconds (`GET /api/cluster`).
CREATE TABLE cluster_nodes (
    node_id      TEXT PRIMARY KEY NOT NULL,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    version      TEXT NOT NULL,
    routes       TEXT NOT NULL   -- JSON: [{"name","kind","ready"}]
);

-- Limits shared by the nodes (OTPs per number): one row per unit taken, purged once older
-- than the longest window.
CREATE TABLE shared_limit_hits (
    id    INTEGER PRIMARY KEY,
    scope TEXT NOT NULL,
    key   TEXT NOT NULL,
    at    INTEGER NOT NULL,
    units INTEGER NOT NULL
);
CREATE INDEX shared_limit_hits_key ON shared_limit_hits (scope, key, at);

-- Duplicate suppression shared by the nodes: one row per recipient and text *hash* (never
-- the text), with when it was last accepted.
CREATE TABLE shared_duplicates (
    key TEXT PRIMARY KEY NOT NULL,
    at  INTEGER NOT NULL
);
CREATE INDEX shared_duplicates_at ON shared_duplicates (at);
