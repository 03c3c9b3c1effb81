-- A statement compiled from a plan of the target's semantic model keeps
-- that plan (JSON), and an example confirmed from it keeps it too: the
-- plan prompt shows confirmed plans of similar questions as worked
-- examples. NULL for the model's own SQL.
ALTER TABLE statements ADD COLUMN plan TEXT;
ALTER TABLE sql_examples ADD COLUMN plan TEXT;
