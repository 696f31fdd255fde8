//! JWE on top of the chosen backend's primitives: the Concat KDF (RFC 7518 §4.6.2), content
//! decryption and encryption (AES-GCM, AES-CBC-HMAC with the tag checked first and in constant
//! time) and key management (unwrapping and wrapping the content key). The primitives live in
//! `aws/jwe.rs` and `rust_crypto/jwe.rs`; nothing here depends on which.

use std::fmt;

use der::Encode;
use zeroize::Zeroizing;

use super::chosen::jwe as prim;
use crate::{ConfigError, ContentEncryption, Error, ErrorKind, KeyManagement};

/// An ECDH curve for ECDH-ES.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
    P521,
    X25519,
}

impl Curve {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
            Curve::X25519 => "X25519",
        }
    }
    pub(crate) fn from_name(name: &str) -> Option<Curve> {
        [Curve::P256, Curve::P384, Curve::P521, Curve::X25519].into_iter().find(|c| c.name() == name)
    }
    /// Length of a coordinate (or of the X25519 value) and of the private scalar.
    pub(crate) fn coord_len(self) -> usize {
        match self {
            Curve::P256 | Curve::X25519 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }
}

/// The members of an RSA private JWK, big-endian.
pub(crate) struct RsaParts {
    pub(crate) n: Vec<u8>,
    pub(crate) e: Vec<u8>,
    pub(crate) d: Zeroizing<Vec<u8>>,
    pub(crate) p: Zeroizing<Vec<u8>>,
    pub(crate) q: Zeroizing<Vec<u8>>,
    pub(crate) dp: Zeroizing<Vec<u8>>,
    pub(crate) dq: Zeroizing<Vec<u8>>,
    pub(crate) qi: Zeroizing<Vec<u8>>,
}

/// DER: a tag and its contents.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// `AlgorithmIdentifier { rsaEncryption, NULL }`.
const RSA_ALG_ID: [u8; 15] = [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];

impl RsaParts {
    /// PKCS#8 `PrivateKeyInfo` around the PKCS#1 key.
    #[cfg_attr(not(feature = "aws-lc-rs"), allow(dead_code))]
    pub(crate) fn pkcs8_der(&self) -> Result<Vec<u8>, ConfigError> {
        fn bad<E>(_: E) -> ConfigError {
            ConfigError::InvalidKey("RSA private key members")
        }
        fn u(b: &[u8]) -> Result<der::asn1::UintRef<'_>, ConfigError> {
            der::asn1::UintRef::new(b).map_err(bad)
        }
        let key = pkcs1::RsaPrivateKey {
            modulus: u(&self.n)?,
            public_exponent: u(&self.e)?,
            private_exponent: u(&self.d)?,
            prime1: u(&self.p)?,
            prime2: u(&self.q)?,
            exponent1: u(&self.dp)?,
            exponent2: u(&self.dq)?,
            coefficient: u(&self.qi)?,
            other_prime_infos: None,
        };
        let pkcs1 = Zeroizing::new(key.to_der().map_err(bad)?);
        let mut body = vec![0x02, 0x01, 0x00];
        body.extend_from_slice(&RSA_ALG_ID);
        body.extend_from_slice(&tlv(0x04, &pkcs1));
        Ok(tlv(0x30, &body))
    }
}

/// X.509 `SubjectPublicKeyInfo` DER of an RSA public key.
pub(crate) fn rsa_spki(n: &[u8], e: &[u8]) -> Result<Vec<u8>, ConfigError> {
    let bad = |_| ConfigError::InvalidKey("RSA modulus or exponent");
    let key = pkcs1::RsaPublicKey {
        modulus: der::asn1::UintRef::new(n).map_err(bad)?,
        public_exponent: der::asn1::UintRef::new(e).map_err(bad)?,
    };
    let mut bits = vec![0u8];
    bits.extend_from_slice(&key.to_der().map_err(bad)?);
    let mut body = RSA_ALG_ID.to_vec();
    body.extend_from_slice(&tlv(0x03, &bits));
    Ok(tlv(0x30, &body))
}

