//! Encrypting a signed token to a recipient (nested JWT, RFC 7519 §5.2): [`EncryptionKey`].

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use zeroize::Zeroizing;

use crate::backend::jwe::{
    Curve, concat_kdf, ecdh_ephemeral, encrypt_content, kw_wrap, random_key, rsa_oaep_encrypt, rsa_spki,
};
use crate::keys::jwk::{Jwk, member, secret};
use crate::{ConfigError, ContentEncryption, Error, ErrorKind, KeyManagement};

/// The recipient's key a token is encrypted to: a shared secret (`dir`, `A128KW`, `A256KW`) or
/// a public key (RSA for `RSA-OAEP*`; P-256, P-384, P-521 or X25519 for `ECDH-ES*`).
///
/// ```
/// use jwtguard_core::issuer::EncryptionKey;
/// let key = EncryptionKey::from_jwk(r#"{"kty":"OKP","crv":"X25519","kid":"r1",
///   "x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"}"#)?;
/// assert_eq!(key.kid(), Some("r1"));
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
pub struct EncryptionKey {
    kid: Option<String>,
    inner: Recipient,
}

enum Recipient {
    Shared(Zeroizing<Vec<u8>>),
    /// SubjectPublicKeyInfo DER.
    Rsa(Vec<u8>),
    Ecdh(Curve, Vec<u8>),
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.inner {
            Recipient::Shared(_) => "shared [redacted]",
            Recipient::Rsa(_) => "RSA",
            Recipient::Ecdh(c, _) => c.name(),
        };
        f.debug_struct("EncryptionKey").field("kid", &self.kid).field("key", &kind).finish()
    }
}

impl EncryptionKey {
    /// A shared secret: 16 or 32 bytes for `A128KW` or `A256KW`; as a `dir` key it is the
    /// content key, so its length must be the `enc`'s key length.
    ///
    /// # Errors
    /// [`ConfigError::InvalidKey`] unless 16, 32 or 64 bytes.
    ///
    /// ```
    /// assert!(jwtguard_core::issuer::EncryptionKey::shared([3u8; 32]).is_ok());
    /// ```
    pub fn shared(secret: impl AsRef<[u8]>) -> Result<EncryptionKey, ConfigError> {
        let secret = secret.as_ref();
        if ![16, 32, 64].contains(&secret.len()) {
            return Err(ConfigError::InvalidKey("a shared encryption key is 16, 32 or 64 bytes"));
        }
        Ok(EncryptionKey { kid: None, inner: Recipient::Shared(Zeroizing::new(secret.to_vec())) })
    }

