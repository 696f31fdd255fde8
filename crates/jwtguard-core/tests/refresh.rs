//! Refresh-token rotation with reuse detection (RFC 9700 §4.14.2), lifetimes, logout, and
//! concurrency on the in-memory store.
#![cfg(feature = "aws-lc-rs")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use jwtguard_core::Clock;
use jwtguard_core::refresh::{InMemoryRefreshStore, RefreshError, RefreshTokens, hash};

#[derive(Debug, Clone)]
struct TestClock(Arc<AtomicI64>);

impl Clock for TestClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

fn setup() -> (RefreshTokens, Arc<InMemoryRefreshStore>, TestClock) {
    let store = Arc::new(InMemoryRefreshStore::new());
    let clock = TestClock(Arc::new(AtomicI64::new(1_700_000_000)));
    let tokens = RefreshTokens::new(store.clone())
        .idle_lifetime(Duration::from_secs(3600))
        .absolute_lifetime(Duration::from_secs(10_000))
        .clock(clock.clone());
    (tokens, store, clock)
}

fn invalid<T: std::fmt::Debug>(r: Result<T, RefreshError>) -> bool {
    matches!(r, Err(RefreshError::InvalidGrant))
}

#[tokio::test]
async fn each_use_rotates_and_the_old_token_dies() {
    let (tokens, _, _) = setup();
    let t1 = tokens.issue("alice", Some("orders:read")).await.unwrap();
    assert_eq!(t1.len(), 43, "256 bits, base64url");
    let (t2, record) = tokens.refresh(&t1).await.unwrap();
    assert_eq!((record.sub.as_str(), record.scope.as_deref()), ("alice", Some("orders:read")));
    assert_ne!(t1, t2);
    let (t3, _) = tokens.refresh(&t2).await.unwrap();
    assert!(invalid(tokens.refresh("not-a-token").await));
    // Reusing t1 (rotated twice ago) kills the family: t3 dies with it.
    assert!(invalid(tokens.refresh(&t1).await));
    assert!(invalid(tokens.refresh(&t3).await));
}

#[tokio::test]
async fn only_hashes_are_stored() {
    let (tokens, store, _) = setup();
    let t = tokens.issue("alice", None).await.unwrap();
    let debug = format!("{store:?}");
    assert!(!debug.contains(&t));
    assert_eq!(hash(&t).len(), 32);
    assert_eq!(store.len(), 1);
}

#[tokio::test]
async fn idle_and_absolute_lifetimes() {
    let (tokens, _, clock) = setup();
    let t = tokens.issue("alice", None).await.unwrap();
    clock.0.fetch_add(3601, Ordering::SeqCst);
    assert!(invalid(tokens.refresh(&t).await), "idle for more than an hour");

    let (tokens, _, clock) = setup();
    let mut t = tokens.issue("alice", None).await.unwrap();
    // Used every 50 minutes, the family still ends 10,000 s after login.
    for _ in 0..3 {
        clock.0.fetch_add(3000, Ordering::SeqCst);
        t = tokens.refresh(&t).await.unwrap().0;
    }
    clock.0.fetch_add(1001, Ordering::SeqCst);
    assert!(invalid(tokens.refresh(&t).await), "absolute lifetime");
}

#[tokio::test]
async fn logout_revokes_the_family() {
    let (tokens, store, _) = setup();
    let t1 = tokens.issue("alice", None).await.unwrap();
    let (t2, _) = tokens.refresh(&t1).await.unwrap();
    let other = tokens.issue("alice", None).await.unwrap();
    tokens.logout(&t2).await.unwrap();
    assert!(invalid(tokens.refresh(&t2).await));
    // Another login of the same user is another family.
    assert!(tokens.refresh(&other).await.is_ok());
    tokens.logout("unknown").await.unwrap();
    assert_eq!(store.len(), 2, "the other family: its used token and its new one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_parallel_refreshes_of_one_token_one_wins_and_the_family_is_revoked() {
    let (tokens, _, _) = setup();
    let t = tokens.issue("alice", None).await.unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (tokens, t) = (tokens.clone(), t.clone());
            tokio::spawn(async move { tokens.refresh(&t).await.map(|(next, _)| next) })
        })
        .collect();
    let mut wins = Vec::new();
    let mut losses = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(next) => wins.push(next),
            Err(RefreshError::InvalidGrant) => losses += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((wins.len(), losses), (1, 49));
    // As documented: concurrent use is reuse, so the winner's new token is revoked too.
    assert!(invalid(tokens.refresh(&wins[0]).await));
}
