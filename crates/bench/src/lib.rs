//! Tocsin's load generator as a library: the `tocsin-bench` binary is its command line, and
//! the integration tests drive it in-process against a real server.

pub mod load;
pub mod page;
pub mod report;
pub mod target;

use std::sync::Arc;

pub use load::{Plan, Progress};
pub use report::Report;
pub use target::{Endpoint, Kind};

/// Run `plan` to its end (count or duration) and summarise it.
pub async fn measure(plan: Arc<Plan>, progress: Arc<Progress>) -> Report {
    let outcome = load::run(plan.clone(), progress).await;
    Report::new(&plan, &outcome)
}
