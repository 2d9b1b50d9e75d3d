//! Kapacitor's own "Test" (`POST /kapacitor/v1/service-tests/httppost`, Chronograf's Test
//! button): a zero alert that Tocsin records as a connectivity test, never as an incident.

use serde_json::json;

use crate::httppost_block;
use crate::kapacitord::{free_port, Kapacitor};
use crate::support::Server;

#[tokio::test]
async fn kapacitor_service_test_is_recorded_as_a_connectivity_test() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(tmp.path()).await;
    let (svc, url) = server.new_service("db").await;
    let kap = Kapacitor::start(&httppost_block("squadcast", &url)).await;
    let headers = json!({"Content-Type": "application/json"});

    let source = |list: serde_json::Value| {
        list.as_array()
            .and_then(|a| a.iter().find(|s| s["source"] == "kapacitor").cloned())
            .expect("kapacitor source")
    };
    let (_, before) = server
        .get(&format!("/api/v1/services/{svc}/alert-sources"))
        .await;
    assert!(source(before)["last_test_at"].is_null());

    let answer = kap
        .service_test(json!({"endpoint": "squadcast", "url": url, "headers": headers}))
        .await;
    assert_eq!(answer, json!({"success": true, "message": ""}));
    // Kapacitor answers after Tocsin did, and Tocsin answers after committing.
    let (_, after) = server
        .get(&format!("/api/v1/services/{svc}/alert-sources"))
        .await;
    let k = source(after);
    assert!(k["last_test_at"].is_string(), "{k}");
    assert!(server.incidents(&svc).await.is_empty());

    // Kapacitor's verdict only means "something answered": a wrong service key gets Tocsin's
    // 404, yet the test reports success. Only last_test_at proves the key.
    let wrong = format!("{}/v1/incidents/kapacitor/not-a-key", server.base);
    let answer = kap
        .service_test(json!({"url": wrong, "headers": headers}))
        .await;
    assert_eq!(answer["success"], true, "{answer}");

    // Nothing listening: the test fails, and says why.
    let closed = format!("http://127.0.0.1:{}/v1/incidents/kapacitor/x", free_port());
    let answer = kap
        .service_test(json!({"url": closed, "headers": headers}))
        .await;
    assert_eq!(answer["success"], false, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.contains("failed to POST alert data")),
        "{answer}"
    );
    assert!(server.incidents(&svc).await.is_empty());
}
