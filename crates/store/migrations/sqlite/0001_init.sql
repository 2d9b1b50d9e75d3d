-- Times are INTEGER microseconds since the Unix epoch, UTC.
CREATE TABLE teams (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    incident_counter INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL
);

CREATE TABLE services (
    id         TEXT PRIMARY KEY,
    team_id    TEXT NOT NULL REFERENCES teams(id),
    name       TEXT NOT NULL,
    api_key    TEXT NOT NULL,
    -- Lookups go by the key's SHA-256, so comparing secrets never depends on their bytes.
    api_key_hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    UNIQUE (team_id, name)
);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   BLOB NOT NULL UNIQUE,
    role         TEXT NOT NULL,
    team_id      TEXT REFERENCES teams(id),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    revoked_at   INTEGER,
    last_used_at INTEGER
);

CREATE TABLE alert_sources (
    service_id       TEXT NOT NULL REFERENCES services(id),
    source           TEXT NOT NULL,
    last_incident_at INTEGER,
    last_event_at    INTEGER,
    last_test_at     INTEGER,
    PRIMARY KEY (service_id, source)
);

CREATE TABLE incidents (
    id              TEXT PRIMARY KEY,
    team_id         TEXT NOT NULL REFERENCES teams(id),
    service_id      TEXT NOT NULL REFERENCES services(id),
    number          INTEGER NOT NULL,
    source          TEXT NOT NULL,
    dedup_key       TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('triggered', 'acknowledged', 'resolved')),
    severity        TEXT NOT NULL,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    tags            TEXT NOT NULL,
    event_count     INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by TEXT,
    resolved_at     INTEGER,
    resolved_by     TEXT,
    UNIQUE (team_id, number)
);

-- The invariant that makes dedup race-free: at most one open incident per (service, key).
CREATE UNIQUE INDEX incidents_one_open
    ON incidents (service_id, dedup_key) WHERE status IN ('triggered', 'acknowledged');
CREATE INDEX incidents_team_newest ON incidents (team_id, id DESC);
CREATE INDEX incidents_service_newest ON incidents (service_id, id DESC);

CREATE TABLE incident_events (
    id          TEXT PRIMARY KEY,
    incident_id TEXT REFERENCES incidents(id),
    service_id  TEXT NOT NULL REFERENCES services(id),
    kind        TEXT NOT NULL,
    source      TEXT,
    level       TEXT,
    actor       TEXT,
    text        TEXT,
    received_at INTEGER NOT NULL,
    occurred_at INTEGER,
    payload     TEXT
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, id);
CREATE INDEX incident_events_service ON incident_events (service_id, id);
