-- The readings of a question the bot asked back about ("Read as: … / or:
-- …"), numbered as shown on its message: what the asker's pick gives (the
-- reading's statement, offered as any other). Kept with the conversation,
-- and gone with it.
CREATE TABLE readings (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id  INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    platform         TEXT NOT NULL,
    channel          TEXT NOT NULL,
    message_id       TEXT NOT NULL,
    number           INTEGER NOT NULL,
    question         TEXT NOT NULL,
    asked_by         INTEGER NOT NULL,
    lang             TEXT NOT NULL,
    words            TEXT NOT NULL,
    plan             TEXT NOT NULL,
    sql_text         TEXT NOT NULL,
    dialect          TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    picked_at        TEXT,
    UNIQUE (platform, channel, message_id, number)
);
CREATE INDEX readings_place ON readings (platform, channel, id);
