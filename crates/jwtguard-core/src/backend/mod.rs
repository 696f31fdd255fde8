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
pub(crate) use chosen::{Signer, fill_random, generate_pkcs8, sha256};

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
            Material::Ed25519(x) if ed25519_small_order(x) => {
                Err(ConfigError::InvalidKey("Ed25519 key of small order"))
            }
            _ => Ok(()),
        }
    }
}

/// The encodings of the Ed25519 points of order 1, 2, 4 and 8 with the sign bit cleared, the
/// last two non-canonical (y = p and p + 1); libsodium refuses the same list. Under such a
/// public key a signature with S = 0 and a small-order R verifies for any message when the
/// verification is cofactorless (aws-lc-rs; RustCrypto's `verify_strict` refuses the key only
/// when verifying), so such a key is refused when it is loaded, on both backends.
const ED25519_SMALL_ORDER: [[u8; 32]; 7] = [
    hex32("0000000000000000000000000000000000000000000000000000000000000000"),
    hex32("0100000000000000000000000000000000000000000000000000000000000000"),
    hex32("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    hex32("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    hex32("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    hex32("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    hex32("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
];

const fn hex32(s: &str) -> [u8; 32] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            _ => c - b'a' + 10,
        }
    }
    let s = s.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = nibble(s[2 * i]) << 4 | nibble(s[2 * i + 1]);
        i += 1;
    }
    out
}

/// `true` when the Ed25519 public key `x` (32 bytes) is a point of small order, whatever its
/// sign bit.
fn ed25519_small_order(x: &[u8]) -> bool {
    let Some((last, head)) = x.split_last() else { return false };
    ED25519_SMALL_ORDER.iter().any(|bad| bad[..31] == *head && bad[31] == last & 0x7f)
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

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::{Key, KeySet};

    fn okp(x: &[u8]) -> String {
        format!(r#"{{"kty":"OKP","crv":"Ed25519","kid":"weak","x":"{}"}}"#, URL_SAFE_NO_PAD.encode(x))
    }

    // Found while fuzzing key loading: with aws-lc-rs, a JWK or PEM whose Ed25519 point is of
    // small order (the identity, say) loaded, and then `R = identity, S = 0` verified as a
    // signature of any token. RFC 8032 §5.1.7 leaves such keys to the verifier; libsodium refuses
    // the same list. Key sets are trusted, so it was no bypass, but the backends must agree.
    #[test]
    fn ed25519_small_order_public_keys_are_refused_on_load() {
        const SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
        for bad in ED25519_SMALL_ORDER {
            for sign in [0, 0x80] {
                let mut x = bad;
                x[31] |= sign;
                assert!(matches!(Key::from_jwk(&okp(&x)), Err(ConfigError::InvalidKey(_))), "JWK {x:02x?}");
                let pem = pem::encode(&pem::Pem::new("PUBLIC KEY", [&SPKI_PREFIX[..], &x].concat()));
                assert!(matches!(Key::from_pem(pem), Err(ConfigError::InvalidKey(_))), "PEM {x:02x?}");
                #[cfg(feature = "rust-crypto")]
                if let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&x) {
                    assert!(key.is_weak(), "{x:02x?} is not of small order");
                }
            }
        }
        // In a JWKS the key is skipped and the others serve.
        let good = r#"{"kty":"OKP","crv":"Ed25519","kid":"good","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let set = KeySet::from_jwks(&format!(r#"{{"keys":[{},{good}]}}"#, okp(&identity))).unwrap_or_default();
        assert_eq!(set.keys().iter().map(Key::kid).collect::<Vec<_>>(), [Some("good")]);
        assert_eq!(set.skipped().iter().map(|s| s.kid.as_deref()).collect::<Vec<_>>(), [Some("weak")]);
    }
}
