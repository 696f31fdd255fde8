//! aws-lc-rs: signing, key generation, randomness, SHA-256.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use aws_lc_rs::{digest, hmac, rsa};
use serde_json::Value;

use crate::backend::{ec_jwk, ed25519_jwk, no_randomness, rsa_jwk, unfit};
use crate::{Algorithm, ConfigError, Error, ErrorKind, KeyKind};

/// A private key (or HMAC secret) ready to sign.
pub(crate) enum Signer {
    Hmac(Box<hmac::Key>),
    Rsa(RsaKeyPair, &'static dyn sig::RsaEncoding),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl Signer {
    /// A PKCS#8 DER private key for an asymmetric `alg`, and its public JWK members.
    pub(crate) fn from_pkcs8(alg: Algorithm, der: &[u8]) -> Result<(Signer, Value), ConfigError> {
        Ok(match alg.key_kind() {
            KeyKind::Rsa => {
                let pair = RsaKeyPair::from_pkcs8(der).map_err(unfit)?;
                let enc: &'static dyn sig::RsaEncoding = match alg {
                    Algorithm::RS256 => &sig::RSA_PKCS1_SHA256,
                    Algorithm::RS384 => &sig::RSA_PKCS1_SHA384,
                    Algorithm::RS512 => &sig::RSA_PKCS1_SHA512,
                    Algorithm::PS256 => &sig::RSA_PSS_SHA256,
                    Algorithm::PS384 => &sig::RSA_PSS_SHA384,
                    _ => &sig::RSA_PSS_SHA512,
                };
                let c = rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
                let jwk = rsa_jwk(&c.n, &c.e);
                (Signer::Rsa(pair, enc), jwk)
            }
            KeyKind::EcP256 | KeyKind::EcP384 | KeyKind::EcP521 => {
                let (signing, crv) = match alg {
                    Algorithm::ES256 => (&sig::ECDSA_P256_SHA256_FIXED_SIGNING, "P-256"),
                    Algorithm::ES384 => (&sig::ECDSA_P384_SHA384_FIXED_SIGNING, "P-384"),
                    _ => (&sig::ECDSA_P521_SHA512_FIXED_SIGNING, "P-521"),
                };
                let pair = EcdsaKeyPair::from_pkcs8(signing, der).map_err(unfit)?;
                let jwk = ec_jwk(crv, pair.public_key().as_ref());
                (Signer::Ecdsa(pair), jwk)
            }
            KeyKind::Ed25519 => {
                let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(unfit)?;
                let jwk = ed25519_jwk(pair.public_key().as_ref());
                (Signer::Ed25519(pair), jwk)
            }
            KeyKind::Hmac => return Err(ConfigError::InvalidKey("an HMAC algorithm signs with SigningKey::hmac")),
        })
    }

    /// An HMAC secret for an HS* `alg` (its length already checked).
    pub(crate) fn hmac(alg: Algorithm, secret: &[u8]) -> Result<Signer, ConfigError> {
        let h = match alg {
            Algorithm::HS384 => hmac::HMAC_SHA384,
            Algorithm::HS512 => hmac::HMAC_SHA512,
            _ => hmac::HMAC_SHA256,
        };
        Ok(Signer::Hmac(Box::new(hmac::Key::new(h, secret))))
    }

    /// A fresh Ed25519 key and its public JWK members.
    pub(crate) fn generate_ed25519() -> Result<(Signer, Value), ConfigError> {
        let failed = || ConfigError::InvalidKey("key generation failed");
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| failed())?;
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| failed())?;
        let jwk = ed25519_jwk(pair.public_key().as_ref());
        Ok((Signer::Ed25519(pair), jwk))
    }

    /// The JWS signature of `input`.
    pub(crate) fn sign(&self, input: &[u8]) -> Result<Vec<u8>, Error> {
        let failed = |_| Error::detailed(ErrorKind::KeysUnavailable, "signing failed");
        let rng = SystemRandom::new();
        Ok(match self {
            Signer::Hmac(key) => hmac::sign(key, input).as_ref().to_vec(),
            Signer::Rsa(pair, enc) => {
                let mut out = vec![0; pair.public_modulus_len()];
                pair.sign(*enc, &rng, input, &mut out).map_err(failed)?;
                out
            }
            Signer::Ecdsa(pair) => pair.sign(&rng, input).map_err(failed)?.as_ref().to_vec(),
            Signer::Ed25519(pair) => pair.sign(input).as_ref().to_vec(),
        })
    }
}

/// A fresh private key for the asymmetric `alg` as PKCS#8 v1 DER; `rsa_bits` (2048, 3072 or
/// 4096) is the modulus size of an RSA key and ignored otherwise.
pub(crate) fn generate_pkcs8(alg: Algorithm, rsa_bits: usize) -> Result<zeroize::Zeroizing<Vec<u8>>, ConfigError> {
    use aws_lc_rs::encoding::AsDer;
    let failed = |_| ConfigError::InvalidKey("key generation failed");
    let der: Vec<u8> = match alg.key_kind() {
        KeyKind::Rsa => {
            let size = match rsa_bits {
                2048 => rsa::KeySize::Rsa2048,
                3072 => rsa::KeySize::Rsa3072,
                4096 => rsa::KeySize::Rsa4096,
                _ => return Err(ConfigError::InvalidSetting("RSA keys are generated with 2048, 3072 or 4096 bits")),
            };
            let pair = rsa::KeyPair::generate(size).map_err(failed)?;
            pair.as_der().map_err(failed)?.as_ref().to_vec()
        }
        KeyKind::EcP256 | KeyKind::EcP384 | KeyKind::EcP521 => {
            let signing = match alg {
                Algorithm::ES256 => &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                Algorithm::ES384 => &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
                _ => &sig::ECDSA_P521_SHA512_FIXED_SIGNING,
            };
            EcdsaKeyPair::generate_pkcs8(signing, &SystemRandom::new()).map_err(failed)?.as_ref().to_vec()
        }
        KeyKind::Ed25519 => Ed25519KeyPair::generate_pkcs8v1(&SystemRandom::new()).map_err(failed)?.as_ref().to_vec(),
        KeyKind::Hmac => return Err(ConfigError::InvalidKey("an HMAC secret is random bytes, not a PKCS#8 key")),
    };
    Ok(zeroize::Zeroizing::new(der))
}

/// Fills `buf` from the system's secure random source.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), Error> {
    SystemRandom::new().fill(buf).map_err(no_randomness)
}

/// SHA-256.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}
