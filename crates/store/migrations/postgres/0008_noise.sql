-- Issue 18, noise control; see the SQLite twin for the comments. PostgreSQL alters the
-- status constraint in place.
ALTER TABLE incidents DROP CONSTRAINT incidents_status_check;
ALTER TABLE incidents ADD CONSTRAINT incidents_status_check
    CHECK (status IN ('triggered', 'acknowledged', 'resolved', 'suppressed'));
ALTER TABLE incidents ADD COLUMN suppressed_by TEXT;
CREATE INDEX incidents_suppressed_newest
    ON incidents (service_id, dedup_key, id DESC) WHERE status = 'suppressed';

CREATE TABLE service_noise_rules (
    service_id TEXT COLLATE "C" PRIMARY KEY REFERENCES services(id),
    rules      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE maintenance_windows (
    id         TEXT COLLATE "C" PRIMARY KEY,
    service_id TEXT COLLATE "C" NOT NULL REFERENCES services(id),
    start_at   TIMESTAMPTZ NOT NULL,
    end_at     TIMESTAMPTZ,
    time_zone  TEXT NOT NULL,
    weekly     BOOLEAN NOT NULL,
    ended_at   TIMESTAMPTZ,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX maintenance_windows_service ON maintenance_windows (service_id, id);
