//! RustCrypto: the JWE primitives (rsa's OAEP, p256/p384/p521 and x25519-dalek ECDH, aes-kw,
//! aes-gcm, cbc, hmac).

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use aes_gcm::aead::{AeadInOut, KeyInit};
use hmac::Mac;
use rsa::BoxedUint;
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::backend::jwe::{Curve, RsaParts};
use crate::backend::no_randomness;
use crate::{ConfigError, Error, ErrorKind};

/// An RSA private key for RSA-OAEP.
pub(crate) struct RsaPrivate(rsa::PrivateKey);

impl RsaPrivate {
    pub(crate) fn new(parts: &RsaParts) -> Result<Self, ConfigError> {
        let u = |b: &[u8]| BoxedUint::from_be_slice_vartime(b);
        let key =
            rsa::PrivateKey::from_components(u(&parts.n), u(&parts.e), u(&parts.d), vec![u(&parts.p), u(&parts.q)])
                .map_err(|_| ConfigError::InvalidKey("RSA private key rejected by the crypto backend"))?;
        Ok(RsaPrivate(key))
    }

    /// OAEP decryption, blinded with the system's randomness.
    pub(crate) fn decrypt(&self, sha256: bool, ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let out =
            if sha256 { self.0.oaep_decrypt::<Sha256>(ciphertext) } else { self.0.oaep_decrypt::<Sha1>(ciphertext) };
        out.ok().map(Zeroizing::new)
    }
}

/// RSA-OAEP encryption to a public key given as an X.509 SubjectPublicKeyInfo.
pub(crate) fn rsa_oaep_encrypt(spki: &[u8], sha256: bool, message: &[u8]) -> Result<Vec<u8>, ConfigError> {
    use rsa::pkcs8::DecodePublicKey;
    let bad = |_| ConfigError::InvalidKey("RSA public key rejected by the crypto backend");
    let key = rsa::PublicKey::from_public_key_der(spki).map_err(|_| ConfigError::InvalidKey("RSA public key"))?;
    if sha256 {
        key.oaep_encrypt::<Sha256>(message).map_err(bad)
    } else {
        key.oaep_encrypt::<Sha1>(message).map_err(bad)
    }
}

/// A static ECDH private key (P-256, P-384, P-521 or X25519).
pub(crate) enum EcdhPrivate {
    P256(p256::SecretKey),
    P384(p384::SecretKey),
    P521(p521::SecretKey),
    X25519(x25519_dalek::StaticSecret),
}

fn rejected<E>(_: E) -> ConfigError {
    ConfigError::InvalidKey("ECDH private key rejected by the crypto backend")
}

fn mismatch() -> ConfigError {
    ConfigError::InvalidKey("the key's public point is not the private key's")
}

macro_rules! nist_key {
    ($crv:ident, $d:expr, $public:expr, $variant:ident) => {{
        let secret = $crv::SecretKey::from_slice($d).map_err(rejected)?;
        if let Some(public) = $public {
            let claimed = $crv::PublicKey::from_sec1_bytes(public).map_err(|_| mismatch())?;
            if secret.public_key() != claimed {
                return Err(mismatch());
            }
        }
        EcdhPrivate::$variant(secret)
    }};
}

impl EcdhPrivate {
    /// `d` is the private scalar; `public` the point the key claims, if it names one
    /// (uncompressed SEC1, or the 32-byte X25519 value), which must be the one `d` makes.
    pub(crate) fn new(curve: Curve, d: &[u8], public: Option<&[u8]>) -> Result<Self, ConfigError> {
        Ok(match curve {
            Curve::P256 => nist_key!(p256, d, public, P256),
            Curve::P384 => nist_key!(p384, d, public, P384),
            Curve::P521 => nist_key!(p521, d, public, P521),
            Curve::X25519 => {
                let d: [u8; 32] = d.try_into().map_err(rejected)?;
                let secret = x25519_dalek::StaticSecret::from(d);
                if public.is_some_and(|p| x25519_dalek::PublicKey::from(&secret).as_bytes().as_slice() != p) {
                    return Err(mismatch());
                }
                EcdhPrivate::X25519(secret)
            }
        })
    }

