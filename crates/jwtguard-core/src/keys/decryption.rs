//! Decryption keys for JWE: shared secrets, private JWKs and private-key PEM files (RSA, EC
//! P-256/384/521, X25519).

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use zeroize::Zeroizing;

use super::jwk::{Jwk, member, secret};
use super::pem::{PrivateMaterial, private_material, read};
use crate::backend::jwe::{Curve, EcdhPrivate, RsaParts, RsaPrivate, Unwrapper};
use crate::{ConfigError, ContentEncryption, KeyManagement};

/// One key that can decrypt tokens: a shared secret (for `dir`, `A128KW`, `A256KW`) or a
/// private key (RSA for `RSA-OAEP*`; P-256, P-384, P-521 or X25519 for `ECDH-ES*`).
///
/// Its `Debug` output never shows key material.
///
/// ```
/// use jwtguard_core::DecryptionKey;
/// let key = DecryptionKey::shared([7u8; 32])?.with_kid("enc-1");
/// assert_eq!(key.kid(), Some("enc-1"));
/// assert_eq!(format!("{key:?}"), r#"DecryptionKey { kid: Some("enc-1"), key: [redacted] }"#);
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
pub struct DecryptionKey {
    pub(crate) kid: Option<String>,
    pub(crate) inner: Unwrapper,
    /// The algorithm the JWK's `alg` pins it to, if any.
    pub(crate) only: Option<KeyManagement>,
}

impl fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecryptionKey").field("kid", &self.kid).field("key", &self.inner).finish()
    }
}

