//! The one test suite every refresh-token and revocation store must pass (the in-memory ones
//! and the Redis ones run the same functions).

use std::sync::Arc;
use std::time::Duration;

use jwtguard_core::RegisteredClaims;
use jwtguard_core::refresh::{RefreshError, RefreshStore, RefreshTokens};
use jwtguard_core::revocation::RevocationStore;

use crate::{TestClock, eventually};

fn invalid<T: std::fmt::Debug>(r: Result<T, RefreshError>) -> bool {
    matches!(r, Err(RefreshError::InvalidGrant))
}

fn tokens(store: Arc<dyn RefreshStore>, now: i64) -> (RefreshTokens, TestClock) {
    let clock = TestClock::at(now);
    let t = RefreshTokens::new(store)
        .idle_lifetime(Duration::from_secs(3600))
        .absolute_lifetime(Duration::from_secs(10_000))
        .clock(clock.clone());
    (t, clock)
}

/// Rotation, reuse detection, logout, lifetimes and 50 concurrent refreshes.
pub async fn refresh_suite(store: Arc<dyn RefreshStore>) {
    let now = crate::unix_now();
    let (t, clock) = tokens(store.clone(), now);

    // Rotation: each use gives the next token, the old one dies, reuse kills the family.
    let t1 = t.issue("alice", Some("orders:read")).await.unwrap();
    let (t2, record) = t.refresh(&t1).await.unwrap();
    assert_eq!((record.sub.as_str(), record.scope.as_deref()), ("alice", Some("orders:read")));
    let (t3, _) = t.refresh(&t2).await.unwrap();
    assert!(invalid(t.refresh(&t1).await), "reuse");
    assert!(invalid(t.refresh(&t3).await), "family revoked by the reuse");
    assert!(invalid(t.refresh("never-issued").await));

    // A scope-less login keeps no scope.
    let s = t.issue("svc", None).await.unwrap();
    assert_eq!(t.refresh(&s).await.unwrap().1.scope, None);

    // Logout revokes the family, and only it.
    let a = t.issue("alice", None).await.unwrap();
    let b = t.issue("alice", None).await.unwrap();
    let (a2, _) = t.refresh(&a).await.unwrap();
    t.logout(&a2).await.unwrap();
    assert!(invalid(t.refresh(&a2).await));
    assert!(t.refresh(&b).await.is_ok());

    // Idle lifetime.
    let idle = t.issue("alice", None).await.unwrap();
    clock.advance(3601);
    assert!(invalid(t.refresh(&idle).await), "idle");

    // Absolute lifetime: used every 50 minutes, the family still ends 10,000 s after login.
    let mut fam = t.issue("alice", None).await.unwrap();
    for _ in 0..3 {
        clock.advance(3000);
        fam = t.refresh(&fam).await.unwrap().0;
    }
    clock.advance(1001);
    assert!(invalid(t.refresh(&fam).await), "absolute");

    // 50 parallel refreshes of one token: exactly one wins, and (as documented) the family,
    // the winner's new token included, is revoked.
    let (t, _) = tokens(store, now);
    let one = t.issue("alice", None).await.unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (t, one) = (t.clone(), one.clone());
            tokio::spawn(async move { t.refresh(&one).await.map(|(next, _)| next) })
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
    assert!(invalid(t.refresh(&wins[0]).await));

    logout_races_refresh(&t).await;
}

/// Logout (revoke the family) racing a refresh of the same token, many times over: whichever
/// wins, once both are done no token of the family refreshes. A store that reads the family's
/// members and deletes them in separate steps lets a token rotated in between survive.
async fn logout_races_refresh(t: &RefreshTokens) {
    const ROUNDS: usize = 200;
    const FAMILIES: usize = 8;
    let mut survivors = 0;
    for _ in 0..ROUNDS {
        let mut firsts = Vec::with_capacity(FAMILIES);
        for _ in 0..FAMILIES {
            firsts.push(t.issue("alice", None).await.unwrap());
        }
        let races: Vec<_> = firsts
            .iter()
            .map(|first| {
                let (a, b, first) = (t.clone(), t.clone(), first.clone());
                let refresh = tokio::spawn({
                    let first = first.clone();
                    async move { a.refresh(&first).await.map(|(next, _)| next) }
                });
                let logout = tokio::spawn(async move { b.logout(&first).await });
                (refresh, logout)
            })
            .collect();
        for (refresh, logout) in races {
            logout.await.unwrap().unwrap();
            match refresh.await.unwrap() {
                // The rotated token is checked first: using the old one would revoke the family
                // through reuse detection and hide a survivor.
                Ok(next) => survivors += usize::from(t.refresh(&next).await.is_ok()),
                Err(RefreshError::InvalidGrant) => {}
                Err(e) => panic!("{e}"),
            }
        }
    }
    assert_eq!(survivors, 0, "tokens that outlived the logout of their family ({ROUNDS} x {FAMILIES} races)");
}

fn claims(jti: &str, sub: &str, iat: i64) -> RegisteredClaims {
    let json = serde_json::json!({"jti": jti, "sub": sub, "iat": iat, "exp": iat + 600});
    serde_json::from_value(json).unwrap()
}

/// Revocation of a `jti` and of a subject, seen by `reader` (another instance's store, or the
/// same one).
pub async fn revocation_suite(writer: Arc<dyn RevocationStore>, reader: Arc<dyn RevocationStore>) {
    let now = crate::unix_now();
    let t1 = claims("t-1", "alice", now);
    let t2 = claims("t-2", "alice", now);
    eventually("reader ready", || reader.is_revoked(&t1, now).is_ok()).await;
    assert!(!reader.is_revoked(&t1, now).unwrap());

    writer.revoke_jti("t-1", now + 600).await.unwrap();
    assert!(writer.is_revoked(&t1, now).unwrap(), "the writer sees its own revocation at once");
    eventually("the reader sees the jti revocation", || reader.is_revoked(&t1, now).unwrap_or(false)).await;
    assert!(!reader.is_revoked(&t2, now).unwrap());
    assert!(!reader.is_revoked(&t1, now + 601).unwrap(), "revocations end with the tokens they cover");

    let old = claims("t-3", "bob", now - 100);
    let new = claims("t-4", "bob", now);
    writer.revoke_subject("bob", now - 50, now + 600).await.unwrap();
    eventually("the reader sees the subject revocation", || reader.is_revoked(&old, now).unwrap_or(false)).await;
    assert!(!reader.is_revoked(&new, now).unwrap());

    // A narrower revocation after a wider one never narrows it: the larger cut-off and end win.
    writer.revoke_subject("bob", now - 200, now + 100).await.unwrap();
    let t7 = claims("t-7", "dave", now);
    writer.revoke_jti("t-7", now + 600).await.unwrap();
    writer.revoke_jti("t-7", now + 10).await.unwrap();
    let marker = claims("marker", "carol", now);
    writer.revoke_jti("marker", now + 600).await.unwrap();
    // Events arrive in order: once the reader has the marker it has the two before it.
    eventually("the reader sees the marker", || reader.is_revoked(&marker, now).unwrap_or(false)).await;
    let between = claims("t-5", "bob", now - 60);
    for store in [&writer, &reader] {
        assert!(store.is_revoked(&between, now).unwrap(), "the cut-off stays at now - 50");
        assert!(store.is_revoked(&old, now + 300).unwrap(), "the subject revocation still ends at now + 600");
        assert!(store.is_revoked(&t7, now + 300).unwrap(), "the jti revocation still ends at now + 600");
    }
}
