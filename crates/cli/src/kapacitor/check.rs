//! `tocsin kapacitor check <file.tick>… | -`: the doctor's findings for each script.

use std::io::Read;

use anyhow::Context;
use clap::Args as ClapArgs;
use serde_json::json;
use tocsin_core::kapacitor_check::{self, Finding, Inputs};

use super::TocsinArgs;

#[derive(ClapArgs, Debug)]
pub struct Args {
    /// TICKscript files; `-` reads standard input.
    #[arg(required = true)]
    files: Vec<String>,
    /// The Kapacitor config whose `[[httppost]]` endpoints `.endpoint()` may name (without it,
    /// endpoints are not checked).
    #[arg(long)]
    kapacitor_conf: Option<String>,
    /// Print `{"findings": [...]}` (one file only).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    tocsin: TocsinArgs,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    if args.json && args.files.len() != 1 {
        anyhow::bail!("--json takes exactly one file");
    }
    let mut inputs = Inputs::default();
    if let Some(path) = &args.kapacitor_conf {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
        let endpoints = kapacitor_check::endpoints(&text)
            .map_err(|e| anyhow::anyhow!("{path} is not a valid kapacitor.conf: {e}"))?;
        inputs.endpoints = Some(endpoints);
    }
    match args.tocsin.urls().await {
        Ok((_, urls)) => inputs.tocsin = Some(urls),
        // Said, not silent: the URL checks need this Tocsin's service keys.
        Err(e) => eprintln!("note: post URLs are not checked against Tocsin's services: {e:#}"),
    }
    let mut errors = false;
    for file in &args.files {
        let script = read(file)?;
        let findings = kapacitor_check::check(&script, &inputs);
        errors |= kapacitor_check::has_errors(&findings);
        if args.json {
            println!("{}", json!({ "findings": findings }));
        } else {
            print!("{}", render(file, &findings));
        }
    }
    if errors {
        // Exit 1 after the findings, without anyhow's "Error:" line: the findings said it.
        std::process::exit(1);
    }
    Ok(())
}

fn read(file: &str) -> anyhow::Result<String> {
    if file == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading standard input")?;
        return Ok(s);
    }
    std::fs::read_to_string(file).with_context(|| format!("reading {file}"))
}

/// `file:line:column: severity[code]: message`, then the fix, compiler-style.
pub fn render(file: &str, findings: &[Finding]) -> String {
    let name = if file == "-" { "<stdin>" } else { file };
    if findings.is_empty() {
        return format!("{name}: ok\n");
    }
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!(
            "{name}:{}:{}: {}[{}]: {}\n    fix: {}\n",
            f.line,
            f.column,
            f.severity.as_str(),
            f.code.as_str(),
            f.message,
            f.fix
        ));
    }
    out
}
