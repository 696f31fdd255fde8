//! What the fuzz targets share: the fixture keys of `crates/jwtguard-test/keys`, a signer that
//! turns the fuzzer's header and payload into a correctly signed token, the validators every
//! token goes through, the invariants checked on each answer, and a request made of fuzz bytes.
//!
//! A failed `assert!` here is a finding, exactly like a panic inside jwtguard-core.

use std::sync::LazyLock;
use std::time::Duration;

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwtguard_core::{
    Algorithm, BearerError, Challenge, Claim, FixedClock, Key, KeySet, RegisteredClaims, RequestHead, Validator,
    dangerous,
};

/// The instant every validator's clock shows (the fixture clock of jwtguard-test).
pub const NOW: i64 = 1_700_000_000;
/// The largest leeway any validator here has.
pub const MAX_LEEWAY: i64 = 60;

/// A 32-byte HMAC secret for HS256 (jwtguard-test's fixture secret before it grew to 64 bytes):
/// protects nothing.
pub const HMAC_SECRET: &[u8; 32] = b"jwtguard-test-secret-0123456789!";
/// The fixture key files, read at compile time from `crates/jwtguard-test/keys`.
pub const P256_PRIVATE: &[u8] = include_bytes!("../../crates/jwtguard-test/keys/p256.key.pem");
/// The public half of [`P256_PRIVATE`].
pub const P256_PUBLIC: &[u8] = include_bytes!("../../crates/jwtguard-test/keys/p256.pub.pem");
/// An Ed25519 fixture key.
pub const ED25519_PRIVATE: &[u8] = include_bytes!("../../crates/jwtguard-test/keys/ed25519.key.pem");
/// The public half of [`ED25519_PRIVATE`].
pub const ED25519_PUBLIC: &[u8] = include_bytes!("../../crates/jwtguard-test/keys/ed25519.pub.pem");
/// The RSA fixture's public key (the RSA seeds were signed with its private half).
pub const RSA_PUBLIC: &[u8] = include_bytes!("../../crates/jwtguard-test/keys/rsa.pub.pem");

/// The issuers and audience the strict and multi-issuer validators want.
pub const ISSUER_A: &str = "https://a.example";
/// The second issuer of the multi-issuer validator.
pub const ISSUER_B: &str = "https://b.example";
/// The audience the strict validators want.
pub const AUDIENCE: &str = "api";

/// base64url without padding.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn der(pem_text: &[u8]) -> Vec<u8> {
    pem::parse(pem_text).map(pem::Pem::into_contents).unwrap_or_default()
}

/// How the signed-token target signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignWith {
    /// HS256 with the fixture secret.
    Hs256,
    /// ES256 with the P-256 fixture key.
    Es256,
    /// EdDSA with the Ed25519 fixture key.
    EdDsa,
    /// The key-confusion attack: HS256 keyed with the bytes of the P-256 *public* key PEM. Such a
    /// token must never verify.
    Hs256WithPublicKey,
}

impl SignWith {
    /// The `alg` a validator must report for a token signed this way.
    pub fn alg(self) -> Algorithm {
        match self {
            SignWith::Hs256 | SignWith::Hs256WithPublicKey => Algorithm::HS256,
            SignWith::Es256 => Algorithm::ES256,
            SignWith::EdDsa => Algorithm::EdDSA,
        }
    }
}

struct Signers {
    hmac: hmac::Key,
    confusion: hmac::Key,
    ec: Option<EcdsaKeyPair>,
    ed: Option<Ed25519KeyPair>,
    rng: SystemRandom,
}

static SIGNERS: LazyLock<Signers> = LazyLock::new(|| Signers {
    hmac: hmac::Key::new(hmac::HMAC_SHA256, HMAC_SECRET),
    confusion: hmac::Key::new(hmac::HMAC_SHA256, P256_PUBLIC),
    ec: EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der(P256_PRIVATE)).ok(),
    ed: Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der(ED25519_PRIVATE)).ok(),
    rng: SystemRandom::new(),
});

