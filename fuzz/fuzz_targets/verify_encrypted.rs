//! Raw fuzz bytes as a token, through the encrypted-token validators of
//! `jwtguard_fuzz::jwe_validators()`, compared with one another: the five-segment split, the JOSE header of a JWE (`alg`,
//! `enc`, `zip`, `crit`, `epk`, `kid`, `cty`), key unwrapping (AES-KW, RSA-OAEP, ECDH-ES on
//! P-256/384/521 and X25519), content decryption (GCM and CBC-HS), then the nested signed token.
//! The seeds are nested JWTs that decrypt and verify, one per key management algorithm, so
//! mutations start from tokens that pass.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else { return };
    jwtguard_fuzz::check_jwe_cases(token);
    // The tool-only path must not panic either. Only the shared keys (with the seeds' kids):
    // loading the RSA key for every input would slow the run tenfold.
    let _ = jwtguard_core::dangerous::decrypt_unverified(
        token,
        jwtguard_fuzz::shared_decryption_keys(),
        jwtguard_core::KeyManagement::ALL,
        jwtguard_core::ContentEncryption::ALL,
    );
});
