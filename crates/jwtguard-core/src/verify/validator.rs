//! [`Validator`]: one issuer's keys and policy, or several chosen by the token's `iss`
//! ([`Validator::multi_issuer`]). `verify` runs the size bound, the JWS checks (`jws.rs`), the
//! claims policy (`policy.rs`), the custom rules, the revocation check, then builds `T`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::builder::ValidatorBuilder;
use super::cache::{CacheStats, Entry, TokenCache};
use super::claims::{Claim, RegisteredClaims};
use super::clock::{Clock, SystemClock};
use super::header::Header;
use super::jwe::{Decrypted, JweConfig, is_jwe};
use super::jws::typ_matches;
use super::multi::ByIssuer;
use super::verified::{TokenContext, TokenInfo, Verified};
use crate::provider::KeySource;
use crate::revocation::RevocationStore;
use crate::{Algorithm, Error, ErrorKind};

pub(crate) type Rule = Box<dyn Fn(&TokenContext<'_>) -> bool + Send + Sync>;

/// A set of algorithms as a bit mask: membership is one AND on the hot path.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct AlgSet(pub(crate) u16);

impl AlgSet {
    pub(crate) fn contains(self, alg: Algorithm) -> bool {
        self.0 & (1 << alg as u16) != 0
    }
    pub(crate) fn insert(&mut self, alg: Algorithm) {
        self.0 |= 1 << alg as u16;
    }
    pub(crate) fn iter(self) -> impl Iterator<Item = Algorithm> {
        Algorithm::ALL.into_iter().filter(move |a| self.contains(*a))
    }
}

/// One issuer's keys and policy: what a single-issuer validator is, and what a multi-issuer
/// validator holds per issuer.
pub(crate) struct Policy {
    pub(crate) keys: KeySource,
    pub(crate) algorithms: AlgSet,
    pub(crate) issuers: Vec<String>,
    pub(crate) audiences: Vec<String>,
    pub(crate) required: Vec<Claim>,
    pub(crate) leeway: i64,
    pub(crate) max_age: Option<i64>,
    pub(crate) typ: Option<String>,
    pub(crate) max_size: usize,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rules: Vec<Rule>,
    pub(crate) revocation: Option<Arc<dyn RevocationStore>>,
    pub(crate) revocation_fail_open: bool,
    /// Verified tokens by their exact bytes; `None` when disabled.
    pub(crate) cache: Option<TokenCache>,
    pub(crate) jwe: Option<JweConfig>,
}

/// Verifies tokens. Cheap to clone (one `Arc`) and `Send + Sync`. With static keys a
/// verification takes no lock; a [`KeyProvider`](crate::provider::KeyProvider) (a remote JWKS,
/// an issuer) hands out its current keys under a read lock held for a pointer copy, and a
/// revocation store checks under a shared read lock.
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
    pub(crate) kind: Kind,
}

/// What a validator is: one policy, or one per issuer.
#[derive(Clone)]
pub(crate) enum Kind {
    Single(Arc<Policy>),
    ByIssuer(Arc<ByIssuer>),
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Single(policy) => policy.fmt(f),
            Kind::ByIssuer(by_issuer) => f.debug_struct("Validator").field("issuers", by_issuer).finish(),
        }
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = self;
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
            .field("jwe", &i.jwe)
            .finish()
    }
}

/// The default bound on a token's length, before any decoding.
///
/// ```
/// assert_eq!(jwtguard_core::DEFAULT_MAX_TOKEN_SIZE, 8192);
/// ```
pub const DEFAULT_MAX_TOKEN_SIZE: usize = 8 * 1024;

