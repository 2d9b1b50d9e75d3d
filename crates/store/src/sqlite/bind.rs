//! SQLite's spelling of the shared account SQL's arguments: numbered `?n`, lists expanded.
//! The argument list is `Vec<Value>`, so ids go in as their text.

use rusqlite::types::Value;
use tocsin_core::{TeamId, UserId};

use crate::accounts::sql::Bind;

/// Append one text argument; its placeholder.
fn text(args: &mut Vec<Value>, v: String) -> String {
    args.push(Value::Text(v));
    format!("?{}", args.len())
}

impl Bind for Vec<Value> {
    fn user(&mut self, v: UserId) -> String {
        text(self, v.to_string())
    }

    fn any_team(&mut self, column: &str, teams: &[TeamId]) -> String {
        let marks: Vec<String> = teams.iter().map(|t| text(self, t.to_string())).collect();
        format!("{column} IN ({})", marks.join(","))
    }
}