/// The signature of `input`. Panics if a fixture key does not load: that is a broken harness,
/// not a finding, and it shows at the first input.
pub fn sign(with: SignWith, input: &[u8]) -> Vec<u8> {
    let s = &*SIGNERS;
    match with {
        SignWith::Hs256 => hmac::sign(&s.hmac, input).as_ref().to_vec(),
        SignWith::Hs256WithPublicKey => hmac::sign(&s.confusion, input).as_ref().to_vec(),
        SignWith::Es256 => {
            let pair = s.ec.as_ref().expect("the P-256 fixture loads");
            pair.sign(&s.rng, input).expect("ECDSA signing works").as_ref().to_vec()
        }
        SignWith::EdDsa => s.ed.as_ref().expect("the Ed25519 fixture loads").sign(input).as_ref().to_vec(),
    }
}

/// A compact JWS of exactly these header and payload bytes.
pub fn token(with: SignWith, header: &[u8], payload: &[u8]) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let sig = sign(with, input.as_bytes());
    format!("{input}.{}", b64(&sig))
}

/// A fixture public key; panics if it does not load (a broken harness).
pub fn fixture_key(pem_text: &[u8]) -> Key {
    Key::from_pem(pem_text).expect("fixture public key loads")
}

/// The fixture HMAC key.
pub fn hmac_key() -> Key {
    Key::hmac(HMAC_SECRET).expect("fixture secret is long enough")
}

/// Every validator a token goes through, each a different policy over the fixture keys:
///
/// 0. HS256, fixture secret with `kid` "hs", nothing else configured;
/// 1. ES256, P-256 key without `kid`;
/// 2. EdDSA;
/// 3. RS256 and PS256 with the RSA fixture;
/// 4. strict: HS256 and ES256 keys side by side (kids "hs", "es"), issuer, audience,
///    `typ: at+jwt`, `sub` and `jti` required, max age one hour, 5 s leeway;
/// 5. multi-issuer: [`ISSUER_A`] with HS256, [`ISSUER_B`] with ES256 and the audience.
pub fn validators() -> &'static [Validator] {
    static ALL: LazyLock<Vec<Validator>> = LazyLock::new(|| {
        let clock = FixedClock(NOW);
        // Cache off: a re-verification must run every check again, not read the cache.
        let build = |b: jwtguard_core::ValidatorBuilder| {
            b.clock(clock).cache_capacity(0).build().expect("fuzz validator builds")
        };
        let strict_keys = KeySet::new().with(hmac_key().with_kid("hs")).with(fixture_key(P256_PUBLIC).with_kid("es"));
        let a = build(Validator::builder(hmac_key(), [Algorithm::HS256]).issuer(ISSUER_A));
        let b =
            build(Validator::builder(fixture_key(P256_PUBLIC), [Algorithm::ES256]).issuer(ISSUER_B).audience(AUDIENCE));
        vec![
            build(Validator::builder(hmac_key().with_kid("hs"), [Algorithm::HS256])),
            build(Validator::builder(fixture_key(P256_PUBLIC), [Algorithm::ES256])),
            build(Validator::builder(fixture_key(ED25519_PUBLIC), [Algorithm::EdDSA])),
            build(Validator::builder(fixture_key(RSA_PUBLIC), [Algorithm::RS256, Algorithm::PS256])),
            build(
                Validator::builder(strict_keys, [Algorithm::HS256, Algorithm::ES256])
                    .issuer(ISSUER_A)
                    .audience(AUDIENCE)
                    .typ("at+jwt")
                    .require(Claim::Sub)
                    .require(Claim::Jti)
                    .max_age(Duration::from_secs(3600))
                    .leeway(Duration::from_secs(5)),
            ),
            Validator::multi_issuer([a, b]).expect("multi-issuer validator builds"),
        ]
    });
    &ALL
}

/// What every pass must be, signed or encrypted: signed with an algorithm of the allow-list
/// (no validator here allows unsigned tokens), and not expired. Returns that algorithm.
fn check_pass(v: &Validator, verified: &jwtguard_core::Verified<serde_json::Value>) -> Algorithm {
    let alg = verified.header().alg().expect("no validator here allows unsigned tokens");
    assert!(v.algorithms().any(|a| a == alg), "verified with an algorithm outside the allow-list");
    let exp = verified.registered().exp().expect("a verified token has exp");
    assert!(NOW < exp.saturating_add(MAX_LEEWAY), "an expired token verified");
    alg
}

