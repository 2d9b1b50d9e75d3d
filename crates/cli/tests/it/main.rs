//! One integration-test binary: every test starts the real `tocsin` binary on a random
//! loopback port with its own SQLite file (or, in `postgres`, its own PostgreSQL cluster) and
//! talks HTTP to it.

#[cfg(feature = "postgres-tests")]
mod pg_cluster;
mod support;

mod access;
mod account_surfaces;
mod accounts;
#[cfg(feature = "postgres-tests")]
mod accounts_pg;
mod api;
mod bad_input;
mod bearer_limits;
mod bench;
mod concurrency;
mod crash;
mod fixtures;
mod incident_pages;
mod lifecycle;
mod limits;
mod ops;
#[cfg(feature = "postgres-tests")]
mod postgres;
mod restart;
mod secrets;
mod sign_in_limits;
mod slow_clients;
mod story;
mod web_security;
