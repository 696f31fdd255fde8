//! [`SigningKey`]: a private key (or HMAC secret) that signs tokens, with its `kid` and
//! algorithm, and the verification key that goes with it.

use std::fmt;

use serde_json::{Value, json};

use crate::backend::Signer;
use crate::{Algorithm, ConfigError, Error, Key, KeyKind};

/// A private key (or HMAC secret) that signs tokens, with its `kid` and algorithm.
///
/// ```
/// use jwtguard_core::Algorithm;
/// use jwtguard_core::issuer::SigningKey;
///
/// let key = SigningKey::generate_ed25519("2026-11")?;
/// assert_eq!(key.alg(), Algorithm::EdDSA);
/// assert_eq!(key.public_jwk().unwrap()["kid"], "2026-11");
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
pub struct SigningKey {
    pub(crate) kid: String,
    pub(crate) alg: Algorithm,
    signer: Signer,
    /// The public JWK (`None` for an HMAC secret, which is never published).
    pub(crate) public: Option<Value>,
    /// What verifies this key's tokens.
    verify: Material,
}

/// How a verifier is made for this key: from its public JWK or its secret.
enum Material {
    Jwk(Value),
    Secret(zeroize::Zeroizing<Vec<u8>>),
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).field("alg", &self.alg).finish_non_exhaustive()
    }
}

fn pem_der(pem_bytes: &[u8]) -> Result<Vec<u8>, ConfigError> {
    let block = pem::parse(pem_bytes).map_err(|_| ConfigError::InvalidKey("not a PEM block"))?;
    if block.tag() != "PRIVATE KEY" {
        return Err(ConfigError::InvalidKey("a PKCS#8 `PRIVATE KEY` PEM is needed to sign"));
    }
    Ok(block.into_contents())
}

impl SigningKey {
    /// A PKCS#8 private key (`-----BEGIN PRIVATE KEY-----`) for an asymmetric algorithm.
    ///
    /// ```
    /// # let pem = std::fs::read("../jwtguard-test/keys/p256.key.pem").unwrap();
    /// let key = jwtguard_core::issuer::SigningKey::from_pkcs8_pem(&pem, jwtguard_core::Algorithm::ES256, "ec-1")?;
    /// assert_eq!(key.kid(), "ec-1");
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::InvalidKey`] when the key is not PKCS#8 or does not fit `alg`.
    pub fn from_pkcs8_pem(pem: &[u8], alg: Algorithm, kid: impl Into<String>) -> Result<Self, ConfigError> {
        let der = zeroize::Zeroizing::new(pem_der(pem)?);
        let (signer, public) = Signer::from_pkcs8(alg, &der)?;
        Ok(SigningKey::finish(kid.into(), alg, signer, public))
    }

    fn finish(kid: String, alg: Algorithm, signer: Signer, mut public: Value) -> SigningKey {
        public["kid"] = json!(kid);
        public["alg"] = json!(alg.as_str());
        public["use"] = json!("sig");
        SigningKey { kid, alg, signer, verify: Material::Jwk(public.clone()), public: Some(public) }
    }

    /// A fresh Ed25519 key: the embedded default when no key is configured.
    ///
    /// ```
    /// let key = jwtguard_core::issuer::SigningKey::generate_ed25519("k1")?;
    /// assert_eq!(key.kid(), "k1");
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// Only if the system's random source fails.
    pub fn generate_ed25519(kid: impl Into<String>) -> Result<Self, ConfigError> {
        let (signer, public) = Signer::generate_ed25519()?;
        Ok(SigningKey::finish(kid.into(), Algorithm::EdDSA, signer, public))
    }

