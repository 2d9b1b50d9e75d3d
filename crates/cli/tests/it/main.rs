//! One integration-test binary: every test starts the real `tocsin` binary on a random
//! loopback port with its own SQLite file and talks HTTP to it.

mod support;

mod access;
mod accounts;
mod api;
mod bad_input;
mod concurrency;
mod fixtures;
mod restart;
mod story;
