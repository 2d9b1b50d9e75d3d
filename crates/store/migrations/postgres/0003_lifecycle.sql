-- Account lifecycle, as SQLite's 0003: a user can be disabled (its sessions and tokens are
-- refused while it is), and a session remembers when it was last used.
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMPTZ;
ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMPTZ;
-- Listing and ending one user's sessions.
CREATE INDEX sessions_user ON sessions (user_id);
