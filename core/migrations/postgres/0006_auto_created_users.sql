-- Users created on first contact (identity.unknown = "auto_viewer") are
-- marked, so that such an account may still redeem an invite meant for the
-- person: its identity then moves to the invited user. Keep in step with the
-- other backend.
ALTER TABLE users ADD COLUMN auto_created BOOLEAN NOT NULL DEFAULT FALSE;
