//! The README's commands, run literally as a newcomer would on a fresh clone.
//!
//! Reads `README.md`, takes the command block under "Run it", the install command beside it and
//! the quick start's `kapacitor-config` command, and runs each through `sh -c` in a scratch copy
//! of the checkout (the files git tracks or would track, as they are in the working tree). A
//! README edit that breaks one of them fails this test.
//!
//! What the test sets around the commands is environment only, never their text:
//! `TOCSIN_LISTEN=127.0.0.1:0` (the printed default port may be taken on a test machine; the
//! flag's environment variable is documented beside it), `CARGO_TARGET_DIR` (the checkout's own
//! `target/`, so the release build is shared with the benchmarks) and `CARGO_INSTALL_ROOT` (so
//! `cargo install` does not write to the machine's `~/.cargo/bin`).
//!
//! It builds a release binary (minutes on a cold machine), so it is behind the `readme-tests`
//! feature: `./scripts/test` turns it on, a plain `cargo test` leaves it out.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A cold release build on two cores takes several minutes; this is far above that.
const BUILD_DEADLINE: Duration = Duration::from_secs(25 * 60);

fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn readme() -> String {
    std::fs::read_to_string(checkout().join("README.md")).expect("README.md is readable")
}

/// The fenced `sh` blocks of `text`, each with its lines' common indentation removed and its
/// backslash continuations joined, so a block reads as the shell would run it.
fn sh_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, Vec<String>)> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        match &mut current {
            None if trimmed == "```sh" => current = Some((indent, Vec::new())),
            None => {}
            Some((_, lines)) if trimmed == "```" => {
                blocks.push(lines.join("\n").replace("\\\n", " "));
                current = None;
            }
            Some((ind, lines)) => lines.push(line.get(*ind..).unwrap_or(trimmed).to_owned()),
        }
    }
    blocks
}

/// The text of the README from `heading` to the next heading of the same or a higher level.
fn section<'a>(text: &'a str, heading: &str) -> &'a str {
    let start = text
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("README has no {heading:?} section"));
    let level = heading.split(' ').next().unwrap_or("##");
    let body = &text[start + heading.len() + 2..];
    let end = body
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .find(|&i| {
            body[i..].split(' ').next().is_some_and(|h| {
                !h.is_empty() && h.chars().all(|c| c == '#') && h.len() <= level.len()
            })
        })
        .unwrap_or(body.len());
    &body[..end]
}

fn one_block_with(blocks: &[String], needle: &str, where_: &str) -> String {
    let found: Vec<&String> = blocks.iter().filter(|b| b.contains(needle)).collect();
    assert_eq!(
        found.len(),
        1,
        "README {where_}: expected one ```sh block with {needle:?}, found {found:?}"
    );
    found[0].trim().to_owned()
}

/// Copy what a clone would hold: tracked files plus untracked ones git does not ignore.
fn scratch_copy(to: &Path) {
    let out = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(checkout())
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git ls-files failed");
    let mut copied = 0;
    for name in out.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let rel = Path::new(std::str::from_utf8(name).expect("file names are UTF-8"));
        let from = checkout().join(rel);
        if !from.is_file() {
            continue; // deleted in the working tree
        }
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().expect("a file has a parent")).expect("mkdir");
        std::fs::copy(&from, &dest).expect("copy a checkout file");
        copied += 1;
    }
    assert!(copied > 50, "the scratch copy has only {copied} files");
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| checkout().join("target"))
}

/// `sh -c <command>` in `dir`, in its own process group (so it can be stopped with everything
/// it started), with the environment described in the module doc.
fn shell(dir: &Path, command: &str) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("TOCSIN_LISTEN", "127.0.0.1:0")
        .env("CARGO_INSTALL_ROOT", dir.join("installed"))
        .env_remove("TOCSIN_DATA_DIR")
        .env_remove("TOCSIN_DATABASE_URL")
        .env_remove("TOCSIN_PUBLIC_URL")
        .env_remove("TOCSIN_ADMIN_TOKEN")
        .env_remove("TOCSIN_ADMIN_PASSWORD");
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    cmd
}

/// The server started by the README's command; its whole process group is stopped on drop.
struct Running {
    child: Child,
}

impl Running {
    fn stop(&mut self) -> Option<std::process::ExitStatus> {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        None
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.stop();
        }
    }
}

/// Lines printed before `Listening on …`, and the address after it.
fn wait_listening(child: &mut Child, log: &Path) -> (Vec<String>, String) {
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut before = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("Listening on ") {
                let _ = tx.send((std::mem::take(&mut before), addr.to_owned()));
            } else {
                before.push(line);
            }
        }
    });
    rx.recv_timeout(BUILD_DEADLINE).unwrap_or_else(|_| {
        panic!(
            "the README's run command did not start listening; its stderr:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        )
    })
}

fn kapacitor_alert() -> String {
    serde_json::json!({
        "id": "cpu:host=readme",
        "message": "cpu:host=readme is CRITICAL",
        "details": "",
        "time": "2026-11-24T10:00:00Z",
        "duration": 0,
        "level": "CRITICAL",
        "data": {"series": [{"name": "cpu", "tags": {"host": "readme"},
            "columns": ["time", "usage_idle"], "values": [["2026-11-24T10:00:00Z", 3.2]]}]},
        "previousLevel": "OK",
        "recoverable": true
    })
    .to_string()
}