/// Verifies `token` with `v` and checks what must hold of the answer, whatever the token:
///
/// - a failure is a `401 invalid_token` (no token failure is a 400, 403 or 503 with static
///   keys and no revocation store), and its source, if any, does not hold the token or a piece
///   of it;
/// - a success names an allowed algorithm, has an `exp` not past (with leeway), verifies again
///   identically, and agrees with the typed [`RegisteredClaims`], with
///   [`dangerous::decode_unverified`] and with [`dangerous::verify_signature_only`].
///
/// Returns the verified header's algorithm on success.
pub fn check_verify(v: &Validator, token: &str) -> Option<Algorithm> {
    match v.verify::<serde_json::Value>(token) {
        Ok(verified) => {
            let alg = check_pass(v, &verified);

            let again = v.verify::<serde_json::Value>(token).expect("a token that verified once verifies again");
            assert!(again.info() == verified.info(), "re-verification gave another header or claims");
            assert_eq!(again.claims(), verified.claims());

            let typed = v.verify::<RegisteredClaims>(token).expect("verifies as RegisteredClaims too");
            assert!(typed.claims() == verified.registered(), "typed registered claims differ");

            let unverified = dangerous::decode_unverified(token).expect("a verified token decodes unverified");
            assert_eq!(&unverified.claims, verified.claims(), "decode_unverified reads other claims");
            assert_eq!(unverified.header["alg"], alg.as_str());

            let (header, payload) =
                dangerous::verify_signature_only(v, token).expect("a verified token passes the signature-only path");
            assert!(&header == verified.header(), "signature-only path reads another header");
            let payload: serde_json::Value = serde_json::from_slice(&payload).expect("verified payload is JSON");
            assert_eq!(&payload, verified.claims());
            Some(alg)
        }
        Err(e) => {
            check_token_failure(&e, token);
            None
        }
    }
}

/// What every refusal of a token must be, with static keys and no revocation store: `401
/// invalid_token`, and a source, if any, that holds no piece of the token (the kind and detail
/// are fixed texts; only a source could carry input).
pub fn check_token_failure(e: &jwtguard_core::Error, token: &str) {
    assert_eq!(e.kind().bearer(), BearerError::InvalidToken, "token failure {:?} is not invalid_token", e.kind());
    assert_eq!(Challenge::default().respond(e).status(), 401);
    if let Some(source) = std::error::Error::source(e) {
        assert_no_token_in(&format!("{source} {source:?}"), token);
    }
}

/// Fails if `text` (an error's message) holds `token` or any dot-separated segment of it longer
/// than 8 characters.
pub fn assert_no_token_in(text: &str, token: &str) {
    for piece in std::iter::once(token).chain(token.split('.')) {
        if piece.len() > 8 {
            assert!(!text.contains(piece), "an error message holds (part of) the token");
        }
    }
}

/// Checks what every loaded verification key must satisfy: it verifies at least one algorithm,
/// and only algorithms of its own kind (a public key is never an HMAC secret).
pub fn check_key(key: &Key) {
    let mut any = false;
    for alg in key.algorithms() {
        any = true;
        assert_eq!(alg.key_kind(), key.kind(), "key verifies an algorithm of another kind");
    }
    assert!(any, "a loaded key verifies no algorithm");
}

