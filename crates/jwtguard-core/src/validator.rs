//! The [`Validator`]: size bound, header, key, signature, claims policy, in that order.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;

use crate::claims::{Claim, Header, IssOnly, RawHeader, RegisteredClaims};
use crate::provider::KeySource;
use crate::revocation::RevocationStore;
use crate::{Algorithm, ConfigError, Error, ErrorKind, KeyKind, KeySet};

/// The time source. Tests and the CLI's `--at` pin it; the default reads the system clock.
///
/// ```
/// #[derive(Debug)]
/// struct Frozen;
/// impl jwtguard_core::Clock for Frozen {
///     fn now(&self) -> i64 { 1_700_000_000 }
/// }
/// let builder = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).clock(Frozen);
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Seconds since the Unix epoch.
    fn now(&self) -> i64;
}

/// The system clock. The default.
///
/// ```
/// use jwtguard_core::Clock;
/// assert!(jwtguard_core::SystemClock.now() > 1_700_000_000);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        // A clock before 1970 reads as 0; i64 seconds last far beyond any token.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock stopped at one instant.
///
/// ```
/// use jwtguard_core::{Clock, FixedClock};
/// assert_eq!(FixedClock(1_700_000_000).now(), 1_700_000_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn now(&self) -> i64 {
        self.0
    }
}

/// What every verified token has, whatever its claims type: the header and the registered
/// claims. Cheap to clone (one `Arc`), so integrations can put it in request extensions for
/// scope and role checks that do not know the claims type.
///
/// ```
/// # use jwtguard_core::{Algorithm, Key, Validator};
/// # let validator = Validator::builder(Key::hmac(b"01234567890123456789012345678901")?, [Algorithm::HS256]).audience("api").build()?;
/// # let token = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiYXQrand0In0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlIiwic3ViIjoiYWxpY2UiLCJhdWQiOlsiYXBpIl0sImV4cCI6NDEwMjQ0NDgwMCwibmJmIjoxNzAwMDAwMDAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6InQtMSIsInNjb3BlIjoib3JkZXJzOnJlYWQgb3JkZXJzOndyaXRlIiwicm9sZXMiOlsiYWRtaW4iXSwibmFtZSI6IkFsaWNlIn0.Sj0j07Iw_UgNOQchLx-kVsBMfHTEYSX4a6X7acYTDYg";
/// let verified = validator.verify::<serde_json::Value>(token)?;
/// let info = verified.token().clone(); // cheap: one Arc
/// assert_eq!(info.registered().sub(), Some("alice"));
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct TokenInfo {
    inner: Arc<(Header, RegisteredClaims)>,
}

impl TokenInfo {
    /// The header (`alg`, `kid`, `typ`).
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let validator = Validator::builder(Key::hmac(b"01234567890123456789012345678901")?, [Algorithm::HS256]).audience("api").build()?;
    /// # let token = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiYXQrand0In0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlIiwic3ViIjoiYWxpY2UiLCJhdWQiOlsiYXBpIl0sImV4cCI6NDEwMjQ0NDgwMCwibmJmIjoxNzAwMDAwMDAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6InQtMSIsInNjb3BlIjoib3JkZXJzOnJlYWQgb3JkZXJzOndyaXRlIiwicm9sZXMiOlsiYWRtaW4iXSwibmFtZSI6IkFsaWNlIn0.Sj0j07Iw_UgNOQchLx-kVsBMfHTEYSX4a6X7acYTDYg";
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.token().header().kid(), Some("k1"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn header(&self) -> &Header {
        &self.inner.0
    }
    /// The registered claims (`iss`, `sub`, `aud`, `exp`, `nbf`, `iat`, `jti`, scopes, roles).
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let validator = Validator::builder(Key::hmac(b"01234567890123456789012345678901")?, [Algorithm::HS256]).audience("api").build()?;
    /// # let token = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiYXQrand0In0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlIiwic3ViIjoiYWxpY2UiLCJhdWQiOlsiYXBpIl0sImV4cCI6NDEwMjQ0NDgwMCwibmJmIjoxNzAwMDAwMDAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6InQtMSIsInNjb3BlIjoib3JkZXJzOnJlYWQgb3JkZXJzOndyaXRlIiwicm9sZXMiOlsiYWRtaW4iXSwibmFtZSI6IkFsaWNlIn0.Sj0j07Iw_UgNOQchLx-kVsBMfHTEYSX4a6X7acYTDYg";
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.token().registered().jti(), Some("t-1"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn registered(&self) -> &RegisteredClaims {
        &self.inner.1
    }
}

impl fmt::Debug for TokenInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenInfo").field("header", self.header()).field("registered", self.registered()).finish()
    }
}

