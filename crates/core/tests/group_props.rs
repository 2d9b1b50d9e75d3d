//! Properties of the Alertmanager-shaped decoders (Prometheus Alertmanager, Grafana): any group
//! built the way Alertmanager writes one decodes to one event per alert, in order, each keyed
//! by its fingerprint, triggering or resolving by its status, titled and tagged by the rules.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::json;
use tocsin_core::{Action, SourceKind};

fn label_value() -> impl Strategy<Value = String> {
    // Any text, NUL excepted (it is replaced, tested on its own).
    "[^\u{0}]{0,12}"
}

fn alert() -> impl Strategy<Value = (String, bool, BTreeMap<String, String>, Option<String>)> {
    (
        "[0-9a-f]{16}",
        any::<bool>(),
        prop::collection::btree_map(
            prop_oneof!["[a-z_]{1,8}", Just("alertname".to_owned())],
            label_value(),
            0..5,
        ),
        prop::option::of("[^\u{0}]{1,20}"),
    )
}

proptest! {
    #[test]
    fn a_group_decodes_to_one_event_per_alert(
        alerts in prop::collection::vec(alert(), 1..6),
        grafana in any::<bool>(),
    ) {
        let body = json!({
            "receiver": "r", "status": "firing", "version": if grafana { "1" } else { "4" },
            "alerts": alerts.iter().map(|(fp, firing, labels, summary)| {
                let mut annotations = serde_json::Map::new();
                if let Some(s) = summary { annotations.insert("summary".into(), json!(s)); }
                json!({
                    "status": if *firing { "firing" } else { "resolved" },
                    "labels": labels, "annotations": annotations,
                    "startsAt": "2026-11-30T09:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "", "fingerprint": fp,
                })
            }).collect::<Vec<_>>(),
        });
        let source = if grafana { SourceKind::Grafana } else { SourceKind::Prometheus };
        let text = body.to_string();
        let events = source.decode(text.as_bytes()).expect("a well-formed group decodes");
        prop_assert_eq!(events.len(), alerts.len());
        for (e, (fp, firing, labels, summary)) in events.iter().zip(&alerts) {
            prop_assert_eq!(e.source, source);
            prop_assert_eq!(&e.dedup_key, fp);
            prop_assert_eq!(&e.tags, labels);
            prop_assert_eq!(matches!(e.action, Action::Trigger(_)), *firing);
            prop_assert_eq!(e.action == Action::Resolve, !*firing);
            let want_title = summary
                .clone()
                .filter(|s| !s.trim().is_empty())
                .or_else(|| labels.get("alertname").filter(|n| !n.trim().is_empty()).cloned())
                .unwrap_or_else(|| fp.clone());
            prop_assert_eq!(&e.title, &want_title);
            let raw: serde_json::Value = serde_json::from_str(&e.raw).expect("raw is JSON");
            prop_assert_eq!(raw["alerts"].as_array().map(Vec::len), Some(1));
            prop_assert_eq!(&raw["alerts"][0]["fingerprint"], &json!(fp));
            prop_assert_eq!(&raw["receiver"], &json!("r"));
        }
    }

    #[test]
    fn any_bytes_decode_or_are_refused_cleanly(data in prop::collection::vec(any::<u8>(), 0..256)) {
        for source in [SourceKind::Prometheus, SourceKind::Grafana, SourceKind::Alerta, SourceKind::Opsgenie2] {
            if let Err(e) = source.decode(&data) {
                prop_assert!(!e.detail.is_empty());
            }
        }
    }
}
