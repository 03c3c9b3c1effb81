-- SQL that learns (keep in step with the other backend).
--
-- A statement remembers the question it answers and who asked it, so that
-- "correct" on its result can store the pair and knows whether the person
-- who clicks is the asker.
ALTER TABLE statements ADD COLUMN question TEXT;
ALTER TABLE statements ADD COLUMN asked_by INTEGER REFERENCES users (id);
ALTER TABLE statements ADD COLUMN lang TEXT;

-- Each successful Execute whose result was shown: what "correct" and
-- "wrong" on that result refer to, and the result's shape.
CREATE TABLE sql_results (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    statement_id  INTEGER NOT NULL REFERENCES statements (id) ON DELETE CASCADE,
    platform      TEXT NOT NULL,
    channel       TEXT NOT NULL,
    thread        TEXT,
    -- The message that shows the result; NULL when it went to the clicker
    -- privately (then `good`/`bad` typed by them finds it).
    message_id    TEXT,
    executed_by   INTEGER NOT NULL REFERENCES users (id),
    columns       TEXT NOT NULL,
    row_count     INTEGER NOT NULL,
    truncated     BOOLEAN NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX sql_results_place ON sql_results (platform, channel, id);

-- Confirmed question → SQL pairs of each Execute target.
CREATE TABLE sql_examples (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    target           TEXT NOT NULL,
    question         TEXT NOT NULL,
    sql_text         TEXT NOT NULL,
    dialect          TEXT NOT NULL,
    lang             TEXT NOT NULL,
    -- Where it came from: chat (a click), cli, api, import, eval.
    source           TEXT NOT NULL,
    created_by       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_by_name  TEXT,
    created_at       TEXT NOT NULL,
    -- The result it gave when confirmed (JSON list of column names), if known.
    result_columns   TEXT,
    result_rows      INTEGER,
    -- Why it is not used now (its tables left the catalogue, the policy
    -- refuses it); NULL when it is in use. Set aside, never deleted.
    set_aside        TEXT,
    -- The question's embedding (little-endian f32) and the model that made it.
    embedding_model  TEXT,
    embedding        BLOB,
    -- SHA-256 of the question and the SQL: one example per pair (an index
    -- on the texts themselves would limit their length on PostgreSQL).
    fingerprint      TEXT NOT NULL,
    -- Bumped by every change, so that a running bot sees what the CLI did.
    updated_at       TEXT NOT NULL,
    UNIQUE (target, fingerprint)
);
CREATE INDEX sql_examples_target ON sql_examples (target, updated_at);
