//! JWE interop, both directions, with two implementations nobody here wrote: node `jose`
//! (tests/fixtures/jose, pinned by its package-lock.json) and Python `jwcrypto`
//! (tests/fixtures/jwcrypto, pinned by requirements.txt). For every key-management algorithm
//! (ECDH-ES on each of P-256, P-384, P-521 and X25519) and every content algorithm:
//! - theirs -> here: they sign (ES256) and encrypt; jwtguard's validator decrypts and verifies;
//! - here -> theirs: jwtguard's TokenIssuer signs and encrypts; they decrypt and verify.
//!
//! The matrix is printed; every cell must pass. Needs `npm ci` in tests/fixtures/jose and a
//! Python with the pinned jwcrypto (tests/fixtures/jwcrypto/.venv, or `JWTGUARD_PYTHON`); a
//! missing tool fails the test with what to run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use jwtguard::issuer::{EncryptionKey, Issue, SigningKey, TokenIssuer};
use jwtguard::{Algorithm, ContentEncryption, DecryptionKey, DecryptionKeys, KeyManagement, Validator};
use jwtguard_test::{Fixture, b64, read_key, unix_now};
use serde_json::{Value, json};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

const SHARED_16: [u8; 16] = [0x16; 16];
const SHARED_32: [u8; 32] = [0x32; 32];
const SHARED_64: [u8; 64] = [0x64; 64];

/// One row of the matrix: an algorithm and, for ECDH-ES, a curve (the fixture key's kid).
fn rows() -> Vec<(KeyManagement, &'static str)> {
    let mut rows = Vec::new();
    for alg in KeyManagement::ALL {
        match alg {
            KeyManagement::EcdhEs | KeyManagement::EcdhEsA128Kw | KeyManagement::EcdhEsA256Kw => {
                rows.extend(["p256", "p384", "p521", "x25519"].map(|c| (alg, c)))
            }
            KeyManagement::RsaOaep | KeyManagement::RsaOaep256 => rows.push((alg, "rsa")),
            _ => rows.push((alg, "oct")),
        }
    }
    rows
}

fn private_jwk(kid: &str) -> Value {
    let jwks: Value = serde_json::from_slice(&read_key("jwe.private.jwks.json")).unwrap();
    jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid).unwrap().clone()
}

fn public_jwk(kid: &str) -> Value {
    let mut k = private_jwk(kid);
    for m in ["d", "p", "q", "dp", "dq", "qi"] {
        k.as_object_mut().unwrap().remove(m);
    }
    k
}

/// The shared key for `alg` (and, for `dir`, `enc`) as an `oct` JWK.
fn shared_jwk(alg: KeyManagement, enc: ContentEncryption) -> Value {
    let (kid, k): (&str, &[u8]) = match (alg, enc.key_len()) {
        (KeyManagement::A128Kw, _) | (KeyManagement::Dir, 16) => ("oct16", &SHARED_16),
        (KeyManagement::Dir, 64) => ("oct64", &SHARED_64),
        _ => ("oct32", &SHARED_32),
    };
    json!({"kty": "oct", "kid": kid, "k": b64(k)})
}

/// The recipient's key: private (to decrypt) or public (to encrypt).
fn recipient(alg: KeyManagement, curve: &str, enc: ContentEncryption, private: bool) -> Value {
    match curve {
        "oct" => shared_jwk(alg, enc),
        kid if private => private_jwk(kid),
        kid => public_jwk(kid),
    }
}

fn validator() -> Validator {
    let keys = DecryptionKeys::from_jwks(&String::from_utf8(read_key("jwe.private.jwks.json")).unwrap())
        .unwrap()
        .with(DecryptionKey::shared(SHARED_16).unwrap().with_kid("oct16"))
        .with(DecryptionKey::shared(SHARED_32).unwrap().with_kid("oct32"))
        .with(DecryptionKey::shared(SHARED_64).unwrap().with_kid("oct64"));
    let verify = jwtguard::Key::from_pem(Fixture::for_alg(Algorithm::ES256).public_pem().unwrap()).unwrap();
    Validator::builder(verify, [Algorithm::ES256])
        .decrypt_with(keys, KeyManagement::ALL, ContentEncryption::ALL)
        .require_encryption()
        .max_token_size(16 * 1024)
        .build()
        .unwrap()
}

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("JWTGUARD_PYTHON") {
        return p.into();
    }
    let venv = fixtures().join("jwcrypto/.venv/bin/python");
    if venv.exists() { venv } else { "python3".into() }
}