/// The default bound on the verified-token cache: 8 MiB, some 3,000 typical access tokens (an
/// entry weighs its token, its claims JSON and what its parsed claims are counted at).
///
/// ```
/// assert_eq!(jwtguard_core::DEFAULT_CACHE_BYTES, 8 << 20);
/// ```
pub const DEFAULT_CACHE_BYTES: u64 = 8 << 20;

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
            cache_bytes: DEFAULT_CACHE_BYTES,
            jwe: None,
            allow_unsigned_encrypted: false,
        }
    }

    /// Verifies `token` and deserializes its claims into `T`.
    ///
    /// An encrypted token (five segments) is first decrypted, when the validator was given
    /// decryption keys ([`ValidatorBuilder::decrypt_with`]), and its inner JWS then goes
    /// through the same steps. The steps, each failing with its own [`ErrorKind`]: size bound, three base64url
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
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<MyClaims>(token)?;
    /// assert_eq!(verified.claims().name, "Alice");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify<T: DeserializeOwned>(&self, token: &str) -> Result<Verified<T>, Error> {
        self.verify_with::<T, Parse>(token)
    }

    /// [`Validator::verify`], getting `T` on a cache hit as `K` says ([`Keep`] for the
    /// middleware, whose claims types are `Clone`).
    pub(crate) fn verify_with<T: DeserializeOwned, K: Typing<T>>(&self, token: &str) -> Result<Verified<T>, Error> {
        let (policy, routed) = self.policy_for(token)?;
        policy.verify_with::<T, K>(token, routed)
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
        let (policy, routed) = self.policy_for(token)?;
        match policy.verify(token, routed) {
            Err(e) if policy.needs_refetch(&e) => {
                if let KeySource::Provider(provider) = &policy.keys
                    && let Some(refetch) = provider.refetch_unknown()
                {
                    refetch.await?;
                    return policy.verify(token, routed);
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
    /// assert!(!validator.needs_refetch(&Error::new(ErrorKind::UnknownKey))); // static keys
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn needs_refetch(&self, error: &Error) -> bool {
        match &self.kind {
            Kind::Single(policy) => policy.needs_refetch(error),
            Kind::ByIssuer(by_issuer) => by_issuer.policies().any(|p| p.needs_refetch(error)),
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
        let all = match &self.kind {
            Kind::Single(policy) => policy.algorithms,
            Kind::ByIssuer(by_issuer) => AlgSet(by_issuer.policies().fold(0, |all, p| all | p.algorithms.0)),
        };
        all.iter()
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
        match &self.kind {
            Kind::Single(policy) => policy.clock.now(),
            Kind::ByIssuer(by_issuer) => by_issuer.now(),
        }
    }

    /// What the verified-token cache holds and has done, summed over the issuers of a
    /// multi-issuer validator; `None` when the cache is off.
    ///
    /// ```
    /// let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256])
    ///     .cache_capacity(0)
    ///     .build()?;
    /// assert!(validator.cache_stats().is_none());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn cache_stats(&self) -> Option<CacheStats> {
        let policies: Vec<&Policy> = match &self.kind {
            Kind::Single(policy) => vec![policy],
            Kind::ByIssuer(by_issuer) => by_issuer.policies().collect(),
        };
        policies.into_iter().filter_map(|p| p.cache.as_ref().map(TokenCache::stats)).reduce(|a, b| CacheStats {
            entries: a.entries + b.entries,
            bytes: a.bytes + b.bytes,
            capacity: a.capacity + b.capacity,
            hits: a.hits + b.hits,
            misses: a.misses + b.misses,
            evictions: a.evictions + b.evictions,
        })
    }

    /// The policy that decides `token`: the only one, or its issuer's; `true` when it was
    /// chosen by a multi-issuer validator (an encrypted token's inner `iss` is then checked
    /// against it before any key lookup).
    pub(crate) fn policy_for(&self, token: &str) -> Result<(&Policy, bool), Error> {
        match &self.kind {
            Kind::Single(policy) => Ok((policy, false)),
            Kind::ByIssuer(by_issuer) => Ok((by_issuer.route(token)?, true)),
        }
    }
}

/// How a verification gets the claims as `T` on a cache hit: parsed again from the entry's JSON
/// ([`Parse`], any `T`), or cloned from the `T` the entry keeps ([`Keep`], for the types the
/// middleware stores in request extensions, which are `Clone` anyway).
pub(crate) trait Typing<T> {
    /// The kept claims, when the entry holds a `T`.
    fn kept(entry: &Entry) -> Option<T>;
    /// Keeps `claims` in a new entry.
    fn keep(entry: &mut Entry, claims: &T);
}

/// Parses the claims on every verification.
pub(crate) struct Parse;

impl<T> Typing<T> for Parse {
    fn kept(_: &Entry) -> Option<T> {
        None
    }
    fn keep(_: &mut Entry, _: &T) {}
}

/// Keeps the first type's claims in the entry, and clones them on a hit by that type. The same
/// JSON always deserializes to the same `T`, so a clone is what parsing would give.
pub(crate) struct Keep;

impl<T: Clone + Send + Sync + 'static> Typing<T> for Keep {
    fn kept(entry: &Entry) -> Option<T> {
        entry.typed.as_ref()?.downcast_ref::<T>().cloned()
    }
    fn keep(entry: &mut Entry, claims: &T) {
        // The boxed value itself, and what hangs off it.
        let weight = std::mem::size_of::<T>() as u64 + super::cache::kept_weight(entry.payload());
        // Claims that would make the entry too heavy for a shard are not kept: the entry is
        // cached without them and a hit parses the JSON, as `Parse` does.
        if weight <= super::cache::MAX_KEPT_WEIGHT {
            entry.typed = Some(Box::new(claims.clone()));
            entry.typed_weight = weight;
        }
    }
}

impl Policy {
    /// Verifies `token` under this policy; `routed`: chosen by a multi-issuer validator.
    pub(crate) fn verify<T: DeserializeOwned>(&self, token: &str, routed: bool) -> Result<Verified<T>, Error> {
        self.verify_with::<T, Parse>(token, routed)
    }

    /// [`Policy::verify`], getting `T` on a cache hit as `K` says.
    pub(crate) fn verify_with<T: DeserializeOwned, K: Typing<T>>(
        &self,
        token: &str,
        routed: bool,
    ) -> Result<Verified<T>, Error> {
        if !crate::telemetry::TIMED {
            return self.verify_untimed::<T, K>(token, routed);
        }
        let start = std::time::Instant::now();
        let verified = self.verify_untimed::<T, K>(token, routed)?;
        // Timed by signature algorithm: an unsigned encrypted token (the opt-in) has none.
        if let Some(alg) = verified.header().alg() {
            crate::telemetry::verified(alg, start.elapsed().as_secs_f64());
        }
        Ok(verified)
    }

    fn verify_untimed<T: DeserializeOwned, K: Typing<T>>(
        &self,
        token: &str,
        routed: bool,
    ) -> Result<Verified<T>, Error> {
        let i = self;
        if token.len() > i.max_size {
            return Err(Error::new(ErrorKind::TooLarge));
        }
        // Without decryption configured, five segments are just a malformed JWS.
        let encrypted = i.jwe.is_some() && is_jwe(token);
        if !encrypted && i.jwe.as_ref().is_some_and(|j| j.required) {
            return Err(Error::detailed(ErrorKind::AlgorithmNotAllowed, "plain JWS where encryption is required"));
        }
        // The cache is keyed by the token as sent (encrypted or not): decryption keys are fixed
        // when the validator is built, and the entry keeps the header with its encryption.
        if let Some(cache) = &self.cache
            && let Some(entry) = cache.get(token)
            && entry.keys_current(|| self.current_keys())?
        {
            // The JWS half was checked when the entry was made; everything that depends on the
            // time or on state runs again (cache.rs).
            cache.count(true);
            self.admit(&entry.info)?;
            let claims = match K::kept(&entry) {
                Some(claims) => claims,
                None => typed(entry.payload())?,
            };
            return Ok(Verified { info: entry.info.clone(), claims });
        }
        if let Some(cache) = &self.cache {
            cache.count(false);
        }
        let (header, payload, keys) = if encrypted {
            let decrypted = self.decrypt(token)?;
            if decrypted.nested {
                let inner = std::str::from_utf8(&decrypted.inner)
                    .map_err(|_| Error::detailed(ErrorKind::Malformed, "nested token is not UTF-8"))?;
                if routed {
                    // Routed by the JWE kid: the inner token must be this issuer's (multi.rs).
                    self.check_routed_iss(inner)?;
                }
                let mut jws = self.verify_jws(inner)?;
                jws.header.encryption = Some(decrypted.encryption);
                let keys = jws.keys.clone();
                let (header, payload) = jws.into_parts();
                (header, payload, keys)
            } else {
                // The opt-in (`decrypt` refuses this otherwise): the plaintext is the claims set,
                // and no signature vouches for it. The header says so with `alg: None`.
                self.unsigned_header(&decrypted)?;
                let header = Header {
                    alg: None,
                    kid: decrypted.kid,
                    typ: decrypted.typ,
                    encryption: Some(decrypted.encryption),
                };
                // No signing key was used, so the entry depends on none.
                (header, decrypted.inner.to_vec(), None)
            }
        } else {
            let jws = self.verify_jws(token)?;
            let keys = jws.keys.clone();
            let (header, payload) = jws.into_parts();
            (header, payload, keys)
        };
        // UTF-8 is checked once here; `from_str` then skips the check per string.
        let payload =
            String::from_utf8(payload).map_err(|_| Error::detailed(ErrorKind::Malformed, "claims set is not UTF-8"))?;
        // One pass fills both the registered claims and `T`; when it cannot, the strict way (the
        // registered claims, then `T`) decides, and says why (one_pass.rs).
        // The registered claims keep the payload either way (their `json`).
        let (registered, claims) = match super::one_pass::parse::<T>(payload) {
            Ok((registered, claims)) => (registered, Some(claims)),
            Err(payload) => {
                let mut registered = registered(&payload)?;
                registered.json = payload;
                (registered, None)
            }
        };
        let info = TokenInfo { inner: Arc::new((header, registered)) };
        self.admit(&info)?;
        let claims = match claims {
            Some(claims) => claims,
            None => typed(&info.registered().json)?,
        };
        if let Some(cache) = &self.cache {
            let mut entry = Entry { info: info.clone(), keys, typed: None, typed_weight: 0 };
            K::keep(&mut entry, &claims);
            cache.insert(token, entry);
        }
        Ok(Verified { info, claims })
    }

    /// The header checks an unsigned encrypted token gets in place of the JWS ones: the
    /// configured `typ`, against the JWE header's.
    fn unsigned_header(&self, decrypted: &Decrypted) -> Result<(), Error> {
        if let Some(want) = &self.typ
            && !decrypted.typ.as_deref().is_some_and(|t| typ_matches(t, want))
        {
            return Err(Error::new(ErrorKind::WrongType));
        }
        Ok(())
    }

    /// The provider's current key set (what a cache entry must have been verified with), or
    /// `None` for static keys.
    fn current_keys(&self) -> Result<Option<Arc<crate::KeySet>>, Error> {
        match &self.keys {
            KeySource::Static(_) => Ok(None),
            KeySource::Provider(provider) => provider.keys().map(Some),
        }
    }

    /// Every check that depends on the time or on state: the claims policy, the custom rules,
    /// the revocation check. Runs on every verification, cached or not.
    fn admit(&self, info: &TokenInfo) -> Result<(), Error> {
        let i = self;
        let registered = info.registered();
        let payload = &registered.json;
        self.check_claims(registered)?;
        if !i.rules.is_empty() {
            let ctx = TokenContext { header: info.header(), registered, payload: payload.as_bytes() };
            if !i.rules.iter().all(|rule| rule(&ctx)) {
                return Err(Error::new(ErrorKind::RuleFailed));
            }
        }
        if let Some(store) = &i.revocation {
            // Tokens are accepted until exp + leeway, so their revocations must hold as long: the
            // store compares an entry's end (a token's exp) with the time minus the leeway.
            match store.is_revoked(registered, i.clock.now().saturating_sub(i.leeway)) {
                Ok(false) => {}
                Ok(true) => return Err(Error::new(ErrorKind::Revoked)),
                // The documented opt-in: the revocation check alone fails open.
                Err(_) if i.revocation_fail_open => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// `true` when `error` may go away after a refetch of this policy's keys.
    fn needs_refetch(&self, error: &Error) -> bool {
        error.kind() == ErrorKind::UnknownKey && self.keys.is_dynamic()
    }
}

/// The registered claims, strictly.
fn registered(payload: &str) -> Result<RegisteredClaims, Error> {
    serde_json::from_str(payload)
        .map_err(|_| Error::detailed(ErrorKind::Malformed, "claims set is not a strict JSON object"))
}

/// The claims as the caller's type.
fn typed<T: DeserializeOwned>(payload: &str) -> Result<T, Error> {
    serde_json::from_str(payload)
        .map_err(|_| Error::detailed(ErrorKind::Malformed, "claims do not match the expected type"))
}
