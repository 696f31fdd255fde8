//! The JWE half of verification (RFC 7516 compact serialization): size bound, five segments,
//! the protected header against the key-management and content allow-lists, refusals that do
//! not depend on configuration (`zip`, `crit`, private or ill-formed `epk`), the key by `kid`,
//! then decryption. Every failure after the header is one [`ErrorKind::DecryptionFailed`] with
//! no detail: which of the key, the ephemeral key, the tag or the padding failed is not told.
//!
//! The bound on the token's size applies to the whole five-part token, before any decoding;
//! the inner JWS is then bounded by it too.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::json::check_strict;
use super::validator::Policy;
use crate::backend::jwe::{Agreement, Curve, decrypt_content, random_key};
use crate::{ConfigError, ContentEncryption, DecryptionKeys, Error, ErrorKind, KeyManagement};

/// A validator's JWE settings, fixed at build time.
#[derive(Debug)]
pub(crate) struct JweConfig {
    pub(crate) keys: DecryptionKeys,
    pub(crate) key_management: Vec<KeyManagement>,
    pub(crate) content: Vec<ContentEncryption>,
    /// Plain JWS tokens are rejected.
    pub(crate) required: bool,
    /// An encrypted claims set without a signature (no `cty`) is accepted:
    /// [`insecure_allow_unsigned_encrypted`](crate::ValidatorBuilder::insecure_allow_unsigned_encrypted).
    pub(crate) allow_unsigned: bool,
}

/// The algorithms a token was encrypted with, as [`Header::encryption`](crate::Header::encryption) reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encryption {
    pub(crate) alg: KeyManagement,
    pub(crate) enc: ContentEncryption,
}

impl Encryption {
    /// The key-management algorithm (`alg` of the JWE header).
    ///
    /// ```
    /// # let (validator, token) = jwtguard_core::doc_support::encrypted_example();
    /// let verified = validator.verify::<serde_json::Value>(&token)?;
    /// assert_eq!(verified.header().encryption().map(|e| e.alg()), Some(jwtguard_core::KeyManagement::A256Kw));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn alg(&self) -> KeyManagement {
        self.alg
    }
    /// The content-encryption algorithm (`enc`).
    ///
    /// ```
    /// # let (validator, token) = jwtguard_core::doc_support::encrypted_example();
    /// let verified = validator.verify::<serde_json::Value>(&token)?;
    /// assert_eq!(verified.header().encryption().map(|e| e.enc()), Some(jwtguard_core::ContentEncryption::A256Gcm));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn enc(&self) -> ContentEncryption {
        self.enc
    }
}

/// A decrypted token: the inner JWS to be verified by the same policy, or (only with the
/// opt-in) the claims set itself.
pub(crate) struct Decrypted {
    pub(crate) inner: Zeroizing<Vec<u8>>,
    pub(crate) encryption: Encryption,
    /// `true` when `inner` is a signed JWT (`cty: JWT`); `false` when it is the claims set.
    pub(crate) nested: bool,
    /// The JWE header's `kid` and `typ`, which an unsigned token's header reports.
    pub(crate) kid: Option<String>,
    pub(crate) typ: Option<String>,
}

#[derive(Deserialize)]
struct JweHeader<'a> {
    #[serde(borrow)]
    alg: Cow<'a, str>,
    #[serde(borrow)]
    enc: Cow<'a, str>,
    zip: Option<Value>,
    #[serde(borrow)]
    kid: Option<Cow<'a, str>>,
    #[serde(borrow)]
    cty: Option<Cow<'a, str>>,
    #[serde(borrow)]
    typ: Option<Cow<'a, str>>,
    crit: Option<Value>,
    epk: Option<Map<String, Value>>,
    #[serde(borrow)]
    apu: Option<Cow<'a, str>>,
    #[serde(borrow)]
    apv: Option<Cow<'a, str>>,
}

/// `true` when `token` has the five segments of a compact JWE (four dots).
pub(crate) fn is_jwe(token: &str) -> bool {
    token.bytes().filter(|b| *b == b'.').count() == 4
}

/// Private members a JWK may hold (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

impl Policy {
    /// Decrypts a compact JWE holding a signed JWT (or, with the opt-in, a claims set); the
    /// caller has checked the size bound.
    pub(crate) fn decrypt(&self, token: &str) -> Result<Decrypted, Error> {
        match &self.jwe {
            Some(jwe) => jwe.decrypt(token, true),
            None => {
                Err(Error::detailed(ErrorKind::AlgorithmNotAllowed, "encrypted token, but no decryption configured"))
            }
        }
    }
}

