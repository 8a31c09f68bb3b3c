-- Lineup store, version 3: what this device keeps of its secret groups
-- (node/src/secret). Only this device's: never replicated, never served but
-- to the owner. Every value is sealed with the key in the data dir's
-- `secret-state-key` file.

-- openmls' state of each group (and, under the empty group id, the private
-- halves of this device's key packages), entry by entry.
CREATE TABLE secret_state (
    group_id BLOB NOT NULL,
    key      BLOB NOT NULL,
    value    BLOB NOT NULL,
    PRIMARY KEY (group_id, key)
) WITHOUT ROWID;

-- The commits this device applied to each group, in order, each with the
-- group's state after it: to go back to when a commit it applied loses to a
-- concurrent one. The first is the one that made this device a member (an
-- empty commit id: it created the group). Old states are dropped.
CREATE TABLE secret_commits (
    group_id  BLOB    NOT NULL,
    epoch     INTEGER NOT NULL,
    commit_id BLOB    NOT NULL,
    state     BLOB,
    PRIMARY KEY (group_id, epoch)
) WITHOUT ROWID;

-- The long-term secrets of each group, by their epoch.
CREATE TABLE secret_long_term (
    group_id BLOB    NOT NULL,
    epoch    INTEGER NOT NULL,
    secret   BLOB    NOT NULL,
    PRIMARY KEY (group_id, epoch)
) WITHOUT ROWID;

-- Every channel message this device has tried to read: its plaintext, or
-- why it cannot be read (and whether it may be read later); for those it
-- sent, the epoch it sealed them in (sent again if that epoch loses).
CREATE TABLE secret_messages (
    message_id    BLOB    NOT NULL PRIMARY KEY,
    group_id      BLOB    NOT NULL,
    sender        BLOB    NOT NULL,
    plaintext     BLOB,
    unreadable    TEXT,
    retry         INTEGER,
    sent_in_epoch INTEGER,
    -- When this device first kept it (ms since 1970): where a message it
    -- cannot read (which tells no time of its own) is listed.
    kept_at       INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER))
) WITHOUT ROWID;
CREATE INDEX secret_messages_by_group ON secret_messages (group_id);

-- Others' key packages (their documents) this device used in a welcome: a
-- key package serves one, so the next channel takes another.
CREATE TABLE secret_used_key_packages (
    document_id BLOB NOT NULL PRIMARY KEY
) WITHOUT ROWID;