    /// The shared secret `Z` with a peer's public point: `None` for a point off the curve (the
    /// SEC1 decoding checks the curve equation) or an X25519 point of low order (the result
    /// would not depend on our key).
    pub(crate) fn agree(&self, peer: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        macro_rules! nist {
            ($crv:ident, $secret:expr) => {{
                let peer = $crv::PublicKey::from_sec1_bytes(peer).ok()?;
                let shared = $crv::ecdh::diffie_hellman($secret.to_nonzero_scalar(), peer.as_affine());
                Some(Zeroizing::new(shared.raw_secret_bytes().to_vec()))
            }};
        }
        match self {
            EcdhPrivate::P256(s) => nist!(p256, s),
            EcdhPrivate::P384(s) => nist!(p384, s),
            EcdhPrivate::P521(s) => nist!(p521, s),
            EcdhPrivate::X25519(s) => {
                let peer: [u8; 32] = peer.try_into().ok()?;
                let shared = s.diffie_hellman(&x25519_dalek::PublicKey::from(peer));
                shared.was_contributory().then(|| Zeroizing::new(shared.as_bytes().to_vec()))
            }
        }
    }
}

/// An ephemeral key agreement with a recipient's public point: `(Z, ephemeral public point)`.
pub(crate) fn ecdh_ephemeral(curve: Curve, peer: &[u8]) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), Error> {
    let refused = || Error::detailed(ErrorKind::KeysUnavailable, "recipient key refused");
    // A random scalar; out of range (about 2^-32 on P-256, less elsewhere) draws again.
    for _ in 0..16 {
        let mut d = Zeroizing::new(vec![0u8; curve.coord_len()]);
        getrandom::fill(&mut d).map_err(no_randomness)?;
        if curve == Curve::P521 {
            d[0] &= 1;
        }
        let key = match curve {
            Curve::X25519 => {
                let d: [u8; 32] = d.as_slice().try_into().map_err(|_| refused())?;
                let secret = x25519_dalek::StaticSecret::from(d);
                let public = x25519_dalek::PublicKey::from(&secret).as_bytes().to_vec();
                let z = EcdhPrivate::X25519(secret).agree(peer).ok_or_else(refused)?;
                return Ok((z, public));
            }
            Curve::P256 => {
                p256::SecretKey::from_slice(&d).map(|s| (s.public_key().to_sec1_bytes(), EcdhPrivate::P256(s)))
            }
            Curve::P384 => {
                p384::SecretKey::from_slice(&d).map(|s| (s.public_key().to_sec1_bytes(), EcdhPrivate::P384(s)))
            }
            Curve::P521 => {
                p521::SecretKey::from_slice(&d).map(|s| (s.public_key().to_sec1_bytes(), EcdhPrivate::P521(s)))
            }
        };
        if let Ok((public, key)) = key {
            let z = key.agree(peer).ok_or_else(refused)?;
            return Ok((z, public.to_vec()));
        }
    }
    Err(no_randomness(()))
}

/// RFC 3394 AES key unwrap.
pub(crate) fn kw_unwrap(key: &[u8], wrapped: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(vec![0u8; wrapped.len().checked_sub(8)?]);
    let n = match key.len() {
        16 => aes_kw::KwAes128::new_from_slice(key).ok()?.unwrap_key(wrapped, &mut out).ok()?.len(),
        32 => aes_kw::KwAes256::new_from_slice(key).ok()?.unwrap_key(wrapped, &mut out).ok()?.len(),
        _ => return None,
    };
    out.truncate(n);
    Some(out)
}

