//! Encrypted tokens (JWE, nested JWT): every algorithm pair round-trips on the chosen backend,
//! and every refusal names the attack it stops. Tokens for the refusals are built by hand (with
//! aws-lc-rs directly) so that each one would otherwise decrypt: the refusal, not a broken tag,
//! is what rejects them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use jwtguard_core::issuer::EncryptionKey;
use jwtguard_core::{
    Algorithm, Challenge, ConfigError, ContentEncryption, DecryptionKey, DecryptionKeys, ErrorKind, KeyManagement,
    Validator,
};
use jwtguard_test::{Fixture, Minter, b64, claims, clock, read_key};
use serde_json::{Value, json};

const DIR_KEY: [u8; 32] = [0x42; 32];

fn private_jwks() -> Value {
    serde_json::from_slice(&read_key("jwe.private.jwks.json")).unwrap()
}

fn private_jwk(kid: &str) -> Value {
    private_jwks()["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid).unwrap().clone()
}

fn public_jwk(kid: &str) -> String {
    let mut k = private_jwk(kid);
    for m in ["d", "p", "q", "dp", "dq", "qi"] {
        k.as_object_mut().unwrap().remove(m);
    }
    k.to_string()
}

fn signed() -> String {
    Minter::new(Algorithm::ES256).token(&claims())
}

/// A validator for ES256 inner tokens that decrypts with every fixture key and allows all.
fn validator() -> Validator {
    let keys = DecryptionKeys::from_jwks(&String::from_utf8(read_key("jwe.private.jwks.json")).unwrap())
        .unwrap()
        .with(DecryptionKey::shared(DIR_KEY).unwrap().with_kid("dir"))
        .with(DecryptionKey::shared([0x16; 16]).unwrap().with_kid("kw128"))
        .with(DecryptionKey::shared([0x64; 64]).unwrap().with_kid("dir64"))
        .with(DecryptionKey::shared([0x10; 16]).unwrap().with_kid("dir16"));
    Validator::builder(Fixture::for_alg(Algorithm::ES256).key(), [Algorithm::ES256])
        .clock(clock())
        .max_token_size(16 * 1024)
        .decrypt_with(keys, KeyManagement::ALL, ContentEncryption::ALL)
        .build()
        .unwrap()
}

/// The recipient key (and its kid) for `alg`, on `curve` for ECDH.
fn recipient(alg: KeyManagement, enc: ContentEncryption, curve: &str) -> EncryptionKey {
    match alg {
        KeyManagement::Dir => match enc.key_len() {
            16 => EncryptionKey::shared([0x10; 16]).unwrap().with_kid("dir16"),
            32 => EncryptionKey::shared(DIR_KEY).unwrap().with_kid("dir"),
            _ => EncryptionKey::shared([0x64; 64]).unwrap().with_kid("dir64"),
        },
        KeyManagement::A128Kw => EncryptionKey::shared([0x16; 16]).unwrap().with_kid("kw128"),
        KeyManagement::A256Kw => EncryptionKey::shared(DIR_KEY).unwrap().with_kid("dir"),
        KeyManagement::RsaOaep | KeyManagement::RsaOaep256 => EncryptionKey::from_jwk(&public_jwk("rsa")).unwrap(),
        _ => EncryptionKey::from_jwk(&public_jwk(curve)).unwrap(),
    }
}

fn header_of(token: &str) -> Value {
    use base64::Engine;
    let h = token.split('.').next().unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(h).unwrap()).unwrap()
}

#[test]
fn every_algorithm_pair_round_trips_as_a_nested_jwt() {
    let v = validator();
    let mut cells = 0;
    for alg in KeyManagement::ALL {
        let curves: &[&str] =
            if alg.as_str().starts_with("ECDH") { &["p256", "p384", "p521", "x25519"] } else { &["-"] };
        for enc in ContentEncryption::ALL {
            for curve in curves {
                let token = recipient(alg, enc, curve).encrypt(alg, enc, &signed()).unwrap();
                assert_eq!(header_of(&token)["cty"], "JWT");
                let verified = v.verify::<Value>(&token).unwrap_or_else(|e| panic!("{alg} {enc} {curve}: {e:?}"));
                assert_eq!(verified.claims()["sub"], "alice");
                assert_eq!(verified.header().alg(), Some(Algorithm::ES256), "the inner token's header");
                let e = verified.header().encryption().unwrap();
                assert_eq!((e.alg(), e.enc()), (alg, enc));
                cells += 1;
            }
        }
    }
    assert_eq!(cells, 4 * (5 + 3 * 4));
}

