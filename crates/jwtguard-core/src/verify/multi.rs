//! Several issuers behind one [`Validator`]: the token's unverified `iss` picks the policy,
//! before any key lookup.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::claims::IssOnly;
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
    /// # Errors
    /// [`ConfigError::InvalidSetting`] when a validator does not accept exactly one issuer, two
    /// accept the same one, one decrypts tokens ([`decrypt_with`](crate::ValidatorBuilder::decrypt_with):
    /// routing reads the `iss` an encrypted token hides), or the list is empty.
    pub fn multi_issuer(validators: impl IntoIterator<Item = Validator>) -> Result<Validator, ConfigError> {
        let mut by_issuer = BTreeMap::new();
        for v in validators {
            let policies: Vec<Arc<Policy>> = match v.kind {
                Kind::Single(policy) => vec![policy],
                Kind::ByIssuer(nested) => nested.by_issuer.values().cloned().collect(),
            };
            for policy in policies {
                if policy.jwe.is_some() {
                    // Routing reads the claims' `iss`, which an encrypted token hides.
                    return Err(ConfigError::InvalidSetting(
                        "multi_issuer cannot route encrypted tokens (decrypt_with)",
                    ));
                }
                let [iss] = policy.issuers.as_slice() else {
                    return Err(ConfigError::InvalidSetting("each validator of multi_issuer needs exactly one issuer"));
                };
                if by_issuer.insert(iss.clone(), policy.clone()).is_some() {
                    return Err(ConfigError::InvalidSetting("two validators of multi_issuer accept the same issuer"));
                }
            }
        }
        // The size bound before routing: the largest any issuer accepts.
        let max_size = by_issuer.values().map(|p| p.max_size).max();
        let max_size = max_size.ok_or(ConfigError::InvalidSetting("multi_issuer needs a validator"))?;
        Ok(Validator { kind: Kind::ByIssuer(Arc::new(ByIssuer { by_issuer, max_size })) })
    }
}

/// The policy of each issuer, by `iss`.
pub(crate) struct ByIssuer {
    by_issuer: BTreeMap<String, Arc<Policy>>,
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

    /// For a multi-issuer validator, the validator of the token's (unverified) issuer.
    pub(crate) fn route(&self, token: &str) -> Result<&Policy, Error> {
        if token.len() > self.max_size {
            return Err(Error::new(ErrorKind::TooLarge));
        }
        let malformed = |detail| Error::detailed(ErrorKind::Malformed, detail);
        let p64 = token.split('.').nth(1).ok_or(malformed("not three dot-separated segments"))?;
        let payload = URL_SAFE_NO_PAD.decode(p64).map_err(|_| malformed("payload is not base64url"))?;
        let IssOnly(iss) =
            serde_json::from_slice(&payload).map_err(|_| malformed("claims set is not a strict JSON object"))?;
        let iss = iss.ok_or(Error::detailed(ErrorKind::MissingClaim, "iss"))?;
        self.by_issuer.get(&*iss).map(|p| &**p).ok_or(Error::new(ErrorKind::WrongIssuer))
    }
}
