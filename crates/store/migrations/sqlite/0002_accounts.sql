-- Accounts: users, team memberships, sign-in sessions, the audit log; token owners; webhook
-- key rotation with a grace period. Times are INTEGER microseconds since the Unix epoch, UTC.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    email         TEXT NOT NULL,
    -- argon2id, PHC string format.
    password_hash TEXT NOT NULL,
    org_admin     INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE team_members (
    team_id TEXT NOT NULL REFERENCES teams(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    role    TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'responder', 'observer')),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    csrf_hash  BLOB NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE audit_log (
    id      TEXT PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    team_id TEXT,
    target  TEXT,
    detail  TEXT
);
CREATE INDEX audit_log_team ON audit_log (team_id, id DESC);

-- A token acts for its user (NULL: a team token, or the bootstrap admin token).
ALTER TABLE api_tokens ADD COLUMN user_id TEXT REFERENCES users(id);
-- The bootstrap token's org-wide role was called 'admin'; team roles now use that word.
UPDATE api_tokens SET role = 'org_admin' WHERE role = 'admin' AND team_id IS NULL;

-- After a rotation with a grace period the old key keeps working until the expiry.
ALTER TABLE services ADD COLUMN previous_api_key_hash BLOB;
ALTER TABLE services ADD COLUMN previous_key_expires_at INTEGER;
CREATE INDEX services_previous_key ON services (previous_api_key_hash)
    WHERE previous_api_key_hash IS NOT NULL;