impl JweConfig {
    /// Decrypts a compact JWE; with `nested`, only a signed JWT inside (`cty: JWT`) is accepted,
    /// or with `allow_unsigned` also a claims set (no `cty`).
    pub(crate) fn decrypt(&self, token: &str, nested: bool) -> Result<Decrypted, Error> {
        let jwe = self;
        let malformed = |detail| Error::detailed(ErrorKind::Malformed, detail);
        let mut parts = token.split('.');
        let (Some(h64), Some(k64), Some(iv64), Some(c64), Some(t64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed("not five dot-separated segments"));
        };
        let header_json = URL_SAFE_NO_PAD.decode(h64).map_err(|_| malformed("header is not base64url"))?;
        if !check_strict(&header_json) {
            return Err(malformed("header is not a strict JSON object"));
        }
        let header: JweHeader<'_> =
            serde_json::from_slice(&header_json).map_err(|_| malformed("header is not a strict JSON object"))?;
        // RSA1_5 and PBES2-* are not key-management algorithms here at all.
        let alg = match KeyManagement::from_name(&header.alg) {
            Some(alg) if jwe.key_management.contains(&alg) => alg,
            _ => return Err(Error::new(ErrorKind::AlgorithmNotAllowed)),
        };
        let enc = match ContentEncryption::from_name(&header.enc) {
            Some(enc) if jwe.content.contains(&enc) => enc,
            _ => return Err(Error::new(ErrorKind::AlgorithmNotAllowed)),
        };
        if header.zip.is_some() {
            // Compression before encryption: a decompression bomb and a length side channel.
            return Err(Error::detailed(ErrorKind::AlgorithmNotAllowed, "compressed (zip) tokens are refused"));
        }
        if header.crit.is_some() {
            return Err(Error::new(ErrorKind::UnsupportedCritical));
        }
        // Nested JWT only (RFC 7519 §5.2): an encrypted claims set without a signature would be
        // accepted from anyone who holds the public encryption key. The opt-in accepts one, and
        // only one that says so by having no `cty` (RFC 7519 §5.2: the claims set itself).
        let cty_jwt = header
            .cty
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case("JWT") || c.eq_ignore_ascii_case("application/jwt"));
        if nested && !cty_jwt && !(jwe.allow_unsigned && header.cty.is_none()) {
            return Err(Error::detailed(ErrorKind::AlgorithmNotAllowed, "encrypted token without a signed JWT inside"));
        }
        let b64 = |s: &str, what| URL_SAFE_NO_PAD.decode(s).map_err(|_| malformed(what));
        let apu = header.apu.as_deref().map(|s| b64(s, "apu is not base64url")).transpose()?.unwrap_or_default();
        let apv = header.apv.as_deref().map(|s| b64(s, "apv is not base64url")).transpose()?.unwrap_or_default();
        let epk = match (&header.epk, alg.is_ecdh()) {
            (Some(epk), true) => Some(parse_epk(epk)?),
            (None, true) => return Err(malformed("ECDH-ES without epk")),
            (_, false) => None,
        };
        let encrypted_key = b64(k64, "encrypted key is not base64url")?;
        let iv = b64(iv64, "iv is not base64url")?;
        let ciphertext = b64(c64, "ciphertext is not base64url")?;
        let tag = b64(t64, "tag is not base64url")?;
        let agreement =
            epk.as_ref().map(|(curve, point)| Agreement { curve: *curve, epk: point, apu: &apu, apv: &apv });

        let mut candidates = jwe.keys.candidates(header.kid.as_deref(), alg, enc).peekable();
        if candidates.peek().is_none() {
            return Err(Error::new(ErrorKind::UnknownKey));
        }
        for key in candidates {
            // RFC 7516 §11.5: a content key that fails to unwrap is replaced by a random one and
            // decryption goes on, so an unwrap failure and a tag failure look and cost the same.
            let cek = match key.inner.unwrap_cek(alg, enc, &encrypted_key, agreement.as_ref()) {
                Some(cek) => cek,
                None => random_key(enc.key_len())?,
            };
            if let Some(plaintext) = decrypt_content(enc, &cek, &iv, h64.as_bytes(), &ciphertext, &tag) {
                return Ok(Decrypted {
                    inner: Zeroizing::new(plaintext),
                    encryption: Encryption { alg, enc },
                    nested: cty_jwt,
                    kid: header.kid.as_deref().map(str::to_owned),
                    typ: header.typ.as_deref().map(str::to_owned),
                });
            }
        }
        Err(Error::new(ErrorKind::DecryptionFailed))
    }
}

/// The ephemeral public key: public members only, on a supported curve, of the right length.
/// Whether the point is on its curve, and on the recipient key's curve, is checked by the
/// key agreement (a failure there is a decryption failure).
fn parse_epk(epk: &Map<String, Value>) -> Result<(Curve, Vec<u8>), Error> {
    let malformed = |detail| Error::detailed(ErrorKind::Malformed, detail);
    if PRIVATE_MEMBERS.iter().any(|m| epk.contains_key(*m)) {
        return Err(malformed("epk holds private key members"));
    }
    let text = |name: &str| epk.get(name).and_then(Value::as_str);
    let coord = |name: &str| {
        text(name).and_then(|s| URL_SAFE_NO_PAD.decode(s).ok()).ok_or(malformed("epk coordinate is not base64url"))
    };
    let curve = text("crv").and_then(Curve::from_name).ok_or(Error::new(ErrorKind::DecryptionFailed))?;
    let len = curve.coord_len();
    match (text("kty"), curve) {
        (Some("OKP"), Curve::X25519) => {
            let x = coord("x")?;
            if x.len() != len {
                return Err(Error::new(ErrorKind::DecryptionFailed));
            }
            Ok((curve, x))
        }
        (Some("EC"), Curve::P256 | Curve::P384 | Curve::P521) => {
            let (x, y) = (coord("x")?, coord("y")?);
            if x.len() != len || y.len() != len {
                return Err(Error::new(ErrorKind::DecryptionFailed));
            }
            Ok((curve, [&[4u8][..], &x, &y].concat()))
        }
        _ => Err(Error::new(ErrorKind::DecryptionFailed)),
    }
}

impl JweConfig {
    /// Start-up checks: non-empty lists and keys, and a key for every allowed algorithm.
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        if self.key_management.is_empty() || self.content.is_empty() {
            return Err(ConfigError::InvalidSetting("decrypt_with needs at least one alg and one enc"));
        }
        if self.keys.is_empty() {
            return Err(ConfigError::InvalidSetting("decrypt_with needs at least one decryption key"));
        }
        for alg in &self.key_management {
            if !self.content.iter().any(|enc| self.keys.keys.iter().any(|k| k.fits(*alg, Some(*enc)))) {
                return Err(ConfigError::NoKeyFor(*alg));
            }
        }
        Ok(())
    }
}
