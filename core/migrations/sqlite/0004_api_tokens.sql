-- Bearer tokens for the admin HTTP endpoint. Only the SHA-256 of a token is
-- kept; the token is shown once, when it is created. A token works only while
-- it is neither revoked nor expired and its user is an admin, all checked on
-- every call. Keep in step with the other backend.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   TEXT NOT NULL UNIQUE,
    label        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT,
    last_used_at TEXT
);
