//! Verification cost: jwtguard vs `jsonwebtoken::decode` vs the floor (base64url + JSON parse +
//! a raw, pre-parsed aws-lc-rs verify), for HS256, RS256, ES256 and EdDSA.
//!
//! `cargo bench --bench verify`; the figures go to BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;

use aws_lc_rs::{hmac, signature as sig};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{DecodingKey, Validation};
use jwtguard::{Algorithm, Validator};
use jwtguard_test::{Fixture, Minter, NOW};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[allow(dead_code)]
struct Claims {
    sub: String,
    iss: String,
    aud: String,
    exp: i64,
    iat: i64,
    jti: String,
    scope: String,
}

enum Floor {
    Hmac(Box<hmac::Key>),
    Public(sig::ParsedPublicKey),
}

impl Floor {
    fn verify(&self, token: &str) -> Claims {
        let (input, s64) = token.rsplit_once('.').unwrap();
        let p64 = input.split_once('.').unwrap().1;
        let mut sig_buf = [0u8; 512];
        let n = URL_SAFE_NO_PAD.decode_slice(s64, &mut sig_buf).unwrap();
        let ok = match self {
            Floor::Hmac(k) => hmac::verify(k, input.as_bytes(), &sig_buf[..n]).is_ok(),
            Floor::Public(k) => k.verify_sig(input.as_bytes(), &sig_buf[..n]).is_ok(),
        };
        assert!(ok);
        let payload = URL_SAFE_NO_PAD.decode(p64).unwrap();
        serde_json::from_slice(&payload).unwrap()
    }
}

fn der_of(pem_bytes: &[u8]) -> Vec<u8> {
    pem::parse(pem_bytes).unwrap().into_contents()
}

fn bench(c: &mut Criterion) {
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let claims = json!({
        "sub": "user-1234567890", "iss": "https://login.example.com", "aud": "orders-api",
        "exp": now + 3600, "iat": now, "jti": "3f2c9a7e-5b1d-4e8f-9a6c-0d1e2f3a4b5c",
        "scope": "orders:read orders:write profile",
    });
    let _ = NOW;
    for alg in [Algorithm::HS256, Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA] {
        let fixture = Fixture::for_alg(alg);
        let token = Minter::new(alg).kid("k1").token(&claims);
        let validator = Validator::builder(fixture.key().with_kid("k1"), [alg])
            .issuer("https://login.example.com")
            .audience("orders-api")
            .build()
            .unwrap();
        assert!(validator.verify::<Claims>(&token).is_ok());

        let (jwt_key, jwt_alg, floor) = match alg {
            Algorithm::HS256 => (
                DecodingKey::from_secret(jwtguard_test::HMAC_SECRET).unwrap(),
                jsonwebtoken::Algorithm::HS256,
                Floor::Hmac(Box::new(hmac::Key::new(hmac::HMAC_SHA256, jwtguard_test::HMAC_SECRET))),
            ),
            Algorithm::RS256 => {
                let pem = fixture.public_pem().unwrap();
                // SPKI DER -> the PKCS#1 key inside, which is what aws-lc-rs parses for RSA.
                let spki = der_of(&pem);
                (
                    DecodingKey::from_rsa_pem(&pem).unwrap(),
                    jsonwebtoken::Algorithm::RS256,
                    Floor::Public(sig::ParsedPublicKey::new(&sig::RSA_PKCS1_2048_8192_SHA256, &spki[24..]).unwrap()),
                )
            }
            Algorithm::ES256 => {
                let pem = fixture.public_pem().unwrap();
                let spki = der_of(&pem);
                (
                    DecodingKey::from_ec_pem(&pem).unwrap(),
                    jsonwebtoken::Algorithm::ES256,
                    Floor::Public(
                        sig::ParsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, &spki[spki.len() - 65..]).unwrap(),
                    ),
                )
            }
            _ => {
                let pem = fixture.public_pem().unwrap();
                let spki = der_of(&pem);
                (
                    DecodingKey::from_ed_pem(&pem).unwrap(),
                    jsonwebtoken::Algorithm::EdDSA,
                    Floor::Public(sig::ParsedPublicKey::new(&sig::ED25519, &spki[spki.len() - 32..]).unwrap()),
                )
            }
        };
        let mut validation = Validation::new(jwt_alg);
        validation.set_issuer(&["https://login.example.com"]);
        validation.set_audience(&["orders-api"]);
        assert!(jsonwebtoken::decode::<Claims>(&token, &jwt_key, &validation).is_ok());
        floor.verify(&token);

        let mut group = c.benchmark_group(format!("verify/{alg}"));
        group.bench_function("floor", |b| b.iter(|| floor.verify(black_box(&token))));
        group.bench_function("jwtguard", |b| b.iter(|| validator.verify::<Claims>(black_box(&token)).unwrap()));
        group.bench_function("jsonwebtoken", |b| {
            b.iter(|| jsonwebtoken::decode::<Claims>(black_box(&token), &jwt_key, &validation).unwrap())
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
