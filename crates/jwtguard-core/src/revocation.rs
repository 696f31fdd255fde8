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
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

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
    /// [`ErrorKind::StoreUnavailable`] when the store cannot vouch for its answer.
    fn is_revoked(&self, claims: &RegisteredClaims, now: i64) -> Result<bool, Error>;

    /// Revokes the token `jti` until `until` (its `exp`; the entry is dropped after that).
    ///
    /// # Errors
    /// When the store cannot record it.
    fn revoke_jti<'a>(&'a self, jti: &'a str, until: i64) -> StoreFuture<'a, ()>;

    /// Revokes every token of `sub` issued at or before `issued_up_to` ("log out everywhere":
    /// pass the current time), remembered until `until` (the latest `exp` such a token can have).
    ///
    /// The exact rule: a token of `sub` is revoked when its `iat`, rounded down to a whole
    /// second, is at most `issued_up_to`, and when it has no `iat` at all. So a token issued in
    /// the same second as the call is revoked too, even if it was issued a moment after it: a
    /// client that signs in again at once may have to sign in once more the next second.
    ///
    /// # Errors
    /// When the store cannot record it.
    fn revoke_subject<'a>(&'a self, sub: &'a str, issued_up_to: i64, until: i64) -> StoreFuture<'a, ()>;
}

#[derive(Default)]
struct Entries {
    /// jti -> until
    jtis: HashMap<String, i64>,
    /// sub -> (issued_up_to, until)
    subjects: HashMap<String, (i64, i64)>,
}

impl Entries {
    fn len(&self) -> usize {
        self.jtis.len() + self.subjects.len()
    }
}

/// The embedded default: revocations in this process's memory. Entries expire with the tokens
/// they cover, so nothing grows without bound.
///
/// A check takes the lock shared (never exclusively) and looks up two hash maps, whatever the
/// number of entries; an empty store answers without locking at all. Expired entries are swept
/// at most once a minute, by whichever check first finds the minute over.
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
    /// The number of entries, kept beside the lock so that an empty store answers without it.
    held: AtomicUsize,
    /// The `now` of the read path's last sweep; claimed with a compare-and-swap, so one caller
    /// a minute sweeps and every other one goes on without waiting.
    swept: AtomicI64,
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
        self.entries.read().map(|e| e.len()).unwrap_or(0)
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
        self.held.store(e.len(), Ordering::Release);
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
    pub fn record_subject(&self, sub: &str, issued_up_to: i64, until: i64) -> Result<(), Error> {
        let mut e = self.entries.write().map_err(|_| poisoned())?;
        let entry = e.subjects.entry(sub.to_owned()).or_insert((issued_up_to, until));
        *entry = (entry.0.max(issued_up_to), entry.1.max(until));
        self.held.store(e.len(), Ordering::Release);
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
            self.held.store(e.len(), Ordering::Release);
        }
    }

    /// The read path's sweep: at most once a minute of `now`, by the one caller that claims it.
    /// Its time advances at most two minutes past the previous sweep's, so a clock that jumps
    /// forward (a VM resumed, a bad NTP step) cannot sweep away revocations that are still live
    /// once the clock is corrected; after a genuine jump it catches up two minutes per check.
    fn sweep_now_and_then(&self, now: i64) {
        let last = self.swept.load(Ordering::Relaxed);
        if now.saturating_sub(last) <= 60 {
            return;
        }
        let at = if last == 0 { now } else { now.min(last.saturating_add(120)) };
        if self.swept.compare_exchange(last, at, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
            self.sweep(at.saturating_sub(KEEP_AFTER_END));
        }
    }
}

fn poisoned() -> Error {
    Error::detailed(ErrorKind::StoreUnavailable, "revocation store lock poisoned")
}

impl RevocationStore for InMemoryRevocations {
    fn is_revoked(&self, claims: &RegisteredClaims, now: i64) -> Result<bool, Error> {
        if self.held.load(Ordering::Acquire) == 0 {
            return Ok(false);
        }
        let revoked = {
            let e = self.entries.read().map_err(|_| poisoned())?;
            let by_jti = claims.jti().is_some_and(|jti| e.jtis.get(jti).is_some_and(|until| *until >= now));
            let by_subject = claims.sub().is_some_and(|sub| {
                e.subjects
                    .get(sub)
                    .is_some_and(|(up_to, until)| *until >= now && claims.iat().is_none_or(|iat| iat <= *up_to))
            });
            by_jti || by_subject
        };
        self.sweep_now_and_then(now);
        Ok(revoked)
    }

