use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The record does not exist, or the caller's scope cannot see it (no existence leak).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness rule was broken (a duplicate name, …).
    #[error("{0}")]
    Conflict(String),
    /// A rule of the account lifecycle (core's `lifecycle`) refused the change; nothing changed.
    #[error("{0}")]
    Refused(tocsin_core::lifecycle::Refusal),
    /// What was asked names something the database does not have where it must be (a policy
    /// target that does not exist, a channel of another team); `field` is the JSON path of
    /// the offending value. Nothing changed.
    #[error("field `{field}`: {detail}")]
    Invalid { field: String, detail: String },
    /// The write queue is full: the caller should back off and retry.
    #[error("the store is overloaded")]
    Overloaded,
    /// The database cannot be reached or the write could not be committed.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    #[error("store error: {0}")]
    Other(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match &e {
            rusqlite::Error::SqliteFailure(f, msg)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                StoreError::Conflict(msg.clone().unwrap_or_else(|| e.to_string()))
            }
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(
                    f.code,
                    rusqlite::ErrorCode::DiskFull
                        | rusqlite::ErrorCode::CannotOpen
                        | rusqlite::ErrorCode::DatabaseBusy
                        | rusqlite::ErrorCode::DatabaseLocked
                        | rusqlite::ErrorCode::SystemIoFailure
                        | rusqlite::ErrorCode::ReadOnly
                ) =>
            {
                StoreError::Unavailable(e.to_string())
            }
            _ => StoreError::Other(e.to_string()),
        }
    }
}

impl StoreError {
    /// A unique violation reworded for the caller (which name was taken); anything else
    /// unchanged.
    pub(crate) fn conflict_as(self, detail: impl FnOnce() -> String) -> Self {
        match self {
            StoreError::Conflict(_) => StoreError::Conflict(detail()),
            other => other,
        }
    }
}
