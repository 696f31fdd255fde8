//! Signature algorithms (RFC 7518 §3, RFC 8037) and the key kinds they need.

use std::fmt;
use std::str::FromStr;

use crate::ConfigError;

/// A JWS signature algorithm that jwtguard can verify.
///
/// The names are the registered `alg` values and are matched case-sensitively, as RFC 7515
/// requires. `none` is not an algorithm here: an unsecured token never verifies.
///
/// ```
/// use jwtguard_core::Algorithm;
///
/// let alg: Algorithm = "ES256".parse()?;
/// assert_eq!(alg, Algorithm::ES256);
/// assert_eq!(alg.as_str(), "ES256");
/// assert!("none".parse::<Algorithm>().is_err());
/// assert!("es256".parse::<Algorithm>().is_err());
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC with SHA-256.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// ECDSA on P-521 with SHA-512.
    ES512,
    /// EdDSA with Ed25519 (RFC 8037).
    EdDSA,
}

impl Algorithm {
    /// Every supported algorithm.
    ///
    /// ```
    /// assert!(!jwtguard_core::Algorithm::ALL.iter().any(|a| a.as_str() == "none"));
    /// ```
    pub const ALL: [Algorithm; 13] = [
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::ES512,
        Algorithm::EdDSA,
    ];

    /// The registered `alg` name.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::Algorithm::EdDSA.as_str(), "EdDSA");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::ES512 => "ES512",
            Algorithm::EdDSA => "EdDSA",
        }
    }

    /// The only kind of key that can verify this algorithm.
    ///
    /// ```
    /// use jwtguard_core::{Algorithm, KeyKind};
    /// assert_eq!(Algorithm::PS384.key_kind(), KeyKind::Rsa);
    /// assert_eq!(Algorithm::ES512.key_kind(), KeyKind::EcP521);
    /// ```
    pub const fn key_kind(self) -> KeyKind {
        match self {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => KeyKind::Hmac,
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => KeyKind::Rsa,
            Algorithm::ES256 => KeyKind::EcP256,
            Algorithm::ES384 => KeyKind::EcP384,
            Algorithm::ES512 => KeyKind::EcP521,
            Algorithm::EdDSA => KeyKind::Ed25519,
        }
    }

    /// The shortest HMAC secret this algorithm accepts: as long as its hash (RFC 7518 §3.2),
    /// 32, 48 and 64 bytes for HS256, HS384 and HS512; 0 for the other algorithms.
    ///
    /// ```
    /// use jwtguard_core::Algorithm;
    /// assert_eq!(Algorithm::HS384.min_secret_len(), 48);
    /// assert_eq!(Algorithm::ES256.min_secret_len(), 0);
    /// ```
    pub const fn min_secret_len(self) -> usize {
        match self {
            Algorithm::HS256 => 32,
            Algorithm::HS384 => 48,
            Algorithm::HS512 => 64,
            _ => 0,
        }
    }

    /// Looks up a registered name, case-sensitively. `None` for `none` and for anything unknown.
    pub(crate) fn from_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::from_name(s).ok_or_else(|| ConfigError::UnknownAlgorithm(s.chars().take(16).collect()))
    }
}

/// The kind of a verification key. The kind, not the token, decides the primitive: an RSA,
/// EC or OKP public key can never be used as an HMAC secret.
///
/// ```
/// use jwtguard_core::{Algorithm, KeyKind};
/// assert_eq!(Algorithm::HS256.key_kind(), KeyKind::Hmac);
/// assert!(!KeyKind::Rsa.algorithms().contains(&Algorithm::HS256));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyKind {
    /// A shared HMAC secret (`kty: oct`).
    Hmac,
    /// An RSA public key (`kty: RSA`), for RS* and PS*.
    Rsa,
    /// An EC public key on P-256 (`kty: EC`, `crv: P-256`), for ES256.
    EcP256,
    /// An EC public key on P-384, for ES384.
    EcP384,
    /// An EC public key on P-521, for ES512.
    EcP521,
    /// An Ed25519 public key (`kty: OKP`, `crv: Ed25519`), for EdDSA.
    Ed25519,
}

impl KeyKind {
    /// The algorithms a key of this kind can verify.
    ///
    /// ```
    /// use jwtguard_core::{Algorithm, KeyKind};
    /// assert_eq!(KeyKind::EcP256.algorithms(), &[Algorithm::ES256]);
    /// ```
    pub fn algorithms(self) -> &'static [Algorithm] {
        use Algorithm::*;
        match self {
            KeyKind::Hmac => &[HS256, HS384, HS512],
            KeyKind::Rsa => &[RS256, RS384, RS512, PS256, PS384, PS512],
            KeyKind::EcP256 => &[ES256],
            KeyKind::EcP384 => &[ES384],
            KeyKind::EcP521 => &[ES512],
            KeyKind::Ed25519 => &[EdDSA],
        }
    }
}

