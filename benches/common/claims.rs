//! The claims every benchmark verifies into: a typical access token's.

use serde::Deserialize;

/// A typical access token's claims (`Clone`: the middlewares keep them in request extensions).
#[derive(Deserialize, Clone)]
#[allow(dead_code)]
pub(crate) struct Claims {
    sub: String,
    iss: String,
    aud: String,
    exp: i64,
    iat: i64,
    jti: String,
    scope: String,
}
