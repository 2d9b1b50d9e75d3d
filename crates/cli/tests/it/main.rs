//! One integration-test binary: every test starts the real `tocsin` binary on a random
//! loopback port with its own SQLite file (or, in `postgres`, its own PostgreSQL cluster) and
//! talks HTTP to it.

mod pg_cluster;
mod support;

mod access;
mod account_surfaces;
mod accounts;
mod accounts_pg;
mod api;
mod bad_input;
mod bench;
mod concurrency;
mod crash;
mod fixtures;
mod lifecycle;
mod limits;
mod ops;
mod postgres;
mod restart;
mod secrets;
mod sign_in_limits;
mod slow_clients;
mod story;
