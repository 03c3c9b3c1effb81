-- A user an admin disabled (or removed: disabled, their chat accounts
-- unlinked): kept for the audit's sake, refused when they act.
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMPTZ;
