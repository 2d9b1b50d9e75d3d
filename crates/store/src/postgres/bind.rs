//! PostgreSQL's spelling of the shared account SQL's arguments: `$n`, a list as one array.

use tocsin_core::{TeamId, UserId};

use super::Params;
use crate::accounts::sql::Bind;

impl Bind for Params {
    fn user(&mut self, v: UserId) -> String {
        self.push(Box::new(v));
        format!("${}", self.len())
    }

    fn any_team(&mut self, column: &str, teams: &[TeamId]) -> String {
        self.push(Box::new(teams.to_vec()));
        format!("{column} = ANY(${})", self.len())
    }
}

/// A column of a row, its error naming the column.
pub(super) fn col<'a, T: tokio_postgres::types::FromSql<'a>>(
    r: &'a tokio_postgres::Row, idx: usize,
) -> Result<T, crate::StoreError> {
    r.try_get(idx)
        .map_err(|e| crate::StoreError::Other(format!("column {idx}: {e}")))
}
