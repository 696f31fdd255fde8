//! Opt-outs that skip checks. Each function says what it breaks; grep for `dangerous::` to find
//! every use in a code base.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::{Error, ErrorKind, Header, Validator};

/// A token read without any verification.
///
/// ```
/// let t = jwtguard_core::dangerous::decode_unverified("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln")?;
/// assert_eq!(t.header["alg"], "HS256");
/// # Ok::<_, jwtguard_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Unverified {
    /// The header as JSON.
    pub header: serde_json::Value,
    /// The claims as JSON.
    pub claims: serde_json::Value,
}

/// The largest token [`decode_unverified`] reads.
///
/// ```
/// assert_eq!(jwtguard_core::dangerous::MAX_UNVERIFIED_SIZE, 1 << 20);
/// ```
pub const MAX_UNVERIFIED_SIZE: usize = 1024 * 1024;

/// Decodes a token's header and claims **without verifying anything**: not the signature, not
/// the expiry, not the issuer. For tools and debugging only; never authorize on its output.
///
/// The JSON must still be strict (no duplicate member names) and the token at most 1 MiB.
///
/// ```
/// let token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.";
/// let t = jwtguard_core::dangerous::decode_unverified(token)?;
/// assert_eq!(t.header["alg"], "none");
/// assert_eq!(t.claims["sub"], "alice");
/// # Ok::<_, jwtguard_core::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::TooLarge`] or [`ErrorKind::Malformed`].
pub fn decode_unverified(token: &str) -> Result<Unverified, Error> {
    if token.len() > MAX_UNVERIFIED_SIZE {
        return Err(Error::new(ErrorKind::TooLarge));
    }
    let malformed = |detail| Error::detailed(ErrorKind::Malformed, detail);
    let mut parts = token.trim().split('.');
    let (Some(h), Some(p), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(malformed("not three dot-separated segments"));
    };
    let json = |seg: &str, what| -> Result<serde_json::Value, Error> {
        let bytes = URL_SAFE_NO_PAD.decode(seg).map_err(|_| malformed(what))?;
        if !crate::verify::json::check_strict(&bytes) {
            return Err(malformed(what));
        }
        serde_json::from_slice(&bytes).map_err(|_| malformed(what))
    };
    Ok(Unverified {
        header: json(h, "header is not strict base64url JSON")?,
        claims: json(p, "claims are not strict base64url JSON")?,
    })
}

/// Checks size, header, key and signature with `validator`, and returns the payload bytes,
/// **without the claims policy**: no `exp`, `nbf`, `iss` or `aud` check. For JWS whose payload
/// is not a JWT claims set; never use it to authenticate a request.
///
/// ```
/// use jwtguard_core::{Algorithm, Key, Validator};
/// let validator = Validator::builder(Key::hmac([0u8; 32])?, [Algorithm::HS256]).build()?;
/// assert!(jwtguard_core::dangerous::verify_signature_only(&validator, "a.b.c").is_err());
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
///
/// # Errors
/// As [`Validator::verify`] for the steps it runs.
pub fn verify_signature_only(validator: &Validator, token: &str) -> Result<(Header, Vec<u8>), Error> {
    validator.policy_for(token)?.0.verify_jws(token).map(|jws| jws.into_parts())
}

/// Decrypts a compact JWE and returns its plaintext **without verifying anything inside**:
/// there may be no signature at all, and nothing says who made the token (anyone holding the
/// public key can encrypt to it). For tools (the CLI's `decrypt`) and test vectors only; to
/// authenticate, use a [`Validator`] with
/// [`decrypt_with`](crate::ValidatorBuilder::decrypt_with).
///
/// The refusals of `decrypt_with` apply (`RSA1_5`, `PBES2-*`, `zip`, `crit`, the allow-lists,
/// the `epk` checks); the token is at most [`MAX_UNVERIFIED_SIZE`].
///
/// # Errors
/// As for a validator; any failure to decrypt is [`ErrorKind::DecryptionFailed`].
///
/// ```
/// use jwtguard_core::{ContentEncryption, DecryptionKey, KeyManagement, issuer::EncryptionKey};
/// let jwe = EncryptionKey::shared([3u8; 16])?.encrypt(KeyManagement::A128Kw, ContentEncryption::A128Gcm, "a.b.c")?;
/// let plain = jwtguard_core::dangerous::decrypt_unverified(
///     &jwe, DecryptionKey::shared([3u8; 16])?, [KeyManagement::A128Kw], [ContentEncryption::A128Gcm])?;
/// assert_eq!(plain, b"a.b.c");
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
pub fn decrypt_unverified(
    token: &str,
    keys: impl Into<crate::DecryptionKeys>,
    key_management: impl IntoIterator<Item = crate::KeyManagement>,
    content: impl IntoIterator<Item = crate::ContentEncryption>,
) -> Result<Vec<u8>, Error> {
    if token.len() > MAX_UNVERIFIED_SIZE {
        return Err(Error::new(ErrorKind::TooLarge));
    }
    let config = crate::verify::JweConfig {
        keys: keys.into(),
        key_management: key_management.into_iter().collect(),
        content: content.into_iter().collect(),
        required: true,
        allow_unsigned: false,
    };
    Ok(config.decrypt(token, false)?.inner.to_vec())
}
