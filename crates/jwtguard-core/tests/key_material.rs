//! Key material that must be refused, and values that must never be printed (issue: hardening).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::{Arc, Mutex};

use jwtguard_core::issuer::SigningKey;
use jwtguard_core::{Algorithm, ConfigError, ErrorKind, Key, KeySet, Validator};
use jwtguard_test::{Fixture, b64};
use serde_json::{Value, json};

/// RFC 7518 §3.2: "A key of the same size as the hash output ... or larger MUST be used".
#[test]
fn hmac_secret_shorter_than_its_hash_is_refused_per_algorithm() {
    let algs = |len: usize| Key::hmac(vec![7u8; len]).unwrap().algorithms().collect::<Vec<_>>();
    assert_eq!(algs(32), [Algorithm::HS256]);
    assert_eq!(algs(47), [Algorithm::HS256]);
    assert_eq!(algs(48), [Algorithm::HS256, Algorithm::HS384]);
    assert_eq!(algs(64), [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512]);
    assert!(matches!(Key::hmac([7u8; 31]), Err(ConfigError::WeakSecret(31))));
    assert!(matches!(
        Key::hmac([7u8; 32]).unwrap().with_algorithm(Algorithm::HS512),
        Err(ConfigError::KeyAlgorithmMismatch { alg: Algorithm::HS512, .. })
    ));

    // Signing keys follow the same rule.
    assert!(matches!(SigningKey::hmac([7u8; 32], Algorithm::HS384, "h"), Err(ConfigError::WeakSecret(32))));
    assert!(matches!(SigningKey::hmac([7u8; 63], Algorithm::HS512, "h"), Err(ConfigError::WeakSecret(63))));
    assert!(SigningKey::hmac([7u8; 48], Algorithm::HS384, "h").is_ok());

    // A JWK that claims HS512 with a 32-byte `k` is skipped, with the reason.
    let jwks = json!({"keys": [
        {"kty": "oct", "kid": "short", "alg": "HS512", "k": b64(&[7u8; 32])},
        {"kty": "oct", "kid": "ok", "alg": "HS512", "k": b64(&[7u8; 64])},
    ]});
    let set = KeySet::from_jwks(&jwks.to_string()).unwrap();
    assert_eq!(set.len(), 1);
    assert_eq!(set.skipped()[0].kid.as_deref(), Some("short"));
    assert!(matches!(set.skipped()[0].reason, ConfigError::WeakSecret(32)));
}

