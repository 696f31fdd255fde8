//! Issuance: every algorithm signs tokens its own verifier and its published JWKS accept; keys
//! rotate without breaking tokens already out.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::HashSet;
use std::time::Duration;

use jwtguard_core::issuer::{Issue, SigningKey, TokenIssuer};
use jwtguard_core::{Algorithm, ConfigError, ErrorKind, Key, KeySet, Validator};
use jwtguard_test::{Fixture, HMAC_SECRET, NOW, TestClock};
use serde_json::Value;

fn clock() -> TestClock {
    TestClock::at(NOW)
}

fn issuer(key: SigningKey, clock: &TestClock) -> TokenIssuer {
    TokenIssuer::builder(key)
        .issuer("https://auth.example")
        .audience("api")
        .ttl(Duration::from_secs(600))
        .clock(clock.clone())
        .build()
        .unwrap()
}

#[test]
fn every_asymmetric_algorithm_issues_tokens_its_jwks_verifies() {
    let c = clock();
    for (alg, fixture) in [
        (Algorithm::RS256, Fixture::Rsa),
        (Algorithm::PS384, Fixture::Rsa),
        (Algorithm::RS512, Fixture::Rsa2),
        (Algorithm::ES256, Fixture::P256),
        (Algorithm::ES384, Fixture::P384),
        (Algorithm::ES512, Fixture::P521),
        (Algorithm::EdDSA, Fixture::Ed25519),
    ] {
        let key = SigningKey::from_pkcs8_pem(&fixture.private_pem().unwrap(), alg, "k1").unwrap();
        let iss = issuer(key, &c);
        let issued = iss.issue(&Issue::subject("alice").scope("orders:read").claim("tenant", "acme")).unwrap();
        // Through the published JWKS, as a remote verifier sees it.
        let keys = KeySet::from_jwks(&iss.jwks().to_string()).unwrap();
        let v = Validator::builder(keys, [alg])
            .issuer("https://auth.example")
            .audience("api")
            .typ("at+jwt")
            .clock(c.clone())
            .build()
            .unwrap();
        let t = v.verify::<Value>(&issued.token).unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(t.header().kid(), Some("k1"));
        assert_eq!(t.registered().sub(), Some("alice"));
        assert_eq!(t.registered().exp(), Some(NOW + 600));
        assert_eq!(t.registered().jti(), Some(issued.jti.as_str()));
        assert!(t.registered().has_scope("orders:read"));
        assert_eq!(t.claims()["tenant"], "acme");
        // And the public key matches the fixture's own public key.
        let pem = Validator::builder(fixture.key(), [alg]).audience("api").clock(c.clone()).build().unwrap();
        assert!(pem.verify::<Value>(&issued.token).is_ok(), "{alg}");
    }
}

#[test]
fn hmac_issuance_is_never_published() {
    let c = clock();
    let iss = issuer(SigningKey::hmac(HMAC_SECRET, Algorithm::HS512, "h").unwrap(), &c);
    let issued = iss.issue(&Issue::subject("svc")).unwrap();
    assert_eq!(iss.jwks()["keys"].as_array().unwrap().len(), 0);
    let v = Validator::builder(Key::hmac(HMAC_SECRET).unwrap(), [Algorithm::HS512])
        .audience("api")
        .clock(c.clone())
        .build()
        .unwrap();
    assert!(v.verify::<Value>(&issued.token).is_ok());
}

#[test]
fn jtis_are_unique_and_registered_claims_cannot_be_overridden() {
    let c = clock();
    let iss = issuer(SigningKey::generate_ed25519("k").unwrap(), &c);
    let jtis: HashSet<String> = (0..200).map(|_| iss.issue(&Issue::subject("a")).unwrap().jti).collect();
    assert_eq!(jtis.len(), 200);
    let sneaky = Issue::subject("a").claim("iss", "https://evil.example").claim("exp", 9_999_999_999i64);
    let token = iss.issue(&sneaky).unwrap().token;
    let claims = jwtguard_core::dangerous::decode_unverified(&token).unwrap().claims;
    assert_eq!(claims["iss"], "https://auth.example");
    assert_eq!(claims["exp"], NOW + 600);
}

