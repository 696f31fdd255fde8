//! Writes the seed corpus (`fuzz/corpus/<target>/seed-*`) from the fixture keys of
//! `crates/jwtguard-test/keys`. The seeds are committed; run this only to regenerate them:
//!
//!     cd fuzz && cargo +nightly run --example seeds
//!
//! ECDSA and RSA-PSS signatures are randomised, so regenerated token seeds differ in bytes
//! (not in meaning) from the committed ones.

use std::fs;
use std::path::Path;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RSA_PSS_SHA256, RsaKeyPair};
use jwtguard_fuzz::{AUDIENCE, ISSUER_A, ISSUER_B, NOW, SignWith, b64, token};
use serde_json::{Value, json};

const KEYS: &str = "../crates/jwtguard-test/keys";

fn key_file(name: &str) -> Vec<u8> {
    fs::read(Path::new(KEYS).join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn der(name: &str) -> Vec<u8> {
    pem::parse(key_file(name)).expect("fixture PEM").into_contents()
}

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new("corpus").join(target);
    fs::create_dir_all(&dir).expect("corpus dir");
    fs::write(dir.join(format!("seed-{name}")), bytes).expect("seed written");
}

fn rsa_token(pss: bool, header: &str, payload: &str) -> String {
    let pair = RsaKeyPair::from_pkcs8(&der("rsa.key.pem")).expect("RSA fixture");
    let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let mut sig = vec![0; pair.public_modulus_len()];
    let enc: &'static dyn aws_lc_rs::signature::RsaEncoding = if pss { &RSA_PSS_SHA256 } else { &RSA_PKCS1_SHA256 };
    pair.sign(enc, &SystemRandom::new(), input.as_bytes(), &mut sig).expect("RSA signs");
    format!("{input}.{}", b64(&sig))
}

/// (name, signer, header, payload): the header/payload pairs behind both token targets.
fn pairs() -> Vec<(&'static str, SignWith, Value, Value)> {
    let basic = json!({"sub": "alice", "iat": NOW, "exp": NOW + 600});
    vec![
        ("hs256", SignWith::Hs256, json!({"alg": "HS256", "kid": "hs", "typ": "JWT"}), basic.clone()),
        ("es256", SignWith::Es256, json!({"alg": "ES256"}), basic.clone()),
        ("eddsa", SignWith::EdDsa, json!({"alg": "EdDSA", "typ": "JWT"}), basic.clone()),
        (
            "strict-hs256",
            SignWith::Hs256,
            json!({"alg": "HS256", "kid": "hs", "typ": "at+jwt"}),
            json!({"iss": ISSUER_A, "sub": "alice", "aud": AUDIENCE, "jti": "t-1", "iat": NOW - 10,
                   "nbf": NOW - 10, "exp": NOW + 600, "scope": "orders:read orders:write", "roles": ["admin"]}),
        ),
        (
            "strict-es256",
            SignWith::Es256,
            json!({"alg": "ES256", "kid": "es", "typ": "application/at+JWT"}),
            json!({"iss": ISSUER_A, "sub": "bob", "aud": [AUDIENCE, "web"], "jti": "t-2", "iat": NOW,
                   "exp": NOW + 60, "scp": ["orders:read", "orders:read"], "roles": "a b"}),
        ),
        ("multi-a", SignWith::Hs256, json!({"alg": "HS256"}), json!({"iss": ISSUER_A, "exp": NOW + 600})),
        (
            "multi-b",
            SignWith::Es256,
            json!({"alg": "ES256"}),
            json!({"iss": ISSUER_B, "aud": AUDIENCE, "sub": "carol", "exp": NOW + 600}),
        ),
        (
            "fractional-dates",
            SignWith::Hs256,
            json!({"alg": "HS256"}),
            json!({"exp": 1700000600.5, "nbf": 1699999999.9, "iat": 1.7e9}),
        ),
        ("expired", SignWith::Hs256, json!({"alg": "HS256"}), json!({"exp": NOW - 3600})),
        ("not-yet-valid", SignWith::Es256, json!({"alg": "ES256"}), json!({"exp": NOW + 7200, "nbf": NOW + 3600})),
        ("crit", SignWith::Hs256, json!({"alg": "HS256", "crit": ["exp"], "exp": 1}), basic.clone()),
        (
            "nested",
            SignWith::EdDsa,
            json!({"alg": "EdDSA", "x5c": ["AA"], "jwk": {"kty": "OKP"}}),
            json!({"exp": NOW + 1, "extra": {"a": [1, 2.5, null, true, {"b": "c"}]}}),
        ),
        ("confusion", SignWith::Hs256WithPublicKey, json!({"alg": "HS256"}), basic.clone()),
    ]
}

/// The public half of a private fixture JWK (what a sender encrypts to).
fn public_jwk(private: &Value) -> String {
    let mut jwk = private.clone();
    if let Some(members) = jwk.as_object_mut() {
        for secret in ["d", "p", "q", "dp", "dq", "qi"] {
            members.remove(secret);
        }
    }
    jwk.to_string()
}

/// Nested JWTs for `verify_encrypted`: the HS256 and ES256 inner tokens encrypted with every
/// key management algorithm the fixtures serve (shared secret, RSA, P-256/384/521, X25519).
fn encrypted_seeds() {
    use jwtguard_core::issuer::EncryptionKey;
    use jwtguard_core::{ContentEncryption as Ce, KeyManagement as Km};
    let basic = json!({"sub": "alice", "iat": NOW, "exp": NOW + 600}).to_string();
    let hs = token(SignWith::Hs256, br#"{"alg":"HS256","kid":"hs"}"#, basic.as_bytes());
    let es = token(SignWith::Es256, br#"{"alg":"ES256"}"#, basic.as_bytes());
    let jwks: Value = serde_json::from_str(jwtguard_fuzz::JWE_PRIVATE_JWKS).expect("fixture JWKS");
    let private = |kid: &str| {
        let keys = jwks["keys"].as_array().expect("keys");
        let jwk = keys.iter().find(|k| k["kid"] == kid).unwrap_or_else(|| panic!("fixture {kid}"));
        EncryptionKey::from_jwk(&public_jwk(jwk)).expect("public fixture JWK loads").with_kid(kid)
    };
    let shared = || EncryptionKey::shared(jwtguard_fuzz::JWE_SHARED).expect("shared key").with_kid("shared");
    let shared_128 =
        || EncryptionKey::shared(jwtguard_fuzz::JWE_SHARED_128).expect("shared key").with_kid("shared-128");
    let cases: Vec<(&str, EncryptionKey, Km, Ce, &str)> = vec![
        ("dir-a256gcm", shared(), Km::Dir, Ce::A256Gcm, &hs),
        ("dir-a128cbc-hs256", shared(), Km::Dir, Ce::A128CbcHs256, &hs),
        ("a256kw-a256cbc-hs512", shared(), Km::A256Kw, Ce::A256CbcHs512, &hs),
        ("a128kw-a128gcm", shared_128(), Km::A128Kw, Ce::A128Gcm, &hs),
        ("dir-128-a128gcm", shared_128(), Km::Dir, Ce::A128Gcm, &hs),
        ("rsa-oaep-a128gcm", private("rsa"), Km::RsaOaep, Ce::A128Gcm, &hs),
        ("rsa-oaep-256-es256", private("rsa"), Km::RsaOaep256, Ce::A256Gcm, &es),
        ("ecdh-es-p256-es256", private("p256"), Km::EcdhEs, Ce::A256Gcm, &es),
        ("ecdh-es-a128kw-p384", private("p384"), Km::EcdhEsA128Kw, Ce::A128CbcHs256, &hs),
        ("ecdh-es-a256kw-p521-es256", private("p521"), Km::EcdhEsA256Kw, Ce::A256Gcm, &es),
        ("ecdh-es-x25519", private("x25519"), Km::EcdhEs, Ce::A128Gcm, &hs),
        // ES256 inside, under pairs outside the narrow validator's lists: only the wide ES256
        // validator passes them, so the fuzzer starts where the allow-list comparison bites.
        ("rsa-oaep-a128gcm-es256", private("rsa"), Km::RsaOaep, Ce::A128Gcm, &es),
        ("ecdh-es-a128kw-p384-es256", private("p384"), Km::EcdhEsA128Kw, Ce::A256Gcm, &es),
        ("ecdh-es-x25519-cbc-es256", private("x25519"), Km::EcdhEs, Ce::A128CbcHs256, &es),
        ("a256kw-a256gcm-es256", shared(), Km::A256Kw, Ce::A256Gcm, &es),
    ];
    for (name, key, km, ce, inner) in cases {
        let jwe = key.encrypt(km, ce, inner).expect("fixture encrypts");
        // A seed that no validator accepts would start the fuzzer far from the decryption path.
        let passes =
            jwtguard_fuzz::jwe_validators().iter().filter(|c| jwtguard_fuzz::check_decrypt(c, &jwe).is_ok()).count();
        assert!(passes > 0, "seed {name} verifies nowhere");
        jwtguard_fuzz::check_jwe_cases(&jwe);
        write("verify_encrypted", name, jwe.as_bytes());
    }
    write("verify_encrypted", "plain-hs256", hs.as_bytes());
}

fn main() {
    encrypted_seeds();
    for (name, with, header, payload) in pairs() {
        let (h, p) = (header.to_string(), payload.to_string());
        write("verify_token", name, token(with, h.as_bytes(), p.as_bytes()).as_bytes());
        let flag: u8 = match with {
            SignWith::Hs256 => 0,
            SignWith::Es256 => 1,
            SignWith::EdDsa => 2,
            SignWith::Hs256WithPublicKey => 3,
        };
        write("verify_signed", name, &[&[flag][..], h.as_bytes(), &[0], p.as_bytes()].concat());
    }
    // Raw variants only the raw-token target can express.
    let basic = json!({"sub": "alice", "iat": NOW, "exp": NOW + 600}).to_string();
    write("verify_token", "rs256", rsa_token(false, r#"{"alg":"RS256"}"#, &basic).as_bytes());
    write("verify_token", "ps256", rsa_token(true, r#"{"alg":"PS256","typ":"JWT"}"#, &basic).as_bytes());
    write("verify_token", "none", format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(basic.as_bytes())).as_bytes());
    write(
        "verify_token",
        "duplicate-alg",
        token(SignWith::Hs256, br#"{"alg":"HS256","alg":"none"}"#, basic.as_bytes()).as_bytes(),
    );
    write(
        "verify_signed",
        "corrupt-es256",
        &[&[0b0000_0101][..], br#"{"alg":"ES256"}"#, &[0], basic.as_bytes()].concat(),
    );

    // JWKS and JWKs: the fixtures as IdPs publish them, and keys that must be skipped.
    let jwk = |kid: &str, body: Value| {
        let mut v = body;
        v["kid"] = json!(kid);
        v
    };
    let spki_tail = |name: &str, n: usize| {
        let d = der(name);
        d[d.len() - n..].to_vec()
    };
    let ec = |name: &str, crv: &str, len: usize| {
        let p = spki_tail(name, 1 + 2 * len);
        json!({"kty": "EC", "crv": crv, "x": b64(&p[1..1 + len]), "y": b64(&p[1 + len..])})
    };
    let rsa = |name: &str| {
        let pair = RsaKeyPair::from_pkcs8(&der(name)).expect("RSA fixture");
        let public =
            aws_lc_rs::rsa::PublicKeyComponents::<Vec<u8>>::from(aws_lc_rs::signature::KeyPair::public_key(&pair));
        json!({"kty": "RSA", "n": b64(&public.n), "e": b64(&public.e)})
    };
    let keys = vec![
        jwk("hs", json!({"kty": "oct", "k": b64(jwtguard_fuzz::HMAC_SECRET), "alg": "HS256"})),
        jwk("rsa", rsa("rsa.key.pem")),
        jwk("rsa2", json!({"use": "sig", "alg": "PS256", "key_ops": ["verify"]})),
        jwk("es", ec("p256.key.pem", "P-256", 32)),
        jwk("p384", ec("p384.key.pem", "P-384", 48)),
        jwk("p521", ec("p521.key.pem", "P-521", 66)),
        jwk("ed", json!({"kty": "OKP", "crv": "Ed25519", "x": b64(&spki_tail("ed25519.pub.pem", 32))})),
    ];
    let mut keys = keys;
    if let (Some(obj), Value::Object(r)) = (keys[2].as_object_mut(), rsa("rsa2.key.pem")) {
        obj.extend(r);
    }
    write("jwks", "fixtures", json!({ "keys": keys }).to_string().as_bytes());
    for k in &keys {
        write("jwks", &format!("jwk-{}", k["kid"].as_str().unwrap_or("x")), k.to_string().as_bytes());
    }
    let mut enc = keys[3].clone();
    enc["use"] = json!("enc");
    let mut wrong_alg = keys[3].clone();
    wrong_alg["alg"] = json!("RS256");
    let mut no_verify = keys[6].clone();
    no_verify["key_ops"] = json!(["sign"]);
    write(
        "jwks",
        "skipped",
        json!({"keys": [enc, wrong_alg, no_verify, {"kty": "EC", "crv": "P-256K", "x": "AA", "y": "AA"}, {"kty": 5}, keys[0]]})
            .to_string()
            .as_bytes(),
    );

    // Ed25519 keys of small order (the identity, and y = 0): refused on load since a small-order
    // R with S = 0 verified under them on aws-lc-rs.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let weak = |x: &[u8]| json!({"kty": "OKP", "crv": "Ed25519", "x": b64(x)});
    write("jwks", "ed25519-small-order", json!({"keys": [weak(&identity), weak(&[0; 32])]}).to_string().as_bytes());
    let ed_spki_prefix = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
    write("pem_der", "der-ed25519-identity", &[&[1][..], &ed_spki_prefix, &identity].concat());

    // Key loaders: mode byte % 6 picks the loader, mode / 6 the signing algorithm.
    const ES256: u8 = 0;
    const ES384: u8 = 1;
    const ES512: u8 = 2;
    const EDDSA: u8 = 3;
    const RS256: u8 = 4;
    for name in [
        "rsa.pub.pem",
        "rsa.pkcs1.pub.pem",
        "p256.pub.pem",
        "p384.pub.pem",
        "p521.pub.pem",
        "ed25519.pub.pem",
        "rsa.cert.pem",
        "p256.cert.pem",
    ] {
        let stem = name.trim_end_matches(".pem").replace('.', "-");
        write("pem_der", &format!("pem-{stem}"), &[&[0][..], &key_file(name)].concat());
        let mode = match name {
            "rsa.pkcs1.pub.pem" => 2,
            n if n.contains("cert") => 3,
            _ => 1,
        };
        write("pem_der", &format!("der-{stem}"), &[&[mode][..], &der(name)].concat());
    }
    for (name, alg) in [
        ("p256.key.pem", ES256),
        ("p384.key.pem", ES384),
        ("p521.key.pem", ES512),
        ("ed25519.key.pem", EDDSA),
        ("rsa.key.pem", RS256),
    ] {
        let stem = name.trim_end_matches(".pem").replace('.', "-");
        // DER only: no private-key PEM text in the corpus (mode 5 reaches PEM from mutations).
        write("pem_der", &format!("pkcs8-der-{stem}"), &[&[alg * 6 + 4][..], &der(name)].concat());
    }

    // Requests: one header per line, `?` for the query.
    let t = token(SignWith::Hs256, br#"{"alg":"HS256","kid":"hs"}"#, basic.as_bytes());
    let requests = [
        ("bearer", format!("authorization: Bearer {t}")),
        ("bearer-lowercase", format!("Authorization: bearer   {t}\naccept: */*")),
        ("two-authorization", format!("authorization: Bearer {t}\nauthorization: Bearer {t}")),
        ("basic", "authorization: Basic dXNlcjpwYXNz".to_owned()),
        ("bearer-two-credentials", "authorization: Bearer a b".to_owned()),
        ("cookie", format!("cookie: theme=dark; access_token=\"{t}\"; x=1")),
        ("cookie-twice", format!("cookie: access_token={t}\ncookie: access_token={t}")),
        ("header", format!("x-token: {t}")),
        ("header-bearer", format!("X-Token: Bearer {t}")),
        ("query", format!("?a=1&access_token={t}&b")),
    ];
    for (name, r) in requests {
        write("token_source", name, r.as_bytes());
    }

    // Refresh: op byte % 6 = 0 issue (+ sub length and bytes; bit 7: a scope too), 1 refresh
    // known[arg], 2 refresh text, 3 refresh a mutated known token, 4 logout known[arg],
    // 5 advance the clock by arg seconds.
    let sequences: [(&str, &[u8]); 6] = [
        ("rotate", &[0, 5, b'a', b'l', b'i', b'c', b'e', 1, 0, 1, 1, 1, 2]),
        ("reuse", &[0, 1, b'a', 1, 0, 1, 0, 1, 1]),
        ("logout", &[0x80, 1, b'b', 3, b'x', b'y', b'z', 1, 0, 4, 1, 1, 0, 1, 1]),
        ("expire", &[0, 1, b'c', 5, 99, 1, 0, 5, 1, 1, 1, 5, 200, 1, 1]),
        ("mutated", &[0, 0, 3, 0, 5, 0x43, 0, 9, 0x83, 0, 0, 2, 4, b'A', b'A', b'A', b'A']),
        ("families", &[0, 1, b'a', 0, 1, b'b', 1, 0, 1, 1, 4, 0, 1, 2, 1, 3, 5, 150, 0, 1, b'c', 1, 4]),
    ];
    for (name, ops) in sequences {
        write("refresh", name, ops);
    }
}
