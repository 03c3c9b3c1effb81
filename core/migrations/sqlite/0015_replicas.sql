-- One process serves a SQLite database (its lock file refuses a second);
-- these are the tables two replicas on PostgreSQL need that one process
-- needs too: what it acted on, and the answers it was writing when it
-- stopped. See migrations/postgres/0015_replicas.sql.

-- Each event from a platform that the bot acted on, by the platform's own
-- id: an event delivered twice is acted on once, decided by the key.
CREATE TABLE handled_events (
    platform    TEXT NOT NULL,
    channel     TEXT NOT NULL,
    event       TEXT NOT NULL,
    term        INTEGER,
    handled_at  TEXT NOT NULL,
    PRIMARY KEY (platform, channel, event)
);
CREATE INDEX handled_events_at ON handled_events (handled_at);

-- The answers being written, with what each shows: ended by the next start
-- when the process died before they were.
CREATE TABLE open_answers (
    platform       TEXT NOT NULL,
    channel        TEXT NOT NULL,
    thread         TEXT,
    private        BOOLEAN NOT NULL,
    first_message  TEXT NOT NULL,
    message        TEXT NOT NULL,
    shown          TEXT NOT NULL,
    ended          BOOLEAN NOT NULL DEFAULT FALSE,
    owner          TEXT NOT NULL,
    conversation   INTEGER,
    question       TEXT,
    user_id        INTEGER,
    identity       TEXT,
    started_at     TEXT NOT NULL,
    PRIMARY KEY (platform, channel, first_message)
);
