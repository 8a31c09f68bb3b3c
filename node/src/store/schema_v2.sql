-- Lineup store, version 2: forks.

-- Entries that prove a fork: an author signed two different entries at one
-- seq num of one log (a misbehaving key, or one key copied to two devices).
-- The log holds whichever arrived first; this table the others.
CREATE TABLE forks (
    public_key BLOB NOT NULL,
    log_id     BLOB NOT NULL,
    seq_num    BLOB NOT NULL,
    hash       BLOB NOT NULL UNIQUE,
    entry      BLOB NOT NULL,
    payload    BLOB,
    PRIMARY KEY (public_key, log_id, seq_num, hash)
) WITHOUT ROWID;

-- Operations materialisation leaves out: those at or after the first fork of
-- their log, and every one that builds on one of those. Their entries stay.
CREATE TABLE frozen_operations (
    hash BLOB NOT NULL PRIMARY KEY
) WITHOUT ROWID;

-- Operations of authorised documents whose authors may not do what they
-- do (docs/authorisation.md), by the key groups as they stand: stored, left
-- out of their documents, and decided again whenever a key group changes.
CREATE TABLE unauthorised_operations (
    hash        BLOB NOT NULL PRIMARY KEY,
    document_id BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX unauthorised_by_document ON unauthorised_operations (document_id);
