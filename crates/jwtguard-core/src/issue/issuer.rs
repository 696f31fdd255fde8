//! Issuing access tokens: [`TokenIssuer`] signs with a [`SigningKey`], publishes its public keys
//! as a JWKS, and rotates keys without breaking tokens already out.
//!
//! Rotation, the way RFC 7517 deployments do it: [`TokenIssuer::prepare_next`] publishes the next
//! key before it signs anything (so every verifier can fetch it), [`TokenIssuer::rotate`] makes
//! it the signing key, and the old key stays published until the last token it signed has
//! expired. A `TokenIssuer` is also a [`KeyProvider`], so a validator in the same process
//! always knows every published key.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::SigningKey;
use super::encrypt::EncryptionKey;
use super::ring::Ring;
use crate::backend;
use crate::provider::{KeyProvider, RefetchFuture};
use crate::{Clock, ConfigError, ContentEncryption, Error, ErrorKind, KeyManagement, KeySet, SystemClock};

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What to put in a token beyond `iss`, `aud`, `iat`, `nbf`, `exp` and `jti`.
///
/// ```
/// let claims = jwtguard_core::issuer::Issue::subject("alice").scope("orders:read").claim("tenant", "acme");
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct Issue {
    sub: String,
    scope: Option<String>,
    extra: Map<String, Value>,
}

impl Issue {
    /// A token for this subject.
    ///
    /// ```
    /// let what = jwtguard_core::issuer::Issue::subject("alice");
    /// ```
    pub fn subject(sub: impl Into<String>) -> Self {
        Issue { sub: sub.into(), ..Issue::default() }
    }
    /// The `scope` claim (space-separated).
    ///
    /// ```
    /// let what = jwtguard_core::issuer::Issue::subject("alice").scope("orders:read orders:write");
    /// ```
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }
    /// A custom claim. Registered names (`iss`, `exp`, ...) set by the issuer are not overridden.
    ///
    /// ```
    /// let what = jwtguard_core::issuer::Issue::subject("alice").claim("tenant", "acme").claim("level", 3);
    /// ```
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(name.into(), value.into());
        self
    }
}

/// A token just issued.
///
/// ```
/// # use jwtguard_core::issuer::{Issue, SigningKey, TokenIssuer};
/// let issuer = TokenIssuer::builder(SigningKey::generate_ed25519("k1")?).issuer("https://auth.example").build()?;
/// let issued = issuer.issue(&Issue::subject("alice"))?;
/// assert_eq!(issued.expires_in, 900);
/// assert_eq!(issued.token.split('.').count(), 3);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct IssuedToken {
    /// The compact JWS, or, with [`TokenIssuerBuilder::encrypt_to`], the compact JWE around it.
    pub token: String,
    /// Its `jti`.
    pub jti: String,
    /// Its `exp`.
    pub exp: i64,
    /// Seconds from now to `exp` (the OAuth 2.0 `expires_in`).
    pub expires_in: u64,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken").field("jti", &self.jti).field("exp", &self.exp).finish_non_exhaustive()
    }
}

/// The headers of the answer that publishes [`TokenIssuer::jwks`] (RFC 7517 §8.5's media type,
/// cacheable for five minutes: verifiers refetch on an unknown `kid` anyway). Both framework
/// integrations serve the JWKS with exactly these.
///
/// ```
/// assert_eq!(jwtguard_core::issuer::JWKS_HEADERS[0], ("content-type", "application/jwk-set+json"));
/// ```
pub const JWKS_HEADERS: [(&str, &str); 2] =
    [("content-type", "application/jwk-set+json"), ("cache-control", "public, max-age=300")];

/// Signs access tokens and publishes its keys. Cheap to clone.
///
/// ```
/// use std::time::Duration;
/// use jwtguard_core::issuer::{Issue, SigningKey, TokenIssuer};
/// use jwtguard_core::{Algorithm, Validator};
///
/// let issuer = TokenIssuer::builder(SigningKey::generate_ed25519("k1")?)
///     .issuer("https://auth.example.com")
///     .audience("orders-api")
///     .ttl(Duration::from_secs(900))
///     .build()?;
/// let issued = issuer.issue(&Issue::subject("alice").scope("orders:read"))?;
///
/// // A validator that knows every key the issuer publishes, across rotations.
/// let validator = Validator::builder(issuer.clone(), [Algorithm::EdDSA])
///     .issuer("https://auth.example.com")
///     .audience("orders-api")
///     .build()?;
/// let verified = validator.verify::<serde_json::Value>(&issued.token)?;
/// assert_eq!(verified.registered().sub(), Some("alice"));
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct TokenIssuer {
    inner: Arc<IssuerInner>,
}

