//! The issuer's key ring: the signing key, the next one, the rotated-out ones until their end,
//! and the key set that verifies all of them.

use std::sync::Arc;

use super::SigningKey;
use crate::{ConfigError, KeySet};

pub(crate) struct Ring {
    pub(crate) current: Arc<SigningKey>,
    pub(crate) next: Option<Arc<SigningKey>>,
    /// Rotated-out keys, trusted and published until the given time (their last token's `exp`
    /// plus a verifier's default leeway).
    pub(crate) previous: Vec<(Arc<SigningKey>, i64)>,
    /// The verification keys of all the above, rebuilt on every change.
    pub(crate) keyset: Arc<KeySet>,
    /// The earliest end among `previous`: once the clock passes it, `keyset` holds a key that
    /// must no longer verify, and the next read rebuilds it.
    pub(crate) stale_after: i64,
}

impl Ring {
    /// Drops the rotated-out keys whose time is over at `now` and rebuilds the key set.
    pub(crate) fn rebuild(&mut self, now: i64) -> Result<(), ConfigError> {
        self.previous.retain(|(_, until)| *until >= now);
        let mut set = KeySet::new();
        for key in std::iter::once(&self.current).chain(&self.next).chain(self.previous.iter().map(|(k, _)| k)) {
            set = set.with(key.verification_key()?);
        }
        self.keyset = Arc::new(set);
        self.stale_after = self.previous.iter().map(|(_, until)| *until).min().unwrap_or(i64::MAX);
        Ok(())
    }
}
