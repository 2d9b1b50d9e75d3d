//! SQLite's spelling of the shared account SQL's arguments: numbered `?n`, lists expanded.

use rusqlite::types::Value;

use crate::accounts::sql::Bind;

impl Bind for Vec<Value> {
    fn text(&mut self, v: String) -> String {
        self.push(Value::Text(v));
        format!("?{}", self.len())
    }

    fn any_of(&mut self, column: &str, values: Vec<String>) -> String {
        let marks: Vec<String> = values.into_iter().map(|v| self.text(v)).collect();
        format!("{column} IN ({})", marks.join(","))
    }
}
