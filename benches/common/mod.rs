//! What both benchmarks share: the claims, the tokens, and the three ways to verify them.
#![allow(dead_code)]

use aws_lc_rs::{hmac, signature as sig};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{DecodingKey, Validation};
use jwtguard::{Algorithm, Validator};
use jwtguard_test::{Fixture, Minter};
use serde_json::json;

mod claims;
pub(crate) use claims::Claims;

/// The floor: base64url + JSON parse + a raw, pre-parsed aws-lc-rs verify.
pub(crate) enum Floor {
    Hmac(Box<hmac::Key>),
    Public(sig::ParsedPublicKey),
}

impl Floor {
    pub(crate) fn verify(&self, token: &str) -> Claims {
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

/// One algorithm's token and its three verifiers.
pub(crate) struct Case {
    pub(crate) alg: Algorithm,
    pub(crate) token: String,
    /// Full verification every time (cache off).
    pub(crate) validator: Validator,
    /// The default configuration: the verified-token cache on, so the same token is a hit.
    pub(crate) cached: Validator,
    /// The middleware's way to a cache hit: `Guard::decide` on a request with the token (it
    /// reads the `Authorization` header, and clones the claims the entry keeps).
    pub(crate) guard: jwtguard::Guard,
    pub(crate) request: jwtguard_test::AuthorizationHead,
    pub(crate) jwt_key: DecodingKey,
    pub(crate) validation: Validation,
    pub(crate) floor: Floor,
}

impl Case {
    pub(crate) fn jwtguard(&self) -> Claims {
        self.validator.verify::<Claims>(&self.token).unwrap().into_claims()
    }
    pub(crate) fn cache_hit(&self) -> Claims {
        self.cached.verify::<Claims>(&self.token).unwrap().into_claims()
    }
    pub(crate) fn guard_hit(&self) -> Claims {
        match self.guard.decide::<Claims, _>(&self.request) {
            jwtguard::pipeline::Decision::Pass(pass) => pass.verified().unwrap().claims().clone(),
            _ => panic!("the benchmark token is refused"),
        }
    }
    pub(crate) fn jsonwebtoken(&self) -> Claims {
        jsonwebtoken::decode::<Claims>(&self.token, &self.jwt_key, &self.validation).unwrap().claims
    }
    pub(crate) fn floor(&self) -> Claims {
        self.floor.verify(&self.token)
    }
}

fn der_of(pem_bytes: &[u8]) -> Vec<u8> {
    pem::parse(pem_bytes).unwrap().into_contents()
}

/// HS256, RS256, ES256 and EdDSA cases, each checked once.
pub(crate) fn cases() -> Vec<Case> {
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let now = jwtguard_test::unix_now();
    let claims = json!({
        "sub": "user-1234567890", "iss": "https://login.example.com", "aud": "orders-api",
        "exp": now + 3600, "iat": now, "jti": "3f2c9a7e-5b1d-4e8f-9a6c-0d1e2f3a4b5c",
        "scope": "orders:read orders:write profile",
    });
    [Algorithm::HS256, Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA]
        .into_iter()
        .map(|alg| {
            let fixture = Fixture::for_alg(alg);
            let token = Minter::new(alg).kid("k1").token(&claims);
            let builder = || {
                Validator::builder(fixture.key().with_kid("k1"), [alg])
                    .issuer("https://login.example.com")
                    .audience("orders-api")
            };
            let validator = builder().cache_capacity(0).build().unwrap();
            let cached = builder().build().unwrap();
            let pem = fixture.public_pem();
            let spki = pem.as_deref().map(der_of).unwrap_or_default();
            let (jwt_key, jwt_alg, floor) = match alg {
                Algorithm::HS256 => (
                    DecodingKey::from_secret(jwtguard_test::HMAC_SECRET).unwrap(),
                    jsonwebtoken::Algorithm::HS256,
                    Floor::Hmac(Box::new(hmac::Key::new(hmac::HMAC_SHA256, jwtguard_test::HMAC_SECRET))),
                ),
                // SPKI DER of a 2048-bit key: the PKCS#1 key aws-lc-rs parses starts at byte 24.
                Algorithm::RS256 => (
                    DecodingKey::from_rsa_pem(pem.as_deref().unwrap()).unwrap(),
                    jsonwebtoken::Algorithm::RS256,
                    Floor::Public(sig::ParsedPublicKey::new(&sig::RSA_PKCS1_2048_8192_SHA256, &spki[24..]).unwrap()),
                ),
                Algorithm::ES256 => (
                    DecodingKey::from_ec_pem(pem.as_deref().unwrap()).unwrap(),
                    jsonwebtoken::Algorithm::ES256,
                    Floor::Public(
                        sig::ParsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, &spki[spki.len() - 65..]).unwrap(),
                    ),
                ),
                _ => (
                    DecodingKey::from_ed_pem(pem.as_deref().unwrap()).unwrap(),
                    jsonwebtoken::Algorithm::EdDSA,
                    Floor::Public(sig::ParsedPublicKey::new(&sig::ED25519, &spki[spki.len() - 32..]).unwrap()),
                ),
            };
            let mut validation = Validation::new(jwt_alg);
            validation.set_issuer(&["https://login.example.com"]);
            validation.set_audience(&["orders-api"]);
            let guard = jwtguard::Guard::new(builder().build().unwrap());
            let request = jwtguard_test::AuthorizationHead(format!("Bearer {token}"));
            let case = Case { alg, token, validator, cached, guard, request, jwt_key, validation, floor };
            case.jwtguard();
            case.cache_hit();
            case.guard_hit();
            case.jsonwebtoken();
            case.floor();
            case
        })
        .collect()
}

/// A token of 8,000 characters whose header holds as many distinct short member names as fit,
/// with a signature that does not verify.
pub(crate) fn wide_header_token() -> String {
    let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
    let name = |mut i: u32| {
        let mut s = String::new();
        loop {
            s.push(char::from_digit(i % 36, 36).unwrap());
            i /= 36;
            if i == 0 {
                break s;
            }
        }
    };
    let mut members = vec!["\"alg\":\"HS256\"".to_owned()];
    for i in 0.. {
        members.push(format!("\"{}\":0", name(i)));
        if b64(&format!("{{{}}}", members.join(","))).len() > 7_900 {
            members.pop();
            break;
        }
    }
    format!("{}.{}.AAAA", b64(&format!("{{{}}}", members.join(","))), b64("{}"))
}

/// A token of 8,000 characters with `"iss": "a"` and a `scope` of as many distinct words as fit,
/// with a signature that does not verify.
pub(crate) fn wide_scope_token() -> String {
    let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
    let payload = |words: &[String]| format!("{{\"iss\":\"a\",\"scope\":\"{}\"}}", words.join(" "));
    let mut words = Vec::new();
    for i in 256u32.. {
        words.push(format!("{i:x}"));
        if b64(&payload(&words)).len() > 7_900 {
            words.pop();
            break;
        }
    }
    format!("{}.{}.AAAA", b64("{\"alg\":\"HS256\"}"), b64(&payload(&words)))
}

/// A forged token and the validator it is sent to: `header` (a header of as many distinct short
/// names as fit) or `scope` (a multi-issuer validator, which reads `iss` before the signature,
/// and a scope of as many distinct words as fit).
pub(crate) fn hostile(which: &str) -> (Validator, String) {
    let hmac = |name: &str, secret: u8| {
        Validator::builder(jwtguard::Key::hmac([secret; 32]).unwrap(), [Algorithm::HS256]).issuer(name).build().unwrap()
    };
    match which {
        "header" => (hmac("a", 7), wide_header_token()),
        "scope" => (Validator::multi_issuer([hmac("a", 7), hmac("b", 8)]).unwrap(), wide_scope_token()),
        other => panic!("no hostile case {other}"),
    }
}
