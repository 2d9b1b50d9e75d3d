//! What the noise step's decisions write (issue 18), apart from the batch's bookkeeping in
//! [`super::plan_screened`]: the suppressed incident a repeat may join, the incident a passed
//! dedup window replaces, and the words an alert's timeline row carries.

use chrono::{DateTime, Utc};

use super::{IncidentUpdate, NewIncident, OpenIncident, Slot};
use crate::noise::screen::Noise;
use crate::{IncidentId, IncidentStatus};

/// The newest incident of a key when it is `suppressed`, read only for an alert the noise
/// step suppressed and that finds nothing open: a repeat joins it (instead of opening one
/// suppressed incident per repeat) when the same cause still suppresses the key and, for a
/// window, it opened within the window's current occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressedIncident {
    pub id: IncidentId,
    pub number: i64,
    /// `suppressed_by` as stored (`window:<id>` or `rules`).
    pub cause: String,
    pub opened_at: DateTime<Utc>,
}

/// Who the batch's own timeline notes are by.
pub const NOISE_ACTOR: &str = "noise";

/// Resolve the incident a passed dedup window replaces; its id and number.
pub(super) fn resolve_replaced(
    existing: &mut [(OpenIncident, IncidentUpdate)], inserts: &mut [NewIncident], old: Slot,
    at: DateTime<Utc>,
) -> (IncidentId, i64) {
    match old {
        Slot::Existing(i) => {
            let (inc, update) = &mut existing[i];
            update.status = Some(IncidentStatus::Resolved);
            update.resolved_at = Some(at);
            update.resolved_by = Some(DEDUP_WINDOW);
            (inc.id, inc.number)
        }
        Slot::New(i) => {
            let inc = &mut inserts[i];
            inc.status = IncidentStatus::Resolved;
            inc.resolved_at = Some(at);
            inc.resolved_by = Some(DEDUP_WINDOW);
            (inc.id, inc.number)
        }
    }
}

/// `resolved_by` of an incident a passed dedup window replaced.
pub const DEDUP_WINDOW: &str = "dedup_window";

/// The alert row's words: what the noise step did, when it did anything. The suppression is
/// named only when it took effect (`suppressed`): a suppressed repeat that joined an incident
/// opened before the window joined it as any repeat does.
pub(super) fn event_text(noise: &Noise, suppressed: bool) -> Option<String> {
    let mut parts: Vec<&str> = noise.notes.iter().map(String::as_str).collect();
    if let (Some(s), true) = (&noise.suppressed, suppressed) {
        parts.push(&s.note);
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}