#[test]
fn the_inner_token_goes_through_the_same_policy() {
    let v = validator();
    let expired = Minter::new(Algorithm::ES256).token(&json!({"sub": "a", "exp": jwtguard_test::NOW - 3600}));
    let token = recipient(KeyManagement::Dir, ContentEncryption::A256Gcm, "-")
        .encrypt(KeyManagement::Dir, ContentEncryption::A256Gcm, &expired)
        .unwrap();
    assert_eq!(v.verify::<Value>(&token).unwrap_err().kind(), ErrorKind::Expired);
    // Signed by a key the validator does not trust: encryption does not stand in for a signature.
    let forged = Minter::new(Algorithm::ES256).fixture(Fixture::for_alg(Algorithm::ES256).other()).token(&claims());
    let token = recipient(KeyManagement::Dir, ContentEncryption::A256Gcm, "-")
        .encrypt(KeyManagement::Dir, ContentEncryption::A256Gcm, &forged)
        .unwrap();
    assert_eq!(v.verify::<Value>(&token).unwrap_err().kind(), ErrorKind::BadSignature);
}

#[test]
fn plain_jws_is_accepted_unless_encryption_is_required() {
    assert!(validator().verify::<Value>(&signed()).is_ok());
    let strict = Validator::builder(Fixture::for_alg(Algorithm::ES256).key(), [Algorithm::ES256])
        .clock(clock())
        .decrypt_with(DecryptionKey::shared(DIR_KEY).unwrap(), [KeyManagement::Dir], [ContentEncryption::A256Gcm])
        .require_encryption()
        .build()
        .unwrap();
    assert_eq!(strict.verify::<Value>(&signed()).unwrap_err().kind(), ErrorKind::AlgorithmNotAllowed);
    let token = EncryptionKey::shared(DIR_KEY)
        .unwrap()
        .encrypt(KeyManagement::Dir, ContentEncryption::A256Gcm, &signed())
        .unwrap();
    assert!(strict.verify::<Value>(&token).is_ok());
}

#[test]
fn encrypted_token_is_rejected_by_a_validator_without_decryption() {
    let plain = jwtguard_test::validator(Algorithm::ES256);
    let token = EncryptionKey::shared(DIR_KEY)
        .unwrap()
        .encrypt(KeyManagement::Dir, ContentEncryption::A256Gcm, &signed())
        .unwrap();
    // Five segments are not a JWS: malformed, as before decryption existed.
    assert_eq!(plain.verify::<Value>(&token).unwrap_err().kind(), ErrorKind::Malformed);
}

/// `dir` + A256GCM with any protected header: a token that decrypts unless the header is refused.
fn seal_dir(header: &Value, plaintext: &str) -> String {
    let h64 = b64(header.to_string().as_bytes());
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &DIR_KEY).unwrap());
    let iv = [7u8; 12];
    let mut buf = plaintext.as_bytes().to_vec();
    let tag =
        key.seal_in_place_separate_tag(Nonce::assume_unique_for_key(iv), Aad::from(h64.as_bytes()), &mut buf).unwrap();
    format!("{h64}..{}.{}.{}", b64(&iv), b64(&buf), b64(tag.as_ref()))
}

fn dir_header() -> Value {
    json!({"alg": "dir", "enc": "A256GCM", "cty": "JWT", "kid": "dir"})
}

#[test]
fn hand_built_dir_token_decrypts() {
    // The control for the refusals below: the same construction with a plain header verifies.
    assert!(validator().verify::<Value>(&seal_dir(&dir_header(), &signed())).is_ok());
}

#[test]
fn rsa1_5_is_refused_bleichenbacher_marvin() {
    // RFC 7516 §11.5, Bleichenbacher (CRYPTO '98) and the Marvin attack (2023): not offered at all.
    let mut h = dir_header();
    h["alg"] = "RSA1_5".into();
    assert_eq!(
        validator().verify::<Value>(&seal_dir(&h, &signed())).unwrap_err().kind(),
        ErrorKind::AlgorithmNotAllowed
    );
    assert!("RSA1_5".parse::<KeyManagement>().is_err());
}