/// A verified token: its header, its registered claims and the caller's typed claims.
///
/// `Debug` shows the header and which registered claims are present, never claim values.
///
/// ```
/// # use jwtguard_core::{Algorithm, Key, Validator};
/// # let validator = Validator::builder(Key::hmac(b"01234567890123456789012345678901")?, [Algorithm::HS256]).audience("api").build()?;
/// # let token = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiYXQrand0In0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlIiwic3ViIjoiYWxpY2UiLCJhdWQiOlsiYXBpIl0sImV4cCI6NDEwMjQ0NDgwMCwibmJmIjoxNzAwMDAwMDAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6InQtMSIsInNjb3BlIjoib3JkZXJzOnJlYWQgb3JkZXJzOndyaXRlIiwicm9sZXMiOlsiYWRtaW4iXSwibmFtZSI6IkFsaWNlIn0.Sj0j07Iw_UgNOQchLx-kVsBMfHTEYSX4a6X7acYTDYg";
/// let verified = validator.verify::<serde_json::Value>(token)?;
/// assert_eq!(verified.claims()["name"], "Alice");
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Verified<T> {
    token: TokenInfo,
    claims: T,
}

impl<T> Verified<T> {
    /// The typed claims.
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let validator = Validator::builder(Key::hmac(b"01234567890123456789012345678901")?, [Algorithm::HS256]).audience("api").build()?;
    /// # let token = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiYXQrand0In0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlIiwic3ViIjoiYWxpY2UiLCJhdWQiOlsiYXBpIl0sImV4cCI6NDEwMjQ0NDgwMCwibmJmIjoxNzAwMDAwMDAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6InQtMSIsInNjb3BlIjoib3JkZXJzOnJlYWQgb3JkZXJzOndyaXRlIiwicm9sZXMiOlsiYWRtaW4iXSwibmFtZSI6IkFsaWNlIn0.Sj0j07Iw_UgNOQchLx-kVsBMfHTEYSX4a6X7acYTDYg";
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.claims()["name"], "Alice");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn claims(&self) -> &T {
        &self.claims
    }
    /// The typed claims, by value.
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let validator = Validator::builder(Key::hmac(b"01234567890123456789012345678901")?, [Algorithm::HS256]).audience("api").build()?;
    /// # let token = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiYXQrand0In0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlIiwic3ViIjoiYWxpY2UiLCJhdWQiOlsiYXBpIl0sImV4cCI6NDEwMjQ0NDgwMCwibmJmIjoxNzAwMDAwMDAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6InQtMSIsInNjb3BlIjoib3JkZXJzOnJlYWQgb3JkZXJzOndyaXRlIiwicm9sZXMiOlsiYWRtaW4iXSwibmFtZSI6IkFsaWNlIn0.Sj0j07Iw_UgNOQchLx-kVsBMfHTEYSX4a6X7acYTDYg";
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// let claims: serde_json::Value = verified.into_claims();
    /// assert_eq!(claims["sub"], "alice");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_claims(self) -> T {
        self.claims
    }
    /// The registered claims (`iss`, `sub`, `aud`, `exp`, `nbf`, `iat`, `jti`, scopes, roles).
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let validator = Validator::builder(Key::hmac(b"01234567890123456789012345678901")?, [Algorithm::HS256]).audience("api").build()?;
    /// # let token = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiYXQrand0In0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlIiwic3ViIjoiYWxpY2UiLCJhdWQiOlsiYXBpIl0sImV4cCI6NDEwMjQ0NDgwMCwibmJmIjoxNzAwMDAwMDAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6InQtMSIsInNjb3BlIjoib3JkZXJzOnJlYWQgb3JkZXJzOndyaXRlIiwicm9sZXMiOlsiYWRtaW4iXSwibmFtZSI6IkFsaWNlIn0.Sj0j07Iw_UgNOQchLx-kVsBMfHTEYSX4a6X7acYTDYg";
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.registered().sub(), Some("alice"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn registered(&self) -> &RegisteredClaims {
        self.token.registered()
    }
    /// The header (`alg`, `kid`, `typ`).
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let validator = Validator::builder(Key::hmac(b"01234567890123456789012345678901")?, [Algorithm::HS256]).audience("api").build()?;
    /// # let token = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiYXQrand0In0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlIiwic3ViIjoiYWxpY2UiLCJhdWQiOlsiYXBpIl0sImV4cCI6NDEwMjQ0NDgwMCwibmJmIjoxNzAwMDAwMDAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6InQtMSIsInNjb3BlIjoib3JkZXJzOnJlYWQgb3JkZXJzOndyaXRlIiwicm9sZXMiOlsiYWRtaW4iXSwibmFtZSI6IkFsaWNlIn0.Sj0j07Iw_UgNOQchLx-kVsBMfHTEYSX4a6X7acYTDYg";
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.header().typ(), Some("at+jwt"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn header(&self) -> &Header {
        self.token.header()
    }
    /// The header and registered claims, shareable.
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let validator = Validator::builder(Key::hmac(b"01234567890123456789012345678901")?, [Algorithm::HS256]).audience("api").build()?;
    /// # let token = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiYXQrand0In0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlIiwic3ViIjoiYWxpY2UiLCJhdWQiOlsiYXBpIl0sImV4cCI6NDEwMjQ0NDgwMCwibmJmIjoxNzAwMDAwMDAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6InQtMSIsInNjb3BlIjoib3JkZXJzOnJlYWQgb3JkZXJzOndyaXRlIiwicm9sZXMiOlsiYWRtaW4iXSwibmFtZSI6IkFsaWNlIn0.Sj0j07Iw_UgNOQchLx-kVsBMfHTEYSX4a6X7acYTDYg";
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.token().header().alg(), Algorithm::HS256);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn token(&self) -> &TokenInfo {
        &self.token
    }
}