#[test]
fn rotation_publishes_the_next_key_first_and_keeps_the_old_one_until_its_tokens_expire() {
    let c = clock();
    let iss = issuer(SigningKey::generate_ed25519("k1").unwrap(), &c);
    let v = Validator::builder(iss.clone(), [Algorithm::EdDSA]).audience("api").clock(c.clone()).build().unwrap();
    let old = iss.issue(&Issue::subject("a")).unwrap().token;

    iss.prepare_next(SigningKey::generate_ed25519("k2").unwrap()).unwrap();
    let kids = |i: &TokenIssuer| {
        i.jwks()["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    assert_eq!(kids(&iss), ["k1", "k2"]);
    // Still signing with k1 until rotate.
    let t = iss.issue(&Issue::subject("a")).unwrap().token;
    assert_eq!(v.verify::<Value>(&t).unwrap().header().kid(), Some("k1"));

    iss.rotate().unwrap();
    let new = iss.issue(&Issue::subject("a")).unwrap().token;
    assert_eq!(v.verify::<Value>(&new).unwrap().header().kid(), Some("k2"));
    assert!(v.verify::<Value>(&old).is_ok(), "tokens signed before the rotation stay valid");
    assert_eq!(kids(&iss), ["k2", "k1"]);

    // Published while a k1 token can still pass a verifier's 60 s leeway...
    c.set(NOW + 650);
    assert_eq!(kids(&iss), ["k2", "k1"]);
    // ...and no longer once every k1 token has expired beyond it.
    c.set(NOW + 661);
    assert_eq!(kids(&iss), ["k2"]);
    assert!(matches!(v.verify::<Value>(&old).unwrap_err().kind(), ErrorKind::Expired | ErrorKind::UnknownKey));

    assert!(matches!(iss.rotate(), Err(ConfigError::InvalidSetting(_))));
    assert!(iss.prepare_next(SigningKey::generate_ed25519("k2").unwrap()).is_err());
}

#[test]
fn key_and_algorithm_must_agree() {
    let rsa = Fixture::Rsa.private_pem().unwrap();
    assert!(SigningKey::from_pkcs8_pem(&rsa, Algorithm::ES256, "k").is_err());
    assert!(SigningKey::from_pkcs8_pem(&rsa, Algorithm::HS256, "k").is_err());
    assert!(SigningKey::from_pkcs8_pem(&Fixture::Rsa.public_pem().unwrap(), Algorithm::RS256, "k").is_err());
    assert!(SigningKey::hmac(b"short", Algorithm::HS256, "k").is_err());
    assert!(SigningKey::hmac(HMAC_SECRET, Algorithm::RS256, "k").is_err());
    assert!(TokenIssuer::builder(SigningKey::generate_ed25519("k").unwrap()).build().is_err());
}

/// The same private key as `k1` of an issuer: what someone holding a leaked or rotated-out key
/// can sign with, a fresh `exp` included.
fn p256_issuer(kid: &str, clock: &TestClock) -> TokenIssuer {
    issuer(SigningKey::from_pkcs8_pem(&Fixture::P256.private_pem().unwrap(), Algorithm::ES256, kid).unwrap(), clock)
}

/// An issuer signing with `k1`, someone else holding `k1`, and a validator built on the issuer.
fn k1_issuer_and_its_validator() -> (TestClock, TokenIssuer, TokenIssuer, Validator) {
    let c = clock();
    let iss = p256_issuer("k1", &c);
    let holder_of_k1 = p256_issuer("k1", &c);
    let v = Validator::builder(iss.clone(), [Algorithm::ES256, Algorithm::EdDSA])
        .audience("api")
        .clock(c.clone())
        .build()
        .unwrap();
    (c, iss, holder_of_k1, v)
}

#[test]
fn rotated_out_key_stops_verifying_in_process_when_its_time_ends() {
    let (c, iss, holder_of_k1, v) = k1_issuer_and_its_validator();
    iss.prepare_next(SigningKey::generate_ed25519("k2").unwrap()).unwrap();
    iss.rotate().unwrap(); // k1 is trusted until NOW + 600 (ttl) + 60 (leeway)

    c.set(NOW + 660);
    let fresh = holder_of_k1.issue(&Issue::subject("a")).unwrap().token;
    assert!(v.verify::<Value>(&fresh).is_ok(), "k1 is still trusted up to its end");
    c.set(NOW + 661);
    let fresh = holder_of_k1.issue(&Issue::subject("a")).unwrap().token;
    assert_eq!(v.verify::<Value>(&fresh).unwrap_err().kind(), ErrorKind::UnknownKey);
    let new = iss.issue(&Issue::subject("a")).unwrap().token;
    assert!(v.verify::<Value>(&new).is_ok());
}

#[test]
fn retired_key_is_refused_at_once_and_leaves_the_jwks() {
    let (_clock, iss, holder_of_k1, v) = k1_issuer_and_its_validator();
    let before = holder_of_k1.issue(&Issue::subject("a")).unwrap().token;
    iss.prepare_next(SigningKey::generate_ed25519("k2").unwrap()).unwrap();
    iss.rotate().unwrap();
    assert!(v.verify::<Value>(&before).is_ok());

    iss.retire("k1").unwrap();
    assert_eq!(v.verify::<Value>(&before).unwrap_err().kind(), ErrorKind::UnknownKey);
    let kids: Vec<_> = iss.jwks()["keys"].as_array().unwrap().iter().map(|k| k["kid"].clone()).collect();
    assert_eq!(kids, ["k2"]);
    assert!(v.verify::<Value>(&iss.issue(&Issue::subject("a")).unwrap().token).is_ok());

    assert!(matches!(iss.retire("k2"), Err(ConfigError::InvalidSetting(_))), "the signing key");
    assert!(matches!(iss.retire("k1"), Err(ConfigError::InvalidSetting(_))), "already gone");
    // A prepared key can be withdrawn before it signs.
    iss.prepare_next(SigningKey::generate_ed25519("k3").unwrap()).unwrap();
    iss.retire("k3").unwrap();
    assert!(matches!(iss.rotate(), Err(ConfigError::InvalidSetting(_))), "nothing prepared any more");
}