struct IssuerInner {
    ring: RwLock<Ring>,
    iss: String,
    aud: Vec<String>,
    ttl: i64,
    clock: Arc<dyn Clock>,
    encryption: Option<(EncryptionKey, KeyManagement, ContentEncryption)>,
}

impl fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kid = self.inner.ring.read().map(|r| r.current.kid.clone()).unwrap_or_default();
        f.debug_struct("TokenIssuer").field("iss", &self.inner.iss).field("signing_kid", &kid).finish_non_exhaustive()
    }
}

/// Configures a [`TokenIssuer`]. Made by [`TokenIssuer::builder`].
///
/// ```
/// # use jwtguard_core::issuer::{SigningKey, TokenIssuer};
/// let builder = TokenIssuer::builder(SigningKey::generate_ed25519("k1")?).issuer("https://auth.example");
/// let issuer = builder.audience("orders-api").build()?;
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[must_use]
pub struct TokenIssuerBuilder {
    key: SigningKey,
    iss: Option<String>,
    aud: Vec<String>,
    ttl: Duration,
    clock: Arc<dyn Clock>,
    encryption: Option<(EncryptionKey, KeyManagement, ContentEncryption)>,
}

impl fmt::Debug for TokenIssuerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenIssuerBuilder").field("key", &self.key).field("iss", &self.iss).finish_non_exhaustive()
    }
}

