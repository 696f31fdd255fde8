//! Fuzz bytes as a JWS header's JSON, read by the compact reader verification tries first (for
//! headers of plain string members) and by serde_json's strict walk: wherever the compact reader
//! answers, the strict walk must accept too, with the same `alg`, `kid`, `typ` and `crit`. This
//! reader runs before any signature is checked.
#![no_main]

use jwtguard_core::fuzz_support::header_both_ways;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else { return };
    let (read, strict) = header_both_ways(json);
    if let Some(read) = read {
        assert_eq!(Some(read), strict, "the header reader and the strict walk disagree");
    }
});
