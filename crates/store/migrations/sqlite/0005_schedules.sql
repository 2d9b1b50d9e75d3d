-- On-call schedules: the rules (time zone and layers, core::schedule::ScheduleRules as JSON,
-- read whole: evaluated in core), overrides, secret calendar feeds; and the next hand-off an
-- escalation waits for (a step that paged a schedule is re-evaluated when its shift hands
-- over). Times are INTEGER microseconds, UTC.
CREATE TABLE schedules (
    id         TEXT PRIMARY KEY,
    team_id    TEXT NOT NULL REFERENCES teams(id),
    name       TEXT NOT NULL,
    rules      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (team_id, name)
);

CREATE TABLE schedule_overrides (
    id          TEXT PRIMARY KEY,
    schedule_id TEXT NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id),
    start_at    INTEGER NOT NULL,
    end_at      INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX schedule_overrides_schedule ON schedule_overrides (schedule_id, end_at);

-- A calendar app's secret URL: of a schedule, or of a user's own shifts. Looked up by the
-- token's SHA-256, like API tokens.
CREATE TABLE calendar_feeds (
    id          TEXT PRIMARY KEY,
    token_hash  BLOB NOT NULL UNIQUE,
    schedule_id TEXT REFERENCES schedules(id) ON DELETE CASCADE,
    user_id     TEXT REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

-- The step (and pass) that paged a schedule, re-evaluated at handoff_at.
ALTER TABLE escalations ADD COLUMN handoff_at INTEGER;
ALTER TABLE escalations ADD COLUMN handoff_step INTEGER;
ALTER TABLE escalations ADD COLUMN handoff_loop INTEGER;
CREATE INDEX escalations_handoff ON escalations (handoff_at) WHERE handoff_at IS NOT NULL;
