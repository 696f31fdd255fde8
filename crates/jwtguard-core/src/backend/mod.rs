//! The crypto backend, chosen once, here: `aws-lc-rs` (the default) when that feature is on,
//! whatever else is on; otherwise `rust-crypto`; with neither, the crate does not compile. The
//! choice is made at compile time, never at run time, so enabling both features (as
//! `--all-features` does) cannot panic.
//!
//! Both backends build one [`Verifier`] per (key, algorithm) when the key is loaded, and one
//! [`Signer`] per signing key, from the primitives jsonwebtoken 12 uses (aws-lc-rs; RustCrypto's
//! rsa, p256, p384, p521, ed25519-dalek, hmac). Everything above this folder (the JWS, the JWK,
//! rotation, refresh tokens) is the same on both.
//!
//! | file | job |
//! |---|---|
//! | `mod.rs` | the choice; key material and its size checks; [`Verifier`] |
//! | `aws/verify.rs`, `rust_crypto/verify.rs` | signature checks |
//! | `aws/sign.rs`, `rust_crypto/sign.rs` | signing, key generation, randomness, SHA-256 |
//! | `jwe.rs` | JWE over either backend: Concat KDF, content encryption, content-key unwrap and wrap |
//! | `aws/jwe.rs`, `rust_crypto/jwe.rs` | the JWE primitives: RSA-OAEP, ECDH, AES key wrap, AES-GCM, AES-CBC, HMAC |

use std::fmt;

use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::{Algorithm, ConfigError, Error, ErrorKind, KeyKind};

#[cfg(feature = "aws-lc-rs")]
mod aws;
pub(crate) mod jwe;
#[cfg(feature = "aws-lc-rs")]
use aws as chosen;
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
mod rust_crypto;
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
use rust_crypto as chosen;

use chosen::VerifyingKey as Inner;
pub(crate) use chosen::{Signer, fill_random, sha256};

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

pub(crate) fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn unfit<E>(_: E) -> ConfigError {
    ConfigError::InvalidKey("the private key does not fit the algorithm")
}

pub(crate) fn no_randomness<E>(_: E) -> Error {
    Error::detailed(ErrorKind::KeysUnavailable, "no randomness")
}

/// The public JWK members of an EC key from its uncompressed point (`04 || x || y`).
pub(crate) fn ec_jwk(crv: &str, point: &[u8]) -> Value {
    let coords = point.get(1..).unwrap_or_default();
    let (x, y) = coords.split_at(coords.len() / 2);
    json!({"kty": "EC", "crv": crv, "x": b64(x), "y": b64(y)})
}

pub(crate) fn ed25519_jwk(x: &[u8]) -> Value {
    json!({"kty": "OKP", "crv": "Ed25519", "x": b64(x)})
}

pub(crate) fn rsa_jwk(n: &[u8], e: &[u8]) -> Value {
    json!({"kty": "RSA", "n": b64(n), "e": b64(e)})
}