impl<T> fmt::Debug for Verified<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("header", self.header())
            .field("registered", self.registered())
            .field("claims", &format_args!("[redacted]"))
            .finish()
    }
}

/// What a custom rule sees: the header, the registered claims and the raw claims JSON.
///
/// ```
/// let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256])
///     .rule(|ctx| ctx.header().kid().is_some() && !ctx.payload_json().is_empty())
///     .build()?;
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
pub struct TokenContext<'a> {
    header: &'a Header,
    registered: &'a RegisteredClaims,
    payload: &'a [u8],
}

/// Shows the header and which registered claims are present, never a claim's value.
impl fmt::Debug for TokenContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenContext")
            .field("header", self.header)
            .field("registered", self.registered)
            .field("payload", &format_args!("[{} bytes redacted]", self.payload.len()))
            .finish()
    }
}

impl TokenContext<'_> {
    /// The header.
    ///
    /// ```
    /// let v = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256])
    ///     .rule(|ctx| ctx.header().typ() == Some("at+jwt"))
    ///     .build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn header(&self) -> &Header {
        self.header
    }
    /// The registered claims.
    ///
    /// ```
    /// let v = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256])
    ///     .rule(|ctx| ctx.registered().has_scope("api"))
    ///     .build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn registered(&self) -> &RegisteredClaims {
        self.registered
    }
    /// The claims set as JSON bytes, for rules about custom claims.
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct Tenant { tenant: String }
    /// let v = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256])
    ///     .rule(|ctx| serde_json::from_slice::<Tenant>(ctx.payload_json()).is_ok_and(|t| t.tenant == "acme"))
    ///     .build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn payload_json(&self) -> &[u8] {
        self.payload
    }
}

type Rule = Box<dyn Fn(&TokenContext<'_>) -> bool + Send + Sync>;

/// A set of algorithms as a bit mask: membership is one AND on the hot path.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
struct AlgSet(u16);

impl AlgSet {
    fn contains(self, alg: Algorithm) -> bool {
        self.0 & (1 << alg as u16) != 0
    }
    fn insert(&mut self, alg: Algorithm) {
        self.0 |= 1 << alg as u16;
    }
    fn iter(self) -> impl Iterator<Item = Algorithm> {
        Algorithm::ALL.into_iter().filter(move |a| self.contains(*a))
    }
}

struct Inner {
    keys: KeySource,
    algorithms: AlgSet,
    issuers: Vec<String>,
    audiences: Vec<String>,
    required: Vec<Claim>,
    leeway: i64,
    max_age: Option<i64>,
    typ: Option<String>,
    max_size: usize,
    clock: Arc<dyn Clock>,
    rules: Vec<Rule>,
    revocation: Option<Arc<dyn RevocationStore>>,
    revocation_fail_open: bool,
}

/// Verifies tokens. Cheap to clone (one `Arc`), `Send + Sync`, and takes no lock.
///
/// ```
/// use jwtguard_core::{Algorithm, ErrorKind, Key, Validator};
///
/// let validator = Validator::builder(Key::hmac([42u8; 32])?, [Algorithm::HS256])
///     .issuer("https://login.example.com")
///     .audience("orders-api")
///     .build()?;
/// let err = validator.verify::<serde_json::Value>("not-a-token").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Malformed);
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Validator {
    inner: Arc<Inner>,
    /// Set for [`Validator::multi_issuer`]: the validator of each issuer (none of them routed).
    routes: Option<Arc<BTreeMap<String, Validator>>>,
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(routes) = &self.routes {
            return f.debug_struct("Validator").field("issuers", &routes).finish();
        }
        let i = &self.inner;
        f.debug_struct("Validator")
            .field("keys", &i.keys)
            .field("algorithms", &i.algorithms.iter().collect::<Vec<_>>())
            .field("issuers", &i.issuers)
            .field("audiences", &i.audiences)
            .field("required", &i.required)
            .field("leeway", &i.leeway)
            .field("max_age", &i.max_age)
            .field("typ", &i.typ)
            .field("max_size", &i.max_size)
            .field("clock", &i.clock)
            .field("rules", &i.rules.len())
            .field("revocation", &i.revocation)
            .finish()
    }
}

