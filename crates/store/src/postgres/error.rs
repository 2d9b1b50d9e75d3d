//! How PostgreSQL's failures become [`StoreError`]s.
//!
//! The line that matters is "unavailable" versus "broken": anything that says the database
//! cannot be reached or cannot take the write now (no connection, shutting down, too many
//! connections, a statement timeout, a deadlock victim) is [`StoreError::Unavailable`], which the
//! server answers with 503 so the sender retries; only real faults are [`StoreError::Other`].

use deadpool_postgres::PoolError;
use tokio_postgres::error::SqlState;

use crate::StoreError;

/// The partial unique index that keeps one open incident per (service, dedup key).
pub const ONE_OPEN_INDEX: &str = "incidents_one_open";

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        let Some(db) = e.as_db_error() else {
            // No server answer at all: the socket closed, the connect failed, or timed out.
            return StoreError::Unavailable(e.to_string());
        };
        let code = db.code().code();
        // Class 23, integrity constraint violation (unique, foreign key, check, not null): a
        // conflict, as SQLite's constraint errors are.
        if code.starts_with("23") {
            StoreError::Conflict(db.message().to_owned())
        } else if code.starts_with("08") // connection exception
            || code.starts_with("53") // insufficient resources (too many connections, disk full)
            || code.starts_with("57") // operator intervention: shutdown, statement timeout
            || code.starts_with("40") // serialization failure, deadlock
            || code == "25006"
        // read-only transaction: a standby, or a primary being demoted
        {
            StoreError::Unavailable(format!("{}: {}", code, db.message()))
        } else {
            StoreError::Other(format!("{}: {}", code, db.message()))
        }
    }
}

impl From<PoolError> for StoreError {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::Backend(e) => e.into(),
            PoolError::Timeout(_) | PoolError::Closed => {
                StoreError::Unavailable(format!("no database connection: {e}"))
            }
            other => StoreError::Other(other.to_string()),
        }
    }
}

/// A transaction worth running again from the start: another node opened the same incident
/// first (retry as a join), or PostgreSQL chose it as a deadlock or serialization victim.
pub fn is_retryable(e: &tokio_postgres::Error) -> bool {
    let Some(db) = e.as_db_error() else {
        return false;
    };
    (db.code() == &SqlState::UNIQUE_VIOLATION && db.constraint() == Some(ONE_OPEN_INDEX))
        || db.code() == &SqlState::T_R_DEADLOCK_DETECTED
        || db.code() == &SqlState::T_R_SERIALIZATION_FAILURE
}
