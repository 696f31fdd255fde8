//! The JWS half of verification: size bound, three base64url segments, the header against the
//! allow-list, the key by `kid` and kind, the signature. No claims policy.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::header::{Header, RawHeader};
use super::validator::Policy;
use crate::provider::KeySource;
use crate::{Algorithm, Error, ErrorKind, KeyKind, KeySet};

impl Policy {
    /// Size, syntax, header and signature; no claims policy.
    pub(crate) fn verify_jws(&self, token: &str) -> Result<Jws, Error> {
        let i = self;
        if token.len() > i.max_size {
            return Err(Error::new(ErrorKind::TooLarge));
        }
        let malformed = |detail| Error::detailed(ErrorKind::Malformed, detail);
        // Three segments: the first dot, the last dot, and none between them.
        let segments = token.split_once('.').and_then(|(h64, rest)| {
            let (p64, s64) = rest.rsplit_once('.')?;
            (!p64.contains('.')).then_some((h64, p64, s64))
        });
        let Some((h64, p64, s64)) = segments else {
            return Err(malformed("not three dot-separated segments"));
        };
        let mut header_buf = [0u8; 512];
        let mut header_heap = Vec::new();
        let header_json =
            decode_b64(h64, &mut header_buf, &mut header_heap).ok_or(malformed("header is not base64url"))?;
        let raw = std::str::from_utf8(header_json)
            .ok()
            .and_then(RawHeader::parse)
            .ok_or(malformed("header is not a strict JSON object"))?;
        let alg = match Algorithm::from_name(&raw.alg) {
            Some(alg) if i.algorithms.contains(alg) => alg,
            _ => return Err(Error::new(ErrorKind::AlgorithmNotAllowed)),
        };
        if raw.crit {
            return Err(Error::new(ErrorKind::UnsupportedCritical));
        }
        if let Some(want) = &i.typ
            && !raw.typ.as_deref().is_some_and(|t| typ_matches(t, want))
        {
            return Err(Error::new(ErrorKind::WrongType));
        }
        // On the stack up to 132 bytes (HMAC, ECDSA up to P-521, EdDSA): zeroing a buffer for
        // the largest RSA signature on every HMAC token costs more than RSA's heap copy.
        let mut sig_buf = [0u8; 136];
        let mut sig_heap = Vec::new();
        // 1366 base64url characters hold 1024 bytes, an RSA-8192 signature: longer cannot verify.
        let signature = if s64.len() > 1366 {
            None
        } else {
            Some(decode_b64(s64, &mut sig_buf, &mut sig_heap).ok_or(malformed("signature is not base64url"))?)
        };
        let signing_input = &token.as_bytes()[..h64.len() + 1 + p64.len()];
        let mut snapshot = None;
        {
            let keys: &KeySet = match &i.keys {
                KeySource::Static(keys) => keys,
                KeySource::Provider(provider) => {
                    // Symmetric keys from a provider only where it vouches for them.
                    if alg.key_kind() == KeyKind::Hmac && !provider.allows_symmetric_keys() {
                        return Err(Error::detailed(
                            ErrorKind::AlgorithmNotAllowed,
                            "HMAC with a key provider that refuses symmetric keys",
                        ));
                    }
                    snapshot.insert(provider.keys()?)
                }
            };
            let mut candidates = keys.candidates(raw.kid.as_deref(), alg).peekable();
            if candidates.peek().is_none() {
                return Err(Error::new(ErrorKind::UnknownKey));
            }
            let Some(signature) = signature else {
                return Err(Error::detailed(ErrorKind::BadSignature, "signature longer than any key makes"));
            };
            if !candidates.any(|v| v.verify(signing_input, signature)) {
                // The payload is decoded only once the signature holds. A payload that is not
                // even base64url is reported as malformed, whatever the signature.
                if !is_b64url(p64) {
                    return Err(malformed("payload is not base64url"));
                }
                return Err(Error::new(ErrorKind::BadSignature));
            }
        }
        let payload = URL_SAFE_NO_PAD.decode(p64).map_err(|_| malformed("payload is not base64url"))?;
        Ok(Jws { header: raw.into_header(alg), payload, keys: snapshot })
    }
}

/// A JWS whose signature verified; the claims are not checked yet.
pub(crate) struct Jws {
    pub(crate) header: Header,
    payload: Vec<u8>,
    /// The provider's key set it verified with (`None` for static keys).
    pub(crate) keys: Option<std::sync::Arc<KeySet>>,
}

impl Jws {
    pub(crate) fn into_parts(self) -> (Header, Vec<u8>) {
        (self.header, self.payload)
    }
}

/// `true` when `s` could be unpadded base64url (its alphabet and length).
fn is_b64url(s: &str) -> bool {
    s.len() % 4 != 1 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// RFC 7515 §4.1.9: compare case-insensitively; `application/` may be left out.
pub(super) fn typ_matches(got: &str, want: &str) -> bool {
    // Without allocating: this runs on every request when a `typ` is configured.
    fn strip(s: &str) -> &str {
        match s.get(..12) {
            Some(p) if p.eq_ignore_ascii_case("application/") => &s[12..],
            _ => s,
        }
    }
    strip(got).eq_ignore_ascii_case(strip(want))
}

/// Decodes base64url without padding into the stack buffer when it fits, else onto the heap.
fn decode_b64<'b>(input: &str, stack: &'b mut [u8], heap: &'b mut Vec<u8>) -> Option<&'b [u8]> {
    if input.len() / 4 * 3 + 3 <= stack.len() {
        let n = URL_SAFE_NO_PAD.decode_slice(input, stack).ok()?;
        stack.get(..n)
    } else {
        *heap = URL_SAFE_NO_PAD.decode(input).ok()?;
        Some(heap.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::decode_b64;

    #[test]
    fn a_signature_decodes_alike_on_either_side_of_the_stack_buffer() {
        // The stack buffer's edge (136 bytes, some 180 characters): what fits and what goes to
        // the heap decode as the plain decoder does, and fail where it fails.
        for len in 0..=260 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 % 256) as u8).collect();
            let text = URL_SAFE_NO_PAD.encode(&bytes);
            let (mut stack, mut heap) = ([0u8; 136], Vec::new());
            assert_eq!(decode_b64(&text, &mut stack, &mut heap), Some(&bytes[..]), "{len} bytes");
            let bad = format!("{text}=");
            let (mut stack, mut heap) = ([0u8; 136], Vec::new());
            assert_eq!(decode_b64(&bad, &mut stack, &mut heap), None, "{len} bytes and a pad");
        }
    }
}
