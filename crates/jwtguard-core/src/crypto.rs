//! The crypto backend: one [`Verifier`] per (key, algorithm), built once when the key is loaded.
//!
//! The backend is chosen at compile time, never at run time: `aws-lc-rs` (the default) when that
//! feature is on, whatever else is on; otherwise `rust-crypto`; with neither, the crate does not
//! compile. Both build each verifier once, when the key is loaded, from the same primitives
//! jsonwebtoken 12 uses (aws-lc-rs; RustCrypto's rsa, p256, p384, ed25519-dalek, hmac), without
//! its `Box<dyn JwtVerifier>` (not `Send`, rebuilt from the key on every call) or its
//! process-wide provider, so enabling both features (as `--all-features` does) cannot panic.

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

    /// Checks sizes that every backend relies on, and the secret's length for `alg`.
    pub(crate) fn check(&self, alg: Algorithm) -> Result<(), ConfigError> {
        match self {
            Material::Hmac(k) => check_secret(alg, k.len()),
            Material::Rsa { n, .. } => {
                let bits = rsa_bits(n);
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

/// An HMAC secret must be at least as long as the algorithm's hash (RFC 7518 §3.2): the one
/// place this is decided, for verification and signing keys alike.
pub(crate) fn check_secret(alg: Algorithm, len: usize) -> Result<(), ConfigError> {
    if len < alg.min_secret_len().max(32) { Err(ConfigError::WeakSecret(len)) } else { Ok(()) }
}

/// The exact bit length of a big-endian modulus (leading zero bytes and bits not counted).
fn rsa_bits(n: &[u8]) -> usize {
    let n = &n[n.iter().take_while(|b| **b == 0).count()..];
    n.first().map_or(0, |top| n.len() * 8 - top.leading_zeros() as usize)
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
        material.check(alg)?;
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
    use hmac::{KeyInit, Mac};
    use rsa::{BoxedUint, Pkcs1v15Sign, Pss};
    use sha2::{Digest, Sha256, Sha384, Sha512};

    // A prepared HMAC state is two hash states that have absorbed the key (`HmacCore`: inner
    // and outer pad): they must be wiped on drop, which the `sha2` crate's `zeroize` feature does
    // (with `hmac`'s for its buffers). Fails to compile without it, here and in signing.rs alike.
    const _: fn() = || {
        fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        wiped_on_drop::<sha2::block_api::Sha256VarCore>();
        wiped_on_drop::<sha2::block_api::Sha512VarCore>();
    };

    use super::Material;
    use crate::{Algorithm, ConfigError};

    /// The RustCrypto verifiers, each built once from the key: the HMAC state after the key
    /// block, the RSA public key with its precomputed modulus parameters, the decoded curve
    /// point. A call clones (HMAC) or borrows them and does only the signature's work.
    pub(super) enum Inner {
        Hs256(hmac::Hmac<Sha256>),
        Hs384(hmac::Hmac<Sha384>),
        Hs512(hmac::Hmac<Sha512>),
        Rsa(Box<rsa::PublicKey>),
        P256(p256::ecdsa::VerifyingKey),
        P384(p384::ecdsa::VerifyingKey),
        P521(p521::ecdsa::VerifyingKey),
        Ed25519(ed25519_dalek::VerifyingKey),
    }

    fn rejected<E>(_: E) -> ConfigError {
        ConfigError::InvalidKey("rejected by the crypto backend")
    }

    impl Inner {
        pub(super) fn new(alg: Algorithm, material: &Material) -> Result<Self, ConfigError> {
            Ok(match (alg, material) {
                (Algorithm::HS256, Material::Hmac(k)) => Inner::Hs256(KeyInit::new_from_slice(k).map_err(rejected)?),
                (Algorithm::HS384, Material::Hmac(k)) => Inner::Hs384(KeyInit::new_from_slice(k).map_err(rejected)?),
                (_, Material::Hmac(k)) => Inner::Hs512(KeyInit::new_from_slice(k).map_err(rejected)?),
                (_, Material::Rsa { n, e }) => Inner::Rsa(Box::new(
                    rsa::PublicKey::new(BoxedUint::from_be_slice_vartime(n), BoxedUint::from_be_slice_vartime(e))
                        .map_err(rejected)?,
                )),
                (Algorithm::ES256, Material::Ec { point, .. }) => {
                    Inner::P256(p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(rejected)?)
                }
                (Algorithm::ES384, Material::Ec { point, .. }) => {
                    Inner::P384(p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(rejected)?)
                }
                (Algorithm::ES512, Material::Ec { point, .. }) => {
                    Inner::P521(p521::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(rejected)?)
                }
                (_, Material::Ec { kind, .. }) => return Err(ConfigError::KeyAlgorithmMismatch { kind: *kind, alg }),
                (_, Material::Ed25519(x)) => {
                    let x: &[u8; 32] = x.as_slice().try_into().map_err(rejected)?;
                    Inner::Ed25519(ed25519_dalek::VerifyingKey::from_bytes(x).map_err(rejected)?)
                }
            })
        }

        pub(super) fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
            fn hmac_ok<M: Mac + Clone>(key: &M, message: &[u8], signature: &[u8]) -> bool {
                let mut mac = key.clone();
                mac.update(message);
                // Constant-time comparison, and a wrong length is a mismatch.
                mac.verify_slice(signature).is_ok()
            }
            match self {
                Inner::Hs256(k) => hmac_ok(k, message, signature),
                Inner::Hs384(k) => hmac_ok(k, message, signature),
                Inner::Hs512(k) => hmac_ok(k, message, signature),
                Inner::Rsa(key) => {
                    let ok = match alg {
                        Algorithm::RS256 => {
                            key.verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(message), signature)
                        }
                        Algorithm::RS384 => {
                            key.verify(Pkcs1v15Sign::new::<Sha384>(), &Sha384::digest(message), signature)
                        }
                        Algorithm::RS512 => {
                            key.verify(Pkcs1v15Sign::new::<Sha512>(), &Sha512::digest(message), signature)
                        }
                        Algorithm::PS256 => key.verify(Pss::<Sha256>::new(), &Sha256::digest(message), signature),
                        Algorithm::PS384 => key.verify(Pss::<Sha384>::new(), &Sha384::digest(message), signature),
                        _ => key.verify(Pss::<Sha512>::new(), &Sha512::digest(message), signature),
                    };
                    ok.is_ok()
                }
                Inner::P256(key) => p256::ecdsa::Signature::from_slice(signature)
                    .is_ok_and(|sig| p256::ecdsa::signature::Verifier::verify(key, message, &sig).is_ok()),
                Inner::P384(key) => p384::ecdsa::Signature::from_slice(signature)
                    .is_ok_and(|sig| p384::ecdsa::signature::Verifier::verify(key, message, &sig).is_ok()),
                Inner::P521(key) => p521::ecdsa::Signature::from_slice(signature)
                    .is_ok_and(|sig| p521::ecdsa::signature::Verifier::verify(key, message, &sig).is_ok()),
                // Strict: non-canonical and small-order points are rejected too (RFC 8032 §5.1.7).
                Inner::Ed25519(key) => ed25519_dalek::Signature::from_slice(signature)
                    .is_ok_and(|sig| key.verify_strict(message, &sig).is_ok()),
            }
        }
    }
}