#[test]
fn pbes2_is_refused_unbounded_p2c_denial_of_service() {
    // PBES2's attacker-chosen p2c turns one token into billions of hash iterations (RFC 7518 §4.8.1.2).
    for alg in ["PBES2-HS256+A128KW", "PBES2-HS384+A192KW", "PBES2-HS512+A256KW"] {
        let mut h = dir_header();
        h["alg"] = alg.into();
        h["p2s"] = "c2FsdHNhbHRzYWx0".into();
        h["p2c"] = 2_000_000_000u64.into();
        let err = validator().verify::<Value>(&seal_dir(&h, &signed())).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlgorithmNotAllowed, "{alg}");
    }
}

#[test]
fn zip_is_refused_decompression_bomb() {
    // `zip: DEF` inflates after decryption: a few KiB become gigabytes, and compression leaks
    // length (CRIME-style). RFC 7516 §4.1.3.
    let mut h = dir_header();
    h["zip"] = "DEF".into();
    let err = validator().verify::<Value>(&seal_dir(&h, &signed())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlgorithmNotAllowed);
}

#[test]
fn unknown_crit_is_refused_rfc7516_4_1_13() {
    let mut h = dir_header();
    h["crit"] = json!(["exp-ext"]);
    h["exp-ext"] = true.into();
    assert_eq!(
        validator().verify::<Value>(&seal_dir(&h, &signed())).unwrap_err().kind(),
        ErrorKind::UnsupportedCritical
    );
}

#[test]
fn alg_or_enc_outside_the_allow_list_is_refused_algorithm_downgrade() {
    let only = Validator::builder(Fixture::for_alg(Algorithm::ES256).key(), [Algorithm::ES256])
        .clock(clock())
        .decrypt_with(
            DecryptionKeys::new().with(DecryptionKey::shared(DIR_KEY).unwrap().with_kid("dir")),
            [KeyManagement::A256Kw],
            [ContentEncryption::A256CbcHs512, ContentEncryption::A128CbcHs256],
        )
        .build()
        .unwrap();
    // alg `dir` is not allowed though the key would serve it; enc A256GCM is not allowed.
    assert_eq!(
        only.verify::<Value>(&seal_dir(&dir_header(), &signed())).unwrap_err().kind(),
        ErrorKind::AlgorithmNotAllowed
    );
    let token = EncryptionKey::shared(DIR_KEY)
        .unwrap()
        .encrypt(KeyManagement::A256Kw, ContentEncryption::A256Gcm, &signed())
        .unwrap();
    assert_eq!(only.verify::<Value>(&token).unwrap_err().kind(), ErrorKind::AlgorithmNotAllowed);
    let token = EncryptionKey::shared(DIR_KEY)
        .unwrap()
        .encrypt(KeyManagement::A256Kw, ContentEncryption::A128CbcHs256, &signed())
        .unwrap();
    assert!(only.verify::<Value>(&token).is_ok());
}

#[test]
fn unsigned_encrypted_jwt_is_refused_by_default_forgery_with_the_public_key() {
    // Anyone holding the recipient's public key can encrypt claims: without a signature inside,
    // the token proves nothing about its issuer (RFC 7519 §11.2).
    let mut h = dir_header();
    h.as_object_mut().unwrap().remove("cty");
    let claims_only = claims().to_string();
    assert_eq!(
        validator().verify::<Value>(&seal_dir(&h, &claims_only)).unwrap_err().kind(),
        ErrorKind::AlgorithmNotAllowed
    );
    // `cty: JWT` around a claims set is no JWS: malformed, not accepted.
    assert_eq!(
        validator().verify::<Value>(&seal_dir(&dir_header(), &claims_only)).unwrap_err().kind(),
        ErrorKind::Malformed
    );
    // An unsecured (`alg: none`) JWS inside is no better.
    let none = format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(claims_only.as_bytes()));
    assert_eq!(
        validator().verify::<Value>(&seal_dir(&dir_header(), &none)).unwrap_err().kind(),
        ErrorKind::AlgorithmNotAllowed
    );
}