/// A private key that can recover content keys.
pub(crate) enum Unwrapper {
    /// A shared symmetric key: `dir` or AES key wrap, by its length.
    Shared(Zeroizing<Vec<u8>>),
    Rsa(Box<prim::RsaPrivate>),
    Ecdh(Curve, Box<prim::EcdhPrivate>),
}

impl fmt::Debug for Unwrapper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Unwrapper {
    /// `true` when this key can serve `alg` (for `dir`, with a content key of `dir_len` bytes).
    pub(crate) fn fits(&self, alg: KeyManagement, enc: Option<ContentEncryption>) -> bool {
        match (self, alg) {
            (Unwrapper::Shared(k), KeyManagement::Dir) => enc.is_none_or(|e| e.key_len() == k.len()),
            (Unwrapper::Shared(k), KeyManagement::A128Kw | KeyManagement::A256Kw) => alg.wrap_len() == Some(k.len()),
            (Unwrapper::Rsa(_), KeyManagement::RsaOaep | KeyManagement::RsaOaep256) => true,
            (Unwrapper::Ecdh(..), a) => a.is_ecdh(),
            _ => false,
        }
    }

    /// Recovers the content key. `None` for any failure, whatever it was.
    pub(crate) fn unwrap_cek(
        &self,
        alg: KeyManagement,
        enc: ContentEncryption,
        encrypted_key: &[u8],
        agreement: Option<&Agreement<'_>>,
    ) -> Option<Zeroizing<Vec<u8>>> {
        let cek = match (self, alg) {
            (Unwrapper::Shared(k), KeyManagement::Dir) if encrypted_key.is_empty() => Some(k.clone()),
            (Unwrapper::Shared(k), KeyManagement::A128Kw | KeyManagement::A256Kw) => prim::kw_unwrap(k, encrypted_key),
            (Unwrapper::Rsa(k), KeyManagement::RsaOaep) => k.decrypt(false, encrypted_key),
            (Unwrapper::Rsa(k), KeyManagement::RsaOaep256) => k.decrypt(true, encrypted_key),
            (Unwrapper::Ecdh(curve, k), _) if alg.is_ecdh() => {
                let a = agreement?;
                if a.curve != *curve {
                    return None;
                }
                let z = k.agree(a.epk)?;
                match alg.wrap_len() {
                    None if encrypted_key.is_empty() => Some(concat_kdf(&z, enc.as_str(), a.apu, a.apv, enc.key_len())),
                    None => None,
                    Some(len) => prim::kw_unwrap(&concat_kdf(&z, alg.as_str(), a.apu, a.apv, len), encrypted_key),
                }
            }
            _ => None,
        }?;
        (cek.len() == enc.key_len()).then_some(cek)
    }
}

/// The ECDH-ES inputs from the header: the sender's ephemeral point and the party infos.
pub(crate) struct Agreement<'a> {
    pub(crate) curve: Curve,
    pub(crate) epk: &'a [u8],
    pub(crate) apu: &'a [u8],
    pub(crate) apv: &'a [u8],
}

/// The Concat KDF of NIST SP 800-56A §5.8.1 with SHA-256, as RFC 7518 §4.6.2 uses it.
pub(crate) fn concat_kdf(z: &[u8], alg_id: &str, apu: &[u8], apv: &[u8], len: usize) -> Zeroizing<Vec<u8>> {
    let mut other = Vec::with_capacity(16 + alg_id.len() + apu.len() + apv.len());
    for field in [alg_id.as_bytes(), apu, apv] {
        other.extend_from_slice(&(field.len() as u32).to_be_bytes());
        other.extend_from_slice(field);
    }
    other.extend_from_slice(&((len * 8) as u32).to_be_bytes());
    let mut out = Zeroizing::new(Vec::with_capacity(len + 32));
    let mut input = Zeroizing::new(Vec::with_capacity(4 + z.len() + other.len()));
    let mut counter = 1u32;
    while out.len() < len {
        input.clear();
        input.extend_from_slice(&counter.to_be_bytes());
        input.extend_from_slice(z);
        input.extend_from_slice(&other);
        out.extend_from_slice(&super::sha256(&input));
        counter += 1;
    }
    out.truncate(len);
    out
}

