//! The cost of accepting an encrypted (nested) token: jwtguard's `Validator::verify` against the
//! floor, the raw aws-lc-rs primitives the same token needs (key agreement or unwrap, the Concat
//! KDF, AES key unwrap, AES-GCM, the inner ES256 signature) with only base64url and the claims'
//! JSON around them. Each case is an ES256 JWS encrypted with A256GCM:
//!
//! ```sh
//! cargo bench --bench decrypt                      # wall time per token, every case
//! cargo bench --bench decrypt --no-run
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/deps/decrypt-* dir jwtguard 2000
//! ```
//!
//! Arguments: case (`dir`, `rsa-oaep-256`, `ecdh-es+a256kw`), `floor` or `jwtguard`, iterations.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey};
use aws_lc_rs::key_wrap::{AES_256, AesKek, KeyWrap};
use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, PrivateDecryptingKey};
use aws_lc_rs::{digest, signature as sig};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwtguard::issuer::EncryptionKey;
use jwtguard::{Algorithm, ContentEncryption, DecryptionKey, KeyManagement, Validator};
use jwtguard_test::{Fixture, Minter, read_key};
use serde_json::{Value, json};

#[path = "common/claims.rs"]
mod claims;
use claims::Claims;

const SHARED: [u8; 32] = [0x5a; 32];

enum Unwrap {
    Dir(LessSafeKey),
    Rsa(OaepPrivateDecryptingKey),
    Ecdh(PrivateKey),
}

struct Case {
    name: &'static str,
    token: String,
    validator: Validator,
    unwrap: Unwrap,
    es256: sig::ParsedPublicKey,
}

fn d64(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).unwrap()
}

fn jwk(kid: &str) -> Value {
    let jwks: Value = serde_json::from_slice(&read_key("jwe.private.jwks.json")).unwrap();
    jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid).unwrap().clone()
}

impl Case {
    fn jwtguard(&self) -> Claims {
        self.validator.verify::<Claims>(&self.token).unwrap().into_claims()
    }

    /// The primitives alone: what no implementation can skip.
    fn floor(&self) -> Claims {
        let p: Vec<&str> = self.token.split('.').collect();
        let (iv, mut ct, tag) = (d64(p[2]), d64(p[3]), d64(p[4]));
        let cek = match &self.unwrap {
            Unwrap::Dir(_) => None,
            Unwrap::Rsa(key) => {
                let mut out = [0u8; 256];
                Some(key.decrypt(&OAEP_SHA256_MGF1SHA256, &d64(p[1]), &mut out, None).unwrap().to_vec())
            }
            Unwrap::Ecdh(key) => {
                let header: Value = serde_json::from_slice(&d64(p[0])).unwrap();
                let point = [
                    &[4u8][..],
                    &d64(header["epk"]["x"].as_str().unwrap()),
                    &d64(header["epk"]["y"].as_str().unwrap()),
                ]
                .concat();
                let kek = agreement::agree(key, UnparsedPublicKey::new(&agreement::ECDH_P256, &point), (), |z| {
                    // Concat KDF, one SHA-256 block: counter, Z, AlgorithmID, PartyUInfo, PartyVInfo, keydatalen.
                    let mut input = vec![0, 0, 0, 1];
                    input.extend_from_slice(z);
                    input.extend_from_slice(&14u32.to_be_bytes());
                    input.extend_from_slice(b"ECDH-ES+A256KW");
                    input.extend_from_slice(&[0; 8]);
                    input.extend_from_slice(&256u32.to_be_bytes());
                    Ok(digest::digest(&digest::SHA256, &input).as_ref().to_vec())
                })
                .unwrap();
                let mut out = [0u8; 40];
                let n = AesKek::new(&AES_256, &kek).unwrap().unwrap(&d64(p[1]), &mut out).unwrap().len();
                Some(out[..n].to_vec())
            }
        };
        let owned;
        let key = match (&self.unwrap, cek) {
            (Unwrap::Dir(k), _) => k,
            (_, Some(cek)) => {
                owned = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &cek).unwrap());
                &owned
            }
            _ => unreachable!(),
        };
        ct.extend_from_slice(&tag);
        let nonce = Nonce::try_assume_unique_for_key(&iv).unwrap();
        let jws = key.open_in_place(nonce, Aad::from(p[0].as_bytes()), &mut ct).unwrap();
        let jws = std::str::from_utf8(jws).unwrap();
        let (input, s64) = jws.rsplit_once('.').unwrap();
        assert!(self.es256.verify_sig(input.as_bytes(), &d64(s64)).is_ok());
        serde_json::from_slice(&d64(input.split_once('.').unwrap().1)).unwrap()
    }
}

