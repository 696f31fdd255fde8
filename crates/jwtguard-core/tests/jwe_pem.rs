//! Decryption keys from PEM: PKCS#8 (RSA, EC P-256/P-384/P-521, X25519), PKCS#1 and SEC1 private
//! keys decrypt what was encrypted to their public key, on whichever backend is built; public,
//! encrypted, signing-only and other-curve keys are refused with an error that names the problem
//! and never the key.
//!
//! The PEM fixtures are the keys of `jwe.private.jwks.json` (see `jwtguard-test/keys/README.md`),
//! so tokens are encrypted to the public half of the JWK and decrypted with the PEM.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jwtguard_core::issuer::{EncryptionKey, Issue, SigningKey, TokenIssuer};
use jwtguard_core::{
    Algorithm, ConfigError, ContentEncryption, DecryptionKey, DecryptionKeys, ErrorKind, KeyManagement, Validator,
};
use jwtguard_test::{Fixture, Minter, claims, clock, key_path, read_key};
use serde_json::Value;

fn private_jwk(kid: &str) -> Value {
    let jwks: Value = serde_json::from_slice(&read_key("jwe.private.jwks.json")).unwrap();
    jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid).unwrap().clone()
}

fn public_jwk(kid: &str) -> String {
    let mut k = private_jwk(kid);
    for m in ["d", "p", "q", "dp", "dq", "qi"] {
        k.as_object_mut().unwrap().remove(m);
    }
    k.to_string()
}

/// A validator allowing every algorithm the keys serve.
fn validator(keys: impl Into<DecryptionKeys>) -> Validator {
    let keys = keys.into();
    let algs = keys.key_management();
    Validator::builder(Fixture::for_alg(Algorithm::ES256).key(), [Algorithm::ES256])
        .clock(clock())
        .max_token_size(16 * 1024)
        .decrypt_with(keys, algs, ContentEncryption::ALL)
        .build()
        .unwrap()
}

fn signed() -> String {
    Minter::new(Algorithm::ES256).token(&claims())
}

/// (fixture, JWK kid of the same key, key-management algorithms it serves)
const PEM_KEYS: [(&str, &str, &[KeyManagement]); 9] = [
    ("jwe.rsa.key.pem", "rsa", &[KeyManagement::RsaOaep256, KeyManagement::RsaOaep]),
    ("jwe.rsa.pkcs1.key.pem", "rsa", &[KeyManagement::RsaOaep256, KeyManagement::RsaOaep]),
    ("jwe.p256.key.pem", "p256", &[KeyManagement::EcdhEs, KeyManagement::EcdhEsA256Kw]),
    ("jwe.p256.sec1.key.pem", "p256", &[KeyManagement::EcdhEs, KeyManagement::EcdhEsA128Kw]),
    ("jwe.p384.key.pem", "p384", &[KeyManagement::EcdhEs, KeyManagement::EcdhEsA256Kw]),
    ("jwe.p384.sec1.key.pem", "p384", &[KeyManagement::EcdhEs]),
    ("jwe.p521.key.pem", "p521", &[KeyManagement::EcdhEs, KeyManagement::EcdhEsA256Kw]),
    ("jwe.p521.sec1.key.pem", "p521", &[KeyManagement::EcdhEs]),
    ("jwe.x25519.key.pem", "x25519", &[KeyManagement::EcdhEs, KeyManagement::EcdhEsA256Kw]),
];

