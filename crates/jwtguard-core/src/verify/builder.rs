//! [`ValidatorBuilder`]: every option of a validator, checked once at start-up.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::cache::TokenCache;
use super::claims::Claim;
use super::clock::Clock;
use super::jwe::JweConfig;
use super::validator::{AlgSet, Kind, Policy, Rule, Validator};
use super::verified::TokenContext;
use crate::provider::KeySource;
use crate::revocation::RevocationStore;
use crate::{Algorithm, ConfigError, ContentEncryption, DecryptionKeys, KeyManagement};

/// Configures a [`Validator`]. Made by [`Validator::builder`].
///
/// ```
/// let builder = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]);
/// let validator = builder.issuer("https://idp.example").audience("api").build()?;
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[must_use]
pub struct ValidatorBuilder {
    pub(crate) keys: KeySource,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) issuers: Vec<String>,
    pub(crate) audiences: Vec<String>,
    pub(crate) required: Vec<Claim>,
    pub(crate) leeway: Duration,
    pub(crate) max_age: Option<Duration>,
    pub(crate) typ: Option<String>,
    pub(crate) max_size: usize,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rules: Vec<Rule>,
    pub(crate) revocation: Option<Arc<dyn RevocationStore>>,
    pub(crate) revocation_fail_open: bool,
    pub(crate) cache_bytes: u64,
    pub(crate) jwe: Option<JweConfig>,
    pub(crate) allow_unsigned_encrypted: bool,
}