#[test]
fn hs512_token_made_with_a_32_byte_secret_does_not_verify() {
    let secret = [7u8; 32];
    // No key of the set can serve the allow-list: refused at start-up.
    let err = Validator::builder(Key::hmac(secret).unwrap(), [Algorithm::HS512]).build().unwrap_err();
    assert_eq!(err.to_string(), "a Hmac key cannot verify HS512");
    // Beside a key that can, a token naming the short key with HS512 finds no key.
    let keys = KeySet::new()
        .with(Key::hmac(secret).unwrap().with_kid("short"))
        .with(Key::hmac([9u8; 64]).unwrap().with_kid("long"));
    let validator = Validator::builder(keys, [Algorithm::HS256, Algorithm::HS512]).build().unwrap();
    let input = format!("{}.{}", b64(br#"{"alg":"HS512","kid":"short"}"#), b64(br#"{"exp":4102444800}"#));
    let tag =
        aws_lc_rs::hmac::sign(&aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA512, &secret), input.as_bytes());
    let token = format!("{input}.{}", b64(tag.as_ref()));
    assert_eq!(validator.verify::<Value>(&token).unwrap_err().kind(), ErrorKind::UnknownKey);
}

/// An RSA JWK whose modulus has exactly `bits` bits (top bit set, the rest arbitrary).
fn rsa_jwk(kid: &str, bits: usize) -> Value {
    let mut n = vec![0xa5u8; bits.div_ceil(8)];
    let top = bits % 8;
    n[0] = if top == 0 { 0x80 | 0x25 } else { 1 << (top - 1) };
    *n.last_mut().unwrap() |= 1;
    json!({"kty": "RSA", "kid": kid, "n": b64(&n), "e": "AQAB"})
}

#[test]
fn rsa_modulus_of_2041_to_2047_bits_is_refused() {
    let mut keys = vec![Fixture::Rsa.jwk("fixture")];
    for bits in [2041, 2044, 2047] {
        keys.push(rsa_jwk(&format!("rsa-{bits}"), bits));
    }
    let set = KeySet::from_jwks(&json!({ "keys": keys }).to_string()).unwrap();
    let refused: Vec<_> = set.skipped().iter().map(|s| (s.kid.clone().unwrap(), s.reason.to_string())).collect();
    assert_eq!(refused.len(), 3, "{refused:?}");
    for (_, reason) in &refused {
        assert_eq!(reason, "invalid key: RSA modulus shorter than 2048 bits");
    }
    assert_eq!(set.keys()[0].kid(), Some("fixture"), "a 2048-bit modulus is accepted");
}

#[test]
fn token_context_debug_shows_no_claim_value() {
    let seen = Arc::new(Mutex::new(String::new()));
    let sink = seen.clone();
    let validator = Validator::builder(Key::hmac([7u8; 32]).unwrap(), [Algorithm::HS256])
        .rule(move |ctx| {
            *sink.lock().unwrap() = format!("{ctx:?}");
            true
        })
        .build()
        .unwrap();
    let input = format!(
        "{}.{}",
        b64(br#"{"alg":"HS256"}"#),
        b64(br#"{"exp":4102444800,"sub":"alice-private","ssn":"123-45-6789","jti":"jti-private"}"#)
    );
    let tag =
        aws_lc_rs::hmac::sign(&aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &[7u8; 32]), input.as_bytes());
    validator.verify::<Value>(&format!("{input}.{}", b64(tag.as_ref()))).unwrap();
    let debug = seen.lock().unwrap().clone();
    assert!(debug.starts_with("TokenContext"), "{debug}");
    for secret in ["alice-private", "123-45-6789", "jti-private", "4102444800"] {
        // Neither as text nor as the list of byte values a derived `Debug` of `&[u8]` prints.
        let as_bytes = format!("{:?}", secret.as_bytes());
        assert!(!debug.contains(secret), "{secret} leaked: {debug}");
        assert!(!debug.contains(as_bytes.trim_matches(['[', ']'])), "{secret} leaked as bytes: {debug}");
    }
}

/// A key provider serving a fixed set, vouching for symmetric keys or not.
#[derive(Debug)]
struct Provider(Arc<KeySet>, bool);

impl jwtguard_core::provider::KeyProvider for Provider {
    fn keys(&self) -> Result<Arc<KeySet>, jwtguard_core::Error> {
        Ok(self.0.clone())
    }
    fn refetch_unknown(&self) -> Option<jwtguard_core::provider::RefetchFuture<'_>> {
        None
    }
    fn allows_symmetric_keys(&self) -> bool {
        self.1
    }
}

fn hs256_token(secret: &[u8]) -> String {
    let input = format!("{}.{}", b64(br#"{"alg":"HS256","kid":"h"}"#), b64(br#"{"exp":4102444800}"#));
    let tag = aws_lc_rs::hmac::sign(&aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret), input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}

/// Anyone who can read a published `oct` JWK can sign with it: a provider's symmetric keys must
/// not verify unless the provider vouches for them (DESIGN.md, security defaults).
#[test]
fn symmetric_key_from_a_provider_is_refused_unless_it_vouches_for_it() {
    let secret = [5u8; 32];
    let set = || Arc::new(KeySet::from(Key::hmac(secret).unwrap().with_kid("h")));
    let refusing = jwtguard_core::provider::KeySource::provider(Provider(set(), false));
    let v = Validator::builder(refusing, [Algorithm::HS256, Algorithm::ES256]).build().unwrap();
    assert_eq!(v.verify::<Value>(&hs256_token(&secret)).unwrap_err().kind(), ErrorKind::AlgorithmNotAllowed);

    let vouching = jwtguard_core::provider::KeySource::provider(Provider(set(), true));
    let v = Validator::builder(vouching, [Algorithm::HS256]).build().unwrap();
    assert!(v.verify::<Value>(&hs256_token(&secret)).is_ok());

    // A fixed key set the application loaded itself is its own choice.
    let v = Validator::builder(KeySet::from(Key::hmac(secret).unwrap()), [Algorithm::HS256]).build().unwrap();
    assert!(v.verify::<Value>(&hs256_token(&secret)).is_ok());
}

#[test]
fn token_issuer_vouches_for_its_own_hmac_signing_key() {
    let issuer =
        jwtguard_core::issuer::TokenIssuer::builder(SigningKey::hmac([5u8; 32], Algorithm::HS256, "h").unwrap())
            .issuer("https://auth.example")
            .build()
            .unwrap();
    let v = Validator::builder(issuer.clone(), [Algorithm::HS256]).build().unwrap();
    let token = issuer.issue(&jwtguard_core::issuer::Issue::subject("svc")).unwrap().token;
    assert!(v.verify::<Value>(&token).is_ok());
}
