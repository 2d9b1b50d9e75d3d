//! End to end with a real Prometheus Alertmanager (Debian's `prometheus-alertmanager`): it
//! runs on a free loopback port with a webhook receiver pointed at the service's `prometheus`
//! URL; the test posts alerts to its API (`/api/v2/alerts`) as Prometheus does and watches
//! what Tocsin made of the notifications Alertmanager sent.
//!
//! `ALERTMANAGER` names the binary (`scripts/test` installs the package and sets it); without
//! it, `prometheus-alertmanager` on the PATH. Missing, every test here fails naming the
//! install command: a missing Alertmanager is never a silent pass.

#[allow(dead_code)]
#[path = "../it/support/mod.rs"]
mod support;

mod alertmanager;
mod webhook;
