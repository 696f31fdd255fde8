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
