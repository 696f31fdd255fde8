//! [`KeySet`]: the keys a validator verifies with, from JWKS documents or built by hand.

use std::path::Path;

use serde::Deserialize;

use super::Key;
use super::jwk::Jwk;
use super::pem::read;
use crate::backend::Verifier;
use crate::{Algorithm, ConfigError, KeyKind};

/// A key the JWKS held but jwtguard cannot use, and why.
///
/// ```
/// let keys = jwtguard_core::KeySet::from_jwks(r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"a","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},{"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"}]}"#)?;
/// let skipped = &keys.skipped()[0];
/// assert_eq!(skipped.kid.as_deref(), Some("enc"));
/// println!("skipped: {}", skipped.reason);
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[derive(Debug)]
pub struct SkippedKey {
    /// Its `kid`, if it had one.
    pub kid: Option<String>,
    /// Why it was skipped.
    pub reason: ConfigError,
}

/// A set of verification keys. Keys are matched by `kid` when the token has one (a key
/// without a `kid` matches any); without a `kid`, every key whose kind fits the token's `alg`
/// is tried.
///
/// ```
/// use jwtguard_core::{Key, KeySet};
/// let keys = KeySet::from(Key::hmac([7u8; 32])?.with_kid("k1"));
/// assert_eq!(keys.len(), 1);
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[derive(Debug, Default)]
pub struct KeySet {
    keys: Vec<Key>,
    skipped: Vec<SkippedKey>,
}

impl From<Key> for KeySet {
    fn from(key: Key) -> Self {
        KeySet { keys: vec![key], skipped: Vec::new() }
    }
}

impl FromIterator<Key> for KeySet {
    fn from_iter<I: IntoIterator<Item = Key>>(iter: I) -> Self {
        KeySet { keys: iter.into_iter().collect(), skipped: Vec::new() }
    }
}

