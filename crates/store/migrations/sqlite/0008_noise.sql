-- Issue 18, noise control: a service's rules and maintenance windows, and the final incident
-- status `suppressed`.
--
-- `incidents.status` has a CHECK constraint, which SQLite cannot alter: the table is rebuilt
-- by SQLite's recipe (new table, copy, drop, rename, every index again). Other tables refer to
-- `incidents`, so the runner (sqlite/migrate.rs) runs this migration with foreign keys off
-- and checks them (`PRAGMA foreign_key_check`) before it commits.
CREATE TABLE incidents_new (
    id              TEXT PRIMARY KEY,
    team_id         TEXT NOT NULL REFERENCES teams(id),
    service_id      TEXT NOT NULL REFERENCES services(id),
    number          INTEGER NOT NULL,
    source          TEXT NOT NULL,
    dedup_key       TEXT NOT NULL,
    status          TEXT NOT NULL
        CHECK (status IN ('triggered', 'acknowledged', 'resolved', 'suppressed')),
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
    -- What suppressed it (`window:<id>` or `rules`): a repeat joins it only for the same cause.
    suppressed_by   TEXT,
    UNIQUE (team_id, number)
);
INSERT INTO incidents_new (id, team_id, service_id, number, source, dedup_key, status, severity,
       title, description, tags, event_count, created_at, updated_at, acknowledged_at,
       acknowledged_by, resolved_at, resolved_by)
SELECT id, team_id, service_id, number, source, dedup_key, status, severity, title, description,
       tags, event_count, created_at, updated_at, acknowledged_at, acknowledged_by, resolved_at,
       resolved_by
FROM incidents;
DROP TABLE incidents;
ALTER TABLE incidents_new RENAME TO incidents;
CREATE UNIQUE INDEX incidents_one_open
    ON incidents (service_id, dedup_key) WHERE status IN ('triggered', 'acknowledged');
CREATE INDEX incidents_team_newest ON incidents (team_id, id DESC);
CREATE INDEX incidents_service_newest ON incidents (service_id, id DESC);
-- A suppressed repeat looks for the newest suppressed incident of its key; only suppressed
-- incidents pay for this index.
CREATE INDEX incidents_suppressed_newest
    ON incidents (service_id, dedup_key, id DESC) WHERE status = 'suppressed';

-- A service's ordered rules, the list as the API took it (JSON), compiled when loaded.
CREATE TABLE service_noise_rules (
    service_id TEXT PRIMARY KEY REFERENCES services(id),
    rules      TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE maintenance_windows (
    id         TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services(id),
    start_at   INTEGER NOT NULL,
    end_at     INTEGER,
    time_zone  TEXT NOT NULL,
    weekly     INTEGER NOT NULL,
    -- Set when someone ends it early: from then on it covers nothing.
    ended_at   INTEGER,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX maintenance_windows_service ON maintenance_windows (service_id, id);
