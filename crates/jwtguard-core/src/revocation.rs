//! Revocation: a token's `jti` revoked until its `exp`, or everything of a subject issued before
//! a time. Checked by the [`Validator`](crate::Validator) after the signature and the claims
//! policy, so a revoked token gets `401 invalid_token`.
//!
//! The check is synchronous on purpose: a store answers from memory (the in-memory store, or a
//! local replica that a shared store such as Redis keeps current), so no request waits on a
//! network round trip. A store that cannot vouch for its answer (a replica that lost its source
//! for too long) says so, and the request fails closed with `503` unless
//! [`ValidatorBuilder::revocation_fail_open`](crate::ValidatorBuilder::revocation_fail_open) says
//! otherwise.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::RwLock;

use crate::{Error, ErrorKind, RegisteredClaims};

/// How long stores keep an entry past its end (the `exp` of the tokens it covers) before
/// dropping it: validators accept a token until `exp` + leeway, and validators with different
/// leeways may share a store, so entries outlive their end by this margin (any leeway up to an
/// hour is covered).
///
/// ```
/// assert_eq!(jwtguard_core::revocation::KEEP_AFTER_END, 3600);
/// ```
pub const KEEP_AFTER_END: i64 = 3600;

/// A store call in flight.
///
/// ```
/// use jwtguard_core::revocation::StoreFuture;
///
/// fn nothing_to_do() -> StoreFuture<'static, ()> {
///     Box::pin(std::future::ready(Ok(())))
/// }
/// ```
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// Where revocations live. Checks answer from memory; revocations may go over the network.
///
/// ```
/// use jwtguard_core::revocation::{InMemoryRevocations, RevocationStore};
/// let store = InMemoryRevocations::new();
/// # async fn demo(store: InMemoryRevocations) -> Result<(), jwtguard_core::Error> {
/// store.revoke_jti("t-1", 4_102_444_800).await?;
/// # Ok(()) }
/// ```
pub trait RevocationStore: Send + Sync + fmt::Debug + 'static {
    /// `true` when the token with these registered claims is revoked at `now`. The validator
    /// passes its time minus its leeway, since it accepts a token until `exp` + leeway: an entry
    /// that ends at the tokens' `exp` then covers them for as long as they are accepted.
    ///
    /// # Errors
    /// [`ErrorKind::KeysUnavailable`] when the store cannot vouch for its answer.
    fn is_revoked(&self, claims: &RegisteredClaims, now: i64) -> Result<bool, Error>;

    /// Revokes the token `jti` until `until` (its `exp`; the entry is dropped after that).
    ///
    /// # Errors
    /// When the store cannot record it.
    fn revoke_jti<'a>(&'a self, jti: &'a str, until: i64) -> StoreFuture<'a, ()>;

    /// Revokes every token of `sub` issued before `issued_before`, remembered until `until`
    /// (the latest `exp` such a token can have).
    ///
    /// # Errors
    /// When the store cannot record it.
    fn revoke_subject<'a>(&'a self, sub: &'a str, issued_before: i64, until: i64) -> StoreFuture<'a, ()>;
}

#[derive(Default)]
struct Entries {
    /// jti -> until
    jtis: HashMap<String, i64>,
    /// sub -> (issued_before, until)
    subjects: HashMap<String, (i64, i64)>,
    /// When expired entries were last swept.
    swept: i64,
}

/// The embedded default: revocations in this process's memory. Entries expire with the tokens
/// they cover, so nothing grows without bound.
///
/// ```
/// use std::sync::Arc;
/// use jwtguard_core::revocation::{InMemoryRevocations, RevocationStore};
/// use jwtguard_core::{Algorithm, Key, Validator};
///
/// let revocations = Arc::new(InMemoryRevocations::new());
/// let validator = Validator::builder(Key::hmac([7u8; 32])?, [Algorithm::HS256])
///     .revocation(revocations.clone())
///     .build()?;
/// // On logout: revocations.revoke_jti(jti, exp).await?
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[derive(Default)]
pub struct InMemoryRevocations {
    entries: RwLock<Entries>,
}

impl fmt::Debug for InMemoryRevocations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (jtis, subjects) = self.entries.read().map(|e| (e.jtis.len(), e.subjects.len())).unwrap_or_default();
        f.debug_struct("InMemoryRevocations").field("jtis", &jtis).field("subjects", &subjects).finish()
    }
}

