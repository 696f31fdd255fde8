//! RustCrypto: verifying.

use hmac::{KeyInit, Mac};
use rsa::{BoxedUint, Pkcs1v15Sign, Pss};
use sha2::{Digest, Sha256, Sha384, Sha512};

// A prepared HMAC state is two hash states that have absorbed the key (`HmacCore`: inner
// and outer pad): they must be wiped on drop, which the `sha2` crate's `zeroize` feature does
// (with `hmac`'s for its buffers). Fails to compile without it, for verifying and signing alike.
const _: fn() = || {
    fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    wiped_on_drop::<sha2::block_api::Sha256VarCore>();
    wiped_on_drop::<sha2::block_api::Sha512VarCore>();
};

use crate::backend::Material;
use crate::{Algorithm, ConfigError};

/// The RustCrypto verifiers, each built once from the key: the HMAC state after the key
/// block, the RSA public key with its precomputed modulus parameters, the decoded curve
/// point. A call clones (HMAC) or borrows them and does only the signature's work.
pub(crate) enum Inner {
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
    pub(crate) fn new(alg: Algorithm, material: &Material) -> Result<Self, ConfigError> {
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

    pub(crate) fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
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
                    Algorithm::RS256 => key.verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(message), signature),
                    Algorithm::RS384 => key.verify(Pkcs1v15Sign::new::<Sha384>(), &Sha384::digest(message), signature),
                    Algorithm::RS512 => key.verify(Pkcs1v15Sign::new::<Sha512>(), &Sha512::digest(message), signature),
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
