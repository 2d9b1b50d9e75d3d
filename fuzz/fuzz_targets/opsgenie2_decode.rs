//! The opsgenie2 alert source's decoders: a create request and a recovery (any bytes a
//! sender can POST, to either path).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin_core::sources::opsgenie2;
use tocsin_core::SourceKind;

#[path = "source_checks.rs"]
mod source_checks;

fuzz_target!(|data: &[u8]| {
    let source = SourceKind::Opsgenie2;
    source_checks::check(source, data, source.decode(data));
    source_checks::check(source, data, opsgenie2::decode_recovery("YQ==", data));
});
