-- Issue 16: every alert paid for this index (a b-tree insert and its pages in the WAL at each
-- commit) and no query reads it: timelines go by (incident_id, id), services' recent
-- incidents by incidents_service_newest.
DROP INDEX incident_events_service;