impl KeySet {
    /// An empty set.
    ///
    /// ```
    /// let keys = jwtguard_core::KeySet::new().with(jwtguard_core::Key::hmac([7u8; 32])?);
    /// assert_eq!(keys.len(), 1);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn new() -> Self {
        KeySet::default()
    }

    /// Adds a key.
    ///
    /// ```
    /// use jwtguard_core::{Key, KeySet};
    /// let keys = KeySet::new().with(Key::hmac([1u8; 32])?.with_kid("old")).with(Key::hmac([2u8; 32])?.with_kid("new"));
    /// assert_eq!(keys.len(), 2);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn with(mut self, key: Key) -> Self {
        self.keys.push(key);
        self
    }

    /// Parses a JWKS document (RFC 7517 §5). Keys jwtguard cannot use (`use: enc`, an unknown
    /// `kty`, bad parameters) are skipped and listed in [`KeySet::skipped`]; the others serve.
    ///
    /// ```
    /// let jwks = r#"{"keys":[
    ///   {"kty":"EC","crv":"P-256","kid":"sig","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
    ///   {"kty":"EC","crv":"P-256","kid":"enc","use":"enc","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
    /// ]}"#;
    /// let keys = jwtguard_core::KeySet::from_jwks(jwks)?;
    /// assert_eq!(keys.len(), 1);
    /// assert_eq!(keys.skipped()[0].kid.as_deref(), Some("enc"));
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::InvalidJwks`] when the document is not a JWKS, and
    /// [`ConfigError::NoUsableKey`] when none of its keys can be used.
    pub fn from_jwks(json: &str) -> Result<KeySet, ConfigError> {
        #[derive(Deserialize)]
        struct Doc {
            keys: Vec<serde_json::Value>,
        }
        let doc: Doc = serde_json::from_str(json)
            .map_err(|_| ConfigError::InvalidJwks("not a JSON object with a `keys` array"))?;
        let mut set = KeySet::new();
        for value in doc.keys {
            let kid = value.get("kid").and_then(|k| k.as_str()).map(str::to_owned);
            let parsed = serde_json::from_value::<Jwk>(value)
                .map_err(|_| ConfigError::InvalidJwks("JWK is not a JSON object of strings"))
                .and_then(Jwk::into_key);
            match parsed {
                Ok(key) => set.keys.push(key),
                Err(reason) => set.skipped.push(SkippedKey { kid, reason }),
            }
        }
        if set.keys.is_empty() {
            return Err(ConfigError::NoUsableKey);
        }
        Ok(set)
    }

    /// Reads a JWKS document from a file; see [`KeySet::from_jwks`].
    ///
    /// # Errors
    /// [`ConfigError::Io`] when the file cannot be read, else as [`KeySet::from_jwks`].
    ///
    /// ```
    /// let err = jwtguard_core::KeySet::from_jwks_file("/nonexistent/jwks.json").unwrap_err();
    /// assert!(matches!(err, jwtguard_core::ConfigError::Io { .. }));
    /// ```
    pub fn from_jwks_file(path: impl AsRef<Path>) -> Result<KeySet, ConfigError> {
        let bytes = read(path.as_ref())?;
        let text = std::str::from_utf8(&bytes).map_err(|_| ConfigError::InvalidJwks("not UTF-8"))?;
        KeySet::from_jwks(text)
    }

    /// The number of usable keys.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::KeySet::from_jwks(r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"a","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},{"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"}]}"#)?.len(), 1);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// `true` when the set holds no usable key.
    ///
    /// ```
    /// assert!(jwtguard_core::KeySet::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The usable keys.
    ///
    /// ```
    /// let keys = jwtguard_core::KeySet::from_jwks(r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"a","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},{"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"}]}"#)?;
    /// assert_eq!(keys.keys()[0].kid(), Some("a"));
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// The keys of the JWKS that were skipped, with the reason.
    ///
    /// ```
    /// let keys = jwtguard_core::KeySet::from_jwks(r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"a","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},{"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"}]}"#)?;
    /// assert_eq!(keys.skipped().len(), 1);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn skipped(&self) -> &[SkippedKey] {
        &self.skipped
    }

    /// The same set without its symmetric (HMAC) keys, which move to [`KeySet::skipped`] with
    /// [`ConfigError::SymmetricKeyRefused`]: what a remote key set does unless the application
    /// opts in, since anyone who can read a published `oct` key can forge tokens with it.
    ///
    /// ```
    /// use jwtguard_core::{ConfigError, Key, KeySet};
    /// let jwks = r#"{"keys":[{"kty":"oct","kid":"h","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
    ///   {"kty":"EC","crv":"P-256","kid":"e","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;
    /// let keys = KeySet::from_jwks(jwks)?.without_symmetric_keys();
    /// assert_eq!(keys.len(), 1);
    /// assert!(matches!(keys.skipped()[0].reason, ConfigError::SymmetricKeyRefused));
    /// # Ok::<_, ConfigError>(())
    /// ```
    #[must_use]
    pub fn without_symmetric_keys(mut self) -> KeySet {
        let (symmetric, keys): (Vec<Key>, Vec<Key>) =
            std::mem::take(&mut self.keys).into_iter().partition(|k| k.kind == KeyKind::Hmac);
        self.keys = keys;
        self.skipped
            .extend(symmetric.into_iter().map(|k| SkippedKey { kid: k.kid, reason: ConfigError::SymmetricKeyRefused }));
        self
    }

    /// The verifiers that may check a token with this `kid` and `alg`.
    pub(crate) fn candidates<'a>(
        &'a self,
        kid: Option<&'a str>,
        alg: Algorithm,
    ) -> impl Iterator<Item = &'a Verifier> + 'a {
        self.keys
            .iter()
            .filter(move |k| match kid {
                // A key without a kid stands for any kid (a PEM key, say).
                Some(kid) => k.kid.as_deref().is_none_or(|k| k == kid),
                None => true,
            })
            .filter_map(move |k| k.verifier(alg))
    }
}
