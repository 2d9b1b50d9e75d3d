-- On-call schedules; see the SQLite twin for the comments.
CREATE TABLE schedules (
    id         TEXT COLLATE "C" PRIMARY KEY,
    team_id    TEXT COLLATE "C" NOT NULL REFERENCES teams(id),
    name       TEXT NOT NULL,
    rules      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (team_id, name)
);

CREATE TABLE schedule_overrides (
    id          TEXT COLLATE "C" PRIMARY KEY,
    schedule_id TEXT COLLATE "C" NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
    user_id     TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    start_at    TIMESTAMPTZ NOT NULL,
    end_at      TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX schedule_overrides_schedule ON schedule_overrides (schedule_id, end_at);

CREATE TABLE calendar_feeds (
    id          TEXT COLLATE "C" PRIMARY KEY,
    token_hash  BYTEA NOT NULL UNIQUE,
    schedule_id TEXT COLLATE "C" REFERENCES schedules(id) ON DELETE CASCADE,
    user_id     TEXT COLLATE "C" REFERENCES users(id),
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);

ALTER TABLE escalations ADD COLUMN handoff_at TIMESTAMPTZ;
ALTER TABLE escalations ADD COLUMN handoff_step INTEGER;
ALTER TABLE escalations ADD COLUMN handoff_loop INTEGER;
CREATE INDEX escalations_handoff ON escalations (handoff_at) WHERE handoff_at IS NOT NULL;
