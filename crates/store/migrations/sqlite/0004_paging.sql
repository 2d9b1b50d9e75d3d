-- Paging: who is told about an incident (contact methods, notification rules, team channels,
-- escalation policies) and the engine's durable state (one escalation row per open incident on
-- a service with a policy, one row per notification). Times are INTEGER microseconds, UTC.

-- A user's way to be reached: a webhook, a Slack-compatible webhook or an email address.
CREATE TABLE contact_methods (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users(id),
    kind           TEXT NOT NULL CHECK (kind IN ('webhook', 'slack', 'email')),
    name           TEXT NOT NULL,
    -- The URL (webhook, slack) or the address (email).
    target         TEXT NOT NULL,
    -- Webhooks only: the HMAC key of X-Tocsin-Signature.
    signing_secret TEXT,
    created_at     INTEGER NOT NULL,
    UNIQUE (user_id, name)
);

-- "After delay_minutes, on contact_method_id." A user with none is notified on every
-- contact method at once.
CREATE TABLE notification_rules (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users(id),
    contact_method_id TEXT NOT NULL REFERENCES contact_methods(id) ON DELETE CASCADE,
    delay_minutes     INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    UNIQUE (contact_method_id, delay_minutes)
);
CREATE INDEX notification_rules_user ON notification_rules (user_id);

-- A destination a team owns (an ops channel, a shared mailbox).
CREATE TABLE channels (
    id             TEXT PRIMARY KEY,
    team_id        TEXT NOT NULL REFERENCES teams(id),
    kind           TEXT NOT NULL CHECK (kind IN ('webhook', 'slack', 'email')),
    name           TEXT NOT NULL,
    target         TEXT NOT NULL,
    signing_secret TEXT,
    created_at     INTEGER NOT NULL,
    UNIQUE (team_id, name)
);

CREATE TABLE escalation_policies (
    id         TEXT PRIMARY KEY,
    team_id    TEXT NOT NULL REFERENCES teams(id),
    name       TEXT NOT NULL,
    -- core::paging::policy::PolicyRules as JSON: read whole when a step fires, so an edit
    -- applies from the next step on.
    rules      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (team_id, name)
);

ALTER TABLE services ADD COLUMN escalation_policy_id TEXT REFERENCES escalation_policies(id);

-- Round-robin steps take turns across incidents: the next turn per (policy, step).
CREATE TABLE policy_turns (
    policy_id TEXT NOT NULL REFERENCES escalation_policies(id) ON DELETE CASCADE,
    step      INTEGER NOT NULL,
    turn      INTEGER NOT NULL,
    PRIMARY KEY (policy_id, step)
);

-- An open incident's place in its policy (core::paging::escalation): written in the same
-- transaction that opens, acknowledges or resolves the incident. due_at NULL: idle (the
-- policy ran out; kept so that a later acknowledge or resolve still tells who was paged).
CREATE TABLE escalations (
    incident_id TEXT PRIMARY KEY REFERENCES incidents(id),
    policy_id   TEXT REFERENCES escalation_policies(id) ON DELETE SET NULL,
    phase       TEXT NOT NULL,
    round       INTEGER NOT NULL,
    step        INTEGER NOT NULL,
    loop        INTEGER NOT NULL,
    due_at      INTEGER
);
CREATE INDEX escalations_due ON escalations (due_at) WHERE due_at IS NOT NULL;

-- One notification to one recipient. The unique key is what makes a step carried out twice
-- (two nodes, a replay) notify once. user_id / channel_id / contact_method_id are kept
-- without foreign keys: the history outlives a deleted contact method.
CREATE TABLE notifications (
    id                TEXT PRIMARY KEY,
    incident_id       TEXT NOT NULL REFERENCES incidents(id),
    kind              TEXT NOT NULL,
    round             INTEGER NOT NULL,
    step              INTEGER NOT NULL,
    loop              INTEGER NOT NULL,
    -- 'u:<user>:<contact method>' or 'c:<channel>'
    recipient         TEXT NOT NULL,
    user_id           TEXT,
    channel_id        TEXT,
    contact_method_id TEXT,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'unknown')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    -- Claims made; one more than attempts while a sender holds it (or vanished with it).
    claims            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER,
    lease_until       INTEGER,
    lease_owner       TEXT,
    sent_at           INTEGER,
    error             TEXT,
    created_at        INTEGER NOT NULL,
    UNIQUE (incident_id, kind, round, step, loop, recipient)
);
CREATE INDEX notifications_due ON notifications (next_attempt_at)
    WHERE status IN ('pending', 'unknown');
CREATE INDEX notifications_incident ON notifications (incident_id, id);
