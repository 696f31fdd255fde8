//! Every public key loader: `Key::from_pem` (SPKI `PUBLIC KEY`, PKCS#1 `RSA PUBLIC KEY`, X.509
//! `CERTIFICATE`, refused private keys) and `issuer::SigningKey::from_pkcs8_pem` (PKCS#8
//! `PRIVATE KEY` for each asymmetric algorithm).
//!
//! Input: one mode byte, then the body. Modes (byte % 6): 0 the body is PEM text for
//! `Key::from_pem`; 1-3 the body is DER, wrapped by the harness as `PUBLIC KEY`,
//! `RSA PUBLIC KEY` or `CERTIFICATE` (so the fuzzer mutates DER, not base64); 4 the body is
//! DER wrapped as `PRIVATE KEY`; 5 the body is PEM text; both 4 and 5 go to
//! `SigningKey::from_pkcs8_pem` with the algorithm picked by the mode byte's high bits.
//!
//! Invariants: a loaded public key verifies only algorithms of its kind, and its verifiers run
//! over fixture tokens without panicking; a signing key that loads and builds an issuer signs
//! tokens that its own issuer's keys verify.
#![no_main]

use std::sync::Arc;

use jwtguard_core::issuer::{Issue, SigningKey, TokenIssuer};
use jwtguard_core::provider::{KeyProvider, KeySource};
use jwtguard_core::{Algorithm, FixedClock, Key, KeySet, Validator};
use jwtguard_fuzz::{NOW, check_key, exercise_keys};
use libfuzzer_sys::fuzz_target;

const SIGNING_ALGS: [Algorithm; 10] = [
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::ES512,
    Algorithm::EdDSA,
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::RS384,
    Algorithm::PS512,
    Algorithm::HS256,
    Algorithm::RS512,
];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else { return };
    let wrap = |tag: &str| pem::encode(&pem::Pem::new(tag, body.to_vec())).into_bytes();
    match mode % 6 {
        0 => public(body),
        1 => public(&wrap("PUBLIC KEY")),
        2 => public(&wrap("RSA PUBLIC KEY")),
        3 => public(&wrap("CERTIFICATE")),
        4 => signing(&wrap("PRIVATE KEY"), mode),
        _ => signing(body, mode),
    }
});

fn public(pem_text: &[u8]) {
    if let Ok(key) = Key::from_pem(pem_text) {
        check_key(&key);
        exercise_keys(KeySet::from(key));
    }
}

fn signing(pem_text: &[u8], mode: u8) {
    let alg = SIGNING_ALGS[usize::from(mode / 6) % SIGNING_ALGS.len()];
    let Ok(key) = SigningKey::from_pkcs8_pem(pem_text, alg, "fuzz") else { return };
    assert_eq!(key.alg(), alg);
    if let Ok(public) = key.verification_key() {
        check_key(&public);
    }
    let Ok(issuer) = TokenIssuer::builder(key).issuer("https://issuer.example").clock(FixedClock(NOW)).build() else {
        return;
    };
    let issued = issuer.issue(&Issue::subject("alice")).expect("a built issuer signs");
    let provider: Arc<dyn KeyProvider> = Arc::new(issuer);
    let v = Validator::builder(KeySource::from(provider), [alg])
        .clock(FixedClock(NOW))
        .issuer("https://issuer.example")
        .build()
        .expect("validator over the issuer's keys builds");
    let verified =
        v.verify::<serde_json::Value>(&issued.token).expect("an issued token verifies with its issuer's keys");
    assert_eq!(verified.registered().sub(), Some("alice"));
}