fn cases() -> Vec<Case> {
    let now = jwtguard_test::unix_now();
    let claims = json!({
        "sub": "user-1234567890", "iss": "https://login.example.com", "aud": "orders-api",
        "exp": now + 3600, "iat": now, "jti": "3f2c9a7e-5b1d-4e8f-9a6c-0d1e2f3a4b5c",
        "scope": "orders:read orders:write profile",
    });
    let jws = Minter::new(Algorithm::ES256).kid("k1").token(&claims);
    let spki = pem::parse(Fixture::for_alg(Algorithm::ES256).public_pem().unwrap()).unwrap().into_contents();
    let es256 = || sig::ParsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, &spki[spki.len() - 65..]).unwrap();
    let validator = |key: DecryptionKey, alg| {
        Validator::builder(Fixture::for_alg(Algorithm::ES256).key().with_kid("k1"), [Algorithm::ES256])
            .issuer("https://login.example.com")
            .audience("orders-api")
            .decrypt_with(key, [alg], [ContentEncryption::A256Gcm])
            .require_encryption()
            .build()
            .unwrap()
    };
    let public = |kid: &str| {
        let mut k = jwk(kid);
        for m in ["d", "p", "q", "dp", "dq", "qi"] {
            k.as_object_mut().unwrap().remove(m);
        }
        EncryptionKey::from_jwk(&k.to_string()).unwrap()
    };
    let rsa_der = pem::parse(read_key("jwe.rsa.key.pem")).unwrap().into_contents();
    let p256_d = d64(jwk("p256")["d"].as_str().unwrap());
    let cases = vec![
        Case {
            name: "dir",
            token: EncryptionKey::shared(SHARED)
                .unwrap()
                .encrypt(KeyManagement::Dir, ContentEncryption::A256Gcm, &jws)
                .unwrap(),
            validator: validator(DecryptionKey::shared(SHARED).unwrap(), KeyManagement::Dir),
            unwrap: Unwrap::Dir(LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &SHARED).unwrap())),
            es256: es256(),
        },
        Case {
            name: "rsa-oaep-256",
            token: public("rsa").encrypt(KeyManagement::RsaOaep256, ContentEncryption::A256Gcm, &jws).unwrap(),
            validator: validator(DecryptionKey::from_jwk(&jwk("rsa").to_string()).unwrap(), KeyManagement::RsaOaep256),
            unwrap: Unwrap::Rsa(
                OaepPrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(&rsa_der).unwrap()).unwrap(),
            ),
            es256: es256(),
        },
        Case {
            name: "ecdh-es+a256kw",
            token: public("p256").encrypt(KeyManagement::EcdhEsA256Kw, ContentEncryption::A256Gcm, &jws).unwrap(),
            validator: validator(
                DecryptionKey::from_jwk(&jwk("p256").to_string()).unwrap(),
                KeyManagement::EcdhEsA256Kw,
            ),
            unwrap: Unwrap::Ecdh(PrivateKey::from_private_key(&agreement::ECDH_P256, &p256_d).unwrap()),
            es256: es256(),
        },
    ];
    for c in &cases {
        c.jwtguard();
        c.floor();
    }
    cases
}

fn run(case: &Case, which: &str, n: u32) {
    for _ in 0..n {
        let claims = match which {
            "floor" => black_box(case).floor(),
            "jwtguard" => black_box(case).jwtguard(),
            other => panic!("unknown verifier {other}"),
        };
        black_box(claims);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let cases = cases();
    if let [name, which, n] = args.as_slice() {
        let case = cases.iter().find(|c| c.name == name).unwrap();
        run(case, which, n.parse().unwrap());
        return;
    }
    for case in &cases {
        for which in ["floor", "jwtguard"] {
            let n = if case.name == "rsa-oaep-256" { 300 } else { 2000 };
            run(case, which, n / 10);
            let start = Instant::now();
            run(case, which, n);
            println!("{} {which}: {:?} per token ({} bytes)", case.name, start.elapsed() / n, case.token.len());
        }
    }
}