/// A JWE key-management algorithm (RFC 7518 §4): how the content key reaches the recipient.
///
/// `RSA1_5` (Bleichenbacher and Marvin padding oracles) and `PBES2-*` (password-based,
/// attacker-chosen iteration counts) are not offered: a token naming them is rejected with
/// [`ErrorKind::AlgorithmNotAllowed`](crate::ErrorKind::AlgorithmNotAllowed).
///
/// ```
/// use jwtguard_core::KeyManagement;
/// let alg: KeyManagement = "ECDH-ES+A256KW".parse()?;
/// assert_eq!(alg, KeyManagement::EcdhEsA256Kw);
/// assert!("RSA1_5".parse::<KeyManagement>().is_err());
/// assert!("PBES2-HS256+A128KW".parse::<KeyManagement>().is_err());
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum KeyManagement {
    /// `dir`: the shared key is the content key.
    Dir,
    /// `A128KW`: AES key wrap with a 128-bit shared key.
    A128Kw,
    /// `A256KW`: AES key wrap with a 256-bit shared key.
    A256Kw,
    /// `RSA-OAEP`: RSAES-OAEP with SHA-1 and MGF1-SHA-1.
    RsaOaep,
    /// `RSA-OAEP-256`: RSAES-OAEP with SHA-256 and MGF1-SHA-256.
    RsaOaep256,
    /// `ECDH-ES`: the agreed key, through the Concat KDF, is the content key.
    EcdhEs,
    /// `ECDH-ES+A128KW`: the agreed key wraps the content key (AES-128 key wrap).
    EcdhEsA128Kw,
    /// `ECDH-ES+A256KW`: the agreed key wraps the content key (AES-256 key wrap).
    EcdhEsA256Kw,
}

impl KeyManagement {
    /// Every supported key-management algorithm.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::KeyManagement::ALL.len(), 8);
    /// ```
    pub const ALL: [KeyManagement; 8] = [
        KeyManagement::Dir,
        KeyManagement::A128Kw,
        KeyManagement::A256Kw,
        KeyManagement::RsaOaep,
        KeyManagement::RsaOaep256,
        KeyManagement::EcdhEs,
        KeyManagement::EcdhEsA128Kw,
        KeyManagement::EcdhEsA256Kw,
    ];

    /// The registered `alg` name.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::KeyManagement::RsaOaep256.as_str(), "RSA-OAEP-256");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            KeyManagement::Dir => "dir",
            KeyManagement::A128Kw => "A128KW",
            KeyManagement::A256Kw => "A256KW",
            KeyManagement::RsaOaep => "RSA-OAEP",
            KeyManagement::RsaOaep256 => "RSA-OAEP-256",
            KeyManagement::EcdhEs => "ECDH-ES",
            KeyManagement::EcdhEsA128Kw => "ECDH-ES+A128KW",
            KeyManagement::EcdhEsA256Kw => "ECDH-ES+A256KW",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<KeyManagement> {
        KeyManagement::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// The length of the AES key-wrap key, for the algorithms that wrap.
    pub(crate) const fn wrap_len(self) -> Option<usize> {
        match self {
            KeyManagement::A128Kw | KeyManagement::EcdhEsA128Kw => Some(16),
            KeyManagement::A256Kw | KeyManagement::EcdhEsA256Kw => Some(32),
            _ => None,
        }
    }

    pub(crate) const fn is_ecdh(self) -> bool {
        matches!(self, KeyManagement::EcdhEs | KeyManagement::EcdhEsA128Kw | KeyManagement::EcdhEsA256Kw)
    }
}

impl fmt::Display for KeyManagement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyManagement {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeyManagement::from_name(s).ok_or_else(|| ConfigError::UnknownAlgorithm(s.chars().take(20).collect()))
    }
}

/// A JWE content-encryption algorithm (RFC 7518 §5).
///
/// ```
/// use jwtguard_core::ContentEncryption;
/// let enc: ContentEncryption = "A128CBC-HS256".parse()?;
/// assert_eq!(enc.key_len(), 32);
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ContentEncryption {
    /// `A128GCM`: AES-128 in GCM.
    A128Gcm,
    /// `A256GCM`: AES-256 in GCM.
    A256Gcm,
    /// `A128CBC-HS256`: AES-128-CBC then HMAC-SHA-256 (RFC 7518 §5.2.3).
    A128CbcHs256,
    /// `A256CBC-HS512`: AES-256-CBC then HMAC-SHA-512 (RFC 7518 §5.2.5).
    A256CbcHs512,
}

impl ContentEncryption {
    /// Every supported content-encryption algorithm.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::ContentEncryption::ALL.len(), 4);
    /// ```
    pub const ALL: [ContentEncryption; 4] = [
        ContentEncryption::A128Gcm,
        ContentEncryption::A256Gcm,
        ContentEncryption::A128CbcHs256,
        ContentEncryption::A256CbcHs512,
    ];

    /// The registered `enc` name.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::ContentEncryption::A256Gcm.as_str(), "A256GCM");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            ContentEncryption::A128Gcm => "A128GCM",
            ContentEncryption::A256Gcm => "A256GCM",
            ContentEncryption::A128CbcHs256 => "A128CBC-HS256",
            ContentEncryption::A256CbcHs512 => "A256CBC-HS512",
        }
    }

    /// The length of the content key in bytes (for CBC-HMAC: MAC key and AES key together).
    ///
    /// ```
    /// assert_eq!(jwtguard_core::ContentEncryption::A256CbcHs512.key_len(), 64);
    /// ```
    pub const fn key_len(self) -> usize {
        match self {
            ContentEncryption::A128Gcm => 16,
            ContentEncryption::A256Gcm | ContentEncryption::A128CbcHs256 => 32,
            ContentEncryption::A256CbcHs512 => 64,
        }
    }

    pub(crate) const fn iv_len(self) -> usize {
        match self {
            ContentEncryption::A128Gcm | ContentEncryption::A256Gcm => 12,
            _ => 16,
        }
    }

    pub(crate) const fn tag_len(self) -> usize {
        match self {
            ContentEncryption::A256CbcHs512 => 32,
            _ => 16,
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<ContentEncryption> {
        ContentEncryption::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

impl fmt::Display for ContentEncryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ContentEncryption {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ContentEncryption::from_name(s).ok_or_else(|| ConfigError::UnknownAlgorithm(s.chars().take(20).collect()))
    }
}
