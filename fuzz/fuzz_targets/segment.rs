//! Fuzz target `segment`: the invariant is demarche::checks::fuzz_segment (also replayed on
//! the committed corpus and run as a property test by `cargo test`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    demarche::checks::fuzz_segment(data);
});
