//! One integration-test binary: every test starts a real server on a random loopback port
//! with its own SQLite file (or a PostgreSQL database) and talks HTTP to it. API behaviour runs
//! on servers in the test's own process (`Server::spawn_app*`: the binary's start-up and
//! `tocsin_server::serve`); crashes, restarts, the CLI and what the log says run on the `tocsin`
//! binary (`Server::start*`). See `support`.

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
mod heartbeat_surfaces;
mod heartbeats;
mod incident_pages;
mod incident_webhook;
mod kapacitor_api;
mod kapacitor_check;
mod kapacitor_config;
mod lifecycle;
mod limits;
mod noise;
mod ops;
mod pagerduty;
mod paging;
mod paging_pages;
#[cfg(feature = "postgres-tests")]
mod postgres;
mod restart;
mod schedule_pages;
mod schedules;
mod secrets;
mod sign_in_limits;
mod slow_clients;
mod sources;
mod story;
mod web_security;
