-- The readings of a question the bot asked back about ("🤔 … Which do you
-- mean? 1. … 2. …"), numbered as shown on its message: what the asker's pick
-- gives (the reading's statement, judged again and offered as any other).
-- Kept with the conversation, and gone with it; `picked_at` is set once, so
-- that a pick delivered twice is answered once.
CREATE TABLE readings (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id  BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    platform         TEXT NOT NULL,
    channel          TEXT NOT NULL,
    message_id       TEXT NOT NULL,
    number           INTEGER NOT NULL,
    question         TEXT NOT NULL,
    asked_by         BIGINT NOT NULL REFERENCES users (id),
    words            TEXT NOT NULL,
    plan             TEXT NOT NULL,
    sql_text         TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    picked_at        TIMESTAMPTZ,
    UNIQUE (platform, channel, message_id, number)
);
CREATE INDEX readings_place ON readings (platform, channel, id);
