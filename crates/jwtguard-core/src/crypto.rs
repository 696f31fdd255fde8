//! The crypto backend: one [`Verifier`] per (key, algorithm), built once when the key is loaded.
//!
//! The backend is chosen at compile time, never at run time: `aws-lc-rs` (the default) when that
//! feature is on, whatever else is on; otherwise `rust-crypto`; with neither, the crate does not
//! compile. jsonwebtoken's process-wide provider is never consulted, so enabling both features
//! (as `--all-features` does) cannot panic.

use std::fmt;

use zeroize::Zeroizing;

use crate::{Algorithm, ConfigError, KeyKind};

#[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
compile_error!("jwtguard-core needs a crypto backend: enable the `aws-lc-rs` (default) or the `rust-crypto` feature");

/// Public key material (or an HMAC secret) in the form every backend starts from.
pub(crate) enum Material {
    Hmac(Zeroizing<Vec<u8>>),
    /// Big-endian modulus and exponent, leading zeros allowed.
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// An uncompressed SEC1 point (`04 || x || y`).
    Ec {
        kind: KeyKind,
        point: Vec<u8>,
    },
    Ed25519(Vec<u8>),
}

impl Material {
    pub(crate) fn kind(&self) -> KeyKind {
        match self {
            Material::Hmac(_) => KeyKind::Hmac,
            Material::Rsa { .. } => KeyKind::Rsa,
            Material::Ec { kind, .. } => *kind,
            Material::Ed25519(_) => KeyKind::Ed25519,
        }
    }

    /// Checks sizes that every backend relies on.
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        match self {
            Material::Hmac(k) if k.len() < 32 => Err(ConfigError::WeakSecret(k.len())),
            Material::Rsa { n, .. } => {
                let bits = n.iter().skip_while(|b| **b == 0).count() * 8;
                if bits < 2048 {
                    Err(ConfigError::InvalidKey("RSA modulus shorter than 2048 bits"))
                } else if bits > 8192 {
                    Err(ConfigError::InvalidKey("RSA modulus longer than 8192 bits"))
                } else {
                    Ok(())
                }
            }
            Material::Ec { kind, point } => {
                let coord = match kind {
                    KeyKind::EcP256 => 32,
                    KeyKind::EcP384 => 48,
                    KeyKind::EcP521 => 66,
                    _ => return Err(ConfigError::InvalidKey("not an EC curve")),
                };
                if point.len() != 1 + 2 * coord || point.first() != Some(&4) {
                    Err(ConfigError::InvalidKey("EC point has the wrong length for its curve"))
                } else {
                    Ok(())
                }
            }
            Material::Ed25519(x) if x.len() != 32 => Err(ConfigError::InvalidKey("Ed25519 key is not 32 bytes")),
            _ => Ok(()),
        }
    }
}

/// A ready-to-use signature check for one algorithm and one key.
pub(crate) struct Verifier {
    alg: Algorithm,
    inner: Inner,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier").field("alg", &self.alg).finish_non_exhaustive()
    }
}

impl Verifier {
    pub(crate) fn alg(&self) -> Algorithm {
        self.alg
    }

    pub(crate) fn new(alg: Algorithm, material: &Material) -> Result<Self, ConfigError> {
        if alg.key_kind() != material.kind() {
            return Err(ConfigError::KeyAlgorithmMismatch { kind: material.kind(), alg });
        }
        material.check()?;
        Ok(Verifier { alg, inner: Inner::new(alg, material)? })
    }

    /// `true` when `signature` is a valid signature of `message`.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.inner.verify(self.alg, message, signature)
    }
}

#[cfg(feature = "aws-lc-rs")]
use aws::Inner;
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
use rc::Inner;

#[cfg(feature = "aws-lc-rs")]
mod aws {
    use aws_lc_rs::{hmac, signature as sig};
    use der::Encode;

    use super::Material;
    use crate::{Algorithm, ConfigError};

    pub(super) enum Inner {
        Hmac(Box<hmac::Key>),
        Public(sig::ParsedPublicKey),
    }

