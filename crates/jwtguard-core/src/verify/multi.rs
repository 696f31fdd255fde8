//! Several issuers behind one [`Validator`]: the token's unverified `iss` picks the policy,
//! before any key lookup; an encrypted token's JWE `kid` picks the policy that decrypts it, and
//! its inner `iss` must then name that policy's issuer.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::claims::IssOnly;
use super::json::check_strict;
use super::jwe::is_jwe;
use super::validator::{Kind, Policy, Validator};
use crate::{ConfigError, Error, ErrorKind};

impl Validator {
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
    /// # Encrypted tokens
    ///
    /// An encrypted token hides its `iss`, so it is routed in two steps. First by the `kid` of
    /// its JWE header, to the one validator whose decryption keys
    /// ([`decrypt_with`](crate::ValidatorBuilder::decrypt_with)) hold that kid; that validator
    /// decrypts it with its own keys and allow-lists. Then the inner signed token is routed by
    /// its `iss` as a plain token is, before any key lookup: it must name that same validator's
    /// issuer, else it is [`ErrorKind::WrongIssuer`] (a token encrypted to one issuer's key cannot
    /// borrow another issuer's policy, and an unknown issuer still never causes a key fetch).
    /// The inner token is then verified with that issuer's policy. A JWE `kid` that no
    /// validator holds, or none at all, is [`ErrorKind::UnknownKey`].
    ///
    /// This is sound only when a kid names one validator, so every decryption key of every
    /// validator needs a kid, and no kid may appear in two validators; one decryption key shared
    /// by several issuers therefore needs a kid per issuer (or separate validators). A plain JWS
    /// for an issuer that [requires encryption](crate::ValidatorBuilder::require_encryption) is
    /// refused by that issuer's policy as it would be alone.
    ///
    /// ```
    /// use jwtguard_core::{Algorithm, ContentEncryption, DecryptionKey, Key, KeyManagement, Validator};
    ///
    /// let a = Validator::builder(Key::hmac([1u8; 32])?, [Algorithm::HS256])
    ///     .issuer("https://a.example")
    ///     .decrypt_with(DecryptionKey::shared([3u8; 32])?.with_kid("enc-a"), [KeyManagement::A256Kw], [ContentEncryption::A256Gcm])
    ///     .build()?;
    /// let b = Validator::builder(Key::hmac([2u8; 32])?, [Algorithm::HS256]).issuer("https://b.example").build()?;
    /// let both = Validator::multi_issuer([a, b])?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::InvalidSetting`] when a validator does not accept exactly one issuer, two
    /// accept the same one, a validator that decrypts has a decryption key without a kid, two
    /// validators hold a decryption key with the same kid, or the list is empty.
    pub fn multi_issuer(validators: impl IntoIterator<Item = Validator>) -> Result<Validator, ConfigError> {
        let mut by_issuer = BTreeMap::new();
        let mut by_kid = BTreeMap::new();
        for v in validators {
            let policies: Vec<Arc<Policy>> = match v.kind {
                Kind::Single(policy) => vec![policy],
                Kind::ByIssuer(nested) => nested.by_issuer.values().cloned().collect(),
            };
            for policy in policies {
                let [iss] = policy.issuers.as_slice() else {
                    return Err(ConfigError::InvalidSetting("each validator of multi_issuer needs exactly one issuer"));
                };
                if let Some(jwe) = &policy.jwe {
                    // Encrypted tokens are routed by the JWE kid: it must name one validator.
                    for key in &jwe.keys.keys {
                        let kid = key.kid().ok_or(ConfigError::InvalidSetting(
                            "multi_issuer routes encrypted tokens by kid: every decryption key needs a kid",
                        ))?;
                        // Two keys of one validator may share a kid (an RSA and an EC key, say):
                        // the kid still names one validator.
                        if by_kid.insert(kid.to_owned(), policy.clone()).is_some_and(|o| !Arc::ptr_eq(&o, &policy)) {
                            return Err(ConfigError::InvalidSetting(
                                "two validators of multi_issuer hold a decryption key with the same kid",
                            ));
                        }
                    }
                }
                if by_issuer.insert(iss.clone(), policy.clone()).is_some() {
                    return Err(ConfigError::InvalidSetting("two validators of multi_issuer accept the same issuer"));
                }
            }
        }
        // The size bound before routing: the largest any issuer accepts.
        let max_size = by_issuer.values().map(|p| p.max_size).max();
        let max_size = max_size.ok_or(ConfigError::InvalidSetting("multi_issuer needs a validator"))?;
        Ok(Validator { kind: Kind::ByIssuer(Arc::new(ByIssuer { by_issuer, by_kid, max_size })) })
    }
}

