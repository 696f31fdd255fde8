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
    use hmac::{KeyInit, Mac};
    use rsa::{BoxedUint, Pkcs1v15Sign, Pss};
    use sha2::{Digest, Sha256, Sha384, Sha512};

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
