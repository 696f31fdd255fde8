//! A subscription that dies without a word: a NAT or load balancer between an instance and
//! Redis drops the connection silently, so no error and no end of stream ever arrives. The
//! replica must notice within its staleness bound and fail closed, then catch up.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jwtguard_core::revocation::RevocationStore;
use jwtguard_core::{Algorithm, ErrorKind, RegisteredClaims, Validator};
use jwtguard_redis::RedisStores;
use jwtguard_test::redis_server::RedisServer;
use jwtguard_test::tcp_proxy::TcpProxy;

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn claims(jti: &str, now: i64) -> RegisteredClaims {
    serde_json::from_value(serde_json::json!({"jti": jti, "sub": "alice", "iat": now, "exp": now + 600})).unwrap()
}

async fn wait_until(what: &str, secs: u64, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check() {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server"]
async fn silently_dropped_subscription_fails_closed_then_applies_what_it_missed() {
    let redis = RedisServer::start();
    let upstream: SocketAddr = redis.url().trim_start_matches("redis://").parse().unwrap();
    let proxy = TcpProxy::start(upstream).await;
    let proxied = RedisStores::connect(&format!("redis://{}", proxy.addr())).await.unwrap();
    let revocations = proxied.revocations_with_max_stale(Duration::from_millis(500));
    // Another instance, reaching Redis directly.
    let direct = RedisStores::connect(&redis.url()).await.unwrap().revocations();
    wait_until("replica in sync", 10, || revocations.in_sync()).await;
    let now = now();
    assert!(!revocations.is_revoked(&claims("live", now), now).unwrap());

    let token = |jti: &str| {
        jwtguard_test::Minter::new(Algorithm::HS256)
            .token(&serde_json::json!({"jti": jti, "sub": "alice", "iat": now, "exp": now + 600}))
    };
    let validator = |fail_open: bool| {
        let b = Validator::builder(jwtguard_test::Fixture::Hmac.key(), [Algorithm::HS256])
            .revocation(Arc::new(revocations.clone()));
        if fail_open { b.revocation_fail_open() } else { b }.build().unwrap()
    };
    let (closed, open) = (validator(false), validator(true));
    assert!(closed.verify::<serde_json::Value>(&token("live")).is_ok());

    // The path goes quiet: nothing forwarded, nothing closed.
    proxy.stall();
    wait_until("the replica fails closed", 10, || revocations.is_revoked(&claims("live", now), now).is_err()).await;
    assert_eq!(revocations.is_revoked(&claims("live", now), now).unwrap_err().kind(), ErrorKind::StoreUnavailable);
    assert!(!revocations.in_sync());
    let err = closed.verify::<serde_json::Value>(&token("live")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StoreUnavailable);
    assert_eq!(jwtguard_core::Challenge::default().respond(&err).status(), 503);
    assert!(open.verify::<serde_json::Value>(&token("live")).is_ok(), "revocation_fail_open lets it pass");

    // Meanwhile another instance revokes a token.
    direct.revoke_jti("revoked-meanwhile", now + 600).await.unwrap();

    proxy.resume();
    wait_until("the replica catches up", 20, || {
        revocations.is_revoked(&claims("revoked-meanwhile", now), now).unwrap_or(false)
    })
    .await;
    assert!(revocations.in_sync());
    let err = closed.verify::<serde_json::Value>(&token("revoked-meanwhile")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Revoked);
    assert!(closed.verify::<serde_json::Value>(&token("live")).is_ok(), "service resumes");
}
