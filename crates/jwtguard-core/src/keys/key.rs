//! Verification keys: HMAC secrets, PEM public keys and certificates, single JWKs.
//!
//! A [`Key`] knows its [`KeyKind`], and the kind alone decides which algorithms it may verify:
//! an RSA/EC/OKP key can never be used as an HMAC secret, whatever the token's header says.

use std::fmt;
use std::path::Path;

use zeroize::Zeroizing;

use super::jwk::Jwk;
use super::pem::read;
use crate::backend::{Material, Verifier};
use crate::{Algorithm, ConfigError, KeyKind};

/// One verification key with its prepared verifiers.
///
/// ```
/// use jwtguard_core::{Algorithm, Key, KeyKind};
///
/// let key = Key::hmac(b"a secret of at least thirty-two bytes!")?.with_kid("k1");
/// assert_eq!(key.kind(), KeyKind::Hmac);
/// assert_eq!(key.kid(), Some("k1"));
/// assert!(key.algorithms().any(|a| a == Algorithm::HS256));
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
pub struct Key {
    pub(crate) kid: Option<String>,
    pub(crate) kind: KeyKind,
    verifiers: Vec<Verifier>,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .field("kind", &self.kind)
            .field("algorithms", &self.algorithms().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Key {
    pub(crate) fn from_material(material: Material, only: Option<Algorithm>) -> Result<Key, ConfigError> {
        let kind = material.kind();
        let algs: Vec<Algorithm> = match (only, &material) {
            (Some(alg), _) if alg.key_kind() != kind => return Err(ConfigError::KeyAlgorithmMismatch { kind, alg }),
            (Some(alg), _) => vec![alg],
            // A secret serves the HS algorithms whose hash is no longer than it (RFC 7518 §3.2).
            (None, Material::Hmac(k)) => {
                crate::backend::check_secret(Algorithm::HS256, k.len())?;
                kind.algorithms().iter().copied().filter(|a| k.len() >= a.min_secret_len()).collect()
            }
            (None, _) => kind.algorithms().to_vec(),
        };
        let verifiers = algs.into_iter().map(|a| Verifier::new(a, &material)).collect::<Result<_, _>>()?;
        Ok(Key { kid: None, kind, verifiers })
    }

    /// An HMAC secret. It serves each of HS256, HS384 and HS512 whose hash it is at least as
    /// long as (32, 48 and 64 bytes, RFC 7518 §3.2); shorter than 32 bytes, it is refused.
    ///
    /// # Errors
    /// [`ConfigError::WeakSecret`] for a shorter secret.
    ///
    /// ```
    /// let key = jwtguard_core::Key::hmac(b"at least thirty-two bytes of secret!!")?;
    /// assert!(jwtguard_core::Key::hmac(b"short").is_err());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn hmac(secret: impl AsRef<[u8]>) -> Result<Key, ConfigError> {
        Key::from_material(Material::Hmac(Zeroizing::new(secret.as_ref().to_vec())), None)
    }

    /// A public key from PEM: `PUBLIC KEY` (SPKI: RSA, EC P-256/384/521, Ed25519),
    /// `RSA PUBLIC KEY` (PKCS#1) or `CERTIFICATE` (X.509; its subject public key is used, the
    /// certificate itself is not validated).
    ///
    /// ```
    /// # let pem = std::fs::read("../jwtguard-test/keys/p256.pub.pem").unwrap();
    /// let key = jwtguard_core::Key::from_pem(&pem)?;
    /// assert_eq!(key.kind(), jwtguard_core::KeyKind::EcP256);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::InvalidKey`] or [`ConfigError::UnsupportedKey`]; a private key is refused.
    pub fn from_pem(pem: impl AsRef<[u8]>) -> Result<Key, ConfigError> {
        let material = super::pem::public_material(pem.as_ref())?;
        Key::from_material(material, None)
    }

    /// A public key from a PEM file; see [`Key::from_pem`].
    ///
    /// # Errors
    /// [`ConfigError::Io`] when the file cannot be read, else as [`Key::from_pem`].
    ///
    /// ```
    /// let key = jwtguard_core::Key::from_pem_file("../jwtguard-test/keys/rsa.cert.pem")?;
    /// assert_eq!(key.kind(), jwtguard_core::KeyKind::Rsa);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Key, ConfigError> {
        Key::from_pem(read(path.as_ref())?)
    }

    /// A single JWK (RFC 7517). Its `kid` is kept; its `alg`, `use` and `key_ops`, when present,
    /// must allow signature verification, and `alg` restricts the key to that algorithm.
    ///
    /// ```
    /// let key = jwtguard_core::Key::from_jwk(r#"{"kty":"EC","crv":"P-256","kid":"a",
    ///   "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    ///   "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#)?;
    /// assert_eq!(key.kid(), Some("a"));
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// A [`ConfigError`] that says what is wrong with the JWK.
    pub fn from_jwk(json: &str) -> Result<Key, ConfigError> {
        let raw: Jwk =
            serde_json::from_str(json).map_err(|_| ConfigError::InvalidJwks("JWK is not a JSON object of strings"))?;
        raw.into_key()
    }

    /// Sets the key id matched against the token's `kid`.
    ///
    /// ```
    /// let key = jwtguard_core::Key::hmac([7u8; 32])?.with_kid("2024-01");
    /// assert_eq!(key.kid(), Some("2024-01"));
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn with_kid(mut self, kid: impl Into<String>) -> Key {
        self.kid = Some(kid.into());
        self
    }

    /// Restricts the key to one algorithm.
    ///
    /// # Errors
    /// [`ConfigError::KeyAlgorithmMismatch`] when the key cannot verify `alg`: another kind of
    /// key, or a secret shorter than `alg`'s hash.
    ///
    /// ```
    /// use jwtguard_core::{Algorithm, Key};
    /// let key = Key::hmac([7u8; 64])?.with_algorithm(Algorithm::HS512)?;
    /// assert_eq!(key.algorithms().collect::<Vec<_>>(), [Algorithm::HS512]);
    /// assert!(Key::hmac([7u8; 32])?.with_algorithm(Algorithm::HS512).is_err(), "32 bytes is too short for HS512");
    /// assert!(Key::hmac([7u8; 32])?.with_algorithm(Algorithm::RS256).is_err());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn with_algorithm(mut self, alg: Algorithm) -> Result<Key, ConfigError> {
        if self.verifier(alg).is_none() {
            return Err(ConfigError::KeyAlgorithmMismatch { kind: self.kind, alg });
        }
        self.verifiers.retain(|v| v.alg() == alg);
        Ok(self)
    }

    /// The key id, if any.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::Key::hmac([7u8; 32])?.kid(), None);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The kind of key.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::Key::hmac([7u8; 32])?.kind(), jwtguard_core::KeyKind::Hmac);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The algorithms this key verifies.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::Key::hmac([7u8; 64])?.algorithms().count(), 3);
    /// assert_eq!(jwtguard_core::Key::hmac([7u8; 32])?.algorithms().count(), 1, "HS256 only");
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn algorithms(&self) -> impl Iterator<Item = Algorithm> + '_ {
        self.verifiers.iter().map(Verifier::alg)
    }

    pub(crate) fn verifier(&self, alg: Algorithm) -> Option<&Verifier> {
        self.verifiers.iter().find(|v| v.alg() == alg)
    }
}