impl DecryptionKey {
    /// A shared secret: 16 or 32 bytes serve `A128KW` or `A256KW`; as a `dir` key it is the
    /// content key itself and serves the `enc` of its length (16: `A128GCM`; 32: `A256GCM`,
    /// `A128CBC-HS256`; 64: `A256CBC-HS512`).
    ///
    /// # Errors
    /// [`ConfigError::InvalidKey`] for any other length.
    ///
    /// ```
    /// assert!(jwtguard_core::DecryptionKey::shared([1u8; 32]).is_ok());
    /// assert!(jwtguard_core::DecryptionKey::shared([1u8; 20]).is_err());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn shared(secret: impl AsRef<[u8]>) -> Result<DecryptionKey, ConfigError> {
        let secret = secret.as_ref();
        if ![16, 32, 64].contains(&secret.len()) {
            return Err(ConfigError::InvalidKey("a shared decryption key is 16, 32 or 64 bytes"));
        }
        Ok(DecryptionKey { kid: None, inner: Unwrapper::Shared(Zeroizing::new(secret.to_vec())), only: None })
    }

    /// A private JWK (RFC 7517): `oct` with `k`; `RSA` with `n`, `e`, `d`, `p`, `q`, `dp`,
    /// `dq`, `qi`; `EC` (P-256, P-384, P-521) with `x`, `y`, `d`; `OKP` (X25519) with `x`, `d`.
    /// Its `kid` is kept; `use`, when present, must be `enc`; `key_ops`, when present, must
    /// hold `decrypt` or `unwrapKey`; `alg`, when present, pins the key to that algorithm.
    ///
    /// # Errors
    /// A [`ConfigError`] saying what is wrong with the JWK (never its values).
    ///
    /// ```
    /// let key = jwtguard_core::DecryptionKey::from_jwk(
    ///     r#"{"kty":"oct","kid":"k","use":"enc","alg":"A128KW","k":"GawgguFyGrWKav7AX4VKUg"}"#)?;
    /// assert_eq!(key.kid(), Some("k"));
    /// assert!(jwtguard_core::DecryptionKey::from_jwk(r#"{"kty":"oct","use":"sig","k":"GawgguFyGrWKav7AX4VKUg"}"#).is_err());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn from_jwk(json: &str) -> Result<DecryptionKey, ConfigError> {
        let raw: Jwk =
            serde_json::from_str(json).map_err(|_| ConfigError::InvalidJwks("JWK is not a JSON object of strings"))?;
        raw.into_decryption_key()
    }

    /// A private key from PEM: `PRIVATE KEY` (PKCS#8: RSA, EC P-256/P-384/P-521, X25519),
    /// `RSA PRIVATE KEY` (PKCS#1) or `EC PRIVATE KEY` (SEC1). It has no `kid` (set one with
    /// [`with_kid`](Self::with_kid)) and serves every algorithm of its kind: `RSA-OAEP*` for an
    /// RSA key (at least 2048 bits), `ECDH-ES*` for an EC or X25519 key. A public point the
    /// encoding carries must be the private key's.
    ///
    /// ```
    /// # let pem = std::fs::read("../jwtguard-test/keys/jwe.p256.key.pem").unwrap();
    /// use jwtguard_core::{DecryptionKey, DecryptionKeys, KeyManagement};
    /// let key = DecryptionKey::from_pem(&pem)?.with_kid("enc-1");
    /// let keys = DecryptionKeys::from(key);
    /// assert!(keys.key_management().contains(&KeyManagement::EcdhEs));
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// A [`ConfigError`] naming what is wrong (never the key's bytes):
    /// [`ConfigError::KeyNotForDecryption`] for a public key, a certificate, or a signing-only
    /// key (Ed25519, Ed448, RSASSA-PSS); [`ConfigError::UnsupportedKey`] for an encrypted
    /// (password-protected) key, another curve (secp256k1, X448, ...) or another PEM label;
    /// [`ConfigError::InvalidKey`] for DER that does not parse or a key the backend refuses.
    pub fn from_pem(pem: impl AsRef<[u8]>) -> Result<DecryptionKey, ConfigError> {
        let inner = match private_material(pem.as_ref())? {
            PrivateMaterial::Rsa(parts) => rsa_unwrapper(&parts)?,
            PrivateMaterial::Ecdh { curve, d, public } => ecdh_unwrapper(curve, &d, public.as_deref())?,
        };
        Ok(DecryptionKey { kid: None, inner, only: None })
    }

    /// A private key from a PEM file; see [`DecryptionKey::from_pem`].
    ///
    /// # Errors
    /// [`ConfigError::Io`] when the file cannot be read, else as [`DecryptionKey::from_pem`].
    ///
    /// ```
    /// let key = jwtguard_core::DecryptionKey::from_pem_file("../jwtguard-test/keys/jwe.rsa.pkcs1.key.pem")?;
    /// assert_eq!(key.kid(), None);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<DecryptionKey, ConfigError> {
        let pem = Zeroizing::new(read(path.as_ref())?);
        DecryptionKey::from_pem(&*pem)
    }

    /// Sets the key id matched against the token's `kid`.
    ///
    /// ```
    /// let key = jwtguard_core::DecryptionKey::shared([7u8; 16])?.with_kid("a");
    /// assert_eq!(key.kid(), Some("a"));
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn with_kid(mut self, kid: impl Into<String>) -> DecryptionKey {
        self.kid = Some(kid.into());
        self
    }

    /// The key id, if any.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::DecryptionKey::shared([7u8; 16])?.kid(), None);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// `true` when this key can serve `alg` (and, for `dir`, `enc`).
    pub(crate) fn fits(&self, alg: KeyManagement, enc: Option<ContentEncryption>) -> bool {
        self.only.is_none_or(|only| only == alg) && self.inner.fits(alg, enc)
    }
}

/// The keys a validator decrypts with; the token's `kid`, when present, picks among them (a
/// key without a kid is tried for any kid).
///
/// ```
/// use jwtguard_core::{DecryptionKey, DecryptionKeys};
/// let keys = DecryptionKeys::from_jwks(r#"{"keys":[
///   {"kty":"oct","kid":"a","k":"GawgguFyGrWKav7AX4VKUg"},
///   {"kty":"oct","kid":"b","k":"AAPapAv4LbFbiVawEjagUBluYqN5rhna-8nuldDvOx8"}]}"#)?;
/// assert_eq!(keys.len(), 2);
/// let one: DecryptionKeys = DecryptionKey::shared([1u8; 32])?.into();
/// assert_eq!(one.len(), 1);
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[derive(Debug, Default)]
pub struct DecryptionKeys {
    pub(crate) keys: Vec<DecryptionKey>,
}

