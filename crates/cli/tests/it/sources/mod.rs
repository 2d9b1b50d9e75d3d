//! The sources beyond Kapacitor's `post` handler (Alertmanager, Grafana, Kapacitor's alerta
//! and opsgenie2 handlers) through a real server: their fixtures (trigger, repeat, resolve),
//! the bad-input matrix, the catalogue and the test button.

mod bad_input;
mod catalogue;
mod fixtures;
