//! aws-lc-rs: the JWE primitives (RSA-OAEP, ECDH, AES key wrap, AES-GCM, AES-CBC, HMAC).

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey};
use aws_lc_rs::cipher::{
    self, DecryptionContext, EncryptionContext, PaddedBlockDecryptingKey, PaddedBlockEncryptingKey, UnboundCipherKey,
};
use aws_lc_rs::key_wrap::{AES_128, AES_256, AesKek, KeyWrap};
use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, OaepPublicEncryptingKey,
    PrivateDecryptingKey, PublicEncryptingKey,
};
use aws_lc_rs::{constant_time, hmac};
use zeroize::Zeroizing;

use crate::backend::jwe::{Curve, RsaParts};
use crate::backend::no_randomness;
use crate::{ConfigError, Error};

/// An RSA private key for RSA-OAEP.
pub(crate) struct RsaPrivate(OaepPrivateDecryptingKey);

impl RsaPrivate {
    pub(crate) fn new(parts: &RsaParts) -> Result<Self, ConfigError> {
        let der = Zeroizing::new(parts.pkcs8_der()?);
        let key = PrivateDecryptingKey::from_pkcs8(&der)
            .map_err(|_| ConfigError::InvalidKey("RSA private key rejected by the crypto backend"))?;
        Ok(RsaPrivate(
            OaepPrivateDecryptingKey::new(key).map_err(|_| ConfigError::InvalidKey("RSA key not usable for OAEP"))?,
        ))
    }

    pub(crate) fn decrypt(&self, sha256: bool, ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let alg = if sha256 { &OAEP_SHA256_MGF1SHA256 } else { &OAEP_SHA1_MGF1SHA1 };
        let mut out = Zeroizing::new(vec![0u8; self.0.min_output_size()]);
        let n = self.0.decrypt(alg, ciphertext, &mut out, None).ok()?.len();
        out.truncate(n);
        Some(out)
    }
}

/// RSA-OAEP encryption to a public key given as an X.509 SubjectPublicKeyInfo.
pub(crate) fn rsa_oaep_encrypt(spki: &[u8], sha256: bool, message: &[u8]) -> Result<Vec<u8>, ConfigError> {
    fn bad<E>(_: E) -> ConfigError {
        ConfigError::InvalidKey("RSA public key rejected by the crypto backend")
    }
    let key = OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(spki).map_err(bad)?).map_err(bad)?;
    let alg = if sha256 { &OAEP_SHA256_MGF1SHA256 } else { &OAEP_SHA1_MGF1SHA1 };
    let mut out = vec![0u8; key.ciphertext_size()];
    let n = key.encrypt(alg, message, &mut out, None).map_err(bad)?.len();
    out.truncate(n);
    Ok(out)
}

fn agreement_alg(curve: Curve) -> &'static agreement::Algorithm {
    match curve {
        Curve::P256 => &agreement::ECDH_P256,
        Curve::P384 => &agreement::ECDH_P384,
        Curve::P521 => &agreement::ECDH_P521,
        Curve::X25519 => &agreement::X25519,
    }
}

/// A static ECDH private key (P-256, P-384, P-521 or X25519).
pub(crate) struct EcdhPrivate(PrivateKey);

impl EcdhPrivate {
    /// `d` is the private scalar; `public` the point the key claims, if it names one
    /// (uncompressed SEC1, or the 32-byte X25519 value), which must be the one `d` makes.
    pub(crate) fn new(curve: Curve, d: &[u8], public: Option<&[u8]>) -> Result<Self, ConfigError> {
        let key = PrivateKey::from_private_key(agreement_alg(curve), d)
            .map_err(|_| ConfigError::InvalidKey("ECDH private key rejected by the crypto backend"))?;
        let derived = key.compute_public_key().map_err(|_| ConfigError::InvalidKey("ECDH private key"))?;
        if public.is_some_and(|p| derived.as_ref() != p) {
            return Err(ConfigError::InvalidKey("the key's public point is not the private key's"));
        }
        Ok(EcdhPrivate(key))
    }

    /// The shared secret `Z` with a peer's public point. The backend parses the point and
    /// refuses one that is not on the key's curve; X25519 refuses an all-zero result, which
    /// is what a low-order point gives.
    pub(crate) fn agree(&self, peer: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let alg = self.0.algorithm();
        agreement::agree(&self.0, UnparsedPublicKey::new(alg, peer), (), |z| Ok(Zeroizing::new(z.to_vec()))).ok()
    }
}

