//! Every fixture body of each source, posted in name order to a fresh service: each answer
//! names the outcome of the body's last alert, and the incidents left behind are exactly the
//! expected ones (`crates/core/testdata/<source>/expect.json`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use crate::support::Server;

fn dir(slug: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../core/testdata/{slug}"))
}

async fn replay(slug: &str) {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    replay_on(&server, slug).await;
}

/// Post `slug`'s fixtures to a fresh service of `server` and check what they left.
async fn replay_on(server: &Server, slug: &str) {
    let dir = dir(slug);
    let expect: Value = serde_json::from_slice(
        &std::fs::read(dir.join("expect.json")).expect("expect.json of the fixtures"),
    )
    .expect("expect.json is JSON");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| !p.ends_with("expect.json"))
        .collect();
    files.sort();
    let responses = expect["responses"].as_object().expect("responses");
    assert_eq!(
        files.len(),
        responses.len(),
        "every fixture has an expected answer"
    );

    let (svc, _) = server.new_service(&format!("{slug} fixtures")).await;
    let url = server.webhook_url(&svc, slug).await;
    let status = expect["status"].as_u64().unwrap_or(202) as u16;
    for file in &files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let suffix = expect["paths"][&name]
            .as_str()
            .or(expect["path"].as_str())
            .unwrap_or("");
        let bytes = std::fs::read(file).expect("read fixture");
        let (s, body) = server.send(&format!("{url}{suffix}"), bytes).await;
        assert_eq!(s, status, "{slug}/{name}: {body}");
        assert_eq!(body["action"], responses[&name], "{slug}/{name}: {body}");
    }

    // The incidents, oldest first, against the expected list.
    let mut got: Vec<Value> = server.incidents(&svc).await;
    got.sort_by_key(|i| i["number"].as_i64());
    let want = expect["incidents"].as_array().expect("incidents");
    let fields = ["dedup_key", "status", "event_count", "severity", "title"];
    let pick = |v: &Value| -> BTreeMap<&str, Value> {
        fields.iter().map(|f| (*f, v[*f].clone())).collect()
    };
    let got: Vec<_> = got.iter().map(pick).collect();
    let want: Vec<_> = want.iter().map(pick).collect();
    assert_eq!(got, want, "{slug}: the incidents left behind");
    for inc in server.incidents(&svc).await {
        assert_eq!(inc["alert_source"], slug, "{inc}");
    }
}

#[tokio::test]
async fn prometheus_fixtures_open_join_and_resolve_per_alert() {
    replay("prometheus").await;
}

#[tokio::test]
async fn grafana_fixtures_open_join_and_resolve_per_alert() {
    replay("grafana").await;
}

#[tokio::test]
async fn alerta_fixtures_open_join_and_resolve() {
    replay("alerta").await;
}

#[tokio::test]
async fn opsgenie2_fixtures_open_join_and_resolve_by_alias() {
    replay("opsgenie2").await;
}

/// The same fixtures on PostgreSQL: the sources add nothing per backend, and this shows it.
#[cfg(feature = "postgres-tests")]
#[tokio::test]
async fn every_source_fixture_replays_on_postgresql() {
    let pg = crate::pg_cluster::PgCluster::start();
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app_pg(tmp.path(), &pg.url).await;
    for slug in ["prometheus", "grafana", "alerta", "opsgenie2"] {
        replay_on(&server, slug).await;
    }
}
