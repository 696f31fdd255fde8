//! Refresh tokens: `RefreshTokens::refresh` is where a presented refresh token is read. There
//! is nothing to parse (the token is opaque: it is hashed and looked up), so the target drives
//! the public API over an `InMemoryRefreshStore` with a sequence of operations and checks the
//! answers against a model of RFC 9700 §4.14.2 rotation. The futures run on a current-thread
//! tokio runtime, as an application would run them.
//!
//! Input: a sequence of operations, one byte each plus an argument byte where needed:
//! issue, refresh a known token, refresh fuzz text, refresh a mutated known token, log out
//! with a known token, advance the clock.
//!
//! Invariants (safety, whatever the store's sweeping policy): a token never issued, a mutated
//! token, an expired token, a used token or a token of a revoked family never refreshes; a
//! token refreshes at most once; a refresh keeps the family's subject, scope and start and
//! follows `Lifetimes::next_expiry`; reusing a used, unexpired token revokes its family, and so
//! does logging out with an unexpired token. Liveness: a live token of a live family refreshes.
#![no_main]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use jwtguard_core::Clock;
use jwtguard_core::refresh::{InMemoryRefreshStore, Lifetimes, RefreshError, RefreshTokens};
use libfuzzer_sys::fuzz_target;

const IDLE: i64 = 100;
const ABSOLUTE: i64 = 250;

static RUNTIME: LazyLock<tokio::runtime::Runtime> =
    LazyLock::new(|| tokio::runtime::Builder::new_current_thread().build().expect("runtime builds"));

#[derive(Debug, Clone)]
struct StepClock(Arc<AtomicI64>);

impl Clock for StepClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Live,
    Revoked,
    /// An expired token was reused or logged out with: the store may or may not still have
    /// had it, so the family may or may not be revoked. Nothing is asserted of it any more.
    Unknown,
}

struct FamilyModel {
    state: Family,
    sub: String,
    scope: Option<String>,
    started: i64,
}

struct TokenModel {
    token: String,
    family: usize,
    used: bool,
    expires: i64,
}

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn next(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn text(&mut self) -> String {
        let n = usize::from(self.next().unwrap_or(0) % 48).min(self.0.len());
        let (t, rest) = self.0.split_at(n);
        self.0 = rest;
        String::from_utf8_lossy(t).into_owned()
    }
}

fuzz_target!(|data: &[u8]| {
    let clock = StepClock(Arc::new(AtomicI64::new(jwtguard_fuzz::NOW)));
    let tokens = RefreshTokens::new(Arc::new(InMemoryRefreshStore::new()))
        .idle_lifetime(Duration::from_secs(IDLE as u64))
        .absolute_lifetime(Duration::from_secs(ABSOLUTE as u64))
        .clock(clock.clone());
    let lifetimes = Lifetimes { idle: IDLE, absolute: ABSOLUTE };
    let mut families: Vec<FamilyModel> = Vec::new();
    let mut known: Vec<TokenModel> = Vec::new();
    let mut input = Bytes(data);

    while let Some(op) = input.next() {
        let now = clock.now();
        match op % 6 {
            0 => {
                let sub = input.text();
                let scope = (op & 0x80 != 0).then(|| input.text());
                let token = RUNTIME.block_on(tokens.issue(&sub, scope.as_deref())).expect("in-memory issue works");
                assert_eq!(token.len(), 43, "a refresh token is 256 random bits, base64url");
                assert!(known.iter().all(|t| t.token != token), "a refresh token was issued twice");
                families.push(FamilyModel { state: Family::Live, sub, scope, started: now });
                known.push(TokenModel {
                    token,
                    family: families.len() - 1,
                    used: false,
                    expires: now + IDLE.min(ABSOLUTE),
                });
            }
            1 => {
                let Some(arg) = input.next() else { break };
                if known.is_empty() {
                    continue;
                }
                let i = usize::from(arg) % known.len();
                let t = &known[i];
                let fam = &families[t.family];
                let expired = t.expires <= now;
                let result = RUNTIME.block_on(tokens.refresh(&t.token.clone()));
                match result {
                    Ok((next, record)) => {
                        assert!(!t.used, "a used refresh token refreshed");
                        assert!(!expired, "an expired refresh token refreshed");
                        assert_ne!(fam.state, Family::Revoked, "a token of a revoked family refreshed");
                        assert_eq!(record.sub, fam.sub);
                        assert_eq!(record.scope, fam.scope);
                        assert_eq!(record.family_started, fam.started);
                        assert_eq!(record.expires, lifetimes.next_expiry(fam.started, now));
                        assert!(record.expires > now);
                        assert_ne!(next, t.token);
                        assert!(known.iter().all(|k| k.token != next), "a refresh token was issued twice");
                        let family = t.family;
                        known[i].used = true;
                        known.push(TokenModel { token: next, family, used: false, expires: record.expires });
                    }
                    Err(RefreshError::InvalidGrant) => {
                        let live = !t.used && !expired && fam.state == Family::Live;
                        assert!(!live, "a live refresh token was refused");
                        let family = t.family;
                        if t.used && families[family].state != Family::Revoked {
                            // Reuse of a used token revokes its family; if it had expired, the
                            // store may have dropped it already and cannot tell.
                            families[family].state = if expired { Family::Unknown } else { Family::Revoked };
                        }
                    }
                    Err(e) => panic!("the in-memory store failed: {e}"),
                }
            }
            2 => {
                let text = input.text();
                if known.iter().any(|t| t.token == text) {
                    continue;
                }
                let result = RUNTIME.block_on(tokens.refresh(&text));
                assert!(matches!(result, Err(RefreshError::InvalidGrant)), "a token never issued refreshed");
            }
            3 => {
                let (Some(arg), Some(pos)) = (input.next(), input.next()) else { break };
                if known.is_empty() {
                    continue;
                }
                let original = &known[usize::from(arg) % known.len()].token;
                let mut bytes = original.clone().into_bytes();
                let at = usize::from(pos) % bytes.len();
                match op >> 6 {
                    0 => bytes[at] ^= 1 << (pos % 7),
                    1 => bytes.truncate(at),
                    2 => bytes.push(pos),
                    _ => bytes.insert(at, b'A'),
                }
                let mutated = String::from_utf8_lossy(&bytes).into_owned();
                if known.iter().any(|t| t.token == mutated) {
                    continue;
                }
                let result = RUNTIME.block_on(tokens.refresh(&mutated));
                assert!(matches!(result, Err(RefreshError::InvalidGrant)), "a mutated refresh token refreshed");
            }
            4 => {
                let Some(arg) = input.next() else { break };
                if known.is_empty() {
                    continue;
                }
                let t = &known[usize::from(arg) % known.len()];
                RUNTIME.block_on(tokens.logout(&t.token.clone())).expect("in-memory logout works");
                let family = &mut families[t.family];
                if family.state != Family::Revoked {
                    // An unexpired token is certainly still in the store, so its family goes.
                    family.state = if t.expires > now { Family::Revoked } else { Family::Unknown };
                }
            }
            _ => {
                let Some(arg) = input.next() else { break };
                clock.0.fetch_add(i64::from(arg), Ordering::SeqCst);
            }
        }
    }
});
