//! The Grafana alert source's decoder: any bytes a sender can POST.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin_core::SourceKind;

#[path = "source_checks.rs"]
mod source_checks;

fuzz_target!(|data: &[u8]| {
    let source = SourceKind::Grafana;
    source_checks::check(source, data, source.decode(data));
});