/// An ephemeral key agreement with a recipient's public point: `(Z, ephemeral public point)`.
pub(crate) fn ecdh_ephemeral(curve: Curve, peer: &[u8]) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), Error> {
    let alg = agreement_alg(curve);
    let key = PrivateKey::generate(alg).map_err(no_randomness)?;
    let public = key.compute_public_key().map_err(no_randomness)?.as_ref().to_vec();
    let z = agreement::agree(&key, UnparsedPublicKey::new(alg, peer), (), |z| Ok(Zeroizing::new(z.to_vec())))
        .map_err(|()| Error::detailed(crate::ErrorKind::KeysUnavailable, "recipient key refused"))?;
    Ok((z, public))
}

fn kek(key: &[u8]) -> Option<AesKek> {
    match key.len() {
        16 => AesKek::new(&AES_128, key).ok(),
        32 => AesKek::new(&AES_256, key).ok(),
        _ => None,
    }
}

/// RFC 3394 AES key unwrap.
pub(crate) fn kw_unwrap(key: &[u8], wrapped: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
    let n = kek(key)?.unwrap(wrapped, &mut out).ok()?.len();
    out.truncate(n);
    Some(out)
}

/// RFC 3394 AES key wrap.
pub(crate) fn kw_wrap(key: &[u8], cek: &[u8]) -> Option<Vec<u8>> {
    let mut out = vec![0u8; cek.len() + 8];
    let n = kek(key)?.wrap(cek, &mut out).ok()?.len();
    out.truncate(n);
    Some(out)
}

fn gcm_key(key: &[u8]) -> Option<LessSafeKey> {
    let alg = match key.len() {
        16 => &aead::AES_128_GCM,
        32 => &aead::AES_256_GCM,
        _ => return None,
    };
    Some(LessSafeKey::new(UnboundKey::new(alg, key).ok()?))
}

/// AES-GCM decryption; the tag is checked before any plaintext is released.
pub(crate) fn gcm_open(key: &[u8], iv: &[u8], aad: &[u8], ciphertext: &[u8], tag: &[u8]) -> Option<Vec<u8>> {
    let key = gcm_key(key)?;
    let nonce = Nonce::try_assume_unique_for_key(iv).ok()?;
    let mut buf = Vec::with_capacity(ciphertext.len() + tag.len());
    buf.extend_from_slice(ciphertext);
    buf.extend_from_slice(tag);
    let n = key.open_in_place(nonce, Aad::from(aad), &mut buf).ok()?.len();
    buf.truncate(n);
    Some(buf)
}

/// AES-GCM encryption: `(ciphertext, tag)`.
pub(crate) fn gcm_seal(key: &[u8], iv: &[u8], aad: &[u8], plaintext: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let key = gcm_key(key)?;
    let nonce = Nonce::try_assume_unique_for_key(iv).ok()?;
    let mut buf = plaintext.to_vec();
    let tag = key.seal_in_place_separate_tag(nonce, Aad::from(aad), &mut buf).ok()?;
    Some((buf, tag.as_ref().to_vec()))
}

fn cbc_key(key: &[u8]) -> Option<UnboundCipherKey> {
    let alg = match key.len() {
        16 => &cipher::AES_128,
        32 => &cipher::AES_256,
        _ => return None,
    };
    UnboundCipherKey::new(alg, key).ok()
}

/// AES-CBC with PKCS#7 padding, decryption. Called only once the tag has been checked.
pub(crate) fn cbc_decrypt(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
    let key = PaddedBlockDecryptingKey::cbc_pkcs7(cbc_key(key)?).ok()?;
    let iv: [u8; 16] = iv.try_into().ok()?;
    let mut buf = ciphertext.to_vec();
    let n = key.decrypt(&mut buf, DecryptionContext::Iv128(iv.into())).ok()?.len();
    buf.truncate(n);
    Some(buf)
}

/// AES-CBC with PKCS#7 padding, encryption.
pub(crate) fn cbc_encrypt(key: &[u8], iv: &[u8], plaintext: &[u8]) -> Option<Vec<u8>> {
    let key = PaddedBlockEncryptingKey::cbc_pkcs7(cbc_key(key)?).ok()?;
    let iv: [u8; 16] = iv.try_into().ok()?;
    let mut buf = plaintext.to_vec();
    key.less_safe_encrypt(&mut buf, EncryptionContext::Iv128(iv.into())).ok()?;
    Some(buf)
}

/// HMAC-SHA-256 (or -512) over the concatenation of `parts`.
pub(crate) fn hmac_parts(sha512: bool, key: &[u8], parts: &[&[u8]]) -> Zeroizing<Vec<u8>> {
    let alg = if sha512 { hmac::HMAC_SHA512 } else { hmac::HMAC_SHA256 };
    let mut ctx = hmac::Context::with_key(&hmac::Key::new(alg, key));
    for part in parts {
        ctx.update(part);
    }
    Zeroizing::new(ctx.sign().as_ref().to_vec())
}

/// Constant-time equality (a length difference is a mismatch).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    constant_time::verify_slices_are_equal(a, b).is_ok()
}