impl fmt::Debug for ValidatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidatorBuilder")
            .field("keys", &self.keys)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
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

    /// The time source. Defaults to [`SystemClock`](crate::SystemClock).
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
    /// with [`ErrorKind::RuleFailed`](crate::ErrorKind::RuleFailed). Defaults to: no custom rules.
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

    /// Bounds the verified-token cache to `bytes` (token, claims JSON and about 256 bytes of
    /// bookkeeping per entry); `0` turns it off. Defaults to
    /// [`DEFAULT_CACHE_BYTES`](crate::DEFAULT_CACHE_BYTES) (8 MiB).
    ///
    /// A hit skips only the signature and the parse of the header and registered claims: the
    /// claims policy, custom rules, the revocation check and the claims type run on every hit,
    /// an entry matches only the exact same token bytes, and it stops matching when the key set
    /// changes (rotation, refetch, retired key). On by default because a client sends the same
    /// token for minutes, and an asymmetric signature costs 30–70 µs each time.
    ///
    /// ```
    /// let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256])
    ///     .cache_capacity(0) // no cache
    ///     .build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn cache_capacity(mut self, bytes: u64) -> Self {
        self.cache_bytes = bytes;
        self
    }

    /// Accepts encrypted tokens (JWE, nested JWT: signed, then encrypted) decrypted with these
    /// keys, when the JWE header's `alg` and `enc` are in these allow-lists; the inner signed
    /// token is then verified as any other, by the same keys and policy. Plain signed tokens are
    /// still accepted unless [`require_encryption`](Self::require_encryption) is set.
    ///
    /// Refused whatever the lists say: `RSA1_5` and `PBES2-*` (not offered), `zip`, unknown
    /// `crit`, an `epk` with private members, and an encrypted token whose content is not a
    /// signed JWT (`cty` other than `JWT`; see
    /// [`insecure_allow_unsigned_encrypted`](Self::insecure_allow_unsigned_encrypted)). Any failure to decrypt is
    /// [`ErrorKind::DecryptionFailed`](crate::ErrorKind::DecryptionFailed), whatever failed.
    /// The [size bound](Self::max_token_size) applies to the whole encrypted token: raise it if
    /// your nested tokens (about 1.4 times the signed token, plus the wrapped key) exceed 8 KiB.
    ///
    /// Defaults to: encrypted tokens are rejected.
    ///
    /// ```
    /// use jwtguard_core::{Algorithm, ContentEncryption, DecryptionKey, Key, KeyManagement, Validator};
    /// let validator = Validator::builder(Key::hmac([7u8; 32])?, [Algorithm::HS256])
    ///     .decrypt_with(
    ///         DecryptionKey::shared([9u8; 32])?,
    ///         [KeyManagement::A256Kw],
    ///         [ContentEncryption::A256Gcm, ContentEncryption::A128CbcHs256],
    ///     )
    ///     .build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn decrypt_with(
        mut self,
        keys: impl Into<DecryptionKeys>,
        key_management: impl IntoIterator<Item = KeyManagement>,
        content: impl IntoIterator<Item = ContentEncryption>,
    ) -> Self {
        let required = self.jwe.as_ref().is_some_and(|j| j.required);
        self.jwe = Some(JweConfig {
            keys: keys.into(),
            key_management: key_management.into_iter().collect(),
            content: content.into_iter().collect(),
            required,
            allow_unsigned: false,
        });
        self
    }

    /// Rejects plain signed tokens: only encrypted ones are accepted. Needs
    /// [`decrypt_with`](Self::decrypt_with). Defaults to: both are accepted once
    /// `decrypt_with` is set.
    ///
    /// ```
    /// use jwtguard_core::{Algorithm, ContentEncryption, DecryptionKey, ErrorKind, Key, KeyManagement, Validator};
    /// let validator = Validator::builder(Key::hmac(b"01234567890123456789012345678901")?, [Algorithm::HS256])
    ///     .decrypt_with(DecryptionKey::shared([9u8; 32])?, [KeyManagement::Dir], [ContentEncryption::A256Gcm])
    ///     .require_encryption()
    ///     .build()?;
    /// let plain = jwtguard_core::doc_support::TOKEN;
    /// assert_eq!(validator.verify::<serde_json::Value>(plain).unwrap_err().kind(), ErrorKind::AlgorithmNotAllowed);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn require_encryption(mut self) -> Self {
        match &mut self.jwe {
            Some(jwe) => jwe.required = true,
            None => {
                self.jwe = Some(JweConfig {
                    keys: DecryptionKeys::new(),
                    key_management: Vec::new(),
                    content: Vec::new(),
                    required: true,
                    allow_unsigned: false,
                })
            }
        }
        self
    }

    /// **Dangerous:** also accepts an encrypted token whose plaintext is the claims set itself,
    /// with no signature inside (a JWE without `cty`, RFC 7519 §5.2). Needs
    /// [`decrypt_with`](Self::decrypt_with). Defaults to: refused, only nested tokens (signed,
    /// then encrypted) are accepted.
    ///
    /// Encryption is not authentication: anyone who can encrypt to one of the decryption keys
    /// can then mint tokens with any claims. With `RSA-OAEP*` or `ECDH-ES*` that is anyone who
    /// holds the *public* encryption key, which is usually published. This only makes sense when
    /// the key-management algorithms allowed are `dir` or `A128KW`/`A256KW` with a shared key
    /// only trusted parties hold, or when every holder of the encryption key is a trusted sender.
    ///
    /// Such a token's claims go through the same policy as a nested token's (`exp`, `nbf`,
    /// `iat`, maximum age, `iss`, `aud`, required claims, rules, revocation); a configured
    /// [`typ`](Self::typ) is checked against the JWE header's. Its [`Header::alg`](crate::Header::alg)
    /// is `None`, so callers can tell it was not signed; [`Header::kid`](crate::Header::kid) and
    /// [`Header::typ`](crate::Header::typ) are the JWE header's. Nested tokens keep working,
    /// and a plain JWS still needs a valid signature (`alg: none` is never accepted).
    ///
    /// ```
    /// use jwtguard_core::{Algorithm, ContentEncryption, DecryptionKey, Key, KeyManagement, Validator};
    /// let validator = Validator::builder(Key::hmac([7u8; 32])?, [Algorithm::HS256])
    ///     .decrypt_with(DecryptionKey::shared([9u8; 32])?, [KeyManagement::A256Kw], [ContentEncryption::A256Gcm])
    ///     .insecure_allow_unsigned_encrypted()
    ///     .build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn insecure_allow_unsigned_encrypted(mut self) -> Self {
        self.allow_unsigned_encrypted = true;
        self
    }

    /// Builds the validator.
    ///
    /// # Errors
    /// [`ConfigError::NoAlgorithms`] for an empty allow-list, [`ConfigError::NoUsableKey`] for
    /// an empty key set, [`ConfigError::KeyAlgorithmMismatch`] when no key can verify one of the
    /// allowed algorithms, [`ConfigError::InvalidSetting`] for a leeway or maximum age beyond
    /// a year, a leeway beyond [`KEEP_AFTER_END`](crate::revocation::KEEP_AFTER_END) with a
    /// revocation store, or a zero size bound; for [`decrypt_with`](Self::decrypt_with), an empty allow-list or
    /// key set ([`ConfigError::InvalidSetting`]), an allowed key-management algorithm no key can
    /// serve ([`ConfigError::NoKeyFor`]), or a primitive the crypto backend lacks
    /// ([`ConfigError::BackendLacks`]); [`ConfigError::InvalidSetting`] for
    /// [`insecure_allow_unsigned_encrypted`](Self::insecure_allow_unsigned_encrypted) without
    /// `decrypt_with`.
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
        let mut jwe = self.jwe;
        if let Some(jwe) = &mut jwe {
            jwe.check()?;
            jwe.allow_unsigned = self.allow_unsigned_encrypted;
        } else if self.allow_unsigned_encrypted {
            return Err(ConfigError::InvalidSetting("insecure_allow_unsigned_encrypted needs decrypt_with"));
        }
        // A revocation is forgotten KEEP_AFTER_END past the token's end (every validator sharing
        // the store sweeps); a longer leeway would accept a revoked token again after that.
        if self.revocation.is_some() && self.leeway.as_secs() > crate::revocation::KEEP_AFTER_END.unsigned_abs() {
            return Err(ConfigError::InvalidSetting(
                "leeway beyond revocation::KEEP_AFTER_END (an hour) with a revocation store",
            ));
        }
        Ok(Validator {
            kind: Kind::Single(Arc::new(Policy {
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
                cache: (self.cache_bytes > 0).then(|| TokenCache::new(self.cache_bytes)),
                jwe,
            })),
        })
    }
}
