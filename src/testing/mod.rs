//! Test helpers for your own handler tests (feature `testing`): a [`TestIssuer`](crate::testing::TestIssuer) that mints
//! tokens (valid ones and the usual broken ones) with an in-memory key pair, the
//! [`Validator`](crate::Validator)/[`Guard`](crate::Guard) that matches it, and a [`JwksServer`](crate::testing::JwksServer) on a loopback port for tests
//! of remote keys, with key rotation and failure injection.
//!
//! ```
//! use jwtguard::testing::TestIssuer;
//!
//! let issuer = TestIssuer::new();
//! let validator = issuer.validator();
//! assert!(validator.verify::<serde_json::Value>(&issuer.token(|c| c.scope("orders:read"))).is_ok());
//! let err = validator.verify::<serde_json::Value>(&issuer.token(|c| c.expired())).unwrap_err();
//! assert_eq!(err.kind(), jwtguard::ErrorKind::Expired);
//! ```
//!
//! Tokens are signed by the core's [`TokenIssuer`](crate::issuer::TokenIssuer), so they carry
//! exactly what a real issuer built on jwtguard issues (`iss`, `aud`, `sub`, `iat`, `nbf`,
//! `exp`, `jti`, `typ: at+jwt`, `kid`).
//!
//! Never use any of this outside tests: the keys live in memory and the defaults are made to
//! pass.

mod server;

pub use server::{Failure, JwksServer};

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jwtguard_core::issuer::{Issue, SigningKey, TokenIssuer};
use jwtguard_core::{Algorithm, ConfigError, FixedClock, Guard, KeySet, Validator};
use serde_json::Value;

/// The `iss` of a [`TestIssuer::new`] issuer.
pub const TEST_ISSUER: &str = "https://issuer.test";
/// The `aud` of its tokens and the audience its validator accepts.
pub const TEST_AUDIENCE: &str = "test-api";
/// The `sub` of its tokens unless [`TestClaims::subject`] says otherwise.
pub const TEST_SUBJECT: &str = "test-user";

/// A key pair held in memory as PKCS#8 PEM (or a secret), so tokens can be signed at any time.
struct KeyPair {
    alg: Algorithm,
    kid: String,
    pem: zeroize::Zeroizing<String>,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair").field("alg", &self.alg).field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl KeyPair {
    /// A fresh key named `kid`, or by its RFC 7638 thumbprint (unique per key, so a rotation
    /// to another `TestIssuer` is a new `kid`).
    fn generate(alg: Algorithm, kid: Option<&str>) -> Result<KeyPair, ConfigError> {
        let pem = SigningKey::generate_pkcs8_pem(alg, 2048)?;
        let kid = match kid {
            Some(k) => k.to_owned(),
            None => {
                let probe = SigningKey::from_pkcs8_pem(pem.as_bytes(), alg, "")?;
                let public = probe.public_jwk().ok_or(ConfigError::InvalidKey("no public key"))?;
                jwtguard_core::jwk::thumbprint(public)?
            }
        };
        Ok(KeyPair { alg, kid, pem })
    }

    fn signing_key(&self) -> Result<SigningKey, ConfigError> {
        SigningKey::from_pkcs8_pem(self.pem.as_bytes(), self.alg, self.kid.clone())
    }
}

/// Mints test tokens and builds the validator that accepts them.
///
/// ```
/// use jwtguard::testing::TestIssuer;
/// let issuer = TestIssuer::new();
/// let token = issuer.token(|c| c.subject("alice").scope("orders:read").claim("tenant", "acme"));
/// let verified = issuer.validator().verify::<serde_json::Value>(&token).unwrap();
/// assert_eq!(verified.claims()["tenant"], "acme");
/// ```
#[derive(Debug)]
pub struct TestIssuer {
    key: KeyPair,
    /// Signs the "wrong key" tokens: same `kid`, same algorithm, another key.
    other: KeyPair,
    iss: String,
    aud: String,
}

