//! The TICKscript reader (the Kapacitor doctor): any text a user pastes or a Kapacitor
//! returns. It never panics, and every finding has a place inside the script.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin_core::kapacitor_check::{check, HttpPostEndpoint, Inputs, TocsinUrls};

fuzz_target!(|data: &[u8]| {
    let script = String::from_utf8_lossy(data);
    let inputs = Inputs {
        endpoints: Some(vec![HttpPostEndpoint {
            name: "tocsin".into(),
            url: "http://127.0.0.1:8080/v1/incidents/kapacitor/K".into(),
        }]),
        tocsin: Some(TocsinUrls {
            keys: ["K".to_string()].into(),
            hosts: ["127.0.0.1:8080".to_string()].into(),
        }),
    };
    let lines = 1 + script.matches('\n').count();
    for f in check(&script, &inputs) {
        assert!(f.line >= 1 && f.column >= 1);
        assert!(f.line as usize <= lines);
    }
});
