-- Examples an admin removed, by their question and SQL's fingerprint: a
-- "correct" said again in the chat does not bring one back; only an admin
-- adding it again does.
CREATE TABLE removed_examples (
    target       TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    removed_at   TEXT NOT NULL,
    PRIMARY KEY (target, fingerprint)
);
