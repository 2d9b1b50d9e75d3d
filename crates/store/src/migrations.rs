//! What both backends' migration runners share: where to start, and the refusal to run on a
//! database a newer Tocsin has migrated (its schema may mean things this one does not know).

use crate::StoreError;

/// The first migration to apply, given the schema version the database records and the
/// number of migrations this build knows.
pub(crate) fn first_pending(current: i64, known: usize) -> Result<usize, StoreError> {
    let current = usize::try_from(current).unwrap_or(0);
    if current > known {
        return Err(StoreError::Other(format!(
            "the database is at schema version {current}, newer than this Tocsin knows ({known}); upgrade Tocsin"
        )));
    }
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_after_what_ran_and_refuses_a_newer_schema() {
        assert_eq!(first_pending(0, 3).ok(), Some(0));
        assert_eq!(first_pending(2, 3).ok(), Some(2));
        assert_eq!(first_pending(3, 3).ok(), Some(3));
        assert_eq!(first_pending(-1, 3).ok(), Some(0));
        assert!(first_pending(4, 3).is_err_and(|e| e.to_string().contains("upgrade Tocsin")));
    }
}