/// RFC 3394 AES key wrap.
pub(crate) fn kw_wrap(key: &[u8], cek: &[u8]) -> Option<Vec<u8>> {
    let mut out = vec![0u8; cek.len() + 8];
    let n = match key.len() {
        16 => aes_kw::KwAes128::new_from_slice(key).ok()?.wrap_key(cek, &mut out).ok()?.len(),
        32 => aes_kw::KwAes256::new_from_slice(key).ok()?.wrap_key(cek, &mut out).ok()?.len(),
        _ => return None,
    };
    out.truncate(n);
    Some(out)
}

/// AES-GCM decryption; the tag is checked before any plaintext is released.
pub(crate) fn gcm_open(key: &[u8], iv: &[u8], aad: &[u8], ciphertext: &[u8], tag: &[u8]) -> Option<Vec<u8>> {
    let nonce = aes_gcm::Nonce::try_from(iv).ok()?;
    let tag = aes_gcm::Tag::try_from(tag).ok()?;
    let mut buf = ciphertext.to_vec();
    match key.len() {
        16 => aes_gcm::Aes128Gcm::new_from_slice(key)
            .ok()?
            .decrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into(), &tag)
            .ok()?,
        32 => aes_gcm::Aes256Gcm::new_from_slice(key)
            .ok()?
            .decrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into(), &tag)
            .ok()?,
        _ => return None,
    }
    Some(buf)
}

/// AES-GCM encryption: `(ciphertext, tag)`.
pub(crate) fn gcm_seal(key: &[u8], iv: &[u8], aad: &[u8], plaintext: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let nonce = aes_gcm::Nonce::try_from(iv).ok()?;
    let mut buf = plaintext.to_vec();
    let tag = match key.len() {
        16 => aes_gcm::Aes128Gcm::new_from_slice(key)
            .ok()?
            .encrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into())
            .ok()?,
        32 => aes_gcm::Aes256Gcm::new_from_slice(key)
            .ok()?
            .encrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into())
            .ok()?,
        _ => return None,
    };
    Some((buf, tag.to_vec()))
}

/// AES-CBC with PKCS#7 padding, decryption. Called only once the tag has been checked.
pub(crate) fn cbc_decrypt(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
    match key.len() {
        16 => {
            cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv).ok()?.decrypt_padded_vec::<Pkcs7>(ciphertext).ok()
        }
        32 => {
            cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv).ok()?.decrypt_padded_vec::<Pkcs7>(ciphertext).ok()
        }
        _ => None,
    }
}

/// AES-CBC with PKCS#7 padding, encryption.
pub(crate) fn cbc_encrypt(key: &[u8], iv: &[u8], plaintext: &[u8]) -> Option<Vec<u8>> {
    match key.len() {
        16 => {
            Some(cbc::Encryptor::<aes::Aes128>::new_from_slices(key, iv).ok()?.encrypt_padded_vec::<Pkcs7>(plaintext))
        }
        32 => {
            Some(cbc::Encryptor::<aes::Aes256>::new_from_slices(key, iv).ok()?.encrypt_padded_vec::<Pkcs7>(plaintext))
        }
        _ => None,
    }
}

/// HMAC-SHA-256 (or -512) over the concatenation of `parts`.
pub(crate) fn hmac_parts(sha512: bool, key: &[u8], parts: &[&[u8]]) -> Zeroizing<Vec<u8>> {
    fn run<M: Mac + hmac::KeyInit>(key: &[u8], parts: &[&[u8]]) -> Zeroizing<Vec<u8>> {
        // HMAC takes keys of any length.
        let Ok(mut mac) = <M as hmac::KeyInit>::new_from_slice(key) else {
            return Zeroizing::new(Vec::new());
        };
        for part in parts {
            mac.update(part);
        }
        Zeroizing::new(mac.finalize().into_bytes().to_vec())
    }
    if sha512 { run::<hmac::Hmac<Sha512>>(key, parts) } else { run::<hmac::Hmac<Sha256>>(key, parts) }
}

/// Constant-time equality (a length difference is a mismatch).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