    /// A fresh private key for the asymmetric `alg`, as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`),
    /// ready for [`SigningKey::from_pkcs8_pem`] or any other JOSE library. `rsa_bits` is the
    /// modulus size of an RSA key (2048, 3072 or 4096) and ignored for EC and Ed25519 keys.
    ///
    /// ```
    /// use jwtguard_core::Algorithm;
    /// use jwtguard_core::issuer::SigningKey;
    /// # #[cfg(feature = "aws-lc-rs")] { // the rust-crypto backend does not generate keys
    /// let pem = SigningKey::generate_pkcs8_pem(Algorithm::ES256, 0)?;
    /// assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    /// let key = SigningKey::from_pkcs8_pem(pem.as_bytes(), Algorithm::ES256, "k1")?;
    /// assert_eq!(key.public_jwk().unwrap()["crv"], "P-256");
    /// # }
    /// assert!(SigningKey::generate_pkcs8_pem(Algorithm::RS256, 1024).is_err(), "RSA below 2048 bits is refused");
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::InvalidSetting`] for another RSA size, [`ConfigError::InvalidKey`] for an
    /// HMAC algorithm (a secret is random bytes) or when the system's random source fails, and
    /// [`ConfigError::UnsupportedKey`] with the `rust-crypto` backend, which does not generate keys.
    pub fn generate_pkcs8_pem(alg: Algorithm, rsa_bits: usize) -> Result<zeroize::Zeroizing<String>, ConfigError> {
        let der = crate::backend::generate_pkcs8(alg, rsa_bits)?;
        let block = pem::Pem::new("PRIVATE KEY", der.to_vec());
        let text = pem::encode_config(&block, pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF));
        // The `Pem` holds a copy of the key; its contents are overwritten before it is dropped.
        let mut contents = block.into_contents();
        zeroize::Zeroize::zeroize(&mut contents);
        Ok(zeroize::Zeroizing::new(text))
    }

    /// An HMAC secret (at least 32 bytes) for HS256/384/512. Its tokens verify only where the
    /// secret is shared; it is never published in the JWKS.
    ///
    /// ```
    /// let key = jwtguard_core::issuer::SigningKey::hmac([7u8; 32], jwtguard_core::Algorithm::HS256, "h1")?;
    /// assert!(key.public_jwk().is_none());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::WeakSecret`] or [`ConfigError::KeyAlgorithmMismatch`].
    pub fn hmac(secret: impl AsRef<[u8]>, alg: Algorithm, kid: impl Into<String>) -> Result<Self, ConfigError> {
        let secret = secret.as_ref();
        if alg.key_kind() != KeyKind::Hmac {
            return Err(ConfigError::KeyAlgorithmMismatch { kind: KeyKind::Hmac, alg });
        }
        crate::backend::check_secret(alg, secret.len())?;
        Ok(SigningKey {
            kid: kid.into(),
            alg,
            signer: Signer::hmac(alg, secret)?,
            public: None,
            verify: Material::Secret(zeroize::Zeroizing::new(secret.to_vec())),
        })
    }

    /// The key id.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::issuer::SigningKey::generate_ed25519("k")?.kid(), "k");
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::issuer::SigningKey::generate_ed25519("k")?.alg(), jwtguard_core::Algorithm::EdDSA);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The public JWK (with `kid`, `alg`, `use: sig`), or `None` for an HMAC secret.
    ///
    /// ```
    /// let key = jwtguard_core::issuer::SigningKey::generate_ed25519("k")?;
    /// assert_eq!(key.public_jwk().unwrap()["kty"], "OKP");
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn public_jwk(&self) -> Option<&Value> {
        self.public.as_ref()
    }

    /// The verification key for this key's tokens.
    ///
    /// ```
    /// let key = jwtguard_core::issuer::SigningKey::generate_ed25519("k")?;
    /// assert_eq!(key.verification_key()?.kid(), Some("k"));
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// Not for keys made by this type's constructors.
    pub fn verification_key(&self) -> Result<Key, ConfigError> {
        match &self.verify {
            Material::Jwk(jwk) => Key::from_jwk(&jwk.to_string()),
            Material::Secret(s) => Ok(Key::hmac(&**s)?.with_algorithm(self.alg)?.with_kid(self.kid.clone())),
        }
    }

    pub(crate) fn sign(&self, input: &[u8]) -> Result<Vec<u8>, Error> {
        self.signer.sign(input)
    }
}
