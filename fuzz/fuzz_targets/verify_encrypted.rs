//! Raw fuzz bytes as a token, through the encrypted-token validators of
//! `jwtguard_fuzz::jwe_validators()`: the five-segment split, the JOSE header of a JWE (`alg`,
//! `enc`, `zip`, `crit`, `epk`, `kid`, `cty`), key unwrapping (AES-KW, RSA-OAEP, ECDH-ES on
//! P-256/384/521 and X25519), content decryption (GCM and CBC-HS), then the nested signed token.
//! The seeds are nested JWTs that decrypt and verify, one per key management algorithm, so
//! mutations start from tokens that pass.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else { return };
    for case in jwtguard_fuzz::jwe_validators() {
        jwtguard_fuzz::check_decrypt(case, token);
    }
    // The tool-only path must not panic either.
    if let Ok(key) = jwtguard_core::DecryptionKey::shared(jwtguard_fuzz::JWE_SHARED) {
        let _ = jwtguard_core::dangerous::decrypt_unverified(
            token,
            key,
            jwtguard_core::KeyManagement::ALL,
            jwtguard_core::ContentEncryption::ALL,
        );
    }
});
