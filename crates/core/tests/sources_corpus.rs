//! The fuzz corpora of the alert sources beyond Kapacitor (`fuzz/corpus/<source>_decode`),
//! replayed on stable Rust through the same checks the fuzz targets make, so every input the
//! fuzzer keeps goes on being checked by the normal suite. (Each source's own properties are
//! in its `*_props.rs`.)

use std::path::Path;

use tocsin_core::sources::opsgenie2;
use tocsin_core::SourceKind;

#[path = "../../../fuzz/fuzz_targets/source_checks.rs"]
mod source_checks;

fn replay(target: &str, check: impl Fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let entries = std::fs::read_dir(&dir).expect("the fuzz corpus is in the repository");
    let mut n = 0;
    for entry in entries {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
        check(&bytes);
        n += 1;
    }
    assert!(n >= 10, "only {n} corpus inputs in {}", dir.display());
}

#[test]
fn source_corpora_replay() {
    for (target, source) in [
        ("prometheus_decode", SourceKind::Prometheus),
        ("grafana_decode", SourceKind::Grafana),
        ("alerta_decode", SourceKind::Alerta),
        ("incident_webhook_decode", SourceKind::IncidentWebhook),
    ] {
        replay(target, |data| {
            source_checks::check(source, data, source.decode(data));
        });
    }
}

#[test]
fn opsgenie2_corpus_replays() {
    replay("opsgenie2_decode", |data| {
        let source = SourceKind::Opsgenie2;
        source_checks::check(source, data, source.decode(data));
        source_checks::check(source, data, opsgenie2::decode_recovery("YQ==", data));
    });
}

#[test]
fn pagerduty_corpus_replays() {
    replay("pagerduty_decode", |data| {
        let source = SourceKind::PagerDuty;
        if let Err(err) = source.key_in_body(data) {
            assert!(source_checks::CODES.contains(&err.code), "{}", err.code);
        }
        source_checks::check(source, data, source.decode(data));
    });
}
