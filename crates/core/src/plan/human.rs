//! What a person's acknowledge, resolve or note writes, decided once for every backend.

use chrono::{DateTime, Utc};

use crate::model::{EventKind, Incident, TimelineEvent};
use crate::paging::effects::{on_change, Change, RowWrite};
use crate::{decide_human, EventId, HumanAction, HumanDecision, IncidentStatus};

/// The change to write for an acknowledge or resolve. A stamp that is `None` is left as it is.
#[derive(Debug, Clone, PartialEq)]
pub struct HumanChange {
    pub status: IncidentStatus,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// The timeline row that records who did it.
    pub event: TimelineEvent,
    /// What paging writes in the same transaction: a notice to everyone paged so far.
    pub escalation: RowWrite,
}

/// By the rules of [`decide_human`]: `Ok(None)` when nothing changes (asking again is
/// harmless), `Err` with the reason when the action is refused.
pub fn plan_human(
    inc: &Incident, action: HumanAction, actor: &str, at: DateTime<Utc>,
) -> Result<Option<HumanChange>, &'static str> {
    match decide_human(inc.status, action) {
        HumanDecision::Refused(why) => return Err(why),
        HumanDecision::Unchanged => return Ok(None),
        HumanDecision::Apply => {}
    }
    let (status, kind, change) = match action {
        HumanAction::Acknowledge => (
            IncidentStatus::Acknowledged,
            EventKind::Acknowledged,
            Change::Acknowledged,
        ),
        HumanAction::Resolve => (
            IncidentStatus::Resolved,
            EventKind::Resolved,
            Change::Resolved,
        ),
    };
    let acknowledges = action == HumanAction::Acknowledge;
    Ok(Some(HumanChange {
        status,
        acknowledged_at: acknowledges.then_some(at),
        acknowledged_by: acknowledges.then(|| actor.to_owned()),
        resolved_at: (!acknowledges).then_some(at),
        resolved_by: (!acknowledges).then(|| actor.to_owned()),
        updated_at: at,
        event: human_event(inc, kind, actor, None, at),
        escalation: on_change(change, at),
    }))
}

/// A note on the incident's timeline; it changes nothing else.
pub fn note(inc: &Incident, actor: &str, text: &str, at: DateTime<Utc>) -> TimelineEvent {
    human_event(inc, EventKind::Note, actor, Some(text), at)
}

fn human_event(
    inc: &Incident, kind: EventKind, actor: &str, text: Option<&str>, at: DateTime<Utc>,
) -> TimelineEvent {
    TimelineEvent {
        id: EventId::new(),
        incident_id: Some(inc.id),
        service_id: inc.service_id,
        kind,
        source: None,
        level: None,
        actor: Some(actor.to_owned()),
        text: text.map(str::to_owned),
        received_at: at,
        occurred_at: None,
        payload: None,
        payload_size: None,
        payload_url: None,
    }
}