impl Default for TestIssuer {
    fn default() -> Self {
        TestIssuer::new()
    }
}

/// Seconds since the epoch, by the system clock (what the validator uses too).
fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl TestIssuer {
    /// An ES256 issuer with a fresh key pair, `iss` [`TEST_ISSUER`] and `aud` [`TEST_AUDIENCE`].
    ///
    /// ```
    /// let issuer = jwtguard::testing::TestIssuer::new();
    /// assert_eq!(issuer.algorithm(), jwtguard::Algorithm::ES256);
    /// ```
    ///
    /// # Panics
    /// When no key can be generated: the system's random source failed, or the crate was built
    /// with only the `rust-crypto` backend, which does not generate keys.
    #[allow(clippy::expect_used)]
    pub fn new() -> Self {
        TestIssuer::with(Algorithm::ES256, TEST_ISSUER).expect("generating an ES256 test key")
    }

    /// An issuer for `alg` (any asymmetric algorithm) and `iss`, e.g. a [`JwksServer`]'s issuer.
    ///
    /// ```
    /// use jwtguard::{Algorithm, testing::TestIssuer};
    /// let issuer = TestIssuer::with(Algorithm::EdDSA, "https://login.test")?;
    /// assert_eq!(issuer.iss(), "https://login.test");
    /// # Ok::<_, jwtguard::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError`] for an HMAC algorithm or when no key can be generated.
    pub fn with(alg: Algorithm, iss: impl Into<String>) -> Result<Self, ConfigError> {
        // The second key signs the "wrong key" tokens under the same kid.
        let key = KeyPair::generate(alg, None)?;
        let other = KeyPair::generate(alg, Some(&key.kid))?;
        Ok(TestIssuer { key, other, iss: iss.into(), aud: TEST_AUDIENCE.to_owned() })
    }

    /// The signing algorithm.
    ///
    /// ```
    /// assert_eq!(jwtguard::testing::TestIssuer::new().algorithm().as_str(), "ES256");
    /// ```
    pub fn algorithm(&self) -> Algorithm {
        self.key.alg
    }

    /// The `kid` of its key: the key's RFC 7638 thumbprint.
    ///
    /// ```
    /// assert_eq!(jwtguard::testing::TestIssuer::new().kid().len(), 43);
    /// ```
    pub fn kid(&self) -> &str {
        &self.key.kid
    }

    /// The `iss` of the tokens.
    ///
    /// ```
    /// assert_eq!(jwtguard::testing::TestIssuer::new().iss(), jwtguard::testing::TEST_ISSUER);
    /// ```
    pub fn iss(&self) -> &str {
        &self.iss
    }

    /// The `aud` of the tokens.
    ///
    /// ```
    /// assert_eq!(jwtguard::testing::TestIssuer::new().audience(), "test-api");
    /// ```
    pub fn audience(&self) -> &str {
        &self.aud
    }

    /// A token: valid by default (15 minutes, `sub` [`TEST_SUBJECT`]), changed by `f`.
    ///
    /// ```
    /// let issuer = jwtguard::testing::TestIssuer::new();
    /// let valid = issuer.token(|c| c);
    /// let broken = [
    ///     issuer.token(|c| c.expired()),
    ///     issuer.token(|c| c.not_yet_valid()),
    ///     issuer.token(|c| c.wrong_audience()),
    ///     issuer.token(|c| c.wrong_issuer()),
    ///     issuer.token(|c| c.wrong_key()),
    /// ];
    /// let validator = issuer.validator();
    /// assert!(validator.verify::<serde_json::Value>(&valid).is_ok());
    /// assert!(broken.iter().all(|t| validator.verify::<serde_json::Value>(t).is_err()));
    /// ```
    ///
    /// # Panics
    /// Only if signing fails (no randomness for the `jti`).
    #[allow(clippy::expect_used)]
    pub fn token(&self, f: impl FnOnce(TestClaims) -> TestClaims) -> String {
        let c = f(TestClaims::default());
        let key = if c.wrong_key { &self.other } else { &self.key };
        let signing = key.signing_key().expect("the in-memory test key loads");
        let iss = c.iss.clone().unwrap_or_else(|| self.iss.clone());
        let mut builder =
            TokenIssuer::builder(signing).issuer(iss).ttl(c.ttl).clock(FixedClock(now().saturating_add(c.shift)));
        match &c.aud {
            Some(auds) => {
                for a in auds {
                    builder = builder.audience(a.clone());
                }
            }
            None => builder = builder.audience(self.aud.clone()),
        }
        let issuer = builder.build().expect("a test issuer with an issuer and a positive ttl");
        let mut what = Issue::subject(c.sub.clone());
        if let Some(scope) = &c.scope {
            what = what.scope(scope.clone());
        }
        for (name, value) in c.extra {
            what = what.claim(name, value);
        }
        issuer.issue(&what).expect("signing a test token").token
    }

    /// The public keys as a JWKS document (what a [`JwksServer`] serves).
    ///
    /// ```
    /// let issuer = jwtguard::testing::TestIssuer::new();
    /// assert_eq!(issuer.jwks()["keys"][0]["kid"], issuer.kid());
    /// ```
    pub fn jwks(&self) -> Value {
        let key = self.key.signing_key().ok();
        let keys: Vec<Value> = key.and_then(|k| k.public_jwk().cloned()).into_iter().collect();
        serde_json::json!({ "keys": keys })
    }

    /// The key set that verifies this issuer's (valid) tokens.
    ///
    /// ```
    /// assert_eq!(jwtguard::testing::TestIssuer::new().key_set().len(), 1);
    /// ```
    pub fn key_set(&self) -> KeySet {
        self.key.signing_key().and_then(|k| k.verification_key()).map(KeySet::from).unwrap_or_default()
    }

    /// A validator that accepts this issuer's valid tokens: its key and algorithm, its `iss` and
    /// `aud`, the default leeway.
    ///
    /// ```
    /// let issuer = jwtguard::testing::TestIssuer::new();
    /// assert!(issuer.validator().verify::<serde_json::Value>(&issuer.token(|c| c)).is_ok());
    /// ```
    ///
    /// # Panics
    /// Never for an issuer made by this type's constructors.
    #[allow(clippy::expect_used)]
    pub fn validator(&self) -> Validator {
        Validator::builder(self.key_set(), [self.key.alg])
            .issuer(self.iss.clone())
            .audience(self.aud.clone())
            .build()
            .expect("a validator for the test issuer")
    }

    /// A [`Guard`] with [`TestIssuer::validator`], for `JwtAuthLayer::new` or actix's
    /// `JwtAuth::new`.
    ///
    /// ```
    /// let guard = jwtguard::testing::TestIssuer::new().guard();
    /// assert!(!guard.is_optional());
    /// ```
    pub fn guard(&self) -> Guard {
        Guard::new(self.validator())
    }

    /// `Bearer <token>`: the `Authorization` header value for a token.
    ///
    /// ```
    /// let issuer = jwtguard::testing::TestIssuer::new();
    /// assert!(issuer.bearer(|c| c).starts_with("Bearer ey"));
    /// ```
    pub fn bearer(&self, f: impl FnOnce(TestClaims) -> TestClaims) -> String {
        format!("Bearer {}", self.token(f))
    }
}

