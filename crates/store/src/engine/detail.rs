//! Rows of the engine's reads, as both backends read them, turned into records once.

use chrono::{DateTime, Utc};
use tocsin_core::model::Incident;
use tocsin_core::paging::engine::Handoff;
use tocsin_core::paging::escalation::{Escalation, NotificationKind, Phase};
use tocsin_core::paging::fanout::Recipient;
use tocsin_core::paging::notes::recipient_label;
use tocsin_core::paging::policy::PolicyRules;
use tocsin_core::paging::records::MethodKind;
use tocsin_core::{
    ChannelId, ContactMethodId, IncidentId, IncidentStatus, NotificationId, PolicyId, ServiceId,
    TeamId, UserId,
};

use super::DueRow;
use crate::paging::{Claimed, ClaimedDestination};

/// The columns of `sql::DUE`.
pub(crate) struct DueCols {
    pub incident: IncidentId,
    pub service: ServiceId,
    pub team: TeamId,
    pub policy: Option<PolicyId>,
    pub rules: Option<String>,
    pub status: String,
    pub phase: String,
    pub round: u32,
    pub step: u32,
    pub loop_: u32,
    pub due_at: Option<DateTime<Utc>>,
    pub handoff_at: Option<DateTime<Utc>>,
    pub handoff_step: Option<u32>,
    pub handoff_loop: Option<u32>,
}

/// A row the engine can decide on. A phase this build does not know is read as idle (it
/// then stops being due rather than being retried forever); rules that no longer parse are
/// read as no policy, which the timeline shows as nobody paged.
pub(crate) fn parse_due(c: DueCols, now: DateTime<Utc>) -> DueRow {
    let handoff = match (c.handoff_at, c.handoff_step, c.handoff_loop) {
        (Some(at), Some(step), Some(loop_)) => Some(Handoff { at, step, loop_ }),
        _ => None,
    };
    DueRow {
        due: c.due_at.is_some_and(|d| d <= now),
        handoff,
        incident: c.incident,
        service: c.service,
        team: c.team,
        policy: c.policy,
        rules: c
            .rules
            .and_then(|r| serde_json::from_str::<PolicyRules>(&r).ok()),
        status: IncidentStatus::parse(&c.status).unwrap_or(IncidentStatus::Resolved),
        esc: Escalation {
            round: c.round,
            step: c.step,
            loop_: c.loop_,
            due_at: c.due_at.unwrap_or(now),
            phase: Phase::parse(&c.phase).unwrap_or(Phase::Idle),
        },
    }
}

/// The columns of `sql::CLAIMED_DETAIL`, after the claim's own (id, claims, attempts).
pub(crate) struct ClaimedRow {
    pub id: NotificationId,
    pub claims: u32,
    pub attempts: u32,
    pub kind: String,
    pub round: u32,
    pub step: u32,
    pub loop_: u32,
    pub user: Option<UserId>,
    pub channel: Option<ChannelId>,
    pub contact_method: Option<ContactMethodId>,
    pub created_at: DateTime<Utc>,
    pub service_name: String,
    pub method_kind: Option<String>,
    pub method_name: Option<String>,
    pub target: Option<String>,
    pub signing_secret: Option<String>,
    pub username: Option<String>,
}

pub(crate) fn claimed_from(r: ClaimedRow, incident: Incident) -> Claimed {
    let recipient = Recipient::from_parts(r.user, r.contact_method, r.channel);
    let label = recipient.map_or_else(
        || "a removed recipient".to_owned(),
        |rc| recipient_label(&rc, r.username.as_deref(), r.method_name.as_deref()),
    );
    let destination = match (
        r.method_kind.as_deref().and_then(MethodKind::parse),
        r.target,
    ) {
        (Some(kind), Some(target)) => Some(ClaimedDestination {
            kind,
            target,
            signing_secret: r.signing_secret,
        }),
        _ => None,
    };
    Claimed {
        id: r.id,
        claim: r.claims,
        attempts: r.attempts,
        // Claimed before and never recorded: its sender vanished mid-attempt.
        resent: r.claims > r.attempts + 1,
        kind: NotificationKind::parse(&r.kind).unwrap_or(NotificationKind::Triggered),
        round: r.round,
        step: r.step,
        loop_: r.loop_,
        created_at: r.created_at,
        incident,
        service_name: r.service_name,
        destination,
        label,
    }
}
