-- The same schema as SQLite's 0001, in PostgreSQL's types. Times are timestamptz (microsecond
-- precision, like SQLite's integer microseconds). Ids and names sort bytewise (COLLATE "C"),
-- as in SQLite, so "newest first" by ULID and "by name" agree across backends whatever the
-- database's default collation.
CREATE TABLE teams (
    id               TEXT COLLATE "C" PRIMARY KEY,
    name             TEXT COLLATE "C" NOT NULL UNIQUE,
    incident_counter BIGINT NOT NULL DEFAULT 0,
    created_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE services (
    id           TEXT COLLATE "C" PRIMARY KEY,
    team_id      TEXT COLLATE "C" NOT NULL REFERENCES teams(id),
    name         TEXT COLLATE "C" NOT NULL,
    api_key      TEXT NOT NULL,
    -- Lookups go by the key's SHA-256, so comparing secrets never depends on their bytes.
    api_key_hash BYTEA NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (team_id, name)
);

CREATE TABLE api_tokens (
    id           TEXT COLLATE "C" PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   BYTEA NOT NULL UNIQUE,
    role         TEXT NOT NULL,
    team_id      TEXT COLLATE "C" REFERENCES teams(id),
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ
);

CREATE TABLE alert_sources (
    service_id       TEXT COLLATE "C" NOT NULL REFERENCES services(id),
    source           TEXT NOT NULL,
    last_incident_at TIMESTAMPTZ,
    last_event_at    TIMESTAMPTZ,
    last_test_at     TIMESTAMPTZ,
    PRIMARY KEY (service_id, source)
);

CREATE TABLE incidents (
    id              TEXT COLLATE "C" PRIMARY KEY,
    team_id         TEXT COLLATE "C" NOT NULL REFERENCES teams(id),
    service_id      TEXT COLLATE "C" NOT NULL REFERENCES services(id),
    number          BIGINT NOT NULL,
    source          TEXT NOT NULL,
    dedup_key       TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('triggered', 'acknowledged', 'resolved')),
    severity        TEXT NOT NULL,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    tags            TEXT NOT NULL,
    event_count     BIGINT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    acknowledged_at TIMESTAMPTZ,
    acknowledged_by TEXT,
    resolved_at     TIMESTAMPTZ,
    resolved_by     TEXT,
    UNIQUE (team_id, number)
);

-- The invariant that makes dedup race-free across nodes: at most one open incident per
-- (service, key). A second node opening the same key concurrently gets a unique violation and
-- retries as a join.
CREATE UNIQUE INDEX incidents_one_open
    ON incidents (service_id, dedup_key) WHERE status IN ('triggered', 'acknowledged');
CREATE INDEX incidents_team_newest ON incidents (team_id, id DESC);
CREATE INDEX incidents_service_newest ON incidents (service_id, id DESC);

CREATE TABLE incident_events (
    id          TEXT COLLATE "C" PRIMARY KEY,
    incident_id TEXT COLLATE "C" REFERENCES incidents(id),
    service_id  TEXT COLLATE "C" NOT NULL REFERENCES services(id),
    kind        TEXT NOT NULL,
    source      TEXT,
    level       TEXT,
    actor       TEXT,
    text        TEXT,
    received_at TIMESTAMPTZ NOT NULL,
    occurred_at TIMESTAMPTZ,
    payload     TEXT
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, id);
CREATE INDEX incident_events_service ON incident_events (service_id, id);
