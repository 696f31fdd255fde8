//! PEM and DER: SubjectPublicKeyInfo, PKCS#1 and certificates into key material.

use std::path::Path;

use der::Decode;

use crate::backend::Material;
use crate::{ConfigError, KeyKind};

pub(crate) fn read(path: &Path) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|source| ConfigError::Io { path: path.display().to_string(), source })
}

const OID_RSA: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_EC: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.3.132.0.35");
const OID_ED25519: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.3.101.112");

pub(crate) fn spki_material(der_bytes: &[u8]) -> Result<Material, ConfigError> {
    let spki = spki::SubjectPublicKeyInfoRef::from_der(der_bytes)
        .map_err(|_| ConfigError::InvalidKey("SubjectPublicKeyInfo"))?;
    let key = spki.subject_public_key.as_bytes().ok_or(ConfigError::InvalidKey("public key bit string"))?;
    match spki.algorithm.oid {
        OID_RSA => pkcs1_material(key),
        OID_EC => {
            let curve = spki.algorithm.parameters_oid().map_err(|_| ConfigError::InvalidKey("EC curve parameters"))?;
            let kind = match curve {
                OID_P256 => KeyKind::EcP256,
                OID_P384 => KeyKind::EcP384,
                OID_P521 => KeyKind::EcP521,
                _ => return Err(ConfigError::UnsupportedKey("EC curve")),
            };
            Ok(Material::Ec { kind, point: key.to_vec() })
        }
        OID_ED25519 => Ok(Material::Ed25519(key.to_vec())),
        _ => Err(ConfigError::UnsupportedKey("public key algorithm")),
    }
}

pub(crate) fn pkcs1_material(der_bytes: &[u8]) -> Result<Material, ConfigError> {
    let key = pkcs1::RsaPublicKey::<der::asn1::UintRef<'_>>::from_der(der_bytes)
        .map_err(|_| ConfigError::InvalidKey("RSA public key"))?;
    Ok(Material::Rsa { n: key.modulus.as_bytes().to_vec(), e: key.public_exponent.as_bytes().to_vec() })
}

/// The public key material of a `PUBLIC KEY`, `RSA PUBLIC KEY` or `CERTIFICATE` PEM block.
pub(crate) fn public_material(pem_bytes: &[u8]) -> Result<Material, ConfigError> {
    let block = pem::parse(pem_bytes).map_err(|_| ConfigError::InvalidKey("not a PEM block"))?;
    match block.tag() {
        "PUBLIC KEY" => spki_material(block.contents()),
        "RSA PUBLIC KEY" => pkcs1_material(block.contents()),
        "CERTIFICATE" => {
            let cert = x509_cert::Certificate::from_der(block.contents())
                .map_err(|_| ConfigError::InvalidKey("X.509 certificate"))?;
            let spki = cert.tbs_certificate().subject_public_key_info();
            let der = der::Encode::to_der(spki).map_err(|_| ConfigError::InvalidKey("X.509 certificate"))?;
            spki_material(&der)
        }
        t if t.contains("PRIVATE") => {
            Err(ConfigError::InvalidKey("a private key was given where a public key is needed"))
        }
        _ => Err(ConfigError::UnsupportedKey("PEM label")),
    }
}