#[test]
fn token_over_the_size_bound_is_refused_before_decoding() {
    // The bound applies to the whole five-part token (8 KiB by default), before any base64.
    let v = Validator::builder(Fixture::for_alg(Algorithm::ES256).key(), [Algorithm::ES256])
        .clock(clock())
        .decrypt_with(
            DecryptionKey::shared(DIR_KEY).unwrap().with_kid("dir"),
            [KeyManagement::Dir],
            [ContentEncryption::A256Gcm],
        )
        .build()
        .unwrap();
    let big = Minter::new(Algorithm::ES256)
        .token(&json!({"sub": "a", "exp": jwtguard_test::NOW + 60, "pad": "x".repeat(5000)}));
    let token = seal_dir(&dir_header(), &big);
    assert!(token.len() > 8192 && big.len() < 8192, "{} {}", token.len(), big.len());
    assert_eq!(v.verify::<Value>(&token).unwrap_err().kind(), ErrorKind::TooLarge);
    assert!(v.verify::<Value>(&seal_dir(&dir_header(), &signed())).is_ok());
    // The same inner token, not encrypted, is under the bound: JWE costs about a third more.
    assert!(jwtguard_test::validator(Algorithm::ES256).verify::<Value>(&big).is_ok());
}

fn ecdh_token(kid: &str) -> String {
    EncryptionKey::from_jwk(&public_jwk(kid))
        .unwrap()
        .encrypt(KeyManagement::EcdhEsA256Kw, ContentEncryption::A256Gcm, &signed())
        .unwrap()
}

/// Replaces the protected header (the AAD changes too, so only the key agreement matters:
/// whatever it yields, the tag will not hold; what is tested is that nothing panics and the
/// answer is the one fixed decryption failure).
fn with_header(token: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut h = header_of(token);
    edit(&mut h);
    let rest: Vec<&str> = token.splitn(2, '.').collect();
    format!("{}.{}", b64(h.to_string().as_bytes()), rest[1])
}

fn assert_fixed_decryption_failure(token: &str) {
    let err = validator().verify::<Value>(token).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DecryptionFailed, "{err:?}");
    assert_eq!(err.detail(), None);
    assert_eq!(err.to_string(), "token could not be decrypted");
    let rejection = Challenge::default().respond(&err);
    assert_eq!(rejection.status(), 401);
}

#[test]
fn ecdh_epk_off_curve_is_rejected_invalid_curve_attack() {
    // Jager, Schwenk, Somorovsky (ESORICS 2015): points off the curve leak the private key
    // modulo small orders. RFC 7518 §6.2.1 requires the check.
    for kid in ["p256", "p384", "p521"] {
        let token = with_header(&ecdh_token(kid), |h| {
            let y = h["epk"]["y"].as_str().unwrap().to_owned();
            let mut bytes = base64_decode(&y);
            let last = bytes.len() - 1;
            bytes[last] ^= 1;
            h["epk"]["y"] = b64(&bytes).into();
        });
        assert_fixed_decryption_failure(&token);
    }
}

#[test]
fn ecdh_epk_on_another_curve_than_the_key_is_rejected_invalid_curve_attack() {
    // A valid P-384 point sent to the P-256 key (and an X25519 point to it): the curve is the key's.
    let p384_epk = header_of(&ecdh_token("p384"))["epk"].clone();
    let x_epk = header_of(&ecdh_token("x25519"))["epk"].clone();
    for epk in [p384_epk, x_epk] {
        let token = with_header(&ecdh_token("p256"), |h| h["epk"] = epk);
        assert_fixed_decryption_failure(&token);
    }
}

#[test]
fn ecdh_epk_with_private_members_is_rejected() {
    // An `epk` carrying `d` is a sender leaking its ephemeral key, or a probe for parsers that
    // load it as a private key; never used.
    let token = with_header(&ecdh_token("p256"), |h| h["epk"]["d"] = "AAAA".into());
    let err = validator().verify::<Value>(&token).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Malformed);
    assert_eq!(err.detail(), Some("epk holds private key members"));
}

