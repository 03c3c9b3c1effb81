-- Two replicas, one bot (OPERATING.md, "Two replicas").
--
-- Who serves the chat platforms: one row, written only by the replica that
-- holds the session advisory lock (crate::replicas). `term` grows at each
-- takeover and fences a replica that lost the lead without knowing it: a
-- claim carries the term it was made under, and is refused once another
-- term began. `backend` is the leader's session, so that a standby can end
-- a session whose lease ran out while the server still keeps it (a cut
-- network holds it until TCP gives up).
CREATE TABLE leadership (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    term        BIGINT NOT NULL,
    replica     TEXT NOT NULL,
    backend     INTEGER NOT NULL,
    -- The leader's `ha.takeover`: its lease runs out that long after its
    -- last renewal, whatever the standby's own setting says.
    takeover_ms BIGINT NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    renewed_at  TIMESTAMPTZ NOT NULL
);

-- Each event from a platform that the bot acted on, by the platform's own
-- id: a message, a command, a click. The key decides, not a read before a
-- write: an event delivered twice (a catch-up sync after a takeover, a
-- Discord RESUME) is acted on by whoever inserts it first, once.
CREATE TABLE handled_events (
    platform    TEXT NOT NULL,
    channel     TEXT NOT NULL,
    event       TEXT NOT NULL,
    term        BIGINT,
    handled_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (platform, channel, event)
);
CREATE INDEX handled_events_at ON handled_events (handled_at);

-- The answers being written, with what each shows: a row is removed when
-- its answer ends; one left by a process that died is ended by the next
-- leader (its text, and a note that the service restarted).
CREATE TABLE open_answers (
    platform       TEXT NOT NULL,
    channel        TEXT NOT NULL,
    thread         TEXT,
    private        BOOLEAN NOT NULL,
    -- The placeholder, which holds the Stop control.
    first_message  TEXT NOT NULL,
    -- The message being written now, and what it shows (without cursor).
    message        TEXT NOT NULL,
    shown          TEXT NOT NULL,
    -- Whether `shown` is the answer's last text (its ending's note
    -- included): then it only needs showing again, without a note.
    ended          BOOLEAN NOT NULL DEFAULT FALSE,
    owner          TEXT NOT NULL,
    conversation   BIGINT,
    question       TEXT,
    user_id        BIGINT,
    identity       TEXT,
    started_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (platform, channel, first_message)
);
