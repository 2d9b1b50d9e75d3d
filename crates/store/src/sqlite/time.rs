//! Times are stored as INTEGER microseconds since the epoch: compact, indexable, exact.

use chrono::{DateTime, Utc};

pub fn to_db(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn from_db(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

pub fn opt_from_db(us: Option<i64>) -> Option<DateTime<Utc>> {
    us.map(from_db)
}
