//! JWKs as found in the wild (RFC 7517): every member optional, so one odd key never spoils
//! a set; `use`, `key_ops` and `alg` must agree with verification.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::Value;
use zeroize::Zeroizing;

use super::Key;
use crate::backend::Material;
use crate::{Algorithm, ConfigError, KeyKind};

/// A JWK as found in the wild: every member optional, so one odd key never spoils a set. The
/// one shape read for verification keys ([`Jwk::into_key`]), decryption keys and encryption
/// recipients; the secret members are wiped when it is dropped.
#[derive(Deserialize)]
pub(crate) struct Jwk {
    pub(crate) kty: Option<String>,
    pub(crate) kid: Option<String>,
    pub(crate) alg: Option<String>,
    #[serde(rename = "use")]
    pub(crate) use_: Option<String>,
    pub(crate) key_ops: Option<Vec<String>>,
    pub(crate) crv: Option<String>,
    pub(crate) n: Option<String>,
    pub(crate) e: Option<String>,
    pub(crate) x: Option<String>,
    pub(crate) y: Option<String>,
    pub(crate) d: Option<Zeroizing<String>>,
    pub(crate) p: Option<Zeroizing<String>>,
    pub(crate) q: Option<Zeroizing<String>>,
    pub(crate) dp: Option<Zeroizing<String>>,
    pub(crate) dq: Option<Zeroizing<String>>,
    pub(crate) qi: Option<Zeroizing<String>>,
    pub(crate) k: Option<Zeroizing<String>>,
}

/// A public member, base64url-decoded; `what` names it in the error (never its value).
pub(crate) fn member(field: Option<&str>, what: &'static str) -> Result<Vec<u8>, ConfigError> {
    let text = field.ok_or(ConfigError::InvalidKey(what))?;
    URL_SAFE_NO_PAD.decode(text).map_err(|_| ConfigError::InvalidKey(what))
}

/// A secret member, base64url-decoded into memory wiped on drop.
pub(crate) fn secret(field: &Option<Zeroizing<String>>, what: &'static str) -> Result<Zeroizing<Vec<u8>>, ConfigError> {
    member(field.as_deref().map(String::as_str), what).map(Zeroizing::new)
}

impl Jwk {
    pub(crate) fn into_key(self) -> Result<Key, ConfigError> {
        if let Some(u) = &self.use_
            && u != "sig"
        {
            return Err(ConfigError::KeyNotForVerification("`use` is not `sig`"));
        }
        if let Some(ops) = &self.key_ops
            && !ops.iter().any(|o| o == "verify")
        {
            return Err(ConfigError::KeyNotForVerification("`key_ops` lacks `verify`"));
        }
        let only = match &self.alg {
            Some(a) => Some(
                Algorithm::from_name(a)
                    .ok_or(ConfigError::KeyNotForVerification("`alg` is not a supported signature algorithm"))?,
            ),
            None => None,
        };
        let material = match self.kty.as_deref() {
            Some("oct") => Material::Hmac(secret(&self.k, "JWK `k`")?),
            Some("RSA") => {
                Material::Rsa { n: member(self.n.as_deref(), "JWK `n`")?, e: member(self.e.as_deref(), "JWK `e`")? }
            }
            Some("EC") => {
                let kind = match self.crv.as_deref() {
                    Some("P-256") => KeyKind::EcP256,
                    Some("P-384") => KeyKind::EcP384,
                    Some("P-521") => KeyKind::EcP521,
                    _ => return Err(ConfigError::UnsupportedKey("EC curve")),
                };
                let x = member(self.x.as_deref(), "JWK `x`")?;
                let y = member(self.y.as_deref(), "JWK `y`")?;
                if x.len() != y.len() {
                    return Err(ConfigError::InvalidKey("EC point has the wrong length for its curve"));
                }
                let mut point = Vec::with_capacity(1 + x.len() + y.len());
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                Material::Ec { kind, point }
            }
            Some("OKP") => match self.crv.as_deref() {
                Some("Ed25519") => Material::Ed25519(member(self.x.as_deref(), "JWK `x`")?),
                _ => return Err(ConfigError::UnsupportedKey("OKP curve")),
            },
            _ => return Err(ConfigError::UnsupportedKey("`kty`")),
        };
        let key = Key::from_material(material, only)?;
        Ok(match self.kid {
            Some(kid) => key.with_kid(kid),
            None => key,
        })
    }
}

