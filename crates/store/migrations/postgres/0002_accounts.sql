-- Accounts, as SQLite's 0002: users, team memberships, sign-in sessions, the audit log; token
-- owners; webhook key rotation with a grace period.
CREATE TABLE users (
    id            TEXT COLLATE "C" PRIMARY KEY,
    -- Unique regardless of ASCII case, like SQLite's COLLATE NOCASE: lower() under the "C"
    -- collation folds ASCII letters only, whatever the database's locale.
    username      TEXT COLLATE "C" NOT NULL,
    email         TEXT NOT NULL,
    -- argon2id, PHC string format.
    password_hash TEXT NOT NULL,
    org_admin     BOOLEAN NOT NULL DEFAULT false,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (lower(username));

CREATE TABLE team_members (
    team_id TEXT COLLATE "C" NOT NULL REFERENCES teams(id),
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    role    TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'responder', 'observer')),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

CREATE TABLE sessions (
    id         TEXT COLLATE "C" PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    csrf_hash  BYTEA NOT NULL,
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE audit_log (
    id      TEXT COLLATE "C" PRIMARY KEY,
    at      TIMESTAMPTZ NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    team_id TEXT COLLATE "C",
    target  TEXT,
    detail  TEXT
);
CREATE INDEX audit_log_team ON audit_log (team_id, id DESC);

-- A token acts for its user (NULL: a team token, or the bootstrap admin token).
ALTER TABLE api_tokens ADD COLUMN user_id TEXT COLLATE "C" REFERENCES users(id);
-- The bootstrap token's org-wide role was called 'admin'; team roles now use that word.
UPDATE api_tokens SET role = 'org_admin' WHERE role = 'admin' AND team_id IS NULL;

-- After a rotation with a grace period the old key keeps working until the expiry.
ALTER TABLE services ADD COLUMN previous_api_key_hash BYTEA;
ALTER TABLE services ADD COLUMN previous_key_expires_at TIMESTAMPTZ;
CREATE INDEX services_previous_key ON services (previous_api_key_hash)
    WHERE previous_api_key_hash IS NOT NULL;