#[test]
fn the_readme_commands_work_as_printed() {
    let text = readme();
    let run_blocks = sh_blocks(section(&text, "## Run it"));
    let run = run_blocks
        .first()
        .expect("README's \"Run it\" has a ```sh block")
        .trim()
        .to_owned();
    assert_eq!(
        run.lines().count(),
        1,
        "the run block is one command: {run:?}"
    );
    let install = one_block_with(&run_blocks, "cargo install", "\"Run it\"");
    let quick = sh_blocks(section(&text, "## Kapacitor quick start"));
    let config = one_block_with(&quick, "kapacitor-config", "quick start");

    let scratch = tempfile::tempdir().expect("tmp");
    scratch_copy(scratch.path());
    let dir = scratch.path();

    // 1. Run it.
    let log = dir.join("run.stderr");
    let child = shell(dir, &run)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("log"))
        .spawn()
        .expect("sh runs");
    let mut server = Running { child };
    let (printed, base) = wait_listening(&mut server.child, &log);
    let token = printed
        .iter()
        .find_map(|l| l.strip_prefix("Admin API token (shown once, store it now): "))
        .unwrap_or_else(|| panic!("first start printed no admin token: {printed:#?}"))
        .to_owned();
    let webhook = printed
        .iter()
        .find_map(|l| l.strip_prefix("Kapacitor webhook URL for \"Default Service\": "))
        .unwrap_or_else(|| panic!("first start printed no webhook URL: {printed:#?}"))
        .to_owned();
    assert!(
        webhook.starts_with(&format!("{base}/v1/incidents/kapacitor/")),
        "{webhook} is not under {base}"
    );
    assert!(
        dir.join("tocsin-data").is_dir(),
        "the data lives in ./tocsin-data as the README says"
    );

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        let health = http
            .get(format!("{base}/healthz"))
            .send()
            .await
            .expect("GET /healthz");
        assert_eq!(health.status(), 200);
        let posted = http
            .post(&webhook)
            .header("Content-Type", "application/json")
            .body(kapacitor_alert())
            .send()
            .await
            .expect("POST the alert");
        assert_eq!(posted.status(), 202, "{:?}", posted.text().await);
        let listed: serde_json::Value = http
            .get(format!("{base}/api/v1/incidents?status=open"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("GET incidents")
            .json()
            .await
            .expect("JSON");
        let found = listed.to_string();
        assert!(
            found.contains("cpu:host=readme"),
            "the printed token lists the incident: {found}"
        );
    });

    // 2. The quick start's kapacitor-config, beside the running server.
    let out = shell(dir, &config).output().expect("sh runs");
    assert!(
        out.status.success(),
        "{config} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let conf = std::fs::read_to_string(dir.join("tocsin-kapacitor.txt"))
        .expect("the command wrote tocsin-kapacitor.txt");
    let key = webhook.rsplit('/').next().expect("a key");
    assert!(conf.contains("[[httppost]]"), "{conf}");
    assert!(conf.contains("endpoint = \"squadcast\""), "{conf}");
    assert!(
        conf.contains(&format!(
            "url = \"http://127.0.0.1:8080/v1/incidents/kapacitor/{key}\""
        )),
        "the block carries the printed service's key: {conf}"
    );
    assert!(conf.contains(".post()"), "{conf}");

    // 3. Stops on SIGTERM, gracefully: the shell and cargo in front of it die of the signal,
    // so what tells is the server's own last log line and its port closing.
    server
        .stop()
        .expect("the command's processes end on SIGTERM");
    let addr = base.trim_start_matches("http://").to_owned();
    let deadline = Instant::now() + Duration::from_secs(20);
    let log_says_stopped =
        || std::fs::read_to_string(&log).is_ok_and(|l| l.lines().any(|l| l.ends_with(" stopped")));
    while Instant::now() < deadline
        && (!log_says_stopped() || std::net::TcpStream::connect(&addr).is_ok())
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        log_says_stopped(),
        "the server did not log its graceful stop: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert!(
        std::net::TcpStream::connect(&addr).is_err(),
        "the server still listens"
    );

    // 4. The install command gives a working `tocsin`.
    let out = shell(dir, &install).output().expect("sh runs");
    assert!(
        out.status.success(),
        "{install} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let installed = dir.join("installed/bin/tocsin");
    let version = Command::new(&installed)
        .arg("--version")
        .output()
        .expect("the installed tocsin runs");
    assert!(version.status.success());
    assert!(
        String::from_utf8_lossy(&version.stdout).starts_with("tocsin "),
        "{version:?}"
    );
}

#[test]
fn sh_blocks_are_read_as_the_shell_would() {
    let text = "x\n```sh\ncargo run -- a \\\n  --b c > f\n```\n   ```sh\n   one\n   ```\n";
    assert_eq!(sh_blocks(text), vec!["cargo run -- a    --b c > f", "one"]);
    let doc =
        "# T\n## Run it\n```sh\nrun\n```\n### Sub\n```sh\nsub\n```\n## Next\n```sh\nno\n```\n";
    assert_eq!(sh_blocks(section(doc, "## Run it")), vec!["run", "sub"]);
}
