//! Shared test fixtures for jwtguard: fixture keys, a token minter, a fixed clock, launchers
//! for the services some tests need, and the small helpers tests share.
//!
//! Not published. The keys under `keys/` protect nothing and exist only for tests.
//!
//! Feature `http-server`: `jwks_server`, a real HTTP server (axum) serving a JWKS, for the
//! crates that test against one; the others build without axum.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(feature = "http-server")]
pub mod jwks_server;
pub mod oidc_provider;
mod process;
pub mod redis_cluster;
pub mod redis_processes;
pub mod redis_sentinel;
pub mod redis_server;
#[cfg(feature = "stores")]
pub mod store_suite;
pub mod tcp_proxy;
pub mod web_proxy;

use std::path::PathBuf;

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

pub use jwtguard_core::{Algorithm, FixedClock, Key, KeySet, Validator};

/// The instant the fixed clock shows: 2023-11-14T22:13:20Z.
pub const NOW: i64 = 1_700_000_000;

/// The fixture HMAC secret (64 bytes: long enough for HS512).
pub const HMAC_SECRET: &[u8; 64] = b"jwtguard-test-secret-0123456789!jwtguard-test-secret-0123456789!";
/// Another HMAC secret, for "wrong key" tests.
pub const HMAC_SECRET_2: &[u8; 64] = b"jwtguard-test-secret-other-key!!jwtguard-test-secret-other-key!!";

/// A clock a test moves: starts at [`NOW`]; clones share the time.
#[derive(Debug, Clone)]
pub struct TestClock(std::sync::Arc<std::sync::atomic::AtomicI64>);