#[test]
fn x25519_low_order_epk_is_rejected_small_subgroup_attack() {
    // RFC 7748 §6.1: a low-order point gives an all-zero shared secret that does not depend on
    // the recipient's key; the points from the libsodium/cr.yp.to blacklist.
    let low_order: [[u8; 32]; 3] = [
        [0; 32],
        {
            let mut p = [0u8; 32];
            p[0] = 1;
            p
        },
        [
            0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09,
            0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00,
        ],
    ];
    for point in low_order {
        let token = with_header(&ecdh_token("x25519"), |h| h["epk"]["x"] = b64(&point).into());
        assert_fixed_decryption_failure(&token);
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()
}

#[test]
fn cbc_padding_oracle_answers_exactly_like_a_bad_tag() {
    // Vaudenay (EUROCRYPT 2002): an answer that differs between "bad padding" and "bad tag"
    // decrypts the token byte by byte. The tag is checked first, in constant time; padding is
    // never looked at unless it holds.
    let token = EncryptionKey::shared(DIR_KEY)
        .unwrap()
        .with_kid("dir")
        .encrypt(KeyManagement::Dir, ContentEncryption::A128CbcHs256, &signed())
        .unwrap();
    assert!(validator().verify::<Value>(&token).is_ok());
    let parts: Vec<&str> = token.split('.').collect();
    let flip = |s: &str, at: usize| {
        let mut b = base64_decode(s);
        let i = at.min(b.len() - 1);
        b[i] ^= 0x01;
        b64(&b)
    };
    // The last ciphertext byte (padding), the tag, and the IV: each alone.
    let ct_len = base64_decode(parts[3]).len();
    let bad_padding = [parts[0], parts[1], parts[2], &flip(parts[3], ct_len - 1), parts[4]].join(".");
    let bad_tag = [parts[0], parts[1], parts[2], parts[3], &flip(parts[4], 0)].join(".");
    let bad_iv = [parts[0], parts[1], &flip(parts[2], 15), parts[3], parts[4]].join(".");
    for t in [bad_padding, bad_tag, bad_iv] {
        assert_fixed_decryption_failure(&t);
    }
}

#[test]
fn wrong_key_and_bad_tag_are_indistinguishable_rfc7516_11_5() {
    // RSA-OAEP to our key but the CEK wrapped for another key, versus a flipped tag: one answer.
    let token = EncryptionKey::from_jwk(&public_jwk("rsa"))
        .unwrap()
        .encrypt(KeyManagement::RsaOaep256, ContentEncryption::A256Gcm, &signed())
        .unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let mut ek = base64_decode(parts[1]);
    ek[10] ^= 0x80;
    let bad_key = [parts[0], &b64(&ek), parts[2], parts[3], parts[4]].join(".");
    let mut tag = base64_decode(parts[4]);
    tag[0] ^= 1;
    let bad_tag = [parts[0], parts[1], parts[2], parts[3], &b64(&tag)].join(".");
    assert_fixed_decryption_failure(&bad_key);
    assert_fixed_decryption_failure(&bad_tag);
}

#[test]
fn decryption_failure_is_invalid_token_with_the_fixed_description() {
    let err = jwtguard_core::Error::new(ErrorKind::DecryptionFailed);
    let r = Challenge::default().respond(&err);
    assert_eq!(r.status(), 401);
    assert_eq!(ErrorKind::DecryptionFailed.bearer(), jwtguard_core::BearerError::InvalidToken);
}

#[test]
fn configuration_mistakes_fail_at_build() {
    let b = || Validator::builder(Fixture::for_alg(Algorithm::ES256).key(), [Algorithm::ES256]);
    let e = b().decrypt_with(DecryptionKey::shared(DIR_KEY).unwrap(), [], [ContentEncryption::A256Gcm]).build();
    assert!(matches!(e, Err(ConfigError::InvalidSetting(_))));
    let e = b().decrypt_with(DecryptionKeys::new(), [KeyManagement::Dir], [ContentEncryption::A256Gcm]).build();
    assert!(matches!(e, Err(ConfigError::InvalidSetting(_))));
    // A 32-byte shared key cannot serve RSA-OAEP, nor `dir` with A128GCM's 16-byte key.
    let e = b()
        .decrypt_with(DecryptionKey::shared(DIR_KEY).unwrap(), [KeyManagement::RsaOaep], [ContentEncryption::A256Gcm])
        .build();
    assert!(matches!(e, Err(ConfigError::NoKeyFor(KeyManagement::RsaOaep))));
    let e = b()
        .decrypt_with(DecryptionKey::shared(DIR_KEY).unwrap(), [KeyManagement::Dir], [ContentEncryption::A128Gcm])
        .build();
    assert!(matches!(e, Err(ConfigError::NoKeyFor(KeyManagement::Dir))));
    let e = b().require_encryption().build();
    assert!(matches!(e, Err(ConfigError::InvalidSetting(_))));
}

#[test]
fn private_jwk_checks() {
    let mut k = private_jwk("p256");
    k["use"] = "sig".into();
    assert!(matches!(DecryptionKey::from_jwk(&k.to_string()), Err(ConfigError::KeyNotForDecryption(_))));
    // A private scalar that does not make the JWK's public point.
    let mut k = private_jwk("p256");
    k["x"] = private_jwk("p384")["x"].clone();
    assert!(DecryptionKey::from_jwk(&k.to_string()).is_err());
    let mut k = private_jwk("p256");
    k["d"] = b64(&[1u8; 32]).into();
    assert!(DecryptionKey::from_jwk(&k.to_string()).is_err());
    let mut k = private_jwk("x25519");
    k["d"] = b64(&[1u8; 32]).into();
    assert!(DecryptionKey::from_jwk(&k.to_string()).is_err());
    // Debug never shows key material.
    let key = DecryptionKey::from_jwk(&private_jwk("rsa").to_string()).unwrap();
    let d = private_jwk("rsa")["d"].as_str().unwrap().to_owned();
    assert!(!format!("{key:?}").contains(&d[..20]));
}

#[test]
fn token_issuer_issues_nested_tokens_to_a_public_key_or_a_shared_key() {
    use jwtguard_core::issuer::{Issue, SigningKey, TokenIssuer};
    let signing = || {
        SigningKey::from_pkcs8_pem(&Fixture::for_alg(Algorithm::ES256).private_pem().unwrap(), Algorithm::ES256, "k1")
            .unwrap()
    };
    let cases = [
        (
            recipient(KeyManagement::RsaOaep256, ContentEncryption::A256Gcm, "-"),
            KeyManagement::RsaOaep256,
            ContentEncryption::A256Gcm,
        ),
        (
            recipient(KeyManagement::EcdhEsA256Kw, ContentEncryption::A256Gcm, "x25519"),
            KeyManagement::EcdhEsA256Kw,
            ContentEncryption::A256Gcm,
        ),
        (
            recipient(KeyManagement::EcdhEs, ContentEncryption::A128CbcHs256, "p384"),
            KeyManagement::EcdhEs,
            ContentEncryption::A128CbcHs256,
        ),
        (
            recipient(KeyManagement::Dir, ContentEncryption::A256Gcm, "-"),
            KeyManagement::Dir,
            ContentEncryption::A256Gcm,
        ),
        (
            recipient(KeyManagement::A128Kw, ContentEncryption::A256CbcHs512, "-"),
            KeyManagement::A128Kw,
            ContentEncryption::A256CbcHs512,
        ),
    ];
    for (key, alg, enc) in cases {
        let issuer = TokenIssuer::builder(signing())
            .issuer("https://auth.example")
            .clock(clock())
            .encrypt_to(key, alg, enc)
            .build()
            .unwrap();
        let issued = issuer.issue(&Issue::subject("alice")).unwrap();
        assert_eq!(issued.token.split('.').count(), 5);
        let h = header_of(&issued.token);
        assert_eq!(
            (h["alg"].as_str(), h["enc"].as_str(), h["cty"].as_str()),
            (Some(alg.as_str()), Some(enc.as_str()), Some("JWT"))
        );
        let verified = validator().verify::<Value>(&issued.token).unwrap_or_else(|e| panic!("{alg} {enc}: {e:?}"));
        assert_eq!(verified.registered().sub(), Some("alice"));
        assert_eq!(verified.header().typ(), Some("at+jwt"), "the inner JWS keeps its typ");
    }
    // A key that cannot serve the pair is a start-up error.
    let err = TokenIssuer::builder(signing())
        .issuer("https://auth.example")
        .encrypt_to(EncryptionKey::shared(DIR_KEY).unwrap(), KeyManagement::RsaOaep, ContentEncryption::A256Gcm)
        .build()
        .unwrap_err();
    assert!(matches!(err, ConfigError::NoKeyFor(KeyManagement::RsaOaep)));
}

/// The fixture validator (ES256 inside, every fixture decryption key) with the unsigned opt-in,
/// the cache as given, and `edit` applied to the builder.
fn unsigned_validator(
    edit: impl FnOnce(jwtguard_core::ValidatorBuilder) -> jwtguard_core::ValidatorBuilder,
) -> Validator {
    let keys = DecryptionKeys::new().with(DecryptionKey::shared(DIR_KEY).unwrap().with_kid("dir"));
    let b = Validator::builder(Fixture::for_alg(Algorithm::ES256).key(), [Algorithm::ES256])
        .clock(clock())
        .decrypt_with(keys, [KeyManagement::Dir], [ContentEncryption::A256Gcm])
        .insecure_allow_unsigned_encrypted();
    edit(b).build().unwrap()
}

/// `dir` + A256GCM around a claims set, without `cty`: an unsigned encrypted JWT.
fn unsigned(claims: &Value) -> String {
    let mut h = dir_header();
    h.as_object_mut().unwrap().remove("cty");
    seal_dir(&h, &claims.to_string())
}

#[test]
fn unsigned_encrypted_jwt_is_accepted_with_the_opt_in_and_says_it_was_not_signed() {
    let token = unsigned(&claims());
    // Refused by default: the opt-in is what changes the answer.
    assert_eq!(validator().verify::<Value>(&token).unwrap_err().kind(), ErrorKind::AlgorithmNotAllowed);
    let v = unsigned_validator(|b| b);
    let verified = v.verify::<Value>(&token).unwrap();
    assert_eq!(verified.claims()["sub"], "alice");
    assert_eq!(verified.header().alg(), None, "no signature: no signature algorithm");
    assert_eq!(verified.header().kid(), Some("dir"), "the JWE header's kid");
    let e = verified.header().encryption().unwrap();
    assert_eq!((e.alg(), e.enc()), (KeyManagement::Dir, ContentEncryption::A256Gcm));
    // A cache hit says the same.
    let again = v.verify::<Value>(&token).unwrap();
    assert_eq!(again.header().alg(), None);
    assert_eq!(v.cache_stats().unwrap().hits, 1);
    // Nested tokens keep working, with their signature algorithm.
    let nested = seal_dir(&dir_header(), &signed());
    assert_eq!(v.verify::<Value>(&nested).unwrap().header().alg(), Some(Algorithm::ES256));
}

/// A key provider whose keys never loaded (an identity provider that is down).
#[derive(Debug)]
struct Down;

impl jwtguard_core::provider::KeyProvider for Down {
    fn keys(&self) -> Result<std::sync::Arc<jwtguard_core::KeySet>, jwtguard_core::Error> {
        Err(jwtguard_core::Error::new(ErrorKind::KeysUnavailable))
    }
    fn refetch_unknown(&self) -> Option<jwtguard_core::provider::RefetchFuture<'_>> {
        None
    }
}

