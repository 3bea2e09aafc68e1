//! The sample reader on arbitrary bytes: it returns Ok or an error, never panics,
//! never aborts on allocation, and every error is one line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for r in [
        analysis::read_samples(data),
        analysis::read_samples_for_analysis(data),
    ] {
        if let Err(e) = r {
            let msg = e.to_string();
            assert!(!msg.is_empty() && !msg.contains('\n'), "{msg:?}");
        }
    }
});
