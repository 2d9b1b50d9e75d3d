//! Tocsin's pure domain.
//!
//! Everything here is deterministic and free of I/O so that the rules that decide what an
//! alert does to an incident can be property-tested in isolation and shared by every store
//! backend and every alert source.

pub mod access;
pub mod alert;
pub mod credentials;
pub mod heartbeat;
pub mod ids;
pub mod incident;
pub mod kapacitor_check;
pub mod lifecycle;
pub mod model;
pub mod noise;
pub mod paging;
pub mod plan;
pub mod schedule;
pub mod secret;
pub mod sources;
pub mod timeline;
pub mod visibility;

pub use access::{Grants, Role, TokenRole};
pub use alert::{Action, AlertEvent, Severity};
pub use ids::{
    AuditId, CalendarFeedId, ChannelId, ContactMethodId, EventId, HeartbeatId, IncidentId,
    MaintenanceWindowId, NotificationId, NotificationRuleId, OverrideId, PolicyId, ScheduleId,
    ServiceId, SessionId, TeamId, TokenId, UserId,
};
pub use incident::{decide, decide_human, Decision, HumanAction, HumanDecision, IncidentStatus};
pub use sources::{DecodeError, SourceKind};
pub use timeline::{EventPage, EventPageError, EventPageQuery};
