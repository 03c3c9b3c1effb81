-- The mode chosen with `mode sql|chat` in a channel, for the conversations
-- started there afterwards. Keep in step with migrations/sqlite.
CREATE TABLE channel_modes (
    platform    TEXT NOT NULL,
    channel     TEXT NOT NULL,
    mode        TEXT NOT NULL CHECK (mode IN ('sql', 'chat')),
    changed_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (platform, channel)
);
