//! PEM and DER: SubjectPublicKeyInfo, PKCS#1 and certificates into public key material;
//! PKCS#8, PKCS#1 and SEC1 private keys into decryption key material.

use std::path::Path;

use der::Decode;
use zeroize::Zeroizing;

use crate::backend::Material;
use crate::backend::jwe::{Curve, RsaParts};
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

const OID_RSA_PSS: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const OID_X25519: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.3.101.110");
const OID_X448: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.3.101.111");
const OID_ED448: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.3.101.113");

/// The private key material of a decryption key, as the JWK path builds it.
pub(crate) enum PrivateMaterial {
    Rsa(RsaParts),
    /// An ECDH key: the private scalar (left-padded to the curve's length) and the public
    /// point the encoding names, if it names one.
    Ecdh {
        curve: Curve,
        d: Zeroizing<Vec<u8>>,
        public: Option<Vec<u8>>,
    },
}

/// The private key of a `PRIVATE KEY` (PKCS#8), `RSA PRIVATE KEY` (PKCS#1) or `EC PRIVATE KEY`
/// (SEC1) PEM block, for decryption. Errors name what is wrong, never key bytes.
pub(crate) fn private_material(pem_bytes: &[u8]) -> Result<PrivateMaterial, ConfigError> {
    // `openssl ecparam -genkey` writes an `EC PARAMETERS` block before the key: skipped.
    let blocks = pem::parse_many(pem_bytes).map_err(|_| ConfigError::InvalidKey("not a PEM block"))?;
    let block =
        blocks.into_iter().find(|b| b.tag() != "EC PARAMETERS").ok_or(ConfigError::InvalidKey("not a PEM block"))?;
    if block.headers().get("Proc-Type").is_some_and(|v| v.contains("ENCRYPTED")) {
        return Err(ConfigError::UnsupportedKey("password-protected PEM (decrypt it first)"));
    }
    let tag = block.tag().to_owned();
    let der_bytes = Zeroizing::new(block.into_contents());
    match tag.as_str() {
        "PRIVATE KEY" => pkcs8_private(&der_bytes),
        "RSA PRIVATE KEY" => pkcs1_private(&der_bytes).map(PrivateMaterial::Rsa),
        "EC PRIVATE KEY" => sec1_private(&der_bytes, None),
        "ENCRYPTED PRIVATE KEY" => Err(ConfigError::UnsupportedKey("encrypted PKCS#8 private key (decrypt it first)")),
        "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE" => {
            Err(ConfigError::KeyNotForDecryption("a public key was given where a private key is needed"))
        }
        _ => Err(ConfigError::UnsupportedKey("PEM label (expected PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)")),
    }
}

fn pkcs8_private(der_bytes: &[u8]) -> Result<PrivateMaterial, ConfigError> {
    let info =
        pkcs8::PrivateKeyInfoRef::from_der(der_bytes).map_err(|_| ConfigError::InvalidKey("PKCS#8 PrivateKeyInfo"))?;
    let key = info.private_key.as_bytes();
    match info.algorithm.oid {
        OID_RSA => pkcs1_private(key).map(PrivateMaterial::Rsa),
        OID_EC => {
            let curve = info.algorithm.parameters_oid().map_err(|_| ConfigError::InvalidKey("EC curve parameters"))?;
            let material = sec1_private(key, Some(curve))?;
            // PKCS#8 v2 (RFC 5958) may carry the public key outside the SEC1 key too: checked
            // the same way, and it must be the same point.
            let Some(bits) = &info.public_key else { return Ok(material) };
            let outer = bits.as_bytes().ok_or(ConfigError::InvalidKey("EC public key bit string"))?;
            match material {
                PrivateMaterial::Ecdh { curve, d, public } => {
                    uncompressed(curve, outer)?;
                    if public.as_deref().is_some_and(|inner| inner != outer) {
                        return Err(ConfigError::InvalidKey("the key file names two different public points"));
                    }
                    Ok(PrivateMaterial::Ecdh { curve, d, public: Some(outer.to_vec()) })
                }
                other => Ok(other),
            }
        }
        OID_X25519 => {
            // RFC 8410 §7: CurvePrivateKey ::= OCTET STRING, inside the PKCS#8 OCTET STRING.
            let d = <&der::asn1::OctetStringRef>::from_der(key)
                .map_err(|_| ConfigError::InvalidKey("X25519 private key"))?
                .as_bytes();
            if d.len() != Curve::X25519.coord_len() {
                return Err(ConfigError::InvalidKey("X25519 private key has the wrong length"));
            }
            let public = match &info.public_key {
                Some(bits) => {
                    Some(bits.as_bytes().ok_or(ConfigError::InvalidKey("X25519 public key bit string"))?.to_vec())
                }
                None => None,
            };
            Ok(PrivateMaterial::Ecdh { curve: Curve::X25519, d: Zeroizing::new(d.to_vec()), public })
        }
        OID_ED25519 | OID_ED448 => {
            Err(ConfigError::KeyNotForDecryption("an Ed25519 or Ed448 key signs only; it cannot decrypt"))
        }
        OID_RSA_PSS => Err(ConfigError::KeyNotForDecryption("an RSASSA-PSS key signs only; it cannot decrypt")),
        OID_X448 => Err(ConfigError::UnsupportedKey("X448 (ECDH-ES here is P-256, P-384, P-521 or X25519)")),
        _ => Err(ConfigError::UnsupportedKey("PKCS#8 key algorithm")),
    }
}

