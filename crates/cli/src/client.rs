//! Talking to a running server for the admin commands: one HTTP client, errors turned into
//! the server's `{code, detail}`, and plain aligned tables for people.

use anyhow::{bail, Context};
use clap::Args as ClapArgs;
use reqwest::Method;
use serde_json::Value;

#[derive(ClapArgs, Debug, Clone)]
pub struct Conn {
    /// The server's base URL.
    #[arg(
        long,
        env = "TOCSIN_SERVER",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub server: String,
    /// An API token (printed at first start, or from `tocsin token create`).
    #[arg(long, env = "TOCSIN_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// Print the server's JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
}

impl Conn {
    pub async fn call(
        &self, method: Method, path: &str, body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let token = self
            .token
            .as_deref()
            .filter(|t| !t.is_empty())
            .context("no API token: pass --token or set TOCSIN_TOKEN")?;
        let url = format!("{}/api/v1{path}", self.server.trim_end_matches('/'));
        let mut req = reqwest::Client::new()
            .request(method.clone(), &url)
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req
            .send()
            .await
            .with_context(|| format!("{method} {url}: is the server running?"))?;
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        let value: Value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if !status.is_success() {
            let code = value["code"].as_str().unwrap_or("error");
            let detail = value["detail"].as_str().unwrap_or("");
            bail!("{method} {path}: {} {code}: {detail}", status.as_u16());
        }
        Ok(value)
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> anyhow::Result<Value> {
        self.call(Method::DELETE, path, None).await
    }

    /// Print `value` as JSON with --json, else as a table of `columns` (field names) over
    /// its rows (an array, or one object).
    pub fn show(&self, value: &Value, columns: &[&str]) {
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(value).unwrap_or_default()
            );
            return;
        }
        let rows: Vec<&Value> = match value {
            Value::Array(a) => a.iter().collect(),
            Value::Null => Vec::new(),
            other => vec![other],
        };
        print!("{}", table(columns, &rows));
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn table(columns: &[&str], rows: &[&Value]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| columns.iter().map(|c| cell(&r[*c])).collect())
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .chain([c.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |vals: Vec<String>| {
        let mut l = vals
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect::<Vec<_>>()
            .join("  ");
        l.truncate(l.trim_end().len());
        l.push('\n');
        l
    };
    let mut out = line(columns.iter().map(|c| c.to_uppercase()).collect());
    for r in cells {
        out.push_str(&line(r));
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn tables_align_and_show_missing_as_dash() {
        let a = json!({"id": "x", "name": "long name"});
        let b = json!({"id": "yyyy"});
        let t = super::table(&["id", "name"], &[&a, &b]);
        assert_eq!(t, "ID    NAME\nx     long name\nyyyy  -\n");
    }
}
