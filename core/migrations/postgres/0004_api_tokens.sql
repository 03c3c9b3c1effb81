-- Bearer tokens for the admin HTTP endpoint. Only the SHA-256 of a token is
-- kept; the token is shown once, when it is created. A token works only while
-- it is neither revoked nor expired and its user is an admin, all checked on
-- every call. Keep in step with the other backend.
CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   TEXT NOT NULL UNIQUE,
    label        TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ
);
