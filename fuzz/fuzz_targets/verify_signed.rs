//! The fuzzer writes the header and payload JSON; the harness signs them with a fixture key,
//! so the claims policy (`exp`, `nbf`, `iat`, max age, `iss`, `aud`, required claims, `typ`,
//! scopes and roles, strict NumericDates, duplicate names) runs behind a valid signature.
//!
//! Input: one flag byte, then the header bytes, a NUL, the payload bytes.
//! - flag bits 0-1: HS256 (fixture secret), ES256 (P-256 fixture), EdDSA (Ed25519 fixture), or
//!   HS256 keyed with the P-256 public key PEM (key confusion: must never verify);
//! - flag bit 2: flip one bit of the signature (bits 3-7 pick which): must never verify.
#![no_main]

use jwtguard_fuzz::{SignWith, b64, check_verify, sign, validators};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let (header, payload) = match rest.iter().position(|b| *b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let with = match flags & 3 {
        0 => SignWith::Hs256,
        1 => SignWith::Es256,
        2 => SignWith::EdDsa,
        _ => SignWith::Hs256WithPublicKey,
    };
    let corrupt = flags & 4 != 0;
    let input = format!("{}.{}", b64(header), b64(payload));
    let mut signature = sign(with, input.as_bytes());
    if corrupt {
        let bit = usize::from(flags >> 3) % (signature.len() * 8);
        signature[bit / 8] ^= 1 << (bit % 8);
    }
    let token = format!("{input}.{}", b64(&signature));
    let forged = corrupt || with == SignWith::Hs256WithPublicKey;
    for v in validators() {
        if let Some(alg) = check_verify(v, &token) {
            assert!(!forged, "a token with a forged or corrupted signature verified");
            assert_eq!(alg, with.alg(), "verified under another algorithm than it was signed with");
        }
    }
});
