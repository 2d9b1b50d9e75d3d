-- Account lifecycle: a user can be disabled (its sessions and tokens are refused while it is),
-- and a session remembers when it was last used, for the list of one's sessions.
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER;
-- Listing and ending one user's sessions.
CREATE INDEX sessions_user ON sessions (user_id);