impl TokenIssuerBuilder {
    /// The `iss` of every token. Required.
    ///
    /// ```
    /// # use jwtguard_core::issuer::{SigningKey, TokenIssuer};
    /// let issuer = TokenIssuer::builder(SigningKey::generate_ed25519("k1")?).issuer("https://auth.example").build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn issuer(mut self, iss: impl Into<String>) -> Self {
        self.iss = Some(iss.into());
        self
    }
    /// An `aud` of every token; call again for several. Defaults to: no `aud`.
    ///
    /// ```
    /// # use jwtguard_core::issuer::{SigningKey, TokenIssuer};
    /// let issuer = TokenIssuer::builder(SigningKey::generate_ed25519("k1")?)
    ///     .issuer("https://auth.example")
    ///     .audience("orders-api")
    ///     .audience("billing-api")
    ///     .build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn audience(mut self, aud: impl Into<String>) -> Self {
        self.aud.push(aud.into());
        self
    }
    /// Access-token lifetime. Defaults to 15 minutes.
    ///
    /// ```
    /// # use jwtguard_core::issuer::{Issue, SigningKey, TokenIssuer};
    /// let issuer = TokenIssuer::builder(SigningKey::generate_ed25519("k1")?)
    ///     .issuer("https://auth.example")
    ///     .ttl(std::time::Duration::from_secs(300))
    ///     .build()?;
    /// assert_eq!(issuer.issue(&Issue::subject("alice"))?.expires_in, 300);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }
    /// The time source. Defaults to the system clock.
    ///
    /// ```
    /// # use jwtguard_core::issuer::{Issue, SigningKey, TokenIssuer};
    /// let issuer = TokenIssuer::builder(SigningKey::generate_ed25519("k1")?)
    ///     .issuer("https://auth.example")
    ///     .clock(jwtguard_core::FixedClock(1_700_000_000))
    ///     .build()?;
    /// assert_eq!(issuer.issue(&Issue::subject("alice"))?.exp, 1_700_000_900);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }
    /// Issues nested tokens: each signed token is then encrypted to `key` (a recipient's public
    /// key or a shared secret) with `alg` and `enc` (RFC 7519 §5.2: sign, then encrypt; the JWE
    /// says `cty: JWT`). Encryption keeps the claims from whoever carries or logs the token; the
    /// signature is still what the recipient trusts. Defaults to: tokens are signed only.
    ///
    /// ```
    /// use jwtguard_core::issuer::{EncryptionKey, Issue, SigningKey, TokenIssuer};
    /// use jwtguard_core::{Algorithm, ContentEncryption, DecryptionKey, KeyManagement, Validator};
    /// let shared = [7u8; 32];
    /// let issuer = TokenIssuer::builder(SigningKey::generate_ed25519("k1")?)
    ///     .issuer("https://auth.example")
    ///     .encrypt_to(EncryptionKey::shared(shared)?, KeyManagement::A256Kw, ContentEncryption::A256Gcm)
    ///     .build()?;
    /// let issued = issuer.issue(&Issue::subject("alice"))?;
    /// assert_eq!(issued.token.split('.').count(), 5);
    /// let validator = Validator::builder(issuer.clone(), [Algorithm::EdDSA])
    ///     .decrypt_with(DecryptionKey::shared(shared)?, [KeyManagement::A256Kw], [ContentEncryption::A256Gcm])
    ///     .require_encryption()
    ///     .build()?;
    /// assert_eq!(validator.verify::<serde_json::Value>(&issued.token)?.registered().sub(), Some("alice"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn encrypt_to(mut self, key: EncryptionKey, alg: KeyManagement, enc: ContentEncryption) -> Self {
        self.encryption = Some((key, alg, enc));
        self
    }
    /// Builds the issuer.
    ///
    /// ```
    /// # use jwtguard_core::issuer::{SigningKey, TokenIssuer};
    /// let key = SigningKey::generate_ed25519("k1")?;
    /// assert!(TokenIssuer::builder(key).build().is_err(), "an issuer is required");
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::InvalidSetting`] without an issuer or with a zero lifetime;
    /// [`ConfigError::NoKeyFor`] when the [`encrypt_to`](Self::encrypt_to) key cannot
    /// serve its `alg` and `enc`.
    pub fn build(self) -> Result<TokenIssuer, ConfigError> {
        let iss = self.iss.ok_or(ConfigError::InvalidSetting("a TokenIssuer needs an issuer"))?;
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        if ttl == 0 {
            return Err(ConfigError::InvalidSetting("token lifetime must be positive"));
        }
        let mut ring = Ring {
            current: Arc::new(self.key),
            next: None,
            previous: Vec::new(),
            keyset: Arc::default(),
            stale_after: i64::MAX,
        };
        ring.rebuild(self.clock.now())?;
        if let Some((key, alg, enc)) = &self.encryption {
            key.check(*alg, *enc)?;
        }
        Ok(TokenIssuer {
            inner: Arc::new(IssuerInner {
                ring: RwLock::new(ring),
                iss,
                aud: self.aud,
                ttl,
                clock: self.clock,
                encryption: self.encryption,
            }),
        })
    }
}

impl TokenIssuer {
    /// Starts an issuer that signs with `key`.
    ///
    /// ```
    /// # use jwtguard_core::issuer::{SigningKey, TokenIssuer};
    /// let issuer = TokenIssuer::builder(SigningKey::generate_ed25519("k1")?).issuer("https://auth.example").build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn builder(key: SigningKey) -> TokenIssuerBuilder {
        TokenIssuerBuilder {
            key,
            iss: None,
            aud: Vec::new(),
            ttl: Duration::from_secs(900),
            clock: Arc::new(SystemClock),
            encryption: None,
        }
    }

    /// Signs an access token: `iss`, `aud`, `sub`, `iat`, `nbf`, `exp`, a random `jti`,
    /// `scope`, and the custom claims.
    ///
    /// ```
    /// # use jwtguard_core::issuer::{Issue, SigningKey, TokenIssuer};
    /// let issuer = TokenIssuer::builder(SigningKey::generate_ed25519("k1")?).issuer("https://auth.example").build()?;
    /// let issued = issuer.issue(&Issue::subject("alice").scope("orders:read").claim("tenant", "acme"))?;
    /// let unverified = jwtguard_core::dangerous::decode_unverified(&issued.token)?;
    /// assert_eq!(unverified.claims["tenant"], "acme");
    /// assert_eq!(unverified.claims["jti"], issued.jti.as_str());
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::KeysUnavailable`] when signing (or encrypting) fails.
    pub fn issue(&self, what: &Issue) -> Result<IssuedToken, Error> {
        let i = &*self.inner;
        let key = i.ring.read().unwrap_or_else(PoisonError::into_inner).current.clone();
        let now = i.clock.now();
        let exp = now.saturating_add(i.ttl);
        let mut id = [0u8; 16];
        backend::fill_random(&mut id)?;
        let jti = b64(&id);
        let mut claims = what.extra.clone();
        claims.insert("iss".into(), json!(i.iss));
        claims.insert("sub".into(), json!(what.sub));
        match i.aud.as_slice() {
            [] => {}
            [one] => {
                claims.insert("aud".into(), json!(one));
            }
            many => {
                claims.insert("aud".into(), json!(many));
            }
        }
        claims.insert("iat".into(), json!(now));
        claims.insert("nbf".into(), json!(now));
        claims.insert("exp".into(), json!(exp));
        claims.insert("jti".into(), json!(jti));
        if let Some(scope) = &what.scope {
            claims.insert("scope".into(), json!(scope));
        }
        let header = json!({"alg": key.alg.as_str(), "typ": "at+jwt", "kid": key.kid});
        let input =
            format!("{}.{}", b64(header.to_string().as_bytes()), b64(Value::Object(claims).to_string().as_bytes()));
        let signature = key.sign(input.as_bytes())?;
        let mut token = format!("{input}.{}", b64(&signature));
        if let Some((recipient, alg, enc)) = &i.encryption {
            token = recipient.seal(*alg, *enc, token.as_bytes())?;
        }
        Ok(IssuedToken { token, jti, exp, expires_in: i.ttl.unsigned_abs() })
    }

    /// The public keys to publish at `/.well-known/jwks.json`: the signing key, the next one
    /// (published before it signs) and retired ones whose tokens may still be valid.
    ///
    /// ```
    /// # use jwtguard_core::issuer::{SigningKey, TokenIssuer};
    /// let issuer = TokenIssuer::builder(SigningKey::generate_ed25519("k1")?).issuer("https://auth.example.com").build()?;
    /// issuer.prepare_next(SigningKey::generate_ed25519("k2")?)?;
    /// let kids: Vec<_> = issuer.jwks()["keys"].as_array().unwrap().iter().map(|k| k["kid"].clone()).collect();
    /// assert_eq!(kids, ["k1", "k2"]);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn jwks(&self) -> Value {
        let now = self.inner.clock.now();
        let keys: Vec<Value> = match self.inner.ring.read() {
            Ok(r) => std::iter::once(&r.current)
                .chain(&r.next)
                .chain(r.previous.iter().filter(|(_, until)| *until >= now).map(|(k, _)| k))
                .filter_map(|k| k.public.clone())
                .collect(),
            Err(_) => Vec::new(),
        };
        json!({ "keys": keys })
    }

    /// Publishes `key` as the next signing key. Call [`TokenIssuer::rotate`] once verifiers
    /// had time to fetch it (their JWKS refetch interval).
    ///
    /// ```
    /// # use jwtguard_core::issuer::{SigningKey, TokenIssuer};
    /// let issuer = TokenIssuer::builder(SigningKey::generate_ed25519("k1")?).issuer("https://auth.example").build()?;
    /// issuer.prepare_next(SigningKey::generate_ed25519("k2")?)?;
    /// assert!(issuer.prepare_next(SigningKey::generate_ed25519("k1")?).is_err(), "k1 is in use");
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::InvalidSetting`] when its `kid` is already in use.
    pub fn prepare_next(&self, key: SigningKey) -> Result<(), ConfigError> {
        let mut r = self.inner.ring.write().unwrap_or_else(PoisonError::into_inner);
        if r.current.kid == key.kid || r.previous.iter().any(|(k, _)| k.kid == key.kid) {
            return Err(ConfigError::InvalidSetting("kid already in use"));
        }
        r.next = Some(Arc::new(key));
        r.rebuild(self.inner.clock.now())
    }

    /// Starts signing with the prepared next key. The old key stays published until every
    /// token it signed has expired.
    ///
    /// ```
    /// # use jwtguard_core::issuer::{Issue, SigningKey, TokenIssuer};
    /// let issuer = TokenIssuer::builder(SigningKey::generate_ed25519("k1")?).issuer("https://auth.example.com").build()?;
    /// let old = issuer.issue(&Issue::subject("a"))?;
    /// issuer.prepare_next(SigningKey::generate_ed25519("k2")?)?;
    /// issuer.rotate()?;
    /// let new = issuer.issue(&Issue::subject("a"))?;
    /// assert!(new.token.starts_with("eyJ"));
    /// assert_eq!(issuer.jwks()["keys"].as_array().unwrap().len(), 2); // k2 signs, k1 still published
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::InvalidSetting`] when no next key was prepared.
    pub fn rotate(&self) -> Result<(), ConfigError> {
        let now = self.inner.clock.now();
        let mut r = self.inner.ring.write().unwrap_or_else(PoisonError::into_inner);
        let next = r.next.take().ok_or(ConfigError::InvalidSetting("no next key prepared"))?;
        let old = std::mem::replace(&mut r.current, next);
        // Until its last token expires, plus a default leeway for verifiers' clock skew.
        let until = now.saturating_add(self.inner.ttl).saturating_add(60);
        r.previous.push((old, until));
        r.rebuild(now)
    }

    /// Stops trusting the key `kid` at once, for a key that leaked: it leaves the JWKS and the
    /// key set of every validator that verifies with this issuer, and tokens it signed are
    /// refused from now on, however long they had left. The signing key itself cannot be
    /// retired: prepare a new one, [`rotate`](TokenIssuer::rotate), then retire the old one.
    ///
    /// ```
    /// # use jwtguard_core::issuer::{SigningKey, TokenIssuer};
    /// let issuer = TokenIssuer::builder(SigningKey::generate_ed25519("k1")?).issuer("https://auth.example").build()?;
    /// // k1 leaked: sign with k2 from now on and refuse everything k1 signed.
    /// issuer.prepare_next(SigningKey::generate_ed25519("k2")?)?;
    /// issuer.rotate()?;
    /// issuer.retire("k1")?;
    /// assert_eq!(issuer.jwks()["keys"].as_array().unwrap().len(), 1);
    /// assert!(issuer.retire("k2").is_err(), "k2 signs");
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::InvalidSetting`] when `kid` is the signing key or no key of the issuer.
    pub fn retire(&self, kid: &str) -> Result<(), ConfigError> {
        let now = self.inner.clock.now();
        let mut r = self.inner.ring.write().unwrap_or_else(PoisonError::into_inner);
        if r.current.kid == kid {
            return Err(ConfigError::InvalidSetting("the signing key cannot be retired: rotate first"));
        }
        let before = r.previous.len() + usize::from(r.next.is_some());
        r.previous.retain(|(k, _)| k.kid != kid);
        if r.next.as_ref().is_some_and(|k| k.kid == kid) {
            r.next = None;
        }
        if r.previous.len() + usize::from(r.next.is_some()) == before {
            return Err(ConfigError::InvalidSetting("no key of the issuer has this kid"));
        }
        r.rebuild(now)
    }

    /// The `iss` of the tokens.
    ///
    /// ```
    /// # use jwtguard_core::issuer::{SigningKey, TokenIssuer};
    /// let issuer = TokenIssuer::builder(SigningKey::generate_ed25519("k1")?).issuer("https://auth.example.com").build()?;
    /// assert_eq!(issuer.iss(), "https://auth.example.com");
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn iss(&self) -> &str {
        &self.inner.iss
    }
}

impl KeyProvider for TokenIssuer {
    /// The signing key, the next one and the rotated-out ones whose time is not over: checked
    /// against the clock on every read, so a key stops verifying the moment its time ends.
    fn keys(&self) -> Result<Arc<KeySet>, Error> {
        let now = self.inner.clock.now();
        {
            let r = self.inner.ring.read().unwrap_or_else(PoisonError::into_inner);
            if now <= r.stale_after {
                return Ok(r.keyset.clone());
            }
        }
        let mut r = self.inner.ring.write().unwrap_or_else(PoisonError::into_inner);
        if now > r.stale_after {
            r.rebuild(now).map_err(|e| Error::with_source(ErrorKind::KeysUnavailable, e))?;
        }
        Ok(r.keyset.clone())
    }

    fn refetch_unknown(&self) -> Option<RefetchFuture<'_>> {
        None
    }

    /// An HMAC signing key is this process's own secret, never published.
    fn allows_symmetric_keys(&self) -> bool {
        true
    }
}

impl From<TokenIssuer> for crate::provider::KeySource {
    fn from(issuer: TokenIssuer) -> Self {
        crate::provider::KeySource::provider(issuer)
    }
}