impl DecryptionKeys {
    /// An empty set.
    ///
    /// ```
    /// assert!(jwtguard_core::DecryptionKeys::new().is_empty());
    /// ```
    pub fn new() -> DecryptionKeys {
        DecryptionKeys::default()
    }

    /// Adds a key.
    ///
    /// ```
    /// let keys = jwtguard_core::DecryptionKeys::new().with(jwtguard_core::DecryptionKey::shared([1u8; 16])?);
    /// assert_eq!(keys.len(), 1);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn with(mut self, key: DecryptionKey) -> DecryptionKeys {
        self.keys.push(key);
        self
    }

    /// A JWKS document of private keys; see [`DecryptionKey::from_jwk`]. Every key must load.
    ///
    /// # Errors
    /// [`ConfigError::InvalidJwks`] for a document without `keys`, else the first key's error.
    ///
    /// ```
    /// assert!(jwtguard_core::DecryptionKeys::from_jwks(r#"{"keys":[]}"#)?.is_empty());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn from_jwks(json: &str) -> Result<DecryptionKeys, ConfigError> {
        #[derive(Deserialize)]
        struct Doc {
            keys: Vec<serde_json::Value>,
        }
        let doc: Doc = serde_json::from_str(json).map_err(|_| ConfigError::InvalidJwks("not a JWKS document"))?;
        let keys = doc
            .keys
            .into_iter()
            .map(|v| serde_json::from_value::<Jwk>(v).map_err(|_| ConfigError::InvalidJwks("JWK member types")))
            .map(|r| r.and_then(Jwk::into_decryption_key))
            .collect::<Result<_, _>>()?;
        Ok(DecryptionKeys { keys })
    }

    /// How many keys.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::DecryptionKeys::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// `true` when there is no key.
    ///
    /// ```
    /// assert!(jwtguard_core::DecryptionKeys::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key-management algorithms at least one of these keys can serve (with some content
    /// algorithm): an allow-list that fits the keys, for tools that accept whatever they hold.
    ///
    /// ```
    /// use jwtguard_core::{DecryptionKey, DecryptionKeys, KeyManagement};
    /// let keys: DecryptionKeys = DecryptionKey::shared([1u8; 16])?.into();
    /// assert_eq!(keys.key_management(), [KeyManagement::Dir, KeyManagement::A128Kw]);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn key_management(&self) -> Vec<KeyManagement> {
        KeyManagement::ALL
            .into_iter()
            .filter(|alg| ContentEncryption::ALL.iter().any(|enc| self.keys.iter().any(|k| k.fits(*alg, Some(*enc)))))
            .collect()
    }

    /// The keys that may decrypt a token with this `kid` and `alg`. As for verification keys,
    /// a key without a kid (a PEM key, say) stands for any kid.
    pub(crate) fn candidates<'a>(
        &'a self,
        kid: Option<&'a str>,
        alg: KeyManagement,
        enc: ContentEncryption,
    ) -> impl Iterator<Item = &'a DecryptionKey> + 'a {
        self.keys
            .iter()
            .filter(move |k| kid.is_none_or(|kid| k.kid.as_deref().is_none_or(|k| k == kid)) && k.fits(alg, Some(enc)))
    }
}

impl From<DecryptionKey> for DecryptionKeys {
    fn from(key: DecryptionKey) -> Self {
        DecryptionKeys { keys: vec![key] }
    }
}

