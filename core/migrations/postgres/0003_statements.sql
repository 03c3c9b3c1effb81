-- SQL statements offered for execution: a control (a button, a reaction,
-- `run N`) names a message and an index, and the statement is read back from
-- here, never from the control itself. Keep in step with the other backend.
CREATE TABLE statements (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id  BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    platform         TEXT NOT NULL,
    channel          TEXT NOT NULL,
    message_id       TEXT NOT NULL,
    idx              INTEGER NOT NULL,
    sql_text         TEXT NOT NULL,
    dialect          TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (platform, channel, message_id, idx)
);
CREATE INDEX statements_place ON statements (platform, channel, id);
