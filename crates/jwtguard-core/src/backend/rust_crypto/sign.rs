//! RustCrypto: signing, key generation, randomness, SHA-256.

use ed25519_dalek::pkcs8::DecodePrivateKey as _;
use hmac::{KeyInit, Mac};
use rsa::signature::{SignatureEncoding, Signer as _};
use rsa::traits::PublicKeyParts;
use serde_json::Value;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::backend::{ec_jwk, ed25519_jwk, no_randomness, rsa_jwk, unfit};
use crate::{Algorithm, ConfigError, Error, ErrorKind, KeyKind};

/// A private key (or HMAC secret) ready to sign. ECDSA signatures are deterministic
/// (RFC 6979); RSA-PSS salts come from the system's random source.
pub(crate) enum Signer {
    Hs256(hmac::Hmac<Sha256>),
    Hs384(hmac::Hmac<Sha384>),
    Hs512(hmac::Hmac<Sha512>),
    Rs256(Box<rsa::pkcs1v15::SigningKey<Sha256>>),
    Rs384(Box<rsa::pkcs1v15::SigningKey<Sha384>>),
    Rs512(Box<rsa::pkcs1v15::SigningKey<Sha512>>),
    Ps256(Box<rsa::pss::SigningKey<Sha256>>),
    Ps384(Box<rsa::pss::SigningKey<Sha384>>),
    Ps512(Box<rsa::pss::SigningKey<Sha512>>),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

impl Signer {
    /// A PKCS#8 DER private key for an asymmetric `alg`, and its public JWK members.
    pub(crate) fn from_pkcs8(alg: Algorithm, der: &[u8]) -> Result<(Signer, Value), ConfigError> {
        Ok(match alg.key_kind() {
            KeyKind::Rsa => {
                let key = rsa::PrivateKey::from_pkcs8_der(der).map_err(unfit)?;
                let jwk = rsa_jwk(&key.n_bytes(), &key.e_bytes());
                let signer = match alg {
                    Algorithm::RS256 => Signer::Rs256(Box::new(rsa::pkcs1v15::SigningKey::new(key))),
                    Algorithm::RS384 => Signer::Rs384(Box::new(rsa::pkcs1v15::SigningKey::new(key))),
                    Algorithm::RS512 => Signer::Rs512(Box::new(rsa::pkcs1v15::SigningKey::new(key))),
                    Algorithm::PS256 => Signer::Ps256(Box::new(rsa::pss::SigningKey::new(key))),
                    Algorithm::PS384 => Signer::Ps384(Box::new(rsa::pss::SigningKey::new(key))),
                    _ => Signer::Ps512(Box::new(rsa::pss::SigningKey::new(key))),
                };
                (signer, jwk)
            }
            KeyKind::EcP256 => {
                let key = p256::ecdsa::SigningKey::from_pkcs8_der(der).map_err(unfit)?;
                let jwk = ec_jwk("P-256", key.verifying_key().to_sec1_point(false).as_bytes());
                (Signer::P256(key), jwk)
            }
            KeyKind::EcP384 => {
                let key = p384::ecdsa::SigningKey::from_pkcs8_der(der).map_err(unfit)?;
                let jwk = ec_jwk("P-384", key.verifying_key().to_sec1_point(false).as_bytes());
                (Signer::P384(key), jwk)
            }
            KeyKind::EcP521 => {
                let key = p521::ecdsa::SigningKey::from_pkcs8_der(der).map_err(unfit)?;
                let jwk = ec_jwk("P-521", key.verifying_key().to_sec1_point(false).as_bytes());
                (Signer::P521(key), jwk)
            }
            KeyKind::Ed25519 => {
                let key = ed25519_dalek::SigningKey::from_pkcs8_der(der).map_err(unfit)?;
                let jwk = ed25519_jwk(key.verifying_key().as_bytes());
                (Signer::Ed25519(Box::new(key)), jwk)
            }
            KeyKind::Hmac => return Err(ConfigError::InvalidKey("an HMAC algorithm signs with SigningKey::hmac")),
        })
    }

    /// An HMAC secret for an HS* `alg` (its length already checked).
    pub(crate) fn hmac(alg: Algorithm, secret: &[u8]) -> Result<Signer, ConfigError> {
        Ok(match alg {
            Algorithm::HS384 => Signer::Hs384(KeyInit::new_from_slice(secret).map_err(unfit)?),
            Algorithm::HS512 => Signer::Hs512(KeyInit::new_from_slice(secret).map_err(unfit)?),
            _ => Signer::Hs256(KeyInit::new_from_slice(secret).map_err(unfit)?),
        })
    }

    /// A fresh Ed25519 key and its public JWK members.
    pub(crate) fn generate_ed25519() -> Result<(Signer, Value), ConfigError> {
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut_slice()).map_err(|_| ConfigError::InvalidKey("key generation failed"))?;
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let jwk = ed25519_jwk(key.verifying_key().as_bytes());
        Ok((Signer::Ed25519(Box::new(key)), jwk))
    }

    /// The JWS signature of `input`.
    pub(crate) fn sign(&self, input: &[u8]) -> Result<Vec<u8>, Error> {
        fn mac<M: Mac + Clone>(key: &M, input: &[u8]) -> Vec<u8> {
            let mut m = key.clone();
            m.update(input);
            m.finalize().into_bytes().to_vec()
        }
        let failed = |_| Error::detailed(ErrorKind::KeysUnavailable, "signing failed");
        Ok(match self {
            Signer::Hs256(k) => mac(k, input),
            Signer::Hs384(k) => mac(k, input),
            Signer::Hs512(k) => mac(k, input),
            Signer::Rs256(k) => k.try_sign(input).map_err(failed)?.to_vec(),
            Signer::Rs384(k) => k.try_sign(input).map_err(failed)?.to_vec(),
            Signer::Rs512(k) => k.try_sign(input).map_err(failed)?.to_vec(),
            Signer::Ps256(k) => k.try_sign(input).map_err(failed)?.to_vec(),
            Signer::Ps384(k) => k.try_sign(input).map_err(failed)?.to_vec(),
            Signer::Ps512(k) => k.try_sign(input).map_err(failed)?.to_vec(),
            Signer::P256(k) => {
                let s: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::try_sign(k, input).map_err(failed)?;
                s.to_bytes().to_vec()
            }
            Signer::P384(k) => {
                let s: p384::ecdsa::Signature = p384::ecdsa::signature::Signer::try_sign(k, input).map_err(failed)?;
                s.to_bytes().to_vec()
            }
            Signer::P521(k) => {
                let s: p521::ecdsa::Signature = p521::ecdsa::signature::Signer::try_sign(k, input).map_err(failed)?;
                s.to_bytes().to_vec()
            }
            Signer::Ed25519(k) => ed25519_dalek::Signer::try_sign(&**k, input).map_err(failed)?.to_bytes().to_vec(),
        })
    }
}

/// Key generation is done by the aws-lc-rs backend only.
pub(crate) fn generate_pkcs8(_alg: Algorithm, _rsa_bits: usize) -> Result<zeroize::Zeroizing<Vec<u8>>, ConfigError> {
    Err(ConfigError::UnsupportedKey("PKCS#8 key generation needs the aws-lc-rs backend"))
}

/// Fills `buf` from the system's secure random source.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), Error> {
    getrandom::fill(buf).map_err(no_randomness)
}

/// SHA-256.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}