/// Found in review: an unsigned encrypted token needs no signing key, yet it was refused with
/// `KeysUnavailable` while the key provider was down, and a cache hit asked for the keys too.
#[test]
fn an_unsigned_encrypted_jwt_does_not_need_the_signing_keys() {
    let keys = DecryptionKeys::new().with(DecryptionKey::shared(DIR_KEY).unwrap().with_kid("dir"));
    let v = Validator::builder(jwtguard_core::provider::KeySource::provider(Down), [Algorithm::ES256])
        .clock(clock())
        .decrypt_with(keys, [KeyManagement::Dir], [ContentEncryption::A256Gcm])
        .insecure_allow_unsigned_encrypted()
        .build()
        .unwrap();
    let token = unsigned(&claims());
    assert_eq!(v.verify::<Value>(&token).unwrap().claims()["sub"], "alice");
    assert_eq!(v.verify::<Value>(&token).unwrap().claims()["sub"], "alice");
    assert_eq!(v.cache_stats().unwrap().hits, 1);
    // A signed token still needs them.
    let nested = seal_dir(&dir_header(), &signed());
    assert_eq!(v.verify::<Value>(&nested).unwrap_err().kind(), ErrorKind::KeysUnavailable);
}

#[test]
fn unsigned_encrypted_jwt_goes_through_the_claims_policy() {
    use jwtguard_core::revocation::InMemoryRevocations;
    let now = jwtguard_test::NOW;
    let v = unsigned_validator(|b| b);
    let expired = unsigned(&json!({"sub": "alice", "exp": now - 3600}));
    assert_eq!(v.verify::<Value>(&expired).unwrap_err().kind(), ErrorKind::Expired);
    let later = unsigned(&json!({"sub": "alice", "exp": now + 7200, "nbf": now + 3600}));
    assert_eq!(v.verify::<Value>(&later).unwrap_err().kind(), ErrorKind::NotYetValid);
    let no_exp = unsigned(&json!({"sub": "alice"}));
    assert_eq!(v.verify::<Value>(&no_exp).unwrap_err().kind(), ErrorKind::MissingClaim);
    let with_aud = unsigned(&json!({"sub": "alice", "exp": now + 600, "aud": "other"}));
    assert_eq!(v.verify::<Value>(&with_aud).unwrap_err().kind(), ErrorKind::WrongAudience);

    let strict = unsigned_validator(|b| b.issuer("https://auth.example").audience("api").typ("at+jwt"));
    let good = json!({"sub": "alice", "exp": now + 600, "iss": "https://auth.example", "aud": "api"});
    let with_typ = |claims: &Value, typ: &str| {
        let mut h = dir_header();
        h.as_object_mut().unwrap().remove("cty");
        h["typ"] = typ.into();
        seal_dir(&h, &claims.to_string())
    };
    assert!(strict.verify::<Value>(&with_typ(&good, "at+jwt")).is_ok());
    // `typ` is checked on the JWE header, the only header an unsigned token has.
    assert_eq!(strict.verify::<Value>(&with_typ(&good, "JWT")).unwrap_err().kind(), ErrorKind::WrongType);
    let mut wrong_iss = good.clone();
    wrong_iss["iss"] = "https://evil.example".into();
    assert_eq!(strict.verify::<Value>(&with_typ(&wrong_iss, "at+jwt")).unwrap_err().kind(), ErrorKind::WrongIssuer);

    let store = std::sync::Arc::new(InMemoryRevocations::new());
    let revoking = unsigned_validator(|b| b.revocation(store.clone()));
    let token = unsigned(&json!({"sub": "alice", "exp": now + 600, "jti": "t-1"}));
    assert!(revoking.verify::<Value>(&token).is_ok());
    store.record_jti("t-1", now + 600).unwrap();
    // Revocation runs on the cache hit too.
    assert_eq!(revoking.verify::<Value>(&token).unwrap_err().kind(), ErrorKind::Revoked);
}