/// Runs a partner with one request; panics with what to install when it cannot run.
fn run(lib: &str, request: &Value) -> Value {
    let mut cmd = match lib {
        "jose" => {
            assert!(
                fixtures().join("jose/node_modules/jose").exists(),
                "node jose is not installed: run `npm ci` in tests/fixtures/jose (needs Node.js >= 20)"
            );
            let mut c = Command::new("node");
            c.arg(fixtures().join("jose/jwe.mjs"));
            c
        }
        _ => {
            let mut c = Command::new(python());
            c.arg(fixtures().join("jwcrypto/jwe.py"));
            c
        }
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the {lib} partner ({e}): install Node.js, or Python 3 with \
             `python3 -m venv tests/fixtures/jwcrypto/.venv && tests/fixtures/jwcrypto/.venv/bin/pip install -r tests/fixtures/jwcrypto/requirements.txt`"));
    child.stdin.take().unwrap().write_all(request.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the {lib} partner failed (is it installed? `npm ci` in tests/fixtures/jose; \
         `pip install -r tests/fixtures/jwcrypto/requirements.txt` into tests/fixtures/jwcrypto/.venv):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn id(alg: KeyManagement, curve: &str, enc: ContentEncryption) -> String {
    format!("{alg}|{curve}|{enc}")
}

#[test]
#[ignore = "needs node and python jwcrypto"]
fn jwe_interop_matrix_with_node_jose_and_python_jwcrypto() {
    let signing_pem = String::from_utf8(Fixture::for_alg(Algorithm::ES256).private_pem().unwrap()).unwrap();
    let verify_pem = String::from_utf8(Fixture::for_alg(Algorithm::ES256).public_pem().unwrap()).unwrap();
    let now = unix_now();
    let v = validator();

    // Tokens made here, one per cell, for the partners to open.
    let mut ours = Vec::new();
    for (alg, curve) in rows() {
        for enc in ContentEncryption::ALL {
            let key = EncryptionKey::from_jwk(&recipient(alg, curve, enc, false).to_string()).unwrap();
            let signing = SigningKey::from_pkcs8_pem(signing_pem.as_bytes(), Algorithm::ES256, "k1").unwrap();
            let issuer = TokenIssuer::builder(signing)
                .issuer("https://jwtguard.example")
                .encrypt_to(key, alg, enc)
                .build()
                .unwrap();
            let token = issuer.issue(&Issue::subject("alice-from-jwtguard")).unwrap().token;
            ours.push(json!({"id": id(alg, curve, enc), "alg": alg.as_str(), "enc": enc.as_str(),
                "key": recipient(alg, curve, enc, true), "token": token}));
        }
    }
    let make: Vec<Value> = rows()
        .into_iter()
        .flat_map(|(alg, curve)| {
            ContentEncryption::ALL.map(|enc| {
                json!({"id": id(alg, curve, enc), "alg": alg.as_str(), "enc": enc.as_str(),
                    "key": recipient(alg, curve, enc, false),
                    "claims": {"sub": "bob-from-partner", "iat": now, "exp": now + 600}})
            })
        })
        .collect();
    let request = json!({"signing_pem": signing_pem, "verify_pem": verify_pem, "make": make, "open": ours});

    // cell -> (lib, direction) -> pass/fail reason
    type Results = Vec<(String, Result<(), String>)>;
    let mut matrix: BTreeMap<(String, String), Results> = BTreeMap::new();
    for lib in ["jose", "jwcrypto"] {
        let answer = run(lib, &request);
        for (alg, curve) in rows() {
            for enc in ContentEncryption::ALL {
                let cell = id(alg, curve, enc);
                // Theirs -> here.
                let theirs = match &answer["made"][&cell] {
                    Value::String(token) => {
                        v.verify::<Value>(token).map_err(|e| format!("jwtguard: {e}")).and_then(|ok| {
                            (ok.claims()["sub"] == "bob-from-partner")
                                .then_some(())
                                .ok_or_else(|| "wrong sub".to_owned())
                        })
                    }
                    other => Err(format!("{lib} could not encrypt: {other}")),
                };
                // Here -> theirs.
                let here = match &answer["opened"][&cell]["sub"] {
                    Value::String(s) if s == "alice-from-jwtguard" => Ok(()),
                    _ => Err(format!("{lib}: {}", answer["opened"][&cell])),
                };
                let row = matrix
                    .entry((
                        format!("{alg} {}", if curve == "oct" || curve == "rsa" { "" } else { curve }),
                        enc.to_string(),
                    ))
                    .or_default();
                row.push((format!("{lib}→jwtguard"), theirs));
                row.push((format!("jwtguard→{lib}"), here));
            }
        }
    }

    println!("JWE interop matrix (alg × enc × direction × library); ✓ = decrypted and verified");
    println!(
        "{:<22} {:<14} {:^16} {:^16} {:^20} {:^20}",
        "alg", "enc", "jose→jwtguard", "jwtguard→jose", "jwcrypto→jwtguard", "jwtguard→jwcrypto"
    );
    let mut failures = Vec::new();
    let mut cells = 0;
    for ((alg, enc), results) in &matrix {
        let mark = |name: &str| {
            let r = results.iter().find(|(n, _)| n == name).map(|(_, r)| r);
            if matches!(r, Some(Ok(()))) { "✓" } else { "✗" }
        };
        println!(
            "{:<22} {:<14} {:^16} {:^16} {:^20} {:^20}",
            alg.trim(),
            enc,
            mark("jose→jwtguard"),
            mark("jwtguard→jose"),
            mark("jwcrypto→jwtguard"),
            mark("jwtguard→jwcrypto")
        );
        for (name, r) in results {
            cells += 1;
            if let Err(e) = r {
                failures.push(format!("{alg} {enc} {name}: {e}"));
            }
        }
    }
    println!("{cells} cells, {} failed", failures.len());
    assert_eq!(cells, 17 * 4 * 4);
    assert!(failures.is_empty(), "interop failures:\n{}", failures.join("\n"));
}
