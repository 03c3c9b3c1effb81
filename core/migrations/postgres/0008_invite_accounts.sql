-- An invite may name the one chat account that can redeem it (a code
-- overheard by someone else is then of no use to them). NULL: any account,
-- which an admin's invite may not be.
ALTER TABLE invites ADD COLUMN for_identity TEXT;
