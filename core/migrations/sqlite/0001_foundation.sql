-- Pstral's own database, SQLite flavour. Keep in step with migrations/postgres.
-- Timestamps are RFC 3339 text as sqlx writes DateTime<Utc>; they sort correctly as text.

CREATE TABLE users (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('viewer', 'executor', 'admin')),
    created_at  TEXT NOT NULL
);

-- A chat account (discord:123, matrix:@ana:example.org) linked to one local user.
CREATE TABLE identities (
    platform     TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    linked_at    TEXT NOT NULL,
    PRIMARY KEY (platform, external_id)
);
CREATE INDEX identities_user ON identities (user_id);

-- One-time link codes. Only the SHA-256 of a code is kept.
CREATE TABLE invites (
    code_hash   TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    used_by     TEXT
);

-- A conversation is a thread, or a reply chain, in one place.
CREATE TABLE conversations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    platform    TEXT NOT NULL,
    channel     TEXT NOT NULL,
    -- The thread id, or the id of the message that started the reply chain.
    root        TEXT NOT NULL,
    private     INTEGER NOT NULL CHECK (private IN (0, 1)),
    mode        TEXT NOT NULL CHECK (mode IN ('sql', 'chat')),
    started_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (platform, channel, root)
);

CREATE TABLE messages (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id      INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role                 TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    user_id              INTEGER REFERENCES users (id) ON DELETE SET NULL,
    -- The platform's id of the chat message, to follow replies back to a conversation.
    platform_message_id  TEXT,
    content              TEXT NOT NULL,
    created_at           TEXT NOT NULL
);
CREATE INDEX messages_history ON messages (conversation_id, id);
CREATE INDEX messages_platform_id ON messages (platform_message_id);

-- The audit: append-only, each event chained to the previous one by hash.
-- No foreign keys: the audit outlives the rows it speaks of.
CREATE TABLE audit_events (
    seq         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    user_id     INTEGER,
    identity    TEXT,
    platform    TEXT,
    channel     TEXT,
    thread      TEXT,
    private     INTEGER NOT NULL CHECK (private IN (0, 1)),
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL UNIQUE,
    hash        TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_events_kind ON audit_events (kind, seq);
CREATE INDEX audit_events_user ON audit_events (user_id, seq);
CREATE INDEX audit_events_at ON audit_events (at);

-- The head of the chain: the last event's seq and hash, checked and moved by
-- a trigger with each insert. It lets verify notice a truncated tail.
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

-- Each insert must link to the head, and moves it, in the statement's own
-- transaction: an append that raced another is refused (and retried by the
-- writer), so the chain cannot fork even without the UNIQUE backstop.
CREATE TRIGGER audit_events_link BEFORE INSERT ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit head moved')
    WHERE NEW.seq <> (SELECT seq + 1 FROM audit_head WHERE id = 1)
       OR NEW.prev_hash <> (SELECT hash FROM audit_head WHERE id = 1);
    UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
END;
