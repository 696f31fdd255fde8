//! aws-lc-rs: verifying.

use aws_lc_rs::{hmac, signature as sig};
use der::Encode;

use crate::backend::Material;
use crate::{Algorithm, ConfigError};

pub(crate) enum Inner {
    Hmac(Box<hmac::Key>),
    Public(sig::ParsedPublicKey),
}

impl Inner {
    pub(crate) fn new(alg: Algorithm, material: &Material) -> Result<Self, ConfigError> {
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

    pub(crate) fn verify(&self, _alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
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
