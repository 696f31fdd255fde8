//! Keys: what exists to verify with, where it comes from, and how it is loaded.
//!
//! | file | job |
//! |---|---|
//! | `key.rs` | [`Key`]: one key and its prepared verifiers |
//! | `set.rs` | [`KeySet`]: keys matched by `kid`, JWKS documents |
//! | `decryption.rs` | [`DecryptionKey`], [`DecryptionKeys`]: shared secrets and private keys for JWE |
//! | `jwk.rs`, `pem.rs` | loading JWKs, PEM and DER |
//! | `provider.rs` | [`KeyProvider`](provider::KeyProvider) and [`KeySource`](provider::KeySource): keys that change at run time |

mod decryption;
pub(crate) mod jwk;
mod key;
mod pem;
pub mod provider;
mod set;

pub use decryption::{DecryptionKey, DecryptionKeys};
pub use key::Key;
pub use set::{KeySet, SkippedKey};