    /// A recipient's public JWK (`RSA`, `EC` P-256/384/521, `OKP` X25519) or an `oct` key.
    /// Its `kid` is kept and written into the JWE header; `use`, when present, must be `enc`.
    ///
    /// # Errors
    /// A [`ConfigError`] saying what is wrong with the JWK.
    ///
    /// ```
    /// let key = jwtguard_core::issuer::EncryptionKey::from_jwk(r#"{"kty":"EC","crv":"P-256","use":"enc",
    ///   "x":"gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0","y":"SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps"}"#)?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn from_jwk(json: &str) -> Result<EncryptionKey, ConfigError> {
        let jwk: Jwk = serde_json::from_str(json).map_err(|_| ConfigError::InvalidJwks("JWK is not a JSON object"))?;
        if jwk.use_.as_deref().is_some_and(|u| u != "enc") {
            return Err(ConfigError::KeyNotForDecryption("`use` is not `enc`"));
        }
        let inner = match jwk.kty.as_deref() {
            Some("oct") => {
                let k = secret(&jwk.k, "JWK `k`")?;
                EncryptionKey::shared(&*k)?.inner
            }
            Some("RSA") => {
                let n = member(jwk.n.as_deref(), "JWK `n`")?;
                if n.iter().skip_while(|b| **b == 0).count() < 256 {
                    return Err(ConfigError::InvalidKey("RSA modulus shorter than 2048 bits"));
                }
                Recipient::Rsa(rsa_spki(&n, &member(jwk.e.as_deref(), "JWK `e`")?)?)
            }
            Some(kty @ ("EC" | "OKP")) => {
                let curve =
                    jwk.crv.as_deref().and_then(Curve::from_name).ok_or(ConfigError::UnsupportedKey("curve"))?;
                if (kty == "EC") == (curve == Curve::X25519) {
                    return Err(ConfigError::UnsupportedKey("`crv` does not fit `kty`"));
                }
                let x = member(jwk.x.as_deref(), "JWK `x`")?;
                let point =
                    if kty == "EC" { [&[4u8][..], &x, &member(jwk.y.as_deref(), "JWK `y`")?].concat() } else { x };
                if point.len() != if kty == "EC" { 1 + 2 * curve.coord_len() } else { 32 } {
                    return Err(ConfigError::InvalidKey("point has the wrong length for its curve"));
                }
                Recipient::Ecdh(curve, point)
            }
            _ => return Err(ConfigError::UnsupportedKey("`kty`")),
        };
        Ok(EncryptionKey { kid: jwk.kid, inner })
    }

    /// Sets the key id written into the JWE header.
    ///
    /// ```
    /// let key = jwtguard_core::issuer::EncryptionKey::shared([3u8; 16])?.with_kid("enc-1");
    /// assert_eq!(key.kid(), Some("enc-1"));
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn with_kid(mut self, kid: impl Into<String>) -> EncryptionKey {
        self.kid = Some(kid.into());
        self
    }

    /// The key id, if any.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::issuer::EncryptionKey::shared([3u8; 16])?.kid(), None);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Checks that this key can serve `alg` with `enc`.
    pub(crate) fn check(&self, alg: KeyManagement, enc: ContentEncryption) -> Result<(), ConfigError> {
        let ok = match (&self.inner, alg) {
            (Recipient::Shared(k), KeyManagement::Dir) => k.len() == enc.key_len(),
            (Recipient::Shared(k), _) => alg.wrap_len() == Some(k.len()),
            (Recipient::Rsa(_), KeyManagement::RsaOaep | KeyManagement::RsaOaep256) => true,
            (Recipient::Ecdh(..), a) => a.is_ecdh(),
            _ => false,
        };
        if ok { Ok(()) } else { Err(ConfigError::NoKeyFor(alg)) }
    }

    /// Encrypts `jwt`, a signed compact JWS, into a compact JWE with `cty: "JWT"` (a nested
    /// JWT, RFC 7519 §5.2), with a fresh content key and IV. Encryption hides the claims; it
    /// does not replace the signature, which is what the recipient trusts.
    ///
    /// # Errors
    /// [`ErrorKind::KeysUnavailable`] when the key does not fit `alg` and `enc` or no
    /// randomness is available.
    ///
    /// ```
    /// use jwtguard_core::{ContentEncryption, KeyManagement, issuer::EncryptionKey};
    /// let key = EncryptionKey::shared([3u8; 32])?;
    /// let jwe = key.encrypt(KeyManagement::A256Kw, ContentEncryption::A256Gcm, jwtguard_core::doc_support::TOKEN)?;
    /// assert_eq!(jwe.split('.').count(), 5);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn encrypt(&self, alg: KeyManagement, enc: ContentEncryption, jwt: &str) -> Result<String, Error> {
        self.seal(alg, enc, jwt.as_bytes())
    }

    pub(crate) fn seal(&self, alg: KeyManagement, enc: ContentEncryption, jwt: &[u8]) -> Result<String, Error> {
        self.check(alg, enc).map_err(|_| Error::detailed(ErrorKind::KeysUnavailable, "encryption key does not fit"))?;
        let failed = || Error::detailed(ErrorKind::KeysUnavailable, "key encryption failed");
        let mut header = Map::new();
        header.insert("alg".into(), alg.as_str().into());
        header.insert("enc".into(), enc.as_str().into());
        header.insert("cty".into(), "JWT".into());
        if let Some(kid) = &self.kid {
            header.insert("kid".into(), kid.clone().into());
        }
        let (cek, encrypted_key) = match (&self.inner, alg) {
            (Recipient::Shared(k), KeyManagement::Dir) => (k.clone(), Vec::new()),
            (Recipient::Shared(k), _) => {
                let cek = random_key(enc.key_len())?;
                let wrapped = kw_wrap(k, &cek).ok_or_else(failed)?;
                (cek, wrapped)
            }
            (Recipient::Rsa(spki), _) => {
                let cek = random_key(enc.key_len())?;
                let wrapped = rsa_oaep_encrypt(spki, alg == KeyManagement::RsaOaep256, &cek).map_err(|_| failed())?;
                (cek, wrapped)
            }
            (Recipient::Ecdh(curve, point), _) => {
                let (z, epk) = ecdh_ephemeral(*curve, point)?;
                header.insert("epk".into(), epk_jwk(*curve, &epk));
                match alg.wrap_len() {
                    None => (concat_kdf(&z, enc.as_str(), &[], &[], enc.key_len()), Vec::new()),
                    Some(len) => {
                        let kek = concat_kdf(&z, alg.as_str(), &[], &[], len);
                        let cek = random_key(enc.key_len())?;
                        let wrapped = kw_wrap(&kek, &cek).ok_or_else(failed)?;
                        (cek, wrapped)
                    }
                }
            }
        };
        let h64 = URL_SAFE_NO_PAD.encode(Value::Object(header).to_string());
        let sealed = encrypt_content(enc, &cek, h64.as_bytes(), jwt)?;
        let b = |x: &[u8]| URL_SAFE_NO_PAD.encode(x);
        Ok(format!("{h64}.{}.{}.{}.{}", b(&encrypted_key), b(&sealed.iv), b(&sealed.ciphertext), b(&sealed.tag)))
    }
}

fn epk_jwk(curve: Curve, point: &[u8]) -> Value {
    let b = |x: &[u8]| URL_SAFE_NO_PAD.encode(x);
    if curve == Curve::X25519 {
        json!({"kty": "OKP", "crv": "X25519", "x": b(point)})
    } else {
        let coords = point.get(1..).unwrap_or_default();
        let (x, y) = coords.split_at(coords.len() / 2);
        json!({"kty": "EC", "crv": curve.name(), "x": b(x), "y": b(y)})
    }
}
