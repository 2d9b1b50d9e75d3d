-- The Kapacitor doctor: each team may name the Kapacitor whose live tasks its page lists.
ALTER TABLE teams ADD COLUMN kapacitor_url TEXT;