/// The policy of each issuer, by `iss`, and of each decrypting issuer, by decryption key id.
pub(crate) struct ByIssuer {
    by_issuer: BTreeMap<String, Arc<Policy>>,
    by_kid: BTreeMap<String, Arc<Policy>>,
    max_size: usize,
}

impl std::fmt::Debug for ByIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(&self.by_issuer).finish()
    }
}

impl ByIssuer {
    pub(crate) fn policies(&self) -> impl Iterator<Item = &Policy> {
        self.by_issuer.values().map(|p| &**p)
    }

    /// The clock of the first issuer's policy (they normally share one).
    pub(crate) fn now(&self) -> i64 {
        self.policies().next().map_or(0, |p| p.clock.now())
    }

    /// For a multi-issuer validator, the validator of the token's (unverified) issuer, or for
    /// an encrypted token the one holding its JWE `kid` (its inner `iss` is checked once
    /// decrypted, by [`Policy::check_routed_iss`]).
    pub(crate) fn route(&self, token: &str) -> Result<&Policy, Error> {
        if token.len() > self.max_size {
            return Err(Error::new(ErrorKind::TooLarge));
        }
        if !self.by_kid.is_empty() && is_jwe(token) {
            let kid = jwe_kid(token)?.ok_or(Error::detailed(ErrorKind::UnknownKey, "encrypted token without a kid"))?;
            return self.by_kid.get(&*kid).map(|p| &**p).ok_or(Error::new(ErrorKind::UnknownKey));
        }
        let iss = unverified_iss(token)?;
        self.by_issuer.get(&*iss).map(|p| &**p).ok_or(Error::new(ErrorKind::WrongIssuer))
    }
}

/// The unverified `iss` of a compact JWS (read strictly, nothing else decoded).
fn unverified_iss(token: &str) -> Result<Cow<'static, str>, Error> {
    let malformed = |detail| Error::detailed(ErrorKind::Malformed, detail);
    let p64 = token.split('.').nth(1).ok_or(malformed("not three dot-separated segments"))?;
    let payload = URL_SAFE_NO_PAD.decode(p64).map_err(|_| malformed("payload is not base64url"))?;
    let IssOnly(iss) =
        serde_json::from_slice(&payload).map_err(|_| malformed("claims set is not a strict JSON object"))?;
    let iss = iss.ok_or(Error::detailed(ErrorKind::MissingClaim, "iss"))?;
    Ok(Cow::Owned(iss.into_owned()))
}

/// The `kid` of a compact JWE's protected header, read strictly before anything is decrypted.
fn jwe_kid(token: &str) -> Result<Option<String>, Error> {
    #[derive(serde::Deserialize)]
    struct KidOnly {
        kid: Option<String>,
    }
    let malformed = |detail| Error::detailed(ErrorKind::Malformed, detail);
    let h64 = token.split('.').next().unwrap_or_default();
    let header = URL_SAFE_NO_PAD.decode(h64).map_err(|_| malformed("header is not base64url"))?;
    if !check_strict(&header) {
        return Err(malformed("header is not a strict JSON object"));
    }
    let KidOnly { kid } =
        serde_json::from_slice(&header).map_err(|_| malformed("header is not a strict JSON object"))?;
    Ok(kid)
}

impl Policy {
    /// For a token routed to this policy by its JWE kid: the decrypted inner JWS must name this
    /// policy's issuer, checked before any key lookup so that another issuer's token neither
    /// borrows this policy nor causes a key fetch.
    pub(crate) fn check_routed_iss(&self, inner: &str) -> Result<(), Error> {
        let iss = unverified_iss(inner)?;
        if self.issuers.iter().any(|i| *i == *iss) { Ok(()) } else { Err(Error::new(ErrorKind::WrongIssuer)) }
    }
}
