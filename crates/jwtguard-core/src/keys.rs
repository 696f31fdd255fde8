//! Verification keys: HMAC secrets, PEM public keys and certificates, JWKs and JWKS documents.
//!
//! A [`Key`] knows its [`KeyKind`], and the kind alone decides which algorithms it may verify:
//! an RSA/EC/OKP key can never be used as an HMAC secret, whatever the token's header says.

use std::fmt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use der::Decode;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::crypto::{Material, Verifier};
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
    kid: Option<String>,
    kind: KeyKind,
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
    fn from_material(material: Material, only: Option<Algorithm>) -> Result<Key, ConfigError> {
        let kind = material.kind();
        let algs: Vec<Algorithm> = match (only, &material) {
            (Some(alg), _) if alg.key_kind() != kind => return Err(ConfigError::KeyAlgorithmMismatch { kind, alg }),
            (Some(alg), _) => vec![alg],
            // A secret serves the HS algorithms whose hash is no longer than it (RFC 7518 §3.2).
            (None, Material::Hmac(k)) => {
                crate::crypto::check_secret(Algorithm::HS256, k.len())?;
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
        let block = pem::parse(pem.as_ref()).map_err(|_| ConfigError::InvalidKey("not a PEM block"))?;
        let material = match block.tag() {
            "PUBLIC KEY" => spki_material(block.contents())?,
            "RSA PUBLIC KEY" => pkcs1_material(block.contents())?,
            "CERTIFICATE" => {
                let cert = x509_cert::Certificate::from_der(block.contents())
                    .map_err(|_| ConfigError::InvalidKey("X.509 certificate"))?;
                let spki = cert.tbs_certificate().subject_public_key_info();
                let der = der::Encode::to_der(spki).map_err(|_| ConfigError::InvalidKey("X.509 certificate"))?;
                spki_material(&der)?
            }
            t if t.contains("PRIVATE") => {
                return Err(ConfigError::InvalidKey("a private key was given where a public key is needed"));
            }
            _ => return Err(ConfigError::UnsupportedKey("PEM label")),
        };
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
        let raw: RawJwk =
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

fn read(path: &Path) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|source| ConfigError::Io { path: path.display().to_string(), source })
}

const OID_RSA: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_EC: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.3.132.0.35");
const OID_ED25519: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.3.101.112");

fn spki_material(der_bytes: &[u8]) -> Result<Material, ConfigError> {
    let spki = spki::SubjectPublicKeyInfoRef::from_der(der_bytes)
        .map_err(|_| ConfigError::InvalidKey("SubjectPublicKeyInfo"))?;
    let key = spki.subject_public_key.as_bytes().ok_or(ConfigError::InvalidKey("public key bit string"))?;
    match spki.algorithm.oid {
        OID_RSA => pkcs1_material(key),
        OID_EC => {
            let curve = spki.algorithm.parameters_oid().map_err(|_| ConfigError::InvalidKey("EC curve parameters"))?;
            let kind = match curve {
                OID_P256 => KeyKind::EcP256,
                OID_P384 => KeyKind::EcP384,
                OID_P521 => KeyKind::EcP521,
                _ => return Err(ConfigError::UnsupportedKey("EC curve")),
            };
            Ok(Material::Ec { kind, point: key.to_vec() })
        }
        OID_ED25519 => Ok(Material::Ed25519(key.to_vec())),
        _ => Err(ConfigError::UnsupportedKey("public key algorithm")),
    }
}

fn pkcs1_material(der_bytes: &[u8]) -> Result<Material, ConfigError> {
    let key = pkcs1::RsaPublicKey::<der::asn1::UintRef<'_>>::from_der(der_bytes)
        .map_err(|_| ConfigError::InvalidKey("RSA public key"))?;
    Ok(Material::Rsa { n: key.modulus.as_bytes().to_vec(), e: key.public_exponent.as_bytes().to_vec() })
}

/// A JWK as found in the wild: every member optional, so one odd key never spoils a set.
#[derive(Deserialize)]
struct RawJwk {
    kty: Option<String>,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    key_ops: Option<Vec<String>>,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
    k: Option<Zeroizing<String>>,
}

fn b64(field: Option<&str>, what: &'static str) -> Result<Vec<u8>, ConfigError> {
    let text = field.ok_or(ConfigError::InvalidKey(what))?;
    URL_SAFE_NO_PAD.decode(text).map_err(|_| ConfigError::InvalidKey(what))
}

impl RawJwk {
    fn into_key(self) -> Result<Key, ConfigError> {
        if let Some(u) = &self.use_
            && u != "sig"
        {
            return Err(ConfigError::KeyNotForVerification("`use` is not `sig`"));
        }
        if let Some(ops) = &self.key_ops
            && !ops.iter().any(|o| o == "verify")
        {
            return Err(ConfigError::KeyNotForVerification("`key_ops` lacks `verify`"));
        }
        let only = match &self.alg {
            Some(a) => Some(
                Algorithm::from_name(a)
                    .ok_or(ConfigError::KeyNotForVerification("`alg` is not a supported signature algorithm"))?,
            ),
            None => None,
        };
        let material = match self.kty.as_deref() {
            Some("oct") => {
                let k = b64(self.k.as_deref().map(String::as_str), "JWK `k`")?;
                Material::Hmac(Zeroizing::new(k))
            }
            Some("RSA") => {
                Material::Rsa { n: b64(self.n.as_deref(), "JWK `n`")?, e: b64(self.e.as_deref(), "JWK `e`")? }
            }
            Some("EC") => {
                let kind = match self.crv.as_deref() {
                    Some("P-256") => KeyKind::EcP256,
                    Some("P-384") => KeyKind::EcP384,
                    Some("P-521") => KeyKind::EcP521,
                    _ => return Err(ConfigError::UnsupportedKey("EC curve")),
                };
                let x = b64(self.x.as_deref(), "JWK `x`")?;
                let y = b64(self.y.as_deref(), "JWK `y`")?;
                if x.len() != y.len() {
                    return Err(ConfigError::InvalidKey("EC point has the wrong length for its curve"));
                }
                let mut point = Vec::with_capacity(1 + x.len() + y.len());
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                Material::Ec { kind, point }
            }
            Some("OKP") => match self.crv.as_deref() {
                Some("Ed25519") => Material::Ed25519(b64(self.x.as_deref(), "JWK `x`")?),
                _ => return Err(ConfigError::UnsupportedKey("OKP curve")),
            },
            _ => return Err(ConfigError::UnsupportedKey("`kty`")),
        };
        let key = Key::from_material(material, only)?;
        Ok(match self.kid {
            Some(kid) => key.with_kid(kid),
            None => key,
        })
    }
}

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
            let parsed = serde_json::from_value::<RawJwk>(value)
                .map_err(|_| ConfigError::InvalidJwks("JWK is not a JSON object of strings"))
                .and_then(RawJwk::into_key);
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
