//! The set-up the documentation examples share: one validator and one token it accepts, so
//! that the examples show what they are about and no copy of the token can drift.

use crate::issuer::EncryptionKey;
use crate::{Algorithm, ContentEncryption, DecryptionKey, Key, KeyManagement, Validator};

/// A token [`example`]'s validator accepts. Header `{"alg":"HS256","kid":"k1","typ":"at+jwt"}`;
/// claims `iss` `https://idp.example`, `sub` `alice`, `aud` `["api"]`, `exp` 4102444800 (2100),
/// `nbf` and `iat` 1700000000, `jti` `t-1`, `scope` `orders:read orders:write`, `roles`
/// `["admin"]`, `name` `Alice`.
pub const TOKEN: &str = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiYXQrand0In0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlIiwic3ViIjoiYWxpY2UiLCJhdWQiOlsiYXBpIl0sImV4cCI6NDEwMjQ0NDgwMCwibmJmIjoxNzAwMDAwMDAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6InQtMSIsInNjb3BlIjoib3JkZXJzOnJlYWQgb3JkZXJzOndyaXRlIiwicm9sZXMiOlsiYWRtaW4iXSwibmFtZSI6IkFsaWNlIn0.Sj0j07Iw_UgNOQchLx-kVsBMfHTEYSX4a6X7acYTDYg";

/// An HS256 validator (a 32-byte documentation secret, audience `api`) and [`TOKEN`].
///
/// # Panics
/// Never: the configuration is fixed and valid.
#[allow(clippy::expect_used)]
pub fn example() -> (Validator, &'static str) {
    let key = Key::hmac(b"01234567890123456789012345678901").expect("a 32-byte secret");
    let validator = Validator::builder(key, [Algorithm::HS256]).audience("api").build().expect("a valid configuration");
    (validator, TOKEN)
}

/// [`TOKEN`] encrypted with `A256KW` and `A256GCM` (a 32-byte documentation key), and a
/// validator like [`example`]'s that decrypts it.
///
/// # Panics
/// Never: the configuration is fixed and valid, and randomness is available.
#[allow(clippy::expect_used)]
pub fn encrypted_example() -> (Validator, String) {
    let secret = [0x5au8; 32];
    let token = EncryptionKey::shared(secret)
        .expect("a 32-byte key")
        .seal(KeyManagement::A256Kw, ContentEncryption::A256Gcm, TOKEN.as_bytes())
        .expect("encryption");
    let key = Key::hmac(b"01234567890123456789012345678901").expect("a 32-byte secret");
    let validator = Validator::builder(key, [Algorithm::HS256])
        .audience("api")
        .decrypt_with(
            DecryptionKey::shared(secret).expect("a 32-byte key"),
            [KeyManagement::A256Kw],
            [ContentEncryption::A256Gcm],
        )
        .build()
        .expect("a valid configuration");
    (validator, token)
}