/// Configures a [`Validator`]. Made by [`Validator::builder`].
///
/// ```
/// let builder = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]);
/// let validator = builder.issuer("https://idp.example").audience("api").build()?;
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[must_use]
pub struct ValidatorBuilder {
    keys: KeySource,
    algorithms: Vec<Algorithm>,
    issuers: Vec<String>,
    audiences: Vec<String>,
    required: Vec<Claim>,
    leeway: Duration,
    max_age: Option<Duration>,
    typ: Option<String>,
    max_size: usize,
    clock: Arc<dyn Clock>,
    rules: Vec<Rule>,
    revocation: Option<Arc<dyn RevocationStore>>,
    revocation_fail_open: bool,
}

impl fmt::Debug for ValidatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidatorBuilder")
            .field("keys", &self.keys)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

/// The default bound on a token's length, before any decoding.
///
/// ```
/// assert_eq!(jwtguard_core::DEFAULT_MAX_TOKEN_SIZE, 8192);
/// ```
pub const DEFAULT_MAX_TOKEN_SIZE: usize = 8 * 1024;

impl Validator {
    /// Starts a validator from the two decisions nobody can make for you: which keys, and which
    /// algorithms. The header's `alg` is only ever checked against this list.
    ///
    /// ```
    /// use jwtguard_core::{Algorithm, KeySet, Validator};
    /// let keys = KeySet::from_jwks(r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"a","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#)?;
    /// let validator = Validator::builder(keys, [Algorithm::ES256]).build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn builder(keys: impl Into<KeySource>, algorithms: impl IntoIterator<Item = Algorithm>) -> ValidatorBuilder {
        ValidatorBuilder {
            keys: keys.into(),
            algorithms: algorithms.into_iter().collect(),
            issuers: Vec::new(),
            audiences: Vec::new(),
            required: Vec::new(),
            leeway: Duration::from_secs(60),
            max_age: None,
            typ: None,
            max_size: DEFAULT_MAX_TOKEN_SIZE,
            clock: Arc::new(SystemClock),
            rules: Vec::new(),
            revocation: None,
            revocation_fail_open: false,
        }
    }

    /// Verifies `token` and deserializes its claims into `T`.
    ///
    /// The steps, each failing with its own [`ErrorKind`]: size bound, three base64url
    /// segments, header (`alg` in the allow-list, no unknown `crit`, `typ`), key by `kid` and
    /// kind, signature, registered claims (`exp`, `nbf`, `iat`, max age, `iss`, `aud`, required
    /// claims), custom rules, then `T`.
    ///
    /// # Errors
    /// An [`Error`] whose [`kind`](Error::kind) says which step failed.
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct MyClaims { sub: String, name: String }
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let validator = Validator::builder(Key::hmac(b"01234567890123456789012345678901")?, [Algorithm::HS256]).audience("api").build()?;
    /// # let token = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiYXQrand0In0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlIiwic3ViIjoiYWxpY2UiLCJhdWQiOlsiYXBpIl0sImV4cCI6NDEwMjQ0NDgwMCwibmJmIjoxNzAwMDAwMDAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6InQtMSIsInNjb3BlIjoib3JkZXJzOnJlYWQgb3JkZXJzOndyaXRlIiwicm9sZXMiOlsiYWRtaW4iXSwibmFtZSI6IkFsaWNlIn0.Sj0j07Iw_UgNOQchLx-kVsBMfHTEYSX4a6X7acYTDYg";
    /// let verified = validator.verify::<MyClaims>(token)?;
    /// assert_eq!(verified.claims().name, "Alice");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify<T: DeserializeOwned>(&self, token: &str) -> Result<Verified<T>, Error> {
        if self.routes.is_some() {
            return self.route(token)?.verify(token);
        }
        let i = &*self.inner;
        let jws = self.verify_jws(token)?;
        let payload = jws.payload();
        // UTF-8 is checked once here; `from_str` then skips the check per string.
        let payload = std::str::from_utf8(payload)
            .map_err(|_| Error::detailed(ErrorKind::Malformed, "claims set is not UTF-8"))?;
        let registered: RegisteredClaims = serde_json::from_str(payload)
            .map_err(|_| Error::detailed(ErrorKind::Malformed, "claims set is not a strict JSON object"))?;
        self.check_claims(&registered)?;
        if !i.rules.is_empty() {
            let ctx = TokenContext { header: &jws.header, registered: &registered, payload: payload.as_bytes() };
            if !i.rules.iter().all(|rule| rule(&ctx)) {
                return Err(Error::new(ErrorKind::Rejected));
            }
        }
        if let Some(store) = &i.revocation {
            // Tokens are accepted until exp + leeway, so their revocations must hold as long: the
            // store compares an entry's end (a token's exp) with the time minus the leeway.
            match store.is_revoked(&registered, i.clock.now().saturating_sub(i.leeway)) {
                Ok(false) => {}
                Ok(true) => return Err(Error::new(ErrorKind::Revoked)),
                // The documented opt-in: the revocation check alone fails open.
                Err(_) if i.revocation_fail_open => {}
                Err(e) => return Err(e),
            }
        }
        let claims: T = serde_json::from_str(payload)
            .map_err(|_| Error::detailed(ErrorKind::Malformed, "claims do not match the expected type"))?;
        Ok(Verified { token: TokenInfo { inner: Arc::new((jws.header, registered)) }, claims })
    }

    /// [`Validator::verify`], and when the token names a key a [`KeyProvider`](crate::provider::KeyProvider)
    /// lacks, waits for the provider's refetch (unless it is cooling down) and tries once more.
    /// With static keys it is `verify` and never waits.
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let validator = Validator::builder(Key::hmac([7u8; 32])?, [Algorithm::HS256]).build()?;
    /// # async fn demo(validator: Validator) {
    /// let result = validator.verify_async::<serde_json::Value>("x.y.z").await;
    /// assert!(result.is_err());
    /// # }
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Validator::verify`].
    pub async fn verify_async<T: DeserializeOwned>(&self, token: &str) -> Result<Verified<T>, Error> {
        if self.routes.is_some() {
            return Box::pin(self.route(token)?.verify_async(token)).await;
        }
        match self.verify(token) {
            Err(e) if self.needs_refresh(&e) => {
                if let KeySource::Provider(provider) = &self.inner.keys
                    && let Some(refresh) = provider.refresh_unknown()
                {
                    refresh.await?;
                    return self.verify(token);
                }
                Err(e)
            }
            result => result,
        }
    }

    /// `true` when `error` may go away after a refetch of the keys: an unknown key with a
    /// [`KeyProvider`](crate::provider::KeyProvider). Integrations use it to take the async path only then.
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Error, ErrorKind, Key, Validator};
    /// # let validator = Validator::builder(Key::hmac([7u8; 32])?, [Algorithm::HS256]).build()?;
    /// assert!(!validator.needs_refresh(&Error::new(ErrorKind::UnknownKey))); // static keys
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn needs_refresh(&self, error: &Error) -> bool {
        match &self.routes {
            Some(routes) => routes.values().any(|v| v.needs_refresh(error)),
            None => error.kind() == ErrorKind::UnknownKey && self.inner.keys.is_dynamic(),
        }
    }

    /// The algorithms this validator accepts.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// assert_eq!(validator.algorithms().collect::<Vec<_>>(), [jwtguard_core::Algorithm::HS256]);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn algorithms(&self) -> impl Iterator<Item = Algorithm> + '_ {
        let mut all = self.inner.algorithms;
        for v in self.routes.iter().flat_map(|r| r.values()) {
            all.0 |= v.inner.algorithms.0;
        }
        all.iter()
    }

    /// One validator for several issuers, each with its own keys and policy. The token's
    /// unverified `iss` picks the validator; an unknown issuer is rejected as
    /// [`ErrorKind::WrongIssuer`] before any key lookup, so it never causes a key fetch.
    ///
    /// ```
    /// use jwtguard_core::{Algorithm, ErrorKind, Key, Validator};
    ///
    /// let a = Validator::builder(Key::hmac([1u8; 32])?, [Algorithm::HS256]).issuer("https://a.example").build()?;
    /// let b = Validator::builder(Key::hmac([2u8; 48])?, [Algorithm::HS384]).issuer("https://b.example").build()?;
    /// let both = Validator::multi_issuer([a, b])?;
    /// // {"alg":"none"} . {"iss":"https://c.example","exp":1}
    /// let err = both.verify::<serde_json::Value>("eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2MuZXhhbXBsZSIsImV4cCI6MX0.").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::WrongIssuer);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::InvalidSetting`] when a validator does not accept exactly one issuer, two
    /// accept the same one, or the list is empty.
    pub fn multi_issuer(validators: impl IntoIterator<Item = Validator>) -> Result<Validator, ConfigError> {
        let mut routes = BTreeMap::new();
        for v in validators {
            let nested: Vec<Validator> = match &v.routes {
                Some(r) => r.values().cloned().collect(),
                None => vec![v],
            };
            for v in nested {
                let [iss] = v.inner.issuers.as_slice() else {
                    return Err(ConfigError::InvalidSetting("each validator of multi_issuer needs exactly one issuer"));
                };
                if routes.insert(iss.clone(), v.clone()).is_some() {
                    return Err(ConfigError::InvalidSetting("two validators of multi_issuer accept the same issuer"));
                }
            }
        }
        let first = routes.values().next().ok_or(ConfigError::InvalidSetting("multi_issuer needs a validator"))?;
        Ok(Validator { inner: first.inner.clone(), routes: Some(Arc::new(routes)) })
    }

    /// For a multi-issuer validator, the validator of the token's (unverified) issuer.
    fn route(&self, token: &str) -> Result<&Validator, Error> {
        let Some(routes) = &self.routes else { return Ok(self) };
        if token.len() > self.inner.max_size {
            return Err(Error::new(ErrorKind::TooLarge));
        }
        let malformed = |detail| Error::detailed(ErrorKind::Malformed, detail);
        let p64 = token.split('.').nth(1).ok_or(malformed("not three dot-separated segments"))?;
        let payload = URL_SAFE_NO_PAD.decode(p64).map_err(|_| malformed("payload is not base64url"))?;
        let IssOnly(iss) =
            serde_json::from_slice(&payload).map_err(|_| malformed("claims set is not a strict JSON object"))?;
        let iss = iss.ok_or(Error::detailed(ErrorKind::MissingClaim, "iss"))?;
        routes.get(&*iss).ok_or(Error::new(ErrorKind::WrongIssuer))
    }

    /// The time of its clock, seconds since the epoch.
    ///
    /// ```
    /// let v = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256])
    ///     .clock(jwtguard_core::FixedClock(5))
    ///     .build()?;
    /// assert_eq!(v.now(), 5);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    /// Size, syntax, header and signature; no claims policy.
    pub(crate) fn verify_jws(&self, token: &str) -> Result<Jws, Error> {
        if self.routes.is_some() {
            return self.route(token)?.verify_jws(token);
        }
        let i = &*self.inner;
        if token.len() > i.max_size {
            return Err(Error::new(ErrorKind::TooLarge));
        }
        let malformed = |detail| Error::detailed(ErrorKind::Malformed, detail);
        let mut parts = token.split('.');
        let (Some(h64), Some(p64), Some(s64), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(malformed("not three dot-separated segments"));
        };
        let mut header_buf = [0u8; 512];
        let mut header_heap = Vec::new();
        let header_json =
            decode_b64(h64, &mut header_buf, &mut header_heap).ok_or(malformed("header is not base64url"))?;
        let raw: RawHeader<'_> = std::str::from_utf8(header_json)
            .ok()
            .and_then(|h| serde_json::from_str(h).ok())
            .ok_or(malformed("header is not a strict JSON object"))?;
        let alg = match Algorithm::from_name(&raw.alg) {
            Some(alg) if i.algorithms.contains(alg) => alg,
            _ => return Err(Error::new(ErrorKind::AlgorithmNotAllowed)),
        };
        if raw.crit {
            return Err(Error::new(ErrorKind::UnsupportedCritical));
        }
        if let Some(want) = &i.typ
            && !raw.typ.as_deref().is_some_and(|t| typ_matches(t, want))
        {
            return Err(Error::new(ErrorKind::WrongType));
        }
        let mut sig_buf = [0u8; 1028];
        let mut sig_heap = Vec::new();
        // 1366 base64url characters hold 1024 bytes, an RSA-8192 signature: longer cannot verify.
        let signature = if s64.len() > 1366 {
            None
        } else {
            Some(decode_b64(s64, &mut sig_buf, &mut sig_heap).ok_or(malformed("signature is not base64url"))?)
        };
        let signing_input = &token.as_bytes()[..h64.len() + 1 + p64.len()];
        {
            let snapshot;
            let keys: &KeySet = match &i.keys {
                KeySource::Static(keys) => keys,
                KeySource::Provider(provider) => {
                    // Symmetric keys from a provider only where it vouches for them.
                    if alg.key_kind() == KeyKind::Hmac && !provider.allows_symmetric_keys() {
                        return Err(Error::detailed(
                            ErrorKind::AlgorithmNotAllowed,
                            "HMAC with a key provider that refuses symmetric keys",
                        ));
                    }
                    snapshot = provider.keys()?;
                    &snapshot
                }
            };
            let mut candidates = keys.candidates(raw.kid.as_deref(), alg).peekable();
            if candidates.peek().is_none() {
                return Err(Error::new(ErrorKind::UnknownKey));
            }
            let Some(signature) = signature else {
                return Err(Error::detailed(ErrorKind::BadSignature, "signature longer than any key makes"));
            };
            if !candidates.any(|v| v.verify(signing_input, signature)) {
                // The payload is decoded only once the signature holds. A payload that is not
                // even base64url is reported as malformed, whatever the signature.
                if !is_b64url(p64) {
                    return Err(malformed("payload is not base64url"));
                }
                return Err(Error::new(ErrorKind::BadSignature));
            }
        }
        let payload = URL_SAFE_NO_PAD.decode(p64).map_err(|_| malformed("payload is not base64url"))?;
        Ok(Jws { header: raw.into_header(alg), payload })
    }

    fn check_claims(&self, c: &RegisteredClaims) -> Result<(), Error> {
        let i = &*self.inner;
        let now = i.clock.now();
        let leeway = i.leeway;
        let Some(exp) = c.exp else {
            return Err(Error::detailed(ErrorKind::MissingClaim, "exp"));
        };
        if now >= exp.saturating_add(leeway) {
            return Err(Error::new(ErrorKind::Expired));
        }
        if let Some(nbf) = c.nbf
            && now.saturating_add(leeway) < nbf
        {
            return Err(Error::new(ErrorKind::NotYetValid));
        }
        if let Some(iat) = c.iat
            && iat > now.saturating_add(leeway)
        {
            return Err(Error::new(ErrorKind::IssuedInFuture));
        }
        if let Some(max_age) = i.max_age {
            let Some(iat) = c.iat else {
                return Err(Error::detailed(ErrorKind::MissingClaim, "iat"));
            };
            if now.saturating_sub(iat) > max_age.saturating_add(leeway) {
                return Err(Error::new(ErrorKind::TooOld));
            }
        }
        if !i.issuers.is_empty() {
            match &c.iss {
                None => return Err(Error::detailed(ErrorKind::MissingClaim, "iss")),
                Some(iss) if !i.issuers.iter().any(|want| want == iss) => {
                    return Err(Error::new(ErrorKind::WrongIssuer));
                }
                Some(_) => {}
            }
        }
        match (&c.aud, i.audiences.is_empty()) {
            (None, true) => {}
            (Some(_), true) => {
                return Err(Error::detailed(ErrorKind::WrongAudience, "audience present but none configured"));
            }
            (None, false) => return Err(Error::detailed(ErrorKind::MissingClaim, "aud")),
            (Some(aud), false) => {
                if !i.audiences.iter().any(|want| aud.contains(want)) {
                    return Err(Error::new(ErrorKind::WrongAudience));
                }
            }
        }
        if let Some(missing) = i.required.iter().find(|claim| !c.has(**claim)) {
            let name = match missing {
                Claim::Iss => "iss",
                Claim::Sub => "sub",
                Claim::Aud => "aud",
                Claim::Exp => "exp",
                Claim::Nbf => "nbf",
                Claim::Iat => "iat",
                Claim::Jti => "jti",
            };
            return Err(Error::detailed(ErrorKind::MissingClaim, name));
        }
        Ok(())
    }
}

