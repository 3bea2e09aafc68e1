//! The resources reader and the manifest parser on arbitrary bytes: Ok or a
//! one-line error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = analysis::read_resources(data) {
        assert!(!e.to_string().contains('\n'));
    }
    if let Err(e) = analysis::parse_manifest(data) {
        assert!(!e.to_string().contains('\n'));
    }
});
