-- Heartbeats (issue 18): a service expects a check-in every interval; a missed one opens an
-- incident. The row is the timer: `due_at` says when it is missed, `state` whether that
-- already fired, so a restart or another node finds an overdue heartbeat by its row.
CREATE TABLE heartbeats (
    id               TEXT PRIMARY KEY,
    service_id       TEXT NOT NULL REFERENCES services(id),
    team_id          TEXT NOT NULL REFERENCES teams(id),
    name             TEXT NOT NULL,
    interval_seconds INTEGER NOT NULL CHECK (interval_seconds >= 10),
    grace_seconds    INTEGER NOT NULL CHECK (grace_seconds >= 0),
    -- The secret in the check-in URL, shown like a service's webhook key; lookups go by its
    -- SHA-256.
    checkin_key      TEXT NOT NULL,
    checkin_key_hash BLOB NOT NULL UNIQUE,
    last_checkin_at  INTEGER,
    due_at           INTEGER NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('ok', 'missed')),
    created_at       INTEGER NOT NULL,
    UNIQUE (service_id, name)
);

-- What the engine looks for every cycle: heartbeats not yet fired, soonest first.
CREATE INDEX heartbeats_due ON heartbeats (due_at) WHERE state = 'ok';