impl InMemoryRevocations {
    /// An empty store.
    ///
    /// ```
    /// let store = jwtguard_core::revocation::InMemoryRevocations::new();
    /// assert_eq!(store.len(), 0);
    /// ```
    pub fn new() -> Self {
        InMemoryRevocations::default()
    }

    /// How many entries (revoked `jti`s and subjects) are held.
    ///
    /// ```
    /// let store = jwtguard_core::revocation::InMemoryRevocations::new();
    /// store.record_subject("alice", 100, 200)?;
    /// assert_eq!(store.len(), 1);
    /// # Ok::<_, jwtguard_core::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.entries.read().map(|e| e.jtis.len() + e.subjects.len()).unwrap_or(0)
    }

    /// `true` when nothing is revoked.
    ///
    /// ```
    /// assert!(jwtguard_core::revocation::InMemoryRevocations::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records a revoked `jti` at once (what [`RevocationStore::revoke_jti`] does, without the
    /// future; a replica of a shared store applies remote revocations with it).
    ///
    /// ```
    /// let store = jwtguard_core::revocation::InMemoryRevocations::new();
    /// store.record_jti("t-1", 100)?;
    /// assert_eq!(store.len(), 1);
    /// # Ok::<_, jwtguard_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// Only if the lock was poisoned.
    pub fn record_jti(&self, jti: &str, until: i64) -> Result<(), Error> {
        let mut e = self.entries.write().map_err(|_| poisoned())?;
        let entry = e.jtis.entry(jti.to_owned()).or_insert(until);
        *entry = (*entry).max(until);
        Ok(())
    }

    /// Records a revoked subject at once; see [`InMemoryRevocations::record_jti`].
    ///
    /// ```
    /// let store = jwtguard_core::revocation::InMemoryRevocations::new();
    /// store.record_subject("alice", 50, 100)?;
    /// assert_eq!(store.len(), 1);
    /// # Ok::<_, jwtguard_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// Only if the lock was poisoned.
    pub fn record_subject(&self, sub: &str, issued_before: i64, until: i64) -> Result<(), Error> {
        let mut e = self.entries.write().map_err(|_| poisoned())?;
        let entry = e.subjects.entry(sub.to_owned()).or_insert((issued_before, until));
        *entry = (entry.0.max(issued_before), entry.1.max(until));
        Ok(())
    }

    /// Drops entries whose tokens have all expired by `now`. A validator's tokens live until
    /// `exp` + leeway, so pass a time at least the largest leeway in use behind the clock (the
    /// read path sweeps now and then with [`KEEP_AFTER_END`] behind it).
    ///
    /// ```
    /// let store = jwtguard_core::revocation::InMemoryRevocations::new();
    /// store.record_jti("t-1", 100)?;
    /// store.sweep(101);
    /// assert!(store.is_empty());
    /// # Ok::<_, jwtguard_core::Error>(())
    /// ```
    pub fn sweep(&self, now: i64) {
        if let Ok(mut e) = self.entries.write() {
            e.jtis.retain(|_, until| *until >= now);
            e.subjects.retain(|_, (_, until)| *until >= now);
            e.swept = now;
        }
    }
}

fn poisoned() -> Error {
    Error::detailed(ErrorKind::KeysUnavailable, "revocation store lock poisoned")
}

impl RevocationStore for InMemoryRevocations {
    fn is_revoked(&self, claims: &RegisteredClaims, now: i64) -> Result<bool, Error> {
        let revoked = {
            let e = self.entries.read().map_err(|_| poisoned())?;
            let by_jti = claims.jti().is_some_and(|jti| e.jtis.get(jti).is_some_and(|until| *until >= now));
            let by_subject = claims.sub().is_some_and(|sub| {
                e.subjects
                    .get(sub)
                    .is_some_and(|(before, until)| *until >= now && claims.iat().is_none_or(|iat| iat < *before))
            });
            // Sweep now and then on the read path, at most once a minute.
            if now - e.swept > 60 && !(e.jtis.is_empty() && e.subjects.is_empty()) {
                drop(e);
                self.sweep(now.saturating_sub(KEEP_AFTER_END));
            }
            by_jti || by_subject
        };
        Ok(revoked)
    }

    fn revoke_jti<'a>(&'a self, jti: &'a str, until: i64) -> StoreFuture<'a, ()> {
        Box::pin(std::future::ready(self.record_jti(jti, until)))
    }

    fn revoke_subject<'a>(&'a self, sub: &'a str, issued_before: i64, until: i64) -> StoreFuture<'a, ()> {
        Box::pin(std::future::ready(self.record_subject(sub, issued_before, until)))
    }
}