/// A JWS whose signature verified; the claims are not checked yet.
pub(crate) struct Jws {
    pub(crate) header: Header,
    payload: Vec<u8>,
}

impl Jws {
    pub(crate) fn payload(&self) -> &[u8] {
        &self.payload
    }
    pub(crate) fn into_parts(self) -> (Header, Vec<u8>) {
        (self.header, self.payload)
    }
}

/// `true` when `s` could be unpadded base64url (its alphabet and length).
fn is_b64url(s: &str) -> bool {
    s.len() % 4 != 1 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// RFC 7515 §4.1.9: compare case-insensitively; `application/` may be left out.
fn typ_matches(got: &str, want: &str) -> bool {
    // Without allocating: this runs on every request when a `typ` is configured.
    fn strip(s: &str) -> &str {
        match s.get(..12) {
            Some(p) if p.eq_ignore_ascii_case("application/") => &s[12..],
            _ => s,
        }
    }
    strip(got).eq_ignore_ascii_case(strip(want))
}

/// Decodes base64url without padding into the stack buffer when it fits, else onto the heap.
fn decode_b64<'b>(input: &str, stack: &'b mut [u8], heap: &'b mut Vec<u8>) -> Option<&'b [u8]> {
    if input.len() / 4 * 3 + 3 <= stack.len() {
        let n = URL_SAFE_NO_PAD.decode_slice(input, stack).ok()?;
        stack.get(..n)
    } else {
        *heap = URL_SAFE_NO_PAD.decode(input).ok()?;
        Some(heap.as_slice())
    }
}

impl ValidatorBuilder {
    /// Accepts tokens from this issuer; call again to accept several. Defaults to: `iss` not
    /// checked.
    ///
    /// ```
    /// let builder = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]);
    /// let v = builder.issuer("https://a.example").issuer("https://b.example").build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn issuer(mut self, iss: impl Into<String>) -> Self {
        self.issuers.push(iss.into());
        self
    }

    /// Accepts tokens for this audience; call again to accept several (any one must match).
    /// Defaults to: tokens that carry `aud` are rejected.
    ///
    /// ```
    /// let builder = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]);
    /// let v = builder.audience("orders-api").build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn audience(mut self, aud: impl Into<String>) -> Self {
        self.audiences.push(aud.into());
        self
    }

    /// Requires a registered claim to be present. Defaults to: only `exp` is required.
    ///
    /// ```
    /// let builder = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]);
    /// let v = builder.require(jwtguard_core::Claim::Sub).build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn require(mut self, claim: Claim) -> Self {
        if !self.required.contains(&claim) {
            self.required.push(claim);
        }
        self
    }

    /// Clock skew tolerated on `exp`, `nbf` and `iat`. Defaults to 60 s.
    ///
    /// ```
    /// let builder = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]);
    /// let v = builder.leeway(std::time::Duration::from_secs(30)).build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Rejects tokens whose `iat` is older than this (and tokens without `iat`). Defaults to:
    /// no maximum age.
    ///
    /// ```
    /// let builder = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]);
    /// let v = builder.max_age(std::time::Duration::from_secs(3600)).build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Requires this `typ` header, e.g. `at+jwt` for RFC 9068 access tokens (compared
    /// case-insensitively, `application/` optional). Defaults to: `typ` not checked.
    ///
    /// ```
    /// let builder = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]);
    /// let v = builder.typ("at+jwt").build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(typ.into());
        self
    }

    /// The largest token accepted, in bytes, checked before any decoding. Defaults to 8 KiB.
    ///
    /// ```
    /// let builder = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]);
    /// let v = builder.max_token_size(16 * 1024).build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn max_token_size(mut self, bytes: usize) -> Self {
        self.max_size = bytes;
        self
    }

    /// The time source. Defaults to [`SystemClock`].
    ///
    /// ```
    /// let builder = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]);
    /// let v = builder.clock(jwtguard_core::FixedClock(1_700_000_000)).build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Adds a custom rule, run after the registered claims passed; `false` rejects the token
    /// with [`ErrorKind::Rejected`]. Defaults to: no custom rules.
    ///
    /// ```
    /// use jwtguard_core::{Algorithm, Key, Validator};
    /// let validator = Validator::builder(Key::hmac([1u8; 32])?, [Algorithm::HS256])
    ///     .rule(|ctx| ctx.registered().sub().is_some_and(|s| s.starts_with("user:")))
    ///     .build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn rule(mut self, rule: impl Fn(&TokenContext<'_>) -> bool + Send + Sync + 'static) -> Self {
        self.rules.push(Box::new(rule));
        self
    }

    /// Checks every token against a revocation store after its signature and claims. Defaults
    /// to: no revocation check.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use jwtguard_core::revocation::InMemoryRevocations;
    /// let store = Arc::new(InMemoryRevocations::new());
    /// let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256])
    ///     .revocation(store.clone())
    ///     .build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn revocation(mut self, store: Arc<dyn RevocationStore>) -> Self {
        self.revocation = Some(store);
        self
    }

    /// When the revocation store cannot vouch for its answer, let tokens through instead of
    /// answering `503`. This weakens revocation (a revoked token passes while the store is
    /// down) and nothing else. Defaults to: fail closed.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let store = Arc::new(jwtguard_core::revocation::InMemoryRevocations::new());
    /// let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256])
    ///     .revocation(store)
    ///     .revocation_fail_open()
    ///     .build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn revocation_fail_open(mut self) -> Self {
        self.revocation_fail_open = true;
        self
    }

    /// Builds the validator.
    ///
    /// # Errors
    /// [`ConfigError::NoAlgorithms`] for an empty allow-list, [`ConfigError::NoUsableKey`] for
    /// an empty key set, [`ConfigError::KeyAlgorithmMismatch`] when no key can verify one of the
    /// allowed algorithms, [`ConfigError::InvalidSetting`] for a leeway or maximum age beyond
    /// a year or a zero size bound.
    ///
    /// ```
    /// use jwtguard_core::{Algorithm, ConfigError, Key, Validator};
    /// let err = Validator::builder(Key::hmac([7u8; 32])?, [Algorithm::RS256]).build().unwrap_err();
    /// assert!(matches!(err, ConfigError::KeyAlgorithmMismatch { .. }));
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn build(self) -> Result<Validator, ConfigError> {
        let mut algorithms = AlgSet::default();
        for alg in &self.algorithms {
            algorithms.insert(*alg);
        }
        if algorithms == AlgSet::default() {
            return Err(ConfigError::NoAlgorithms);
        }
        if let KeySource::Static(keys) = &self.keys {
            if keys.is_empty() {
                return Err(ConfigError::NoUsableKey);
            }
            // An allowed algorithm that no key can verify is a misconfiguration (often an HMAC
            // algorithm next to RSA keys): refuse it rather than reject every such token later.
            for alg in algorithms.iter() {
                if !keys.keys().iter().any(|k| k.algorithms().any(|a| a == alg)) {
                    let kind = keys.keys().first().map(|k| k.kind()).unwrap_or(alg.key_kind());
                    return Err(ConfigError::KeyAlgorithmMismatch { kind, alg });
                }
            }
        }
        let year = 366 * 24 * 3600;
        let secs = |d: Duration, what| {
            if d.as_secs() > year { Err(ConfigError::InvalidSetting(what)) } else { Ok(d.as_secs() as i64) }
        };
        if self.max_size == 0 {
            return Err(ConfigError::InvalidSetting("max_token_size must be positive"));
        }
        Ok(Validator {
            routes: None,
            inner: Arc::new(Inner {
                keys: self.keys,
                algorithms,
                issuers: self.issuers,
                audiences: self.audiences,
                required: self.required,
                leeway: secs(self.leeway, "leeway beyond a year")?,
                max_age: self.max_age.map(|d| secs(d, "max_age beyond a year")).transpose()?,
                typ: self.typ,
                max_size: self.max_size,
                clock: self.clock,
                rules: self.rules,
                revocation: self.revocation,
                revocation_fail_open: self.revocation_fail_open,
            }),
        })
    }
}