/// The RFC 7638 thumbprint of a public JWK: SHA-256 over its required members (`crv`, `e`, `k`,
/// `kty`, `n`, `x`, `y` as the key type needs) in lexicographic order, base64url. The usual
/// `kid` of a key that has no other name; `kid`, `alg` and `use` do not change it.
///
/// ```
/// use serde_json::json;
/// let jwk = json!({"kty": "EC", "crv": "P-256", "kid": "ignored", "use": "sig",
///     "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"});
/// let kid = jwtguard_core::jwk::thumbprint(&jwk)?;
/// assert_eq!(kid.len(), 43);
/// assert_eq!(kid, jwtguard_core::jwk::thumbprint(&json!({"kty": "EC", "crv": "P-256",
///     "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}))?);
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
///
/// # Errors
/// [`ConfigError::UnsupportedKey`] for an unknown `kty`, [`ConfigError::InvalidKey`] when a
/// required member is missing or not a string.
pub fn thumbprint(jwk: &Value) -> Result<String, ConfigError> {
    let members: &[&'static str] = match jwk.get("kty").and_then(Value::as_str) {
        Some("EC") => &["crv", "kty", "x", "y"],
        Some("RSA") => &["e", "kty", "n"],
        Some("OKP") => &["crv", "kty", "x"],
        Some("oct") => &["k", "kty"],
        _ => return Err(ConfigError::UnsupportedKey("`kty`")),
    };
    let mut canonical = String::from("{");
    for (i, name) in members.iter().enumerate() {
        let value =
            jwk.get(*name).and_then(Value::as_str).ok_or(ConfigError::InvalidKey("JWK member for the thumbprint"))?;
        if i > 0 {
            canonical.push(',');
        }
        canonical.push_str(&Value::from(*name).to_string());
        canonical.push(':');
        canonical.push_str(&Value::from(value).to_string());
    }
    canonical.push('}');
    Ok(URL_SAFE_NO_PAD.encode(crate::backend::sha256(canonical.as_bytes())))
}

/// The public JWK (`kty` and its key members, nothing else) of a `PUBLIC KEY` (SPKI),
/// `RSA PUBLIC KEY` (PKCS#1) or `CERTIFICATE` PEM, for publishing in a JWKS. The key is checked
/// as [`Key::from_pem`] checks it.
///
/// ```
/// # let pem = std::fs::read("../jwtguard-test/keys/p256.pub.pem").unwrap();
/// let jwk = jwtguard_core::jwk::public_jwk_from_pem(&pem)?;
/// assert_eq!(jwk["kty"], "EC");
/// assert_eq!(jwk["crv"], "P-256");
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
///
/// # Errors
/// As [`Key::from_pem`]; a private key is refused.
pub fn public_jwk_from_pem(pem: &[u8]) -> Result<Value, ConfigError> {
    use crate::backend::{ec_jwk, ed25519_jwk, rsa_jwk};
    // Parsed twice: once to check it as a verification key, once for its members.
    Key::from_pem(pem)?;
    Ok(match super::pem::public_material(pem)? {
        Material::Rsa { n, e } => {
            let strip = |b: &[u8]| b[b.iter().take_while(|x| **x == 0).count()..].to_vec();
            rsa_jwk(&strip(&n), &strip(&e))
        }
        Material::Ec { kind, point } => {
            let crv = match kind {
                KeyKind::EcP256 => "P-256",
                KeyKind::EcP384 => "P-384",
                _ => "P-521",
            };
            ec_jwk(crv, &point)
        }
        Material::Ed25519(x) => ed25519_jwk(&x),
        Material::Hmac(_) => return Err(ConfigError::UnsupportedKey("PEM label")),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    /// RFC 7638 §3.1: the example RSA key of RFC 7517 appendix A.1.
    #[test]
    fn thumbprint_matches_rfc_7638_example() {
        let jwk = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(super::thumbprint(&jwk).ok().as_deref(), Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"));
    }

    #[test]
    fn thumbprint_needs_the_required_members() {
        assert!(super::thumbprint(&json!({"kty": "EC", "crv": "P-256", "x": "AA"})).is_err());
        assert!(super::thumbprint(&json!({"kty": "XX"})).is_err());
        assert!(super::thumbprint(&json!([1])).is_err());
    }
}
