//! Raw fuzz bytes as a token, through every validator of `jwtguard_fuzz::validators()`: size
//! bound, segment split, base64url, the strict header walk (`alg`, `kid`, `typ`, `crit`,
//! duplicate names), key choice, signature, and the multi-issuer route that reads `iss` before
//! any signature. The seeds are tokens signed by the fixture keys, so mutations start from
//! tokens that verify.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else { return };
    for v in jwtguard_fuzz::validators() {
        jwtguard_fuzz::check_verify(v, token);
    }
    // The tool-only path must not panic either, and reads what it reads strictly.
    let _ = jwtguard_core::dangerous::decode_unverified(token);
});
