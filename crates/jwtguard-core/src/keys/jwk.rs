//! JWKs as found in the wild (RFC 7517): every member optional, so one odd key never spoils
//! a set; `use`, `key_ops` and `alg` must agree with verification.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::Key;
use crate::backend::Material;
use crate::{Algorithm, ConfigError, KeyKind};

/// A JWK as found in the wild: every member optional, so one odd key never spoils a set.
#[derive(Deserialize)]
pub(crate) struct RawJwk {
    kty: Option<String>,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    key_ops: Option<Vec<String>>,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
    k: Option<Zeroizing<String>>,
}

fn b64(field: Option<&str>, what: &'static str) -> Result<Vec<u8>, ConfigError> {
    let text = field.ok_or(ConfigError::InvalidKey(what))?;
    URL_SAFE_NO_PAD.decode(text).map_err(|_| ConfigError::InvalidKey(what))
}

impl RawJwk {
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
            Some("oct") => {
                let k = b64(self.k.as_deref().map(String::as_str), "JWK `k`")?;
                Material::Hmac(Zeroizing::new(k))
            }
            Some("RSA") => {
                Material::Rsa { n: b64(self.n.as_deref(), "JWK `n`")?, e: b64(self.e.as_deref(), "JWK `e`")? }
            }
            Some("EC") => {
                let kind = match self.crv.as_deref() {
                    Some("P-256") => KeyKind::EcP256,
                    Some("P-384") => KeyKind::EcP384,
                    Some("P-521") => KeyKind::EcP521,
                    _ => return Err(ConfigError::UnsupportedKey("EC curve")),
                };
                let x = b64(self.x.as_deref(), "JWK `x`")?;
                let y = b64(self.y.as_deref(), "JWK `y`")?;
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
                Some("Ed25519") => Material::Ed25519(b64(self.x.as_deref(), "JWK `x`")?),
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
