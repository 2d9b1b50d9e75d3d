//! What a batch writes to paging's escalation rows, in the same transaction.

use chrono::{DateTime, Utc};

use super::{Escalate, IncidentUpdate, NewIncident};
use crate::paging::effects::{on_change, Change};
use crate::IncidentStatus;

/// An incident opened and resolved within one batch pages nobody: it is over before anyone
/// could act. The others start their policy, or stop it. An acknowledge by the source is
/// written exactly as a person's ([`human::plan_human`]: `Change::Acknowledged`), after the
/// start of an incident opened in the same batch, so its paging stops the same way (and an
/// acknowledgement timeout still retriggers it).
pub(super) fn paging_writes(
    inserts: &[NewIncident], updates: &[IncidentUpdate], at: DateTime<Utc>,
) -> Vec<Escalate> {
    let change = |status: Option<IncidentStatus>| match status {
        Some(IncidentStatus::Resolved) => Some(Change::Resolved),
        Some(IncidentStatus::Acknowledged) => Some(Change::Acknowledged),
        _ => None,
    };
    let existing = updates.iter().filter_map(|u| {
        change(u.status).map(|c| Escalate {
            incident: u.id,
            service: None,
            write: on_change(c, at),
        })
    });
    let opened = inserts.iter().filter(|n| n.status.is_open()).flat_map(|n| {
        let start = Escalate {
            incident: n.id,
            service: Some(n.service_id),
            write: on_change(Change::Opened, at),
        };
        let acked = (n.status == IncidentStatus::Acknowledged).then(|| Escalate {
            incident: n.id,
            service: None,
            write: on_change(Change::Acknowledged, at),
        });
        std::iter::once(start).chain(acked)
    });
    existing.chain(opened).collect()
}
