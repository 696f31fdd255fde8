//! The aws-lc-rs backend.

pub(crate) mod jwe;
mod sign;
mod verify;

pub(crate) use sign::{Signer, fill_random, generate_pkcs8, sha256};
pub(crate) use verify::Inner as VerifyingKey;