/// Decrypts the content. `None` for any failure: for CBC-HMAC the tag is checked first, in
/// constant time, and no padding is looked at unless it holds.
pub(crate) fn decrypt_content(
    enc: ContentEncryption,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Option<Vec<u8>> {
    if cek.len() != enc.key_len() || iv.len() != enc.iv_len() || tag.len() != enc.tag_len() {
        return None;
    }
    match enc {
        ContentEncryption::A128Gcm | ContentEncryption::A256Gcm => prim::gcm_open(cek, iv, aad, ciphertext, tag),
        ContentEncryption::A128CbcHs256 | ContentEncryption::A256CbcHs512 => {
            let (mac_key, enc_key) = cek.split_at(cek.len() / 2);
            let expected = cbc_tag(enc, mac_key, iv, aad, ciphertext);
            if !prim::ct_eq(&expected, tag) {
                return None;
            }
            prim::cbc_decrypt(enc_key, iv, ciphertext)
        }
    }
}

/// RFC 7518 §5.2.2.1: HMAC over AAD, IV, ciphertext and AAD's length in bits, first half kept.
fn cbc_tag(enc: ContentEncryption, mac_key: &[u8], iv: &[u8], aad: &[u8], ciphertext: &[u8]) -> Vec<u8> {
    let al = ((aad.len() as u64) * 8).to_be_bytes();
    let full = prim::hmac_parts(enc == ContentEncryption::A256CbcHs512, mac_key, &[aad, iv, ciphertext, &al]);
    full.get(..enc.tag_len()).unwrap_or_default().to_vec()
}

/// The three encrypted segments of a compact JWE after the encrypted key.
pub(crate) struct Sealed {
    pub(crate) iv: Vec<u8>,
    pub(crate) ciphertext: Vec<u8>,
    pub(crate) tag: Vec<u8>,
}

/// Encrypts the content with a fresh IV.
pub(crate) fn encrypt_content(
    enc: ContentEncryption,
    cek: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Sealed, Error> {
    let failed = || Error::detailed(ErrorKind::KeysUnavailable, "content encryption failed");
    let mut iv = vec![0u8; enc.iv_len()];
    super::fill_random(&mut iv)?;
    if cek.len() != enc.key_len() {
        return Err(failed());
    }
    match enc {
        ContentEncryption::A128Gcm | ContentEncryption::A256Gcm => {
            let (ciphertext, tag) = prim::gcm_seal(cek, &iv, aad, plaintext).ok_or_else(failed)?;
            Ok(Sealed { iv, ciphertext, tag })
        }
        ContentEncryption::A128CbcHs256 | ContentEncryption::A256CbcHs512 => {
            let (mac_key, enc_key) = cek.split_at(cek.len() / 2);
            let ciphertext = prim::cbc_encrypt(enc_key, &iv, plaintext).ok_or_else(failed)?;
            let tag = cbc_tag(enc, mac_key, &iv, aad, &ciphertext);
            Ok(Sealed { iv, ciphertext, tag })
        }
    }
}

/// A fresh random key of `len` bytes.
pub(crate) fn random_key(len: usize) -> Result<Zeroizing<Vec<u8>>, Error> {
    let mut k = Zeroizing::new(vec![0u8; len]);
    super::fill_random(&mut k)?;
    Ok(k)
}

pub(crate) use prim::{EcdhPrivate, RsaPrivate, ecdh_ephemeral, kw_wrap, rsa_oaep_encrypt};
