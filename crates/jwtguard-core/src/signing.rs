//! The backend half of issuance: signing, key generation, randomness and SHA-256, on aws-lc-rs
//! (the default) or RustCrypto, chosen as in [`crypto`](crate::crypto). Everything above this
//! (the JWS, the JWK, rotation, refresh tokens) is the same on both.

use serde_json::{Value, json};

use crate::{ConfigError, Error, ErrorKind};

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn unfit<E>(_: E) -> ConfigError {
    ConfigError::InvalidKey("the private key does not fit the algorithm")
}

fn no_randomness<E>(_: E) -> Error {
    Error::detailed(ErrorKind::KeysUnavailable, "no randomness")
}

/// The public JWK members of an EC key from its uncompressed point (`04 || x || y`).
fn ec_jwk(crv: &str, point: &[u8]) -> Value {
    let coords = point.get(1..).unwrap_or_default();
    let (x, y) = coords.split_at(coords.len() / 2);
    json!({"kty": "EC", "crv": crv, "x": b64(x), "y": b64(y)})
}

fn ed25519_jwk(x: &[u8]) -> Value {
    json!({"kty": "OKP", "crv": "Ed25519", "x": b64(x)})
}

fn rsa_jwk(n: &[u8], e: &[u8]) -> Value {
    json!({"kty": "RSA", "n": b64(n), "e": b64(e)})
}

pub(crate) use backend::{Signer, fill_random, sha256};

#[cfg(feature = "aws-lc-rs")]
mod backend {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
    use aws_lc_rs::{digest, hmac, rsa};
    use serde_json::Value;

    use super::{ec_jwk, ed25519_jwk, no_randomness, rsa_jwk, unfit};
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
}

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
mod backend {
    use ed25519_dalek::pkcs8::DecodePrivateKey as _;
    use hmac::{KeyInit, Mac};
    use rsa::signature::{SignatureEncoding, Signer as _};
    use rsa::traits::PublicKeyParts;
    use serde_json::Value;
    use sha2::{Digest, Sha256, Sha384, Sha512};

    use super::{ec_jwk, ed25519_jwk, no_randomness, rsa_jwk, unfit};
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
                    let s: p256::ecdsa::Signature =
                        p256::ecdsa::signature::Signer::try_sign(k, input).map_err(failed)?;
                    s.to_bytes().to_vec()
                }
                Signer::P384(k) => {
                    let s: p384::ecdsa::Signature =
                        p384::ecdsa::signature::Signer::try_sign(k, input).map_err(failed)?;
                    s.to_bytes().to_vec()
                }
                Signer::P521(k) => {
                    let s: p521::ecdsa::Signature =
                        p521::ecdsa::signature::Signer::try_sign(k, input).map_err(failed)?;
                    s.to_bytes().to_vec()
                }
                Signer::Ed25519(k) => ed25519_dalek::Signer::try_sign(&**k, input).map_err(failed)?.to_bytes().to_vec(),
            })
        }
    }

    /// Fills `buf` from the system's secure random source.
    pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), Error> {
        getrandom::fill(buf).map_err(no_randomness)
    }

    /// SHA-256.
    pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
        Sha256::digest(data).into()
    }
}