    fn revoke_jti<'a>(&'a self, jti: &'a str, until: i64) -> StoreFuture<'a, ()> {
        Box::pin(std::future::ready(self.record_jti(jti, until)))
    }

    fn revoke_subject<'a>(&'a self, sub: &'a str, issued_up_to: i64, until: i64) -> StoreFuture<'a, ()> {
        Box::pin(std::future::ready(self.record_subject(sub, issued_up_to, until)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(json: &str) -> RegisteredClaims {
        serde_json::from_str(json).expect("valid claims")
    }

    const T: i64 = 1_700_000_000;

    #[test]
    fn read_path_sweeps_at_most_once_a_minute() {
        let store = InMemoryRevocations::new();
        let probe = claims(r#"{"jti":"probe","exp":4102444800}"#);
        store.record_jti("live", T + 10_000).unwrap();
        assert!(!store.is_revoked(&probe, T).unwrap()); // the first check sweeps
        // An entry long past its end: the next sweep drops it, a check that does not sweep keeps it.
        store.record_jti("dead", T - 2 * KEEP_AFTER_END).unwrap();
        assert!(!store.is_revoked(&probe, T + 1).unwrap());
        assert!(!store.is_revoked(&probe, T + 60).unwrap());
        assert_eq!(store.len(), 2, "no sweep within the minute after the last one");
        assert!(!store.is_revoked(&probe, T + 61).unwrap());
        assert_eq!(store.len(), 1, "the next minute's first check sweeps");
    }

    /// Review finding: a clock stepped a day forward swept every live entry, and once it was
    /// corrected the revoked tokens were accepted again.
    #[test]
    fn a_clock_jumping_forward_does_not_sweep_live_revocations() {
        let store = InMemoryRevocations::new();
        store.record_jti("revoked", T + 1000).unwrap();
        let revoked = claims(r#"{"jti":"revoked"}"#);
        assert!(store.is_revoked(&revoked, T).unwrap());
        assert!(!store.is_revoked(&revoked, T + 86_400).unwrap(), "a day later the token has expired anyway");
        assert!(store.is_revoked(&revoked, T + 10).unwrap(), "the clock is back: still revoked");
    }

    #[test]
    fn empty_store_answers_and_sweeps_nothing() {
        let store = InMemoryRevocations::new();
        assert!(!store.is_revoked(&claims(r#"{"jti":"a","sub":"s","iat":1}"#), T).unwrap());
        store.record_jti("a", T + 10).unwrap();
        assert!(store.is_revoked(&claims(r#"{"jti":"a"}"#), T).unwrap());
        store.sweep(T + 11);
        assert!(store.is_empty());
        assert!(!store.is_revoked(&claims(r#"{"jti":"a"}"#), T).unwrap());
    }

    #[test]
    fn log_out_everywhere_revokes_tokens_issued_in_the_same_second() {
        let store = InMemoryRevocations::new();
        store.record_subject("alice", T, T + 900).unwrap();
        let at = |iat: &str| claims(&format!(r#"{{"sub":"alice","iat":{iat}}}"#));
        assert!(store.is_revoked(&at("1700000000"), T).unwrap(), "iat equal to the cut-off");
        assert!(store.is_revoked(&at("1700000000.9"), T).unwrap(), "a fractional iat in the cut-off second");
        assert!(store.is_revoked(&at("1699999999"), T).unwrap(), "earlier");
        assert!(!store.is_revoked(&at("1700000001"), T).unwrap(), "the next second is a new session");
        assert!(store.is_revoked(&claims(r#"{"sub":"alice"}"#), T).unwrap(), "no iat: cannot be newer");
        assert!(!store.is_revoked(&claims(r#"{"sub":"bob","iat":1}"#), T).unwrap());
    }
}