impl Jwk {
    /// This JWK as a decryption key: `use` must be `enc`, `key_ops` must allow decrypting.
    pub(crate) fn into_decryption_key(self) -> Result<DecryptionKey, ConfigError> {
        if let Some(u) = &self.use_
            && u != "enc"
        {
            return Err(ConfigError::KeyNotForDecryption("`use` is not `enc`"));
        }
        if let Some(ops) = &self.key_ops
            && !ops.iter().any(|o| o == "decrypt" || o == "unwrapKey" || o == "deriveKey" || o == "deriveBits")
        {
            return Err(ConfigError::KeyNotForDecryption("`key_ops` lacks `decrypt` and `unwrapKey`"));
        }
        // A `dir` key often names its content algorithm (RFC 7520 §5.6: `"alg": "A128GCM"`).
        let only = match &self.alg {
            Some(a) if ContentEncryption::from_name(a).is_some() => Some(KeyManagement::Dir),
            Some(a) => Some(
                KeyManagement::from_name(a)
                    .ok_or(ConfigError::KeyNotForDecryption("`alg` is not a supported key-management algorithm"))?,
            ),
            None => None,
        };
        let inner = match self.kty.as_deref() {
            Some("oct") => {
                let k = secret(&self.k, "JWK `k`")?;
                DecryptionKey::shared(&*k)?.inner
            }
            Some("RSA") => {
                let parts = RsaParts {
                    n: member(self.n.as_deref(), "JWK `n`")?,
                    e: member(self.e.as_deref(), "JWK `e`")?,
                    d: secret(&self.d, "JWK `d`")?,
                    p: secret(&self.p, "JWK `p` (keys without the CRT members are not supported)")?,
                    q: secret(&self.q, "JWK `q`")?,
                    dp: secret(&self.dp, "JWK `dp`")?,
                    dq: secret(&self.dq, "JWK `dq`")?,
                    qi: secret(&self.qi, "JWK `qi`")?,
                };
                rsa_unwrapper(&parts)?
            }
            Some("EC") | Some("OKP") => {
                let curve =
                    self.crv.as_deref().and_then(Curve::from_name).ok_or(ConfigError::UnsupportedKey("curve"))?;
                let ec = self.kty.as_deref() == Some("EC");
                if ec == (curve == Curve::X25519) {
                    return Err(ConfigError::UnsupportedKey("`crv` does not fit `kty`"));
                }
                let x = member(self.x.as_deref(), "JWK `x`")?;
                let d = secret(&self.d, "JWK `d`")?;
                let len = curve.coord_len();
                let public = if ec {
                    let y = member(self.y.as_deref(), "JWK `y`")?;
                    if x.len() != len || y.len() != len {
                        return Err(ConfigError::InvalidKey("EC point has the wrong length for its curve"));
                    }
                    [&[4u8][..], &x, &y].concat()
                } else {
                    x
                };
                ecdh_unwrapper(curve, &d, Some(&public))?
            }
            _ => return Err(ConfigError::UnsupportedKey("`kty`")),
        };
        let key = DecryptionKey { kid: self.kid, inner, only };
        if let Some(alg) = only
            && !key.inner.fits(alg, None)
        {
            return Err(ConfigError::KeyNotForDecryption("`alg` does not fit the key"));
        }
        Ok(key)
    }
}

/// An RSA private key for `RSA-OAEP*`, of at least 2048 bits.
fn rsa_unwrapper(parts: &RsaParts) -> Result<Unwrapper, ConfigError> {
    let n = &parts.n[parts.n.iter().take_while(|b| **b == 0).count()..];
    if n.len() < 256 {
        return Err(ConfigError::InvalidKey("RSA modulus shorter than 2048 bits"));
    }
    Ok(Unwrapper::Rsa(Box::new(RsaPrivate::new(parts)?)))
}

/// An ECDH private key; `public`, when given, must be the point `d` makes.
fn ecdh_unwrapper(curve: Curve, d: &[u8], public: Option<&[u8]>) -> Result<Unwrapper, ConfigError> {
    if d.len() != curve.coord_len() {
        return Err(ConfigError::InvalidKey("private scalar has the wrong length for its curve"));
    }
    Ok(Unwrapper::Ecdh(curve, Box::new(EcdhPrivate::new(curve, d, public)?)))
}
