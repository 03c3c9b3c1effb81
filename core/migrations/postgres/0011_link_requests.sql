-- A person whose chat account no admin knows asks the bot, in a DM, to be
-- linked to a local user by name; an admin approves or denies it. No
-- secret travels: the account that asked is the one linked. One request
-- per account, the latest.
CREATE TABLE link_requests (
    platform      TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    user_name     TEXT NOT NULL,
    requested_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (platform, external_id)
);

-- Every invite now names the one account that may redeem it. Those made
-- without one would work for whoever read them: they are withdrawn.
UPDATE invites SET expires_at = created_at WHERE for_identity IS NULL;