impl TestClock {
    /// A clock at `now`.
    pub fn at(now: i64) -> TestClock {
        TestClock(std::sync::Arc::new(std::sync::atomic::AtomicI64::new(now)))
    }
    /// Moves it by `secs`.
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, std::sync::atomic::Ordering::SeqCst);
    }
    /// Sets it to `now`.
    pub fn set(&self, now: i64) {
        self.0.store(now, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Default for TestClock {
    fn default() -> Self {
        TestClock::at(NOW)
    }
}

impl jwtguard_core::Clock for TestClock {
    fn now(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The wall clock in Unix seconds, for tokens checked by validators on the real clock.
pub fn unix_now() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    i64::try_from(since.as_secs()).unwrap()
}

/// How long [`eventually`] waits before it fails the test. A guard against a hang, not a
/// bound on how long the thing may take: no test asserts an elapsed time.
pub const HANG_GUARD: std::time::Duration = std::time::Duration::from_secs(30);

/// A request head carrying one `Authorization` header with this value (`Bearer <token>`), for
/// driving `Guard::decide` without a framework.
#[derive(Debug, Clone)]
pub struct AuthorizationHead(pub String);

impl jwtguard_core::RequestHead for AuthorizationHead {
    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> + use<'a> {
        (name == "authorization").then_some(self.0.as_bytes()).into_iter()
    }
    fn query(&self) -> Option<&str> {
        None
    }
}

/// A child process (a binary under test) killed and reaped when this is dropped, so a failed
/// assertion never leaves it running.
#[derive(Debug)]
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `check` until it holds, for something that happens asynchronously (a replica
/// catching up, a background refetch finishing).
///
/// # Panics
/// After [`HANG_GUARD`] of real time without it (`what` says what did not happen).
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    // Real time, not tokio's: under a paused clock tokio's time would run out at once.
    let deadline = std::time::Instant::now() + HANG_GUARD;
    while !check() {
        assert!(std::time::Instant::now() < deadline, "{what}: not after {HANG_GUARD:?}");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Moves tokio's clock forward by `by` at once: timers due by then fire, and the tasks they
/// wake run up to their next await. The clock then runs on in real time, so I/O to a
/// loopback server is not cut short by tokio advancing a paused clock while it waits.
///
/// # Panics
/// Outside a `current_thread` tokio runtime (`#[tokio::test]`, `#[actix_web::test]`), and
/// when the clock is paused already (`start_paused`: advance it with `tokio::time::advance`).
pub async fn jump(by: std::time::Duration) {
    tokio::time::pause();
    tokio::time::advance(by).await;
    tokio::time::resume();
}

/// xorshift64*: deterministic generated input, no dependency, so a failure replays exactly.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }
    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A clock stopped at [`NOW`].
pub fn clock() -> FixedClock {
    FixedClock(NOW)
}

/// The path of a fixture file under `keys/`.
pub fn key_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("keys").join(name)
}

/// The bytes of a fixture file under `keys/`.
pub fn read_key(name: &str) -> Vec<u8> {
    std::fs::read(key_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// Which fixture key pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fixture {
    /// The main HMAC secret.
    Hmac,
    /// The second HMAC secret.
    Hmac2,
    /// `rsa.key.pem` (2048 bit).
    Rsa,
    /// `rsa2.key.pem`.
    Rsa2,
    /// `p256.key.pem`.
    P256,
    /// `p256b.key.pem`.
    P256b,
    /// `p384.key.pem`.
    P384,
    /// `p521.key.pem`.
    P521,
    /// `ed25519.key.pem`.
    Ed25519,
    /// `ed25519b.key.pem`.
    Ed25519b,
}

impl Fixture {
    /// Every fixture.
    pub const ALL: [Fixture; 10] = [
        Fixture::Hmac,
        Fixture::Hmac2,
        Fixture::Rsa,
        Fixture::Rsa2,
        Fixture::P256,
        Fixture::P256b,
        Fixture::P384,
        Fixture::P521,
        Fixture::Ed25519,
        Fixture::Ed25519b,
    ];

    /// The main fixture for an algorithm.
    pub fn for_alg(alg: Algorithm) -> Fixture {
        match alg {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Fixture::Hmac,
            Algorithm::ES256 => Fixture::P256,
            Algorithm::ES384 => Fixture::P384,
            Algorithm::ES512 => Fixture::P521,
            Algorithm::EdDSA => Fixture::Ed25519,
            _ => Fixture::Rsa,
        }
    }

    /// Another key of the same kind, for "wrong key" tests (P-384 and P-521 have none; they
    /// get a key of another kind).
    pub fn other(self) -> Fixture {
        match self {
            Fixture::Hmac => Fixture::Hmac2,
            Fixture::Hmac2 => Fixture::Hmac,
            Fixture::Rsa => Fixture::Rsa2,
            Fixture::Rsa2 => Fixture::Rsa,
            Fixture::P256 => Fixture::P256b,
            Fixture::P256b => Fixture::P256,
            Fixture::P384 => Fixture::P256,
            Fixture::P521 => Fixture::P384,
            Fixture::Ed25519 => Fixture::Ed25519b,
            Fixture::Ed25519b => Fixture::Ed25519,
        }
    }

    fn stem(self) -> &'static str {
        match self {
            Fixture::Hmac | Fixture::Hmac2 => "",
            Fixture::Rsa => "rsa",
            Fixture::Rsa2 => "rsa2",
            Fixture::P256 => "p256",
            Fixture::P256b => "p256b",
            Fixture::P384 => "p384",
            Fixture::P521 => "p521",
            Fixture::Ed25519 => "ed25519",
            Fixture::Ed25519b => "ed25519b",
        }
    }

    /// The public-key PEM (SPKI), or `None` for HMAC.
    pub fn public_pem(self) -> Option<Vec<u8>> {
        match self {
            Fixture::Hmac | Fixture::Hmac2 => None,
            f => Some(read_key(&format!("{}.pub.pem", f.stem()))),
        }
    }

    /// The private-key PEM (PKCS#8), or `None` for HMAC.
    pub fn private_pem(self) -> Option<Vec<u8>> {
        match self {
            Fixture::Hmac | Fixture::Hmac2 => None,
            f => Some(read_key(&format!("{}.key.pem", f.stem()))),
        }
    }

    /// The verification key.
    pub fn key(self) -> Key {
        match self {
            Fixture::Hmac => Key::hmac(HMAC_SECRET).unwrap(),
            Fixture::Hmac2 => Key::hmac(HMAC_SECRET_2).unwrap(),
            f => Key::from_pem(f.public_pem().unwrap()).unwrap(),
        }
    }
}

/// Signs tokens with a fixture key. Builds any header and payload, including broken ones.
#[derive(Debug, Clone)]
pub struct Minter {
    alg: Algorithm,
    fixture: Fixture,
    kid: Option<String>,
}

impl Minter {
    /// A minter for `alg` with its main fixture key.
    pub fn new(alg: Algorithm) -> Self {
        Minter { alg, fixture: Fixture::for_alg(alg), kid: None }
    }

    /// Signs with another fixture (which may not fit the algorithm: that is for the test to say).
    pub fn fixture(mut self, fixture: Fixture) -> Self {
        self.fixture = fixture;
        self
    }

    /// Puts this `kid` in the header.
    pub fn kid(mut self, kid: &str) -> Self {
        self.kid = Some(kid.to_owned());
        self
    }

    /// The header this minter writes.
    pub fn header(&self) -> Value {
        let mut h = json!({ "alg": self.alg.as_str(), "typ": "JWT" });
        if let Some(kid) = &self.kid {
            h["kid"] = json!(kid);
        }
        h
    }

    /// A signed token with these claims.
    pub fn token(&self, claims: &Value) -> String {
        self.raw(&self.header().to_string(), &claims.to_string())
    }

    /// A signed token with exactly this header and payload text.
    pub fn raw(&self, header: &str, payload: &str) -> String {
        let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
        let sig = sign(self.alg, self.fixture, input.as_bytes());
        format!("{input}.{}", b64(&sig))
    }
}

/// base64url without padding.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Claims valid at [`NOW`]: `sub`, `iat` = NOW, `exp` = NOW + 10 min.
pub fn claims() -> Value {
    json!({ "sub": "alice", "iat": NOW, "exp": NOW + 600 })
}

/// A validator for `alg` with its main fixture key and the fixed clock.
pub fn validator(alg: Algorithm) -> Validator {
    Validator::builder(Fixture::for_alg(alg).key(), [alg]).clock(clock()).build().unwrap()
}

fn der(pem_bytes: &[u8]) -> Vec<u8> {
    pem::parse(pem_bytes).unwrap().into_contents()
}

/// Signs `input` with `alg` and the fixture's private key (or secret).
pub fn sign(alg: Algorithm, fixture: Fixture, input: &[u8]) -> Vec<u8> {
    let rng = SystemRandom::new();
    match fixture {
        Fixture::Hmac | Fixture::Hmac2 => {
            let secret: &[u8] = if fixture == Fixture::Hmac { HMAC_SECRET } else { HMAC_SECRET_2 };
            let h = match alg {
                Algorithm::HS384 => hmac::HMAC_SHA384,
                Algorithm::HS512 => hmac::HMAC_SHA512,
                _ => hmac::HMAC_SHA256,
            };
            hmac::sign(&hmac::Key::new(h, secret), input).as_ref().to_vec()
        }
        Fixture::Rsa | Fixture::Rsa2 => {
            let pair = RsaKeyPair::from_pkcs8(&der(&fixture.private_pem().unwrap())).unwrap();
            let enc: &'static dyn sig::RsaEncoding = match alg {
                Algorithm::RS384 => &sig::RSA_PKCS1_SHA384,
                Algorithm::RS512 => &sig::RSA_PKCS1_SHA512,
                Algorithm::PS256 => &sig::RSA_PSS_SHA256,
                Algorithm::PS384 => &sig::RSA_PSS_SHA384,
                Algorithm::PS512 => &sig::RSA_PSS_SHA512,
                _ => &sig::RSA_PKCS1_SHA256,
            };
            let mut out = vec![0; pair.public_modulus_len()];
            pair.sign(enc, &rng, input, &mut out).unwrap();
            out
        }
        Fixture::P256 | Fixture::P256b | Fixture::P384 | Fixture::P521 => {
            let alg_sig = match fixture {
                Fixture::P384 => &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
                Fixture::P521 => &sig::ECDSA_P521_SHA512_FIXED_SIGNING,
                _ => &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
            };
            let pair = EcdsaKeyPair::from_pkcs8(alg_sig, &der(&fixture.private_pem().unwrap())).unwrap();
            pair.sign(&rng, input).unwrap().as_ref().to_vec()
        }
        Fixture::Ed25519 | Fixture::Ed25519b => {
            let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der(&fixture.private_pem().unwrap())).unwrap();
            pair.sign(input).as_ref().to_vec()
        }
    }
}

impl Fixture {
    /// The public key as a JWK with this `kid` (no `alg`, as most IdPs publish them).
    pub fn jwk(self, kid: &str) -> Value {
        let spki = |f: Fixture| der(&f.public_pem().unwrap());
        let tail = |bytes: &[u8], n: usize| bytes[bytes.len() - n..].to_vec();
        let mut jwk = match self {
            Fixture::Hmac => json!({"kty": "oct", "k": b64(HMAC_SECRET)}),
            Fixture::Hmac2 => json!({"kty": "oct", "k": b64(HMAC_SECRET_2)}),
            Fixture::Rsa | Fixture::Rsa2 => {
                let pair = RsaKeyPair::from_pkcs8(&der(&self.private_pem().unwrap())).unwrap();
                let public = aws_lc_rs::rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
                json!({"kty": "RSA", "n": b64(&public.n), "e": b64(&public.e)})
            }
            Fixture::P256 | Fixture::P256b | Fixture::P384 | Fixture::P521 => {
                let (crv, len) = match self {
                    Fixture::P384 => ("P-384", 48),
                    Fixture::P521 => ("P-521", 66),
                    _ => ("P-256", 32),
                };
                let point = tail(&spki(self), 1 + 2 * len);
                json!({"kty": "EC", "crv": crv, "x": b64(&point[1..1 + len]), "y": b64(&point[1 + len..])})
            }
            Fixture::Ed25519 | Fixture::Ed25519b => {
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64(&tail(&spki(self), 32))})
            }
        };
        jwk["kid"] = json!(kid);
        jwk
    }
}

/// A JWKS document of these `(kid, fixture)` pairs.
pub fn jwks(keys: &[(&str, Fixture)]) -> Value {
    json!({ "keys": keys.iter().map(|(kid, f)| f.jwk(kid)).collect::<Vec<_>>() })
}
