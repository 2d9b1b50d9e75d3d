//! Noise control (issue 18): what a service's rules decide about an alert before dedup.
//! Pure: the store keeps the rule list, the ingest path runs the compiled set.

pub mod payload;
pub mod records;
pub mod rules;
pub mod screen;
pub mod windows;
