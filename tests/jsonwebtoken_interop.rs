//! Interop with jsonwebtoken 12, the crate most Rust services sign with today: what it signs,
//! jwtguard verifies (and rejects when tampered), and what jwtguard's `TokenIssuer` signs,
//! jsonwebtoken verifies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use jwtguard::issuer::{Issue, SigningKey, TokenIssuer};
use jwtguard::{Algorithm, ErrorKind, Validator};
use jwtguard_test::{Fixture, NOW, clock};
use serde_json::{Value, json};

/// jsonwebtoken's name for the same algorithm (the JOSE names are the same).
fn jwt_alg(alg: Algorithm) -> jsonwebtoken::Algorithm {
    alg.as_str().parse().unwrap_or_else(|_| panic!("jsonwebtoken has no {alg:?}"))
}

fn encoding_key(alg: Algorithm, fixture: Fixture) -> EncodingKey {
    let pem = fixture.private_pem();
    match alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
            EncodingKey::from_secret(jwtguard_test::HMAC_SECRET).unwrap()
        }
        Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(&pem.unwrap()).unwrap(),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(&pem.unwrap()).unwrap(),
        _ => EncodingKey::from_rsa_pem(&pem.unwrap()).unwrap(),
    }
}

#[test]
fn tokens_jsonwebtoken_signs_verify_here_and_tampering_does_not() {
    let claims = json!({"iss": "https://auth.example", "sub": "alice", "aud": "api", "iat": NOW, "exp": NOW + 600});
    // Every algorithm but ES512, which jsonwebtoken lacks.
    for alg in Algorithm::ALL.into_iter().filter(|a| *a != Algorithm::ES512) {
        let fixture = Fixture::for_alg(alg);
        let mut header = Header::new(jwt_alg(alg));
        header.kid = Some("k1".into());
        let token = jsonwebtoken::encode(&header, &claims, &encoding_key(alg, fixture)).unwrap();
        let validator = Validator::builder(fixture.key().with_kid("k1"), [alg])
            .issuer("https://auth.example")
            .audience("api")
            .clock(clock())
            .build()
            .unwrap();
        let verified = validator.verify::<Value>(&token).unwrap_or_else(|e| panic!("{alg:?}: {e:?}"));
        assert_eq!(verified.registered().sub(), Some("alice"));
        assert_eq!(verified.header().kid(), Some("k1"));

        // The same claims with one more member, under the original signature.
        let (input, sig) = token.rsplit_once('.').unwrap();
        let (h64, _) = input.split_once('.').unwrap();
        let forged_payload = jwtguard_test::b64(json!({"sub": "mallory", "exp": NOW + 600}).to_string().as_bytes());
        let forged = format!("{h64}.{forged_payload}.{sig}");
        assert_eq!(validator.verify::<Value>(&forged).unwrap_err().kind(), ErrorKind::BadSignature, "{alg:?}");
    }
}

#[test]
fn tokens_the_issuer_signs_verify_with_jsonwebtoken() {
    for (alg, fixture) in [
        (Algorithm::HS256, Fixture::Hmac),
        (Algorithm::RS256, Fixture::Rsa),
        (Algorithm::PS256, Fixture::Rsa),
        (Algorithm::ES256, Fixture::P256),
        (Algorithm::ES384, Fixture::P384),
        (Algorithm::EdDSA, Fixture::Ed25519),
    ] {
        let key = match fixture.private_pem() {
            Some(pem) => SigningKey::from_pkcs8_pem(&pem, alg, "k1").unwrap(),
            None => SigningKey::hmac(jwtguard_test::HMAC_SECRET, alg, "k1").unwrap(),
        };
        let issuer = TokenIssuer::builder(key).issuer("https://auth.example").audience("api").build().unwrap();
        let issued = issuer.issue(&Issue::subject("alice").scope("orders:read")).unwrap();

        let pem = fixture.public_pem().unwrap_or_default();
        let decoding = match alg {
            Algorithm::HS256 => DecodingKey::from_secret(jwtguard_test::HMAC_SECRET).unwrap(),
            Algorithm::ES256 | Algorithm::ES384 => DecodingKey::from_ec_pem(&pem).unwrap(),
            Algorithm::EdDSA => DecodingKey::from_ed_pem(&pem).unwrap(),
            _ => DecodingKey::from_rsa_pem(&pem).unwrap(),
        };
        let mut validation = Validation::new(jwt_alg(alg));
        validation.set_issuer(&["https://auth.example"]);
        validation.set_audience(&["api"]);
        let data = jsonwebtoken::decode::<Value>(&issued.token, &decoding, &validation)
            .unwrap_or_else(|e| panic!("{alg:?}: {e:?}"));
        assert_eq!(data.claims["sub"], "alice");
        assert_eq!(data.claims["scope"], "orders:read");
        assert_eq!(data.header.kid.as_deref(), Some("k1"));
    }
}
