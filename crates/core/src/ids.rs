//! Typed, prefixed identifiers.
//!
//! A prefix (`inc_`, `svc_`, …) makes an id self-describing in logs and URLs, and a distinct
//! Rust type per kind means an `IncidentId` can never be passed where a `ServiceId` is wanted.
//! The body is a ULID, so ids sort by creation time, which the list endpoints rely on for
//! "newest first" cursors.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The id's text did not have the expected prefix or was not a ULID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} id {value:?}: expected {prefix}<ulid>")]
pub struct InvalidId {
    pub kind: &'static str,
    pub prefix: &'static str,
    pub value: String,
}

/// Ids made by this process strictly increase, even within one millisecond: timelines and
/// "newest first" lists order by id, and two events of one batch often share a millisecond.
/// (ULID's monotonic generator: same millisecond → previous random part + 1.)
fn next_ulid() -> ulid::Ulid {
    static GENERATOR: std::sync::Mutex<ulid::Generator> =
        std::sync::Mutex::new(ulid::Generator::new());
    match GENERATOR.lock() {
        Ok(mut g) => g.generate().unwrap_or_else(|_| ulid::Ulid::new()),
        Err(_) => ulid::Ulid::new(),
    }
}

/// Ids are stored as their text (`inc_01H…`) in both databases; these impls let a query take
/// and return the typed id itself instead of a `String` converted at every call.
#[cfg(feature = "sql")]
macro_rules! sql_id {
    ($name:ident) => {
        impl rusqlite::types::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(rusqlite::types::ToSqlOutput::Owned(
                    rusqlite::types::Value::Text(self.to_text()),
                ))
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(
                v: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                v.as_str()?
                    .parse()
                    .map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
            }
        }

        impl postgres_types::ToSql for $name {
            fn to_sql(
                &self, _: &postgres_types::Type, out: &mut bytes::BytesMut,
            ) -> Result<postgres_types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
                // The binary format of text is its UTF-8 bytes.
                let mut buf = [0u8; ulid::ULID_LEN];
                out.extend_from_slice(Self::PREFIX.as_bytes());
                out.extend_from_slice(self.0.array_to_str(&mut buf).as_bytes());
                Ok(postgres_types::IsNull::No)
            }

            fn accepts(ty: &postgres_types::Type) -> bool {
                <&str as postgres_types::ToSql>::accepts(ty)
            }

            postgres_types::to_sql_checked!();
        }

        impl<'a> postgres_types::FromSql<'a> for $name {
            fn from_sql(
                ty: &postgres_types::Type, raw: &'a [u8],
            ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
                Ok(<&str as postgres_types::FromSql>::from_sql(ty, raw)?.parse()?)
            }

            fn accepts(ty: &postgres_types::Type) -> bool {
                <&str as postgres_types::FromSql>::accepts(ty)
            }
        }
    };
}

macro_rules! id_type {
    ($name:ident, $prefix:literal, $kind:literal) => {
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(ulid::Ulid);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            pub fn new() -> Self {
                Self(next_ulid())
            }

            /// An id that sorts as if created at `at`: for history written after the fact
            /// (imports, benchmark seeding), so "newest first" stays true.
            pub fn at(at: std::time::SystemTime) -> Self {
                Self(ulid::Ulid::from_datetime(at))
            }

            /// The id as text (`prefix` + ULID) without the formatting machinery: ids are
            /// bound to nearly every statement the hot path runs, and `to_string` through
            /// `Display` showed in its profile (issue 16).
            pub fn to_text(&self) -> String {
                let mut buf = [0u8; ulid::ULID_LEN];
                let mut text = String::with_capacity($prefix.len() + ulid::ULID_LEN);
                text.push_str($prefix);
                text.push_str(self.0.array_to_str(&mut buf));
                text
            }

            /// The ULID's time part orders ids by creation.
            pub fn ulid(&self) -> ulid::Ulid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut buf = [0u8; ulid::ULID_LEN];
                f.write_str($prefix)?;
                f.write_str(self.0.array_to_str(&mut buf))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.strip_prefix($prefix)
                    .and_then(|rest| ulid::Ulid::from_string(rest).ok())
                    .map(Self)
                    .ok_or_else(|| InvalidId {
                        kind: $kind,
                        prefix: $prefix,
                        value: s.chars().take(64).collect(),
                    })
            }
        }

        /// In the API description: a string with the kind's prefix and a ULID.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some(concat!("^", $prefix, "[0-7][0-9A-HJKMNP-TV-Z]{25}$")))
                    .description(Some(concat!(
                        "A ",
                        $kind,
                        " id: `",
                        $prefix,
                        "` and a ULID."
                    )))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        #[cfg(feature = "sql")]
        sql_id!($name);

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

id_type!(TeamId, "team_", "team");
id_type!(ServiceId, "svc_", "service");
id_type!(IncidentId, "inc_", "incident");
id_type!(EventId, "evt_", "event");
id_type!(TokenId, "tok_", "token");
id_type!(UserId, "usr_", "user");
id_type!(AuditId, "aud_", "audit entry");
id_type!(SessionId, "ses_", "session");
id_type!(PolicyId, "esc_", "escalation policy");
id_type!(ChannelId, "chn_", "channel");
id_type!(ContactMethodId, "cm_", "contact method");
id_type!(NotificationRuleId, "nrule_", "notification rule");
id_type!(NotificationId, "ntf_", "notification");
id_type!(ScheduleId, "sch_", "schedule");
id_type!(OverrideId, "ovr_", "schedule override");
id_type!(CalendarFeedId, "cal_", "calendar feed");
id_type!(HeartbeatId, "hb_", "heartbeat");
id_type!(MaintenanceWindowId, "mw_", "maintenance window");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_made_in_one_process_strictly_increase() {
        let ids: Vec<EventId> = (0..10_000).map(|_| EventId::new()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert!(ids.windows(2).all(|w| w[0].to_string() < w[1].to_string()));
    }

    #[test]
    fn round_trips_and_rejects_other_kinds() {
        let id = IncidentId::new();
        let text = id.to_string();
        assert!(text.starts_with("inc_"));
        assert_eq!(text, format!("inc_{}", id.ulid()));
        assert_eq!(id.to_text(), text);
        assert_eq!(text.parse::<IncidentId>(), Ok(id));
        assert!(text.parse::<ServiceId>().is_err());
        assert!("inc_not-a-ulid".parse::<IncidentId>().is_err());
    }
}
