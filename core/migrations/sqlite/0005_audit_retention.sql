-- Audit retention: events up to an anchor may be deleted, nothing after it.
-- The anchor is the seq and hash of the last event removed; verify starts
-- from it, so the chain that remains still proves itself. It only moves
-- forward, onto an event of the chain, and each move is itself an audited
-- event (audit_pruned) that stays. Keep in step with the other backend.
CREATE TABLE audit_anchor (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_anchor (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER audit_anchor_forward BEFORE UPDATE ON audit_anchor
BEGIN
    SELECT RAISE(ABORT, 'the audit anchor only moves forward, onto an event of the chain')
    WHERE NEW.seq <= OLD.seq
       OR NOT EXISTS (SELECT 1 FROM audit_events WHERE seq = NEW.seq AND hash = NEW.hash);
END;
CREATE TRIGGER audit_anchor_stays BEFORE DELETE ON audit_anchor
BEGIN
    SELECT RAISE(ABORT, 'the audit anchor stays');
END;

DROP TRIGGER audit_events_no_delete;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN OLD.seq > (SELECT seq FROM audit_anchor WHERE id = 1)
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