/// Tokens signed by the fixture keys, one per family, for running fuzzed keys' verifiers.
pub fn fixture_tokens() -> &'static [(Algorithm, String)] {
    static TOKENS: LazyLock<Vec<(Algorithm, String)>> = LazyLock::new(|| {
        let payload = format!(r#"{{"sub":"alice","iat":{NOW},"exp":{}}}"#, NOW + 600);
        [SignWith::Hs256, SignWith::Es256, SignWith::EdDsa]
            .into_iter()
            .map(|w| (w.alg(), token(w, format!(r#"{{"alg":"{}"}}"#, w.alg()).as_bytes(), payload.as_bytes())))
            .collect()
    });
    &TOKENS
}

/// The eight Ed25519 points of order dividing 8, encoded. Under a public key of small order, one
/// of them as R with S = 0 is a signature of any message for a cofactorless verifier.
const ED25519_TORSION: [&str; 8] = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
];

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2).filter_map(|i| s.get(2 * i..2 * i + 2)).filter_map(|b| u8::from_str_radix(b, 16).ok()).collect()
}

/// Runs a validator made of `keys` over the fixture tokens and over forgeries, so the verifiers
/// built from fuzzed key material are called. Every answer must obey [`check_verify`], and no
/// forgery verifies: not an all-zero signature, and for EdDSA not a small-order R with S = 0
/// (which verifies under a small-order public key, so such a key must not load).
pub fn exercise_keys(keys: KeySet) {
    let algs: Vec<Algorithm> = keys.keys().iter().flat_map(|k| k.algorithms()).collect();
    let Ok(v) = Validator::builder(keys, algs).clock(FixedClock(NOW)).build() else { return };
    for (_, t) in fixture_tokens() {
        check_verify(&v, t);
    }
    let payload = b64(br#"{"sub":"mallory","exp":1800000000}"#);
    for alg in v.algorithms().collect::<Vec<_>>() {
        let input = format!("{}.{payload}", b64(format!(r#"{{"alg":"{alg}"}}"#).as_bytes()));
        let mut forgeries = vec![vec![0u8; 64]];
        if alg == Algorithm::EdDSA {
            forgeries.extend(ED25519_TORSION.iter().map(|r| [unhex(r), vec![0; 32]].concat()));
        }
        for sig in forgeries {
            assert!(check_verify(&v, &format!("{input}.{}", b64(&sig))).is_none(), "a forged signature verified");
        }
    }
}

/// A request head made of fuzz bytes: one header per line (`name: value`; names lowercased
/// as the frameworks do, optional whitespace around the value trimmed), and a line starting
/// with `?` is the query string.
#[derive(Debug, Default)]
pub struct FuzzRequest {
    /// Headers in order, names lowercase.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The query string, if a line gave one.
    pub query: Option<String>,
}

impl FuzzRequest {
    /// Parses the line format above. Never fails: a line without `:` is a header with an empty
    /// value named after the whole line.
    pub fn parse(data: &[u8]) -> FuzzRequest {
        let mut req = FuzzRequest::default();
        for line in data.split(|b| *b == b'\n') {
            if let Some(q) = line.strip_prefix(b"?") {
                req.query = Some(String::from_utf8_lossy(q).into_owned());
                continue;
            }
            let (name, value) = match line.iter().position(|b| *b == b':') {
                Some(i) => (&line[..i], &line[i + 1..]),
                None => (line, &[][..]),
            };
            let value = value.trim_ascii();
            req.headers.push((String::from_utf8_lossy(name).trim().to_ascii_lowercase(), value.to_vec()));
        }
        req
    }
}

impl RequestHead for FuzzRequest {
    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> + use<'a> {
        let name = name.to_owned();
        self.headers.iter().filter(move |(n, _)| *n == name).map(|(_, v)| v.as_slice())
    }
    fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }
}

/// The private JWKS of the encryption fixtures: RSA, P-256, P-384, P-521 and X25519, all
/// `use: enc`, read at compile time from `crates/jwtguard-test/keys`.
pub const JWE_PRIVATE_JWKS: &str = include_str!("../../crates/jwtguard-test/keys/jwe.private.jwks.json");
/// The shared secret of the encrypted-token validators: a `dir` key for `A256GCM` and
/// `A128CBC-HS256`, and an `A256KW` wrapping key. Protects nothing.
pub const JWE_SHARED: [u8; 32] = *b"jwtguard-fuzz-jwe-secret-0123456";
/// A 16-byte shared secret: an `A128KW` wrapping key and a `dir` key for `A128GCM`.
pub const JWE_SHARED_128: [u8; 16] = *b"jwtguard-fuzz-16";

/// One encrypted-token validator and what it was configured with.
pub struct JweCase {
    /// The validator (verified-token cache off, so every call decrypts).
    pub validator: Validator,
    /// Whether it was built with `require_encryption`.
    pub required: bool,
    /// The key management algorithms it allows.
    pub key_management: Vec<jwtguard_core::KeyManagement>,
    /// The content encryption algorithms it allows.
    pub content: Vec<jwtguard_core::ContentEncryption>,
}

/// Every fixture decryption key: the private JWKS plus [`JWE_SHARED`] (kid "shared") and
/// [`JWE_SHARED_128`] (kid "shared-128").
pub fn all_decryption_keys() -> jwtguard_core::DecryptionKeys {
    let mut keys = jwtguard_core::DecryptionKeys::from_jwks(JWE_PRIVATE_JWKS).expect("fixture JWE keys load");
    for key in shared_decryption_keys_vec() {
        keys = keys.with(key);
    }
    keys
}

fn shared_decryption_keys_vec() -> [jwtguard_core::DecryptionKey; 2] {
    use jwtguard_core::DecryptionKey;
    [
        DecryptionKey::shared(JWE_SHARED).expect("32-byte shared key").with_kid("shared"),
        DecryptionKey::shared(JWE_SHARED_128).expect("16-byte shared key").with_kid("shared-128"),
    ]
}

/// [`JWE_SHARED`] (kid "shared") and [`JWE_SHARED_128`] (kid "shared-128") alone: cheap to
/// build for every input.
pub fn shared_decryption_keys() -> jwtguard_core::DecryptionKeys {
    let [a, b] = shared_decryption_keys_vec();
    jwtguard_core::DecryptionKeys::new().with(a).with(b)
}

/// The narrow allow-list of [`jwe_validators`]`()[2]`.
pub const NARROW_KEY_MANAGEMENT: [jwtguard_core::KeyManagement; 3] = [
    jwtguard_core::KeyManagement::EcdhEs,
    jwtguard_core::KeyManagement::EcdhEsA256Kw,
    jwtguard_core::KeyManagement::RsaOaep256,
];

/// The validators every encrypted-token input goes through (clock at [`NOW`], inner tokens
/// signed as in [`validators`], verified-token cache off):
///
/// 0. HS256 inside; [`all_decryption_keys`]; every key management and content encryption
///    algorithm; plain signed tokens accepted too;
/// 1. the same with `require_encryption`;
/// 2. ES256 inside; the private fixture keys only; [`NARROW_KEY_MANAGEMENT`] with `A256GCM`
///    only;
/// 3. ES256 inside with everything allowed, as 0: the reference 2 is compared with.
pub fn jwe_validators() -> &'static [JweCase] {
    use jwtguard_core::{ContentEncryption, DecryptionKeys, KeyManagement};
    static ALL: LazyLock<Vec<JweCase>> = LazyLock::new(|| {
        let case = |b: jwtguard_core::ValidatorBuilder,
                    keys: DecryptionKeys,
                    required,
                    km: &[KeyManagement],
                    ce: &[ContentEncryption]| {
            let b = b.decrypt_with(keys, km.to_vec(), ce.to_vec());
            let b = if required { b.require_encryption() } else { b };
            JweCase {
                validator: b.clock(FixedClock(NOW)).cache_capacity(0).build().expect("fuzz validator builds"),
                required,
                key_management: km.to_vec(),
                content: ce.to_vec(),
            }
        };
        let hs = || Validator::builder(hmac_key().with_kid("hs"), [Algorithm::HS256]);
        let es = || Validator::builder(fixture_key(P256_PUBLIC), [Algorithm::ES256]);
        let private = DecryptionKeys::from_jwks(JWE_PRIVATE_JWKS).expect("fixture JWE keys load");
        let (all_km, all_ce) = (&KeyManagement::ALL, &ContentEncryption::ALL);
        vec![
            case(hs(), all_decryption_keys(), false, all_km, all_ce),
            case(hs(), all_decryption_keys(), true, all_km, all_ce),
            case(es(), private, false, &NARROW_KEY_MANAGEMENT, &[ContentEncryption::A256Gcm]),
            case(es(), all_decryption_keys(), false, all_km, all_ce),
        ]
    });
    &ALL
}

/// What one encrypted-token validator answered: on a pass, the encryption header and claims.
pub type JweAnswer = Result<(Option<jwtguard_core::Encryption>, serde_json::Value), jwtguard_core::ErrorKind>;

/// Verifies a possibly encrypted `token` with `case` and checks what must hold of the answer:
///
/// - a failure is a `401 invalid_token` whose source, if any, holds no piece of the token;
/// - a pass names an allowed algorithm, has an `exp` not past (with leeway), and verifies again
///   identically (the cache is off: this decrypts twice);
/// - a pass of an encrypted token names a key management and content encryption the validator
///   allows, and [`dangerous::decrypt_unverified`] with the same keys and lists yields a signed
///   token of the same claims; a pass where encryption is required is of a JWE.
pub fn check_decrypt(case: &JweCase, token: &str) -> JweAnswer {
    let v = &case.validator;
    match v.verify::<serde_json::Value>(token) {
        Ok(verified) => {
            check_pass(v, &verified);
            let encryption = verified.header().encryption();
            match encryption {
                Some(enc) => {
                    assert_eq!(token.split('.').count(), 5, "an encryption header on a token that is no JWE");
                    assert!(case.key_management.contains(&enc.alg()), "decrypted with a key management not allowed");
                    assert!(case.content.contains(&enc.enc()), "decrypted with a content encryption not allowed");
                    let inner = dangerous::decrypt_unverified(
                        token,
                        all_decryption_keys(),
                        case.key_management.clone(),
                        case.content.clone(),
                    )
                    .expect("a token that decrypted in the validator decrypts unverified");
                    let inner = std::str::from_utf8(&inner).expect("the decrypted nested token is text");
                    let decoded = dangerous::decode_unverified(inner).expect("the nested token decodes");
                    assert_eq!(&decoded.claims, verified.claims(), "decrypt_unverified yields other claims");
                }
                None => assert!(!case.required, "a plain token passed a validator that requires encryption"),
            }
            let again = v.verify::<serde_json::Value>(token).expect("a token that verified once verifies again");
            assert!(again.info() == verified.info(), "re-verification gave another header or claims");
            assert_eq!(again.claims(), verified.claims());
            Ok((encryption, verified.claims().clone()))
        }
        Err(e) => {
            check_token_failure(&e, token);
            Err(e.kind())
        }
    }
}

/// Runs `token` through every [`jwe_validators`] case with [`check_decrypt`] and compares them:
/// 0 and 1 differ only in requiring encryption, so they agree on a JWE and 1 refuses anything
/// else; 2 is 3 with narrower lists, so where 3 passes, 2 passes alike if the pair is in its
/// lists and answers `AlgorithmNotAllowed` if not.
pub fn check_jwe_cases(token: &str) {
    use jwtguard_core::{ContentEncryption, ErrorKind};
    let cases = jwe_validators();
    let answers: Vec<JweAnswer> = cases.iter().map(|c| check_decrypt(c, token)).collect();
    if token.split('.').count() == 5 {
        assert_eq!(answers[0], answers[1], "requiring encryption changed the answer for a JWE");
    } else {
        assert!(answers[1].is_err(), "a plain token passed where encryption is required");
    }
    if let Ok((Some(enc), _)) = &answers[3] {
        if NARROW_KEY_MANAGEMENT.contains(&enc.alg()) && enc.enc() == ContentEncryption::A256Gcm {
            assert_eq!(answers[2], answers[3], "the narrow validator refused a pair it allows");
        } else {
            assert_eq!(answers[2], Err(ErrorKind::AlgorithmNotAllowed), "the narrow validator took a pair it refuses");
        }
    }
    // And the other way (review): what the narrow validator passes, the open one passes alike.
    if answers[2].is_ok() {
        assert_eq!(answers[2], answers[3], "the narrow validator passed what the open one does not");
    }
}