/// What goes in a test token; made by [`TestIssuer::token`]'s closure.
///
/// ```
/// let issuer = jwtguard::testing::TestIssuer::new();
/// let token = issuer.token(|c| c.subject("bob").scope("a b").ttl(std::time::Duration::from_secs(60)));
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct TestClaims {
    sub: String,
    scope: Option<String>,
    extra: serde_json::Map<String, Value>,
    aud: Option<Vec<String>>,
    iss: Option<String>,
    ttl: Duration,
    /// Seconds added to "now" as the issuing time.
    shift: i64,
    wrong_key: bool,
}

impl Default for TestClaims {
    fn default() -> Self {
        TestClaims {
            sub: TEST_SUBJECT.to_owned(),
            scope: None,
            extra: serde_json::Map::new(),
            aud: None,
            iss: None,
            ttl: Duration::from_secs(900),
            shift: 0,
            wrong_key: false,
        }
    }
}

impl TestClaims {
    /// The `sub` claim. Defaults to [`TEST_SUBJECT`].
    ///
    /// ```
    /// let t = jwtguard::testing::TestIssuer::new().token(|c| c.subject("alice"));
    /// ```
    pub fn subject(mut self, sub: impl Into<String>) -> Self {
        self.sub = sub.into();
        self
    }
    /// The `scope` claim (space-separated). Defaults to none.
    ///
    /// ```
    /// let t = jwtguard::testing::TestIssuer::new().token(|c| c.scope("orders:read orders:write"));
    /// ```
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }
    /// No `scope` claim at all: for routes that require one (a `403 insufficient_scope`).
    ///
    /// ```
    /// let t = jwtguard::testing::TestIssuer::new().token(|c| c.scope("x").missing_scope());
    /// ```
    pub fn missing_scope(mut self) -> Self {
        self.scope = None;
        self
    }
    /// A custom claim (registered ones are the issuer's: use the other methods).
    ///
    /// ```
    /// let t = jwtguard::testing::TestIssuer::new().token(|c| c.claim("roles", serde_json::json!(["admin"])));
    /// ```
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(name.into(), value.into());
        self
    }
    /// The lifetime. Defaults to 15 minutes.
    ///
    /// ```
    /// let t = jwtguard::testing::TestIssuer::new().token(|c| c.ttl(std::time::Duration::from_secs(30)));
    /// ```
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }
    /// Issued two hours ago: expired an hour and 45 minutes ago, far beyond any leeway.
    ///
    /// ```
    /// let t = jwtguard::testing::TestIssuer::new().token(|c| c.expired());
    /// ```
    pub fn expired(mut self) -> Self {
        self.shift = -7200;
        self
    }
    /// Issued an hour from now (`nbf` and `iat` in the future).
    ///
    /// ```
    /// let t = jwtguard::testing::TestIssuer::new().token(|c| c.not_yet_valid());
    /// ```
    pub fn not_yet_valid(mut self) -> Self {
        self.shift = 3600;
        self
    }
    /// `aud` of another service.
    ///
    /// ```
    /// let t = jwtguard::testing::TestIssuer::new().token(|c| c.wrong_audience());
    /// ```
    pub fn wrong_audience(self) -> Self {
        self.audience(["another-api"])
    }
    /// These audiences instead of the issuer's.
    ///
    /// ```
    /// let t = jwtguard::testing::TestIssuer::new().token(|c| c.audience(["test-api", "billing-api"]));
    /// ```
    pub fn audience<I: IntoIterator<Item = S>, S: Into<String>>(mut self, aud: I) -> Self {
        self.aud = Some(aud.into_iter().map(Into::into).collect());
        self
    }
    /// `iss` of another issuer.
    ///
    /// ```
    /// let t = jwtguard::testing::TestIssuer::new().token(|c| c.wrong_issuer());
    /// ```
    pub fn wrong_issuer(mut self) -> Self {
        self.iss = Some("https://another-issuer.test".to_owned());
        self
    }
    /// Signed by another key under the same `kid` (a forged or foreign token).
    ///
    /// ```
    /// let t = jwtguard::testing::TestIssuer::new().token(|c| c.wrong_key());
    /// ```
    pub fn wrong_key(mut self) -> Self {
        self.wrong_key = true;
        self
    }
}