fn pkcs1_private(der_bytes: &[u8]) -> Result<RsaParts, ConfigError> {
    let key = pkcs1::RsaPrivateKey::<der::asn1::UintRef<'_>>::from_der(der_bytes)
        .map_err(|_| ConfigError::InvalidKey("PKCS#1 RSA private key"))?;
    if key.other_prime_infos.is_some() {
        return Err(ConfigError::UnsupportedKey("multi-prime RSA key"));
    }
    let secret = |u: der::asn1::UintRef<'_>| Zeroizing::new(u.as_bytes().to_vec());
    Ok(RsaParts {
        n: key.modulus.as_bytes().to_vec(),
        e: key.public_exponent.as_bytes().to_vec(),
        d: secret(key.private_exponent),
        p: secret(key.prime1),
        q: secret(key.prime2),
        dp: secret(key.exponent1),
        dq: secret(key.exponent2),
        qi: secret(key.coefficient),
    })
}

/// A SEC1 `ECPrivateKey` (RFC 5915). `outer` is the curve a PKCS#8 wrapper names; the curve
/// the key itself names, when present, must agree with it.
fn sec1_private(der_bytes: &[u8], outer: Option<der::asn1::ObjectIdentifier>) -> Result<PrivateMaterial, ConfigError> {
    let key = sec1::EcPrivateKey::from_der(der_bytes).map_err(|_| ConfigError::InvalidKey("SEC1 EC private key"))?;
    let inner = key.parameters.as_ref().and_then(|p| p.named_curve());
    let oid = match (outer, inner) {
        (Some(a), Some(b)) if a != b => {
            return Err(ConfigError::InvalidKey("the EC key names two different curves"));
        }
        (Some(oid), _) | (None, Some(oid)) => oid,
        (None, None) => return Err(ConfigError::InvalidKey("EC private key without a named curve")),
    };
    let curve = match oid {
        OID_P256 => Curve::P256,
        OID_P384 => Curve::P384,
        OID_P521 => Curve::P521,
        _ => return Err(ConfigError::UnsupportedKey("EC curve (expected P-256, P-384 or P-521)")),
    };
    // RFC 5915 §3 fixes the length; a shorter one (leading zeros dropped) is padded back.
    let len = curve.coord_len();
    let raw = key.private_key;
    if raw.is_empty() || raw.len() > len {
        return Err(ConfigError::InvalidKey("private scalar has the wrong length for its curve"));
    }
    let mut d = Zeroizing::new(vec![0u8; len]);
    d[len - raw.len()..].copy_from_slice(raw);
    if let Some(public) = key.public_key {
        uncompressed(curve, public)?;
    }
    Ok(PrivateMaterial::Ecdh { curve, d, public: key.public_key.map(<[u8]>::to_vec) })
}

/// A key file's public point must be uncompressed (`04 || x || y`): both backends then compare
/// it with the point the private scalar makes, byte for byte, and agree.
fn uncompressed(curve: Curve, point: &[u8]) -> Result<(), ConfigError> {
    if point.len() == 1 + 2 * curve.coord_len() && point.first() == Some(&4) {
        Ok(())
    } else {
        Err(ConfigError::UnsupportedKey("a compressed or malformed EC public point in the key file"))
    }
}