#[test]
fn pem_private_keys_decrypt_tokens_encrypted_to_their_public_key() {
    for (file, kid, algs) in PEM_KEYS {
        let key = DecryptionKey::from_pem_file(key_path(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(key.kid(), None);
        let v = validator(key);
        let to = EncryptionKey::from_jwk(&public_jwk(kid)).unwrap();
        for alg in algs {
            for enc in [ContentEncryption::A256Gcm, ContentEncryption::A128CbcHs256] {
                // The token names the JWK's kid; a PEM key has none and stands for any.
                let token = to.encrypt(*alg, enc, &signed()).unwrap();
                let verified = v.verify::<Value>(&token).unwrap_or_else(|e| panic!("{file} {alg} {enc}: {e:?}"));
                assert_eq!(verified.registered().sub(), Some("alice"));
                assert_eq!(verified.header().encryption().map(|e| (e.alg(), e.enc())), Some((*alg, enc)));
            }
        }
    }
}

#[test]
fn pem_key_decrypts_what_the_token_issuer_encrypts() {
    let signing = || {
        SigningKey::from_pkcs8_pem(&Fixture::for_alg(Algorithm::ES256).private_pem().unwrap(), Algorithm::ES256, "k1")
            .unwrap()
    };
    let cases = [
        ("jwe.rsa.key.pem", "rsa", KeyManagement::RsaOaep256),
        ("jwe.p256.sec1.key.pem", "p256", KeyManagement::EcdhEs),
        ("jwe.p384.key.pem", "p384", KeyManagement::EcdhEs),
        ("jwe.p521.key.pem", "p521", KeyManagement::EcdhEs),
        ("jwe.x25519.key.pem", "x25519", KeyManagement::EcdhEs),
    ];
    for (file, kid, alg) in cases {
        let issuer = TokenIssuer::builder(signing())
            .issuer("https://auth.example")
            .clock(clock())
            .encrypt_to(EncryptionKey::from_jwk(&public_jwk(kid)).unwrap(), alg, ContentEncryption::A256Gcm)
            .build()
            .unwrap();
        let issued = issuer.issue(&Issue::subject("alice")).unwrap();
        let key = DecryptionKey::from_pem(read_key(file)).unwrap().with_kid(kid);
        let verified = validator(key).verify::<Value>(&issued.token).unwrap_or_else(|e| panic!("{file}: {e:?}"));
        assert_eq!(verified.registered().sub(), Some("alice"));
    }
}

#[test]
fn pem_key_with_another_kid_is_not_tried() {
    let key = DecryptionKey::from_pem_file(key_path("jwe.p256.key.pem")).unwrap().with_kid("other");
    let token = EncryptionKey::from_jwk(&public_jwk("p256"))
        .unwrap()
        .encrypt(KeyManagement::EcdhEs, ContentEncryption::A256Gcm, &signed())
        .unwrap();
    assert_eq!(validator(key).verify::<Value>(&token).unwrap_err().kind(), ErrorKind::UnknownKey);
}

#[test]
fn pem_key_failure_is_the_fixed_decryption_error() {
    let rsa = DecryptionKey::from_pem_file(key_path("jwe.rsa.pkcs1.key.pem")).unwrap();
    let v = validator(rsa);
    let mut token = EncryptionKey::from_jwk(&public_jwk("rsa"))
        .unwrap()
        .encrypt(KeyManagement::RsaOaep256, ContentEncryption::A256Gcm, &signed())
        .unwrap();
    // Flip one bit of the encrypted key.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut ek = URL_SAFE_NO_PAD.decode(&parts[1]).unwrap();
    ek[10] ^= 1;
    parts[1] = URL_SAFE_NO_PAD.encode(ek);
    token = parts.join(".");
    assert_eq!(v.verify::<Value>(&token).unwrap_err().kind(), ErrorKind::DecryptionFailed);
}

/// The error of `from_pem_file`, checked never to show any line of the key's base64 body.
fn refused(file: &str) -> ConfigError {
    let err = DecryptionKey::from_pem_file(key_path(file)).expect_err(file);
    let shown = format!("{err} {err:?}");
    let pem = String::from_utf8(read_key(file)).unwrap();
    for line in pem.lines().filter(|l| !l.starts_with("-----") && l.len() > 12) {
        assert!(!shown.contains(&line[..12]), "{file}: the error shows key material: {shown}");
    }
    err
}

#[test]
fn public_key_pem_is_refused_where_a_private_key_is_needed() {
    for file in ["p256.pub.pem", "rsa.pub.pem", "rsa.pkcs1.pub.pem", "rsa.cert.pem"] {
        let err = refused(file);
        assert!(matches!(err, ConfigError::KeyNotForDecryption(_)), "{file}: {err:?}");
        assert!(err.to_string().contains("public key"), "{file}: {err}");
    }
}

#[test]
fn encrypted_pkcs8_is_refused_with_a_hint() {
    let err = refused("jwe.p256.encrypted.key.pem");
    assert!(matches!(err, ConfigError::UnsupportedKey(_)), "{err:?}");
    assert!(err.to_string().contains("encrypted PKCS#8"), "{err}");
}

#[test]
fn ed25519_key_is_refused_it_signs_only() {
    let err = refused("ed25519.key.pem");
    assert!(matches!(err, ConfigError::KeyNotForDecryption(_)), "{err:?}");
    assert!(err.to_string().contains("Ed25519"), "{err}");
}

#[test]
fn unknown_curves_are_refused() {
    for (file, says) in
        [("secp256k1.key.pem", "EC curve"), ("secp256k1.sec1.key.pem", "EC curve"), ("x448.key.pem", "X448")]
    {
        let err = refused(file);
        assert!(matches!(err, ConfigError::UnsupportedKey(_)), "{file}: {err:?}");
        assert!(err.to_string().contains(says), "{file}: {err}");
    }
}

#[test]
fn other_pem_blocks_and_garbage_are_refused() {
    let err = DecryptionKey::from_pem("not a pem").unwrap_err();
    assert!(matches!(err, ConfigError::InvalidKey("not a PEM block")), "{err:?}");
    let err = DecryptionKey::from_pem("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n")
        .unwrap_err();
    assert!(matches!(err, ConfigError::UnsupportedKey(_)), "{err:?}");
    let err = DecryptionKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").unwrap_err();
    assert!(matches!(err, ConfigError::InvalidKey(_)), "{err:?}");
    let err = DecryptionKey::from_pem_file(key_path("no-such-file.pem")).unwrap_err();
    assert!(matches!(err, ConfigError::Io { .. }), "{err:?}");
}

/// A SEC1 `ECPrivateKey` on P-256 built by hand, with the public point given or left out.
fn sec1_p256(d: &[u8], public: Option<&[u8]>) -> String {
    let mut body = vec![0x02, 0x01, 0x01, 0x04, 0x20];
    body.extend_from_slice(d);
    body.extend_from_slice(&[0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]);
    if let Some(p) = public {
        body.extend_from_slice(&[0xa1, p.len() as u8 + 3, 0x03, p.len() as u8 + 1, 0x00]);
        body.extend_from_slice(p);
    }
    let mut der = vec![0x30, body.len() as u8];
    der.extend_from_slice(&body);
    format!("-----BEGIN EC PRIVATE KEY-----\n{}\n-----END EC PRIVATE KEY-----\n", STANDARD.encode(der))
}

#[test]
fn sec1_public_point_must_be_the_private_keys() {
    let jwk = private_jwk("p256");
    let field = |name: &str| URL_SAFE_NO_PAD.decode(jwk[name].as_str().unwrap()).unwrap();
    let own = [&[4u8][..], &field("x"), &field("y")].concat();
    assert!(DecryptionKey::from_pem(sec1_p256(&field("d"), Some(&own))).is_ok());
    // No public point: derived from the scalar.
    let key = DecryptionKey::from_pem(sec1_p256(&field("d"), None)).unwrap();
    let token = EncryptionKey::from_jwk(&public_jwk("p256"))
        .unwrap()
        .encrypt(KeyManagement::EcdhEs, ContentEncryption::A256Gcm, &signed())
        .unwrap();
    assert!(validator(key).verify::<Value>(&token).is_ok());
    // RFC 7515 A.3's P-256 point is someone else's.
    let theirs = [
        &[4u8][..],
        &URL_SAFE_NO_PAD.decode("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU").unwrap(),
        &URL_SAFE_NO_PAD.decode("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0").unwrap(),
    ]
    .concat();
    let err = DecryptionKey::from_pem(sec1_p256(&field("d"), Some(&theirs))).unwrap_err();
    assert!(matches!(err, ConfigError::InvalidKey(_)), "{err:?}");
    // Its own point compressed: refused alike by both backends (aws-lc-rs compared bytes and
    // refused it, RustCrypto accepted it; found in review).
    let y_odd = field("y").last().unwrap() & 1;
    let compressed = [&[2 + y_odd][..], &field("x")].concat();
    let err = DecryptionKey::from_pem(sec1_p256(&field("d"), Some(&compressed))).unwrap_err();
    assert!(matches!(err, ConfigError::UnsupportedKey(_)), "{err:?}");
}

#[test]
fn an_ec_parameters_block_before_the_key_is_skipped() {
    // What `openssl ecparam -name prime256v1 -genkey` writes: the curve's OID, then the key.
    let params = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";
    let key = std::fs::read_to_string(key_path("jwe.p256.sec1.key.pem")).unwrap();
    let key = DecryptionKey::from_pem(format!("{params}{key}")).unwrap();
    let token = EncryptionKey::from_jwk(&public_jwk("p256"))
        .unwrap()
        .encrypt(KeyManagement::EcdhEs, ContentEncryption::A256Gcm, &signed())
        .unwrap();
    assert!(validator(key).verify::<Value>(&token).is_ok());
    let only_params = DecryptionKey::from_pem(params).unwrap_err();
    assert!(matches!(only_params, ConfigError::InvalidKey("not a PEM block")), "{only_params:?}");
}

#[test]
fn rsa_pem_under_2048_bits_is_refused() {
    let err = DecryptionKey::from_pem_file(key_path("rsa1024.pkcs1.key.pem")).unwrap_err();
    assert!(matches!(err, ConfigError::InvalidKey("RSA modulus shorter than 2048 bits")), "{err:?}");
}
