//! PostgreSQL's spelling of the shared account SQL's arguments: `$n`, a list as one array.

use super::Params;
use crate::accounts::sql::Bind;

impl Bind for Params {
    fn text(&mut self, v: String) -> String {
        self.push(Box::new(v));
        format!("${}", self.len())
    }

    fn any_of(&mut self, column: &str, values: Vec<String>) -> String {
        self.push(Box::new(values));
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