#[test]
fn unsigned_opt_in_does_not_let_alg_none_through() {
    // CVE-2015-9235 family: the opt-in is about an encrypted claims set, never an unsecured JWS.
    let v = unsigned_validator(|b| b);
    let none = format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(claims().to_string().as_bytes()));
    assert_eq!(v.verify::<Value>(&none).unwrap_err().kind(), ErrorKind::AlgorithmNotAllowed);
    // Nor inside a nested token (`cty: JWT` still means a signed JWT)...
    assert_eq!(v.verify::<Value>(&seal_dir(&dir_header(), &none)).unwrap_err().kind(), ErrorKind::AlgorithmNotAllowed);
    // ...nor as the plaintext of an unsigned one: that is not a JSON claims set.
    let mut h = dir_header();
    h.as_object_mut().unwrap().remove("cty");
    assert_eq!(v.verify::<Value>(&seal_dir(&h, &none)).unwrap_err().kind(), ErrorKind::Malformed);
    // A `cty` other than JWT is neither a nested token nor the claims set.
    h["cty"] = "json".into();
    assert_eq!(
        v.verify::<Value>(&seal_dir(&h, &claims().to_string())).unwrap_err().kind(),
        ErrorKind::AlgorithmNotAllowed
    );
}

#[test]
fn unsigned_opt_in_needs_decryption() {
    let err = Validator::builder(Fixture::for_alg(Algorithm::ES256).key(), [Algorithm::ES256])
        .insecure_allow_unsigned_encrypted()
        .build()
        .unwrap_err();
    assert!(matches!(err, ConfigError::InvalidSetting(s) if s.contains("decrypt_with")), "{err:?}");
}
