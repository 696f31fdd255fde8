//! The examples of RFC 7515 Appendix A, RFC 7519 §3.1 and RFC 8037 Appendix A.4.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use jwtguard_core::dangerous::verify_signature_only;
use jwtguard_core::{Algorithm, ErrorKind, FixedClock, Key, Validator};
use serde_json::Value;

/// The claims of RFC 7515 A.1–A.3 expire at 1300819380 (2011-03-22T18:43:00Z).
const IN_2011: FixedClock = FixedClock(1_300_819_000);
const PAYLOAD: &str = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";

const A1_JWK: &str =
    r#"{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#;
const A1_TOKEN: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

const A2_JWK: &str = r#"{"kty":"RSA","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ","e":"AQAB"}"#;
const A2_SIG: &str = "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

const A3_JWK: &str = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;
const A3_SIG: &str = "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

const A4_JWK: &str = r#"{"kty":"EC","crv":"P-521","x":"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk","y":"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2"}"#;
const A4_TOKEN: &str = "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA.AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn";

const A5_TOKEN: &str = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.";

const RFC8037_JWK: &str = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
const RFC8037_TOKEN: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

fn validator(jwk: &str, alg: Algorithm) -> Validator {
    Validator::builder(Key::from_jwk(jwk).unwrap(), [alg]).clock(IN_2011).build().unwrap()
}

fn assert_joe(v: &Validator, token: &str) {
    let verified = v.verify::<Value>(token).unwrap();
    assert_eq!(verified.registered().iss(), Some("joe"));
    assert_eq!(verified.registered().exp(), Some(1_300_819_380));
    assert_eq!(verified.claims()["http://example.com/is_root"], true);
}

#[test]
fn rfc7515_a1_hs256_verifies() {
    let v = validator(A1_JWK, Algorithm::HS256);
    assert_joe(&v, A1_TOKEN);
    assert_eq!(v.verify::<Value>(A1_TOKEN).unwrap().header().typ(), Some("JWT"));
}

#[test]
fn rfc7519_3_1_example_jwt_verifies() {
    // RFC 7519 §3.1 uses the same JWS as RFC 7515 A.1; checked here as a JWT with an issuer.
    let v = Validator::builder(Key::from_jwk(A1_JWK).unwrap(), [Algorithm::HS256])
        .issuer("joe")
        .clock(IN_2011)
        .build()
        .unwrap();
    assert_joe(&v, A1_TOKEN);
}

#[test]
fn rfc7515_examples_expire_in_2011() {
    let v = Validator::builder(Key::from_jwk(A1_JWK).unwrap(), [Algorithm::HS256]).build().unwrap();
    assert_eq!(v.verify::<Value>(A1_TOKEN).unwrap_err().kind(), ErrorKind::Expired);
}

#[test]
fn rfc7515_a2_rs256_verifies() {
    let v = validator(A2_JWK, Algorithm::RS256);
    assert_joe(&v, &format!("eyJhbGciOiJSUzI1NiJ9.{PAYLOAD}.{A2_SIG}"));
}

#[test]
fn rfc7515_a3_es256_verifies() {
    let v = validator(A3_JWK, Algorithm::ES256);
    assert_joe(&v, &format!("eyJhbGciOiJFUzI1NiJ9.{PAYLOAD}.{A3_SIG}"));
}

#[test]
fn rfc7515_a4_es512_verifies() {
    // The payload is the text "Payload", not a claims set: the signature verifies, and only
    // the claims step refuses it.
    let v = validator(A4_JWK, Algorithm::ES512);
    let (header, payload) = verify_signature_only(&v, A4_TOKEN).unwrap();
    assert_eq!(header.alg(), Some(Algorithm::ES512));
    assert_eq!(payload, b"Payload");
    assert_eq!(v.verify::<Value>(A4_TOKEN).unwrap_err().kind(), ErrorKind::Malformed);
    let tampered = A4_TOKEN.replace(".UGF5bG9hZA.", ".UGF5bG9hZQ.");
    assert_eq!(v.verify::<Value>(&tampered).unwrap_err().kind(), ErrorKind::BadSignature);
}

#[test]
fn rfc7515_a5_unsecured_is_rejected() {
    let v = validator(A1_JWK, Algorithm::HS256);
    assert_eq!(v.verify::<Value>(A5_TOKEN).unwrap_err().kind(), ErrorKind::AlgorithmNotAllowed);
}

#[test]
fn rfc8037_a4_ed25519_verifies() {
    let v = validator(RFC8037_JWK, Algorithm::EdDSA);
    let (header, payload) = verify_signature_only(&v, RFC8037_TOKEN).unwrap();
    assert_eq!(header.alg(), Some(Algorithm::EdDSA));
    assert_eq!(payload, b"Example of Ed25519 signing");
    assert_eq!(v.verify::<Value>(RFC8037_TOKEN).unwrap_err().kind(), ErrorKind::Malformed);
    let flipped = RFC8037_TOKEN.replace(".hgyY0il_", ".igyY0il_");
    assert_eq!(v.verify::<Value>(&flipped).unwrap_err().kind(), ErrorKind::BadSignature);
}
