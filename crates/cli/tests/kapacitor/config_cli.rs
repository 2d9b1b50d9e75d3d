//! The README's Kapacitor quick start, followed literally: `tocsin kapacitor-config` output
//! pasted into kapacitor.conf, its TICKscript saved and defined with the `kapacitor` CLI,
//! and the alerts then behave as with the hand-written set-up.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::kapacitord::Kapacitor;
use crate::post_endpoint::cpu_story;
use crate::support::{bin, Server};

/// The commands the printed set-up and the README tell the user to run.
const DEFINE: [&str; 4] = ["define", "cpu_alert", "-tick", "cpu_alert.tick"];
const ENABLE: [&str; 2] = ["enable", "cpu_alert"];
/// How the README saves the example task from the printed set-up.
const EXTRACT: &str = r"sed -n '/^#    dbrp/,/^#$/s/^#    //p'";

#[tokio::test]
async fn printed_set_up_works_on_a_real_kapacitor() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(tmp.path()).await;
    let (svc, url) = server.new_service("inventory").await;

    // Step 1: print the set-up while the server runs.
    let out = Command::new(bin())
        .args([
            "kapacitor-config",
            "--service",
            &svc,
            "--endpoint",
            "squadcast",
        ])
        .args(["--public-url", &server.base, "--data-dir"])
        .arg(tmp.path())
        .output()
        .expect("run tocsin kapacitor-config");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        printed.contains(&format!("  url = \"{url}\"\n")),
        "{printed}"
    );

    // Step 2: all of it goes into kapacitor.conf (the rest is TOML comments).
    let kap = Kapacitor::start(&printed).await;

    // Step 3: the commented TICKscript, saved without its "#    " prefix, defined and enabled.
    let script = tick_script(&printed);
    assert!(
        readme().contains(&format!("{EXTRACT} tocsin-kapacitor.txt > cpu_alert.tick")),
        "README saves the task with `{EXTRACT}`"
    );
    assert!(script.contains(".endpoint('squadcast')"), "{script}");
    std::fs::write(kap.dir().join("cpu_alert.tick"), &script).expect("save script");
    for (cmd, text) in [(&DEFINE[..], "define"), (&ENABLE[..], "enable")] {
        let shown = cmd.join(" ");
        assert!(
            printed.contains(&format!("`kapacitor {shown}`")),
            "the output says how to {text}: {printed}"
        );
        assert!(
            readme().contains(&format!("kapacitor {shown}")),
            "README quick start runs `kapacitor {shown}`"
        );
        kap.cli(cmd);
    }

    // The printed id is `{{ .TaskName }}:{{ .Group }}`.
    cpu_story(&server, &svc, &kap, "cpu_alert:host=serverA").await;
}

/// The example task, extracted exactly as the README does.
fn tick_script(printed: &str) -> String {
    let mut sed = Command::new("sh")
        .args(["-c", EXTRACT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sh");
    sed.stdin
        .take()
        .expect("stdin")
        .write_all(printed.as_bytes())
        .expect("write to sed");
    let out = sed.wait_with_output().expect("sed");
    assert!(out.status.success());
    let script = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        script.starts_with("dbrp \"telegraf\".\"autogen\"\nstream\n") && script.lines().count() > 5,
        "no TICKscript in the output:\n{printed}"
    );
    script
}

fn readme() -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}
