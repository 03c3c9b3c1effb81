-- Pstral's own database, PostgreSQL flavour. Keep in step with migrations/sqlite.

CREATE TABLE users (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('viewer', 'executor', 'admin')),
    created_at  TIMESTAMPTZ NOT NULL
);

-- A chat account (discord:123, matrix:@ana:example.org) linked to one local user.
CREATE TABLE identities (
    platform     TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    linked_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (platform, external_id)
);
CREATE INDEX identities_user ON identities (user_id);

-- One-time link codes. Only the SHA-256 of a code is kept.
CREATE TABLE invites (
    code_hash   TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    used_by     TEXT
);

-- A conversation is a thread, or a reply chain, in one place.
CREATE TABLE conversations (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    platform    TEXT NOT NULL,
    channel     TEXT NOT NULL,
    -- The thread id, or the id of the message that started the reply chain.
    root        TEXT NOT NULL,
    private     BOOLEAN NOT NULL,
    mode        TEXT NOT NULL CHECK (mode IN ('sql', 'chat')),
    started_by  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (platform, channel, root)
);

CREATE TABLE messages (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id      BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role                 TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    user_id              BIGINT REFERENCES users (id) ON DELETE SET NULL,
    -- The platform's id of the chat message, to follow replies back to a conversation.
    platform_message_id  TEXT,
    content              TEXT NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX messages_history ON messages (conversation_id, id);
CREATE INDEX messages_platform_id ON messages (platform_message_id);

-- The audit: append-only, each event chained to the previous one by hash.
-- No foreign keys: the audit outlives the rows it speaks of. The payload is
-- TEXT, not JSONB: the hash covers its exact bytes, which JSONB would reorder.
CREATE TABLE audit_events (
    seq         BIGINT PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    user_id     BIGINT,
    identity    TEXT,
    platform    TEXT,
    channel     TEXT,
    thread      TEXT,
    private     BOOLEAN NOT NULL,
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
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- Each insert must link to the head, and moves it. The head row is locked
-- before anything else, by every writer (plain appends here, transactional
-- ones by SELECT ... FOR UPDATE), so all take their locks in one order and
-- cannot deadlock. An append that raced another is refused with a
-- unique_violation, which the writer retries; the chain cannot fork.
CREATE FUNCTION audit_events_link() RETURNS trigger AS $$
BEGIN
    -- One statement checks and moves the head under its row lock: a writer
    -- that waited for another re-reads the row before the check applies.
    UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash
    WHERE id = 1 AND seq = NEW.seq - 1 AND hash = NEW.prev_hash;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'audit head moved' USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_events_link BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_link();