    impl Inner {
        pub(super) fn new(alg: Algorithm, material: &Material) -> Result<Self, ConfigError> {
            let public = |params: &'static dyn sig::VerificationAlgorithm, bytes: &[u8]| {
                sig::ParsedPublicKey::new(params, bytes)
                    .map(Inner::Public)
                    .map_err(|_| ConfigError::InvalidKey("rejected by the crypto backend"))
            };
            match (alg, material) {
                (_, Material::Hmac(secret)) => {
                    let h = match alg {
                        Algorithm::HS256 => hmac::HMAC_SHA256,
                        Algorithm::HS384 => hmac::HMAC_SHA384,
                        _ => hmac::HMAC_SHA512,
                    };
                    Ok(Inner::Hmac(Box::new(hmac::Key::new(h, secret))))
                }
                (_, Material::Rsa { n, e }) => {
                    let der = pkcs1_der(n, e)?;
                    let params: &'static dyn sig::VerificationAlgorithm = match alg {
                        Algorithm::RS256 => &sig::RSA_PKCS1_2048_8192_SHA256,
                        Algorithm::RS384 => &sig::RSA_PKCS1_2048_8192_SHA384,
                        Algorithm::RS512 => &sig::RSA_PKCS1_2048_8192_SHA512,
                        Algorithm::PS256 => &sig::RSA_PSS_2048_8192_SHA256,
                        Algorithm::PS384 => &sig::RSA_PSS_2048_8192_SHA384,
                        _ => &sig::RSA_PSS_2048_8192_SHA512,
                    };
                    public(params, &der)
                }
                (Algorithm::ES256, Material::Ec { point, .. }) => public(&sig::ECDSA_P256_SHA256_FIXED, point),
                (Algorithm::ES384, Material::Ec { point, .. }) => public(&sig::ECDSA_P384_SHA384_FIXED, point),
                (Algorithm::ES512, Material::Ec { point, .. }) => public(&sig::ECDSA_P521_SHA512_FIXED, point),
                (_, Material::Ed25519(x)) => public(&sig::ED25519, x),
                (_, Material::Ec { kind, .. }) => Err(ConfigError::KeyAlgorithmMismatch { kind: *kind, alg }),
            }
        }

        pub(super) fn verify(&self, _alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
            match self {
                Inner::Hmac(key) => hmac::verify(key, message, signature).is_ok(),
                Inner::Public(key) => key.verify_sig(message, signature).is_ok(),
            }
        }
    }

    fn pkcs1_der(n: &[u8], e: &[u8]) -> Result<Vec<u8>, ConfigError> {
        let bad = |_| ConfigError::InvalidKey("RSA modulus or exponent");
        let key = pkcs1::RsaPublicKey {
            modulus: der::asn1::UintRef::new(n).map_err(bad)?,
            public_exponent: der::asn1::UintRef::new(e).map_err(bad)?,
        };
        key.to_der().map_err(bad)
    }
}

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
mod rc {
    use jsonwebtoken::DecodingKey;
    use jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;
    use p521::ecdsa::signature::Verifier as _;

    use super::Material;
    use crate::{Algorithm, ConfigError};

    pub(super) enum Inner {
        /// jsonwebtoken's RustCrypto verifiers are `!Send` trait objects, so the key is kept and
        /// the verifier made per call; see BENCHMARKS.md for what that costs.
        Jwt(DecodingKey, jsonwebtoken::Algorithm),
        /// jsonwebtoken has no ES512; p521 does it.
        P521(p521::ecdsa::VerifyingKey),
    }

    impl Inner {
        pub(super) fn new(alg: Algorithm, material: &Material) -> Result<Self, ConfigError> {
            use jsonwebtoken::Algorithm as J;
            let key = match material {
                Material::Hmac(secret) => DecodingKey::from_secret(secret)
                    .map_err(|_| ConfigError::InvalidKey("rejected by the crypto backend"))?,
                Material::Rsa { n, e } => DecodingKey::from_rsa_raw_components(n, e),
                Material::Ec { point, .. } if alg == Algorithm::ES512 => {
                    return p521::ecdsa::VerifyingKey::from_sec1_bytes(point)
                        .map(Inner::P521)
                        .map_err(|_| ConfigError::InvalidKey("rejected by the crypto backend"));
                }
                Material::Ec { point, .. } => DecodingKey::from_ec_der(point),
                Material::Ed25519(x) => DecodingKey::from_ed_der(x),
            };
            let j = match alg {
                Algorithm::HS256 => J::HS256,
                Algorithm::HS384 => J::HS384,
                Algorithm::HS512 => J::HS512,
                Algorithm::RS256 => J::RS256,
                Algorithm::RS384 => J::RS384,
                Algorithm::RS512 => J::RS512,
                Algorithm::PS256 => J::PS256,
                Algorithm::PS384 => J::PS384,
                Algorithm::PS512 => J::PS512,
                Algorithm::ES256 => J::ES256,
                Algorithm::ES384 => J::ES384,
                Algorithm::ES512 | Algorithm::EdDSA => J::EdDSA,
            };
            // Build once now so a key the backend rejects fails at start-up, not per request.
            (DEFAULT_PROVIDER.verifier_factory)(&j, &key)
                .map_err(|_| ConfigError::InvalidKey("rejected by the crypto backend"))?;
            Ok(Inner::Jwt(key, j))
        }

        pub(super) fn verify(&self, _alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
            match self {
                Inner::Jwt(key, alg) => match (DEFAULT_PROVIDER.verifier_factory)(alg, key) {
                    Ok(v) => v.verify(message, &signature.to_vec()).is_ok(),
                    Err(_) => false,
                },
                Inner::P521(key) => match p521::ecdsa::Signature::from_slice(signature) {
                    Ok(sig) => key.verify(message, &sig).is_ok(),
                    Err(_) => false,
                },
            }
        }
    }
}
