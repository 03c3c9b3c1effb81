-- The groups a user belongs to (sales, collections, HR…), distinct from
-- their role: a role says what they may do, a group what data they may
-- read. The groups themselves and their rules are configured
-- ([groups.NAME]); a membership of a group no longer configured grants
-- nothing.
CREATE TABLE user_groups (
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    group_name  TEXT NOT NULL,
    added_at    TEXT NOT NULL,
    PRIMARY KEY (user_id, group_name)
);
