//! `tocsin kapacitor check`: findings with line:column, the exit status, `-` and `--json`;
//! the URLs are checked against the running server's own services (read from its database);
//! `tocsin kapacitor config`'s output and the README's TICKscripts pass every check.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::support::{bin, Server};

fn check(data_dir: &Path, public_url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(bin())
        .args([
            "kapacitor",
            "check",
            "--public-url",
            public_url,
            "--data-dir",
        ])
        .arg(data_dir)
        .args(args)
        .env_remove("TOCSIN_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tocsin kapacitor check");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.unwrap_or_default().as_bytes())
        .expect("write stdin");
    drop(input);
    child.wait_with_output().expect("wait")
}

fn script(id: &str, post: &str) -> String {
    format!(
        "dbrp \"telegraf\".\"autogen\"\n\nstream\n    |from()\n        .measurement('cpu')\n        .groupBy('host')\n    |alert()\n        .id('{id}')\n        .crit(lambda: \"usage_idle\" < 10)\n        {post}\n"
    )
}

#[tokio::test]
async fn findings_exit_status_stdin_and_json() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (_, url) = server.new_service("checkout").await;
    let dir = tmp.path();

    // An id without the group: an error at the .id, exit 1.
    let bad = dir.join("bad.tick");
    std::fs::write(&bad, script("{{ .TaskName }}", &format!(".post('{url}')"))).expect("write");
    let bad = bad.to_str().expect("path");
    let out = check(dir, &server.base, &[bad], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!("{bad}:8:10: error[id-without-group]:")),
        "{text}"
    );
    assert!(text.contains("fix: "), "{text}");

    // The corrected script, from stdin: nothing to say, exit 0, and no note about URLs (the
    // database was there to check them against).
    let good = script("{{ .TaskName }}:{{ .Group }}", &format!(".post('{url}')"));
    let out = check(dir, &server.base, &["-"], Some(&good));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert_eq!(text, "<stdin>: ok\n");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A rotated (unknown) key on this server's host, as JSON.
    let rotated = url.rsplit_once('/').expect("key").0.to_string() + "/not-a-current-key";
    let out = check(
        dir,
        &server.base,
        &["--json", "-"],
        Some(&script(
            "{{ .TaskName }}:{{ .Group }}",
            &format!(".post('{rotated}')"),
        )),
    );
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let f = &v["findings"][0];
    assert_eq!(f["code"], "url-not-tocsin", "{v}");
    assert_eq!(f["severity"], "error");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(10), Some(10))
    );
    assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(f["fix"].as_str().is_some_and(|m| !m.is_empty()));

    // Warnings alone exit 0.
    let warn = script("{{ .Name }}:{{ .Group }}", &format!(".post('{url}')"));
    let out = check(dir, &server.base, &["-"], Some(&warn));
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("warning[id-without-task]"));

    // Without a database the URL checks are left out, and it says so.
    let empty = tempfile::tempdir().expect("tmp");
    let out = check(empty.path(), &server.base, &["-"], Some(&good));
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("post URLs are not checked"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The `tick` blocks of the README.
fn readme_scripts() -> Vec<String> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let text = std::fs::read_to_string(&p).expect("README");
    let mut out = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in text.lines() {
        match (&mut current, line.trim()) {
            (None, "```tick") => current = Some(Vec::new()),
            (Some(lines), "```") => {
                out.push(lines.join("\n") + "\n");
                current = None;
            }
            (Some(lines), _) => lines.push(line),
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn the_printed_set_up_and_the_readme_scripts_pass_every_check() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (_, url) = server.new_service("inventory").await;
    let dir = tmp.path();
    let out = Command::new(bin())
        .args([
            "kapacitor",
            "config",
            "--service",
            "inventory",
            "--endpoint",
            "squadcast",
        ])
        .arg("--public-url")
        .arg(&server.base)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("TOCSIN_DATABASE_URL")
        .output()
        .expect("tocsin kapacitor config");
    assert!(out.status.success());
    let printed = String::from_utf8(out.stdout).expect("UTF-8");
    // The same output as the old spelling.
    let old = Command::new(bin())
        .args([
            "kapacitor-config",
            "--service",
            "inventory",
            "--endpoint",
            "squadcast",
        ])
        .arg("--public-url")
        .arg(&server.base)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("TOCSIN_DATABASE_URL")
        .output()
        .expect("tocsin kapacitor-config");
    assert_eq!(String::from_utf8_lossy(&old.stdout), printed);

    // The whole output is the kapacitor.conf addition; its commented task is the script.
    let conf = dir.join("kapacitor.conf");
    std::fs::write(&conf, &printed).expect("conf");
    let task: String = printed
        .lines()
        .skip_while(|l| !l.starts_with("#    dbrp"))
        .take_while(|l| *l != "#")
        .map(|l| l.trim_start_matches("#    ").to_string() + "\n")
        .collect();
    assert!(task.contains(".endpoint('squadcast')"), "{task}");
    let conf = conf.to_str().expect("path");
    let out = check(
        dir,
        &server.base,
        &["--kapacitor-conf", conf, "-"],
        Some(&task),
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "<stdin>: ok\n",
        "{task}"
    );

    let scripts = readme_scripts();
    assert!(
        scripts.len() >= 2,
        "the README shows its TICKscripts in ```tick blocks"
    );
    for s in scripts {
        let s = s.replace("<the webhook URL>", &url);
        let out = check(
            dir,
            &server.base,
            &["--kapacitor-conf", conf, "-"],
            Some(&s),
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), "<stdin>: ok\n", "{s}");
    }
}
