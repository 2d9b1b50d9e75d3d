-- Paging: who is told about an incident (contact methods, notification rules, team channels,
-- escalation policies) and the engine's durable state (one escalation row per open incident on
-- a service with a policy, one row per notification). See the SQLite twin for the comments.

CREATE TABLE contact_methods (
    id             TEXT COLLATE "C" PRIMARY KEY,
    user_id        TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    kind           TEXT NOT NULL CHECK (kind IN ('webhook', 'slack', 'email')),
    name           TEXT NOT NULL,
    target         TEXT NOT NULL,
    signing_secret TEXT,
    created_at     TIMESTAMPTZ NOT NULL,
    UNIQUE (user_id, name)
);

CREATE TABLE notification_rules (
    id                TEXT COLLATE "C" PRIMARY KEY,
    user_id           TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    contact_method_id TEXT COLLATE "C" NOT NULL REFERENCES contact_methods(id) ON DELETE CASCADE,
    delay_minutes     INTEGER NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    UNIQUE (contact_method_id, delay_minutes)
);
CREATE INDEX notification_rules_user ON notification_rules (user_id);

CREATE TABLE channels (
    id             TEXT COLLATE "C" PRIMARY KEY,
    team_id        TEXT COLLATE "C" NOT NULL REFERENCES teams(id),
    kind           TEXT NOT NULL CHECK (kind IN ('webhook', 'slack', 'email')),
    name           TEXT NOT NULL,
    target         TEXT NOT NULL,
    signing_secret TEXT,
    created_at     TIMESTAMPTZ NOT NULL,
    UNIQUE (team_id, name)
);

CREATE TABLE escalation_policies (
    id         TEXT COLLATE "C" PRIMARY KEY,
    team_id    TEXT COLLATE "C" NOT NULL REFERENCES teams(id),
    name       TEXT NOT NULL,
    rules      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (team_id, name)
);

ALTER TABLE services ADD COLUMN escalation_policy_id TEXT COLLATE "C"
    REFERENCES escalation_policies(id);

CREATE TABLE policy_turns (
    policy_id TEXT COLLATE "C" NOT NULL REFERENCES escalation_policies(id) ON DELETE CASCADE,
    step      INTEGER NOT NULL,
    turn      BIGINT NOT NULL,
    PRIMARY KEY (policy_id, step)
);

CREATE TABLE escalations (
    incident_id TEXT COLLATE "C" PRIMARY KEY REFERENCES incidents(id),
    policy_id   TEXT COLLATE "C" REFERENCES escalation_policies(id) ON DELETE SET NULL,
    phase       TEXT NOT NULL,
    round       INTEGER NOT NULL,
    step        INTEGER NOT NULL,
    loop        INTEGER NOT NULL,
    due_at      TIMESTAMPTZ
);
CREATE INDEX escalations_due ON escalations (due_at) WHERE due_at IS NOT NULL;

CREATE TABLE notifications (
    id                TEXT COLLATE "C" PRIMARY KEY,
    incident_id       TEXT COLLATE "C" NOT NULL REFERENCES incidents(id),
    kind              TEXT NOT NULL,
    round             INTEGER NOT NULL,
    step              INTEGER NOT NULL,
    loop              INTEGER NOT NULL,
    recipient         TEXT COLLATE "C" NOT NULL,
    user_id           TEXT COLLATE "C",
    channel_id        TEXT COLLATE "C",
    contact_method_id TEXT COLLATE "C",
    status            TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'unknown')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    claims            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   TIMESTAMPTZ,
    lease_until       TIMESTAMPTZ,
    lease_owner       TEXT,
    sent_at           TIMESTAMPTZ,
    error             TEXT,
    created_at        TIMESTAMPTZ NOT NULL,
    UNIQUE (incident_id, kind, round, step, loop, recipient)
);
CREATE INDEX notifications_due ON notifications (next_attempt_at)
    WHERE status IN ('pending', 'unknown');
CREATE INDEX notifications_incident ON notifications (incident_id, id);
