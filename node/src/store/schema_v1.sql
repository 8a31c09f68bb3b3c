-- Lineup store, version 1.
--
-- u64 values (log ids, seq nums) are stored as 8-byte big-endian BLOBs, which
-- SQLite orders as the numbers they are.

-- One row per author's log: which document it belongs to. (How far it goes is
-- the highest seq num of its entries.)
CREATE TABLE logs (
    public_key  BLOB NOT NULL,
    log_id      BLOB NOT NULL,
    document_id BLOB NOT NULL,
    schema_id   TEXT NOT NULL,
    PRIMARY KEY (public_key, log_id)
) WITHOUT ROWID;
-- A document's operations are found through its logs, so entries need no
-- index of their own by document (one page less to write per entry).
CREATE UNIQUE INDEX logs_by_document ON logs (document_id, public_key);

-- Every applied entry, with its operation until the operation is pruned, and
-- what materialisation needs to know of the operation without decoding it.
-- (One table, so that an entry costs as few page writes as possible: the
-- hash is also the operation id.)
CREATE TABLE entries (
    public_key  BLOB    NOT NULL,
    log_id      BLOB    NOT NULL,
    seq_num     BLOB    NOT NULL,
    hash        BLOB    NOT NULL UNIQUE,
    entry       BLOB    NOT NULL,
    payload     BLOB,
    document_id BLOB    NOT NULL,
    schema_id   TEXT    NOT NULL,
    action      INTEGER NOT NULL,
    previous    TEXT,
    PRIMARY KEY (public_key, log_id, seq_num),
    FOREIGN KEY (public_key, log_id) REFERENCES logs (public_key, log_id)
) WITHOUT ROWID;

-- The current view of every document.
CREATE TABLE documents (
    id             BLOB    NOT NULL PRIMARY KEY,
    schema_id      TEXT    NOT NULL,
    author         BLOB    NOT NULL,
    view_id        TEXT    NOT NULL,
    deleted        INTEGER NOT NULL,
    edited         INTEGER NOT NULL,
    -- Where an operation building on it alone extends the document without a
    -- new walk (lineup_core::Reduced::walk_end); NULL where none does.
    walk_end       BLOB
) WITHOUT ROWID;
CREATE INDEX documents_by_schema ON documents (schema_id, deleted, id);

-- Fields of current views. `cbor` is the exact value as operations encode it;
-- `value` is a copy SQL can filter and order by: ints and bools as INTEGER,
-- floats as REAL, strings as TEXT, bytes as BLOB, relations as text (lists
-- joined with spaces).
CREATE TABLE document_fields (
    document_id  BLOB NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    operation_id BLOB NOT NULL,
    cbor         BLOB NOT NULL,
    value,
    PRIMARY KEY (document_id, name)
) WITHOUT ROWID;

-- Entries that are valid but wait for something (a previous operation, their
-- schema, an earlier entry of their log). Not materialised.
CREATE TABLE held_entries (
    hash        BLOB    NOT NULL PRIMARY KEY,
    public_key  BLOB    NOT NULL,
    log_id      BLOB    NOT NULL,
    seq_num     BLOB    NOT NULL,
    entry       BLOB    NOT NULL,
    payload     BLOB    NOT NULL,
    waiting_for TEXT    NOT NULL,
    peer        TEXT    NOT NULL,
    received_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX held_by_dependency ON held_entries (waiting_for);
CREATE INDEX held_by_author ON held_entries (public_key);
CREATE INDEX held_by_peer ON held_entries (peer);

-- Nodes this node has met.
CREATE TABLE peers (
    public_key BLOB    NOT NULL PRIMARY KEY,
    address    TEXT    NOT NULL,
    last_seen  INTEGER NOT NULL
) WITHOUT ROWID;

-- Every application schema this node has seen defined. A schema id names one
-- view of its definition, so later versions of a definition add rows here.
CREATE TABLE schemas (
    id          TEXT NOT NULL PRIMARY KEY,
    description TEXT NOT NULL,
    -- One "name type" line per field.
    fields      TEXT NOT NULL
) WITHOUT ROWID;
