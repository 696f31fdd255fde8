//! Issuing tokens: signing keys, the issuer and its key ring, refresh tokens.
//!
//! | file | job |
//! |---|---|
//! | `signing_key.rs` | [`SigningKey`]: a private key or secret that signs |
//! | `encrypt.rs` | [`EncryptionKey`]: a recipient's key that nested tokens are encrypted to |
//! | `issuer.rs` | [`TokenIssuer`]: access tokens, the published JWKS, rotation |
//! | `ring.rs` | the issuer's keys by stage and the key set that verifies them |
//! | `refresh.rs` | refresh tokens: rotation with reuse detection, stores |

mod encrypt;
mod issuer;
pub mod refresh;
mod ring;
mod signing_key;

pub use encrypt::EncryptionKey;
pub use issuer::{Issue, IssuedToken, JWKS_HEADERS, TokenIssuer, TokenIssuerBuilder};
pub use signing_key::SigningKey;
