//! The shared store suite against the in-memory stores and against a real `redis-server`
//! started on a free loopback port; plus what only a shared store can show: two instances, and
//! Redis dying under load.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use jwtguard_core::refresh::InMemoryRefreshStore;
use jwtguard_core::revocation::{InMemoryRevocations, RevocationStore};
use jwtguard_core::{ErrorKind, RegisteredClaims};
use jwtguard_redis::RedisStores;
use jwtguard_test::eventually;
use jwtguard_test::redis_server::RedisServer;
use jwtguard_test::store_suite::{refresh_suite, revocation_suite};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_stores_pass_the_suite() {
    refresh_suite(Arc::new(InMemoryRefreshStore::new())).await;
    let store = Arc::new(InMemoryRevocations::new());
    revocation_suite(store.clone(), store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server"]
async fn redis_stores_pass_the_suite() {
    let redis = RedisServer::start();
    let stores = RedisStores::connect(&redis.url()).await.unwrap();
    refresh_suite(Arc::new(stores.refresh_store())).await;
    // Two instances: one revokes, the other's replica learns it through pub/sub.
    let other = RedisStores::connect(&redis.url()).await.unwrap();
    revocation_suite(Arc::new(stores.revocations()), Arc::new(other.revocations())).await;

    // What Redis holds is the merge too: a replica started now loads the wider revocations.
    let late = RedisStores::connect(&redis.url()).await.unwrap().revocations();
    eventually("late replica in sync", || late.in_sync()).await;
    let now = jwtguard_test::unix_now();
    let bob = |iat: i64| -> RegisteredClaims {
        serde_json::from_value(serde_json::json!({"jti": "t-6", "sub": "bob", "iat": iat, "exp": iat + 600})).unwrap()
    };
    assert!(late.is_revoked(&bob(now - 70), now).unwrap(), "the cut-off Redis holds is the later one");
    assert!(late.is_revoked(&bob(now - 70), now + 300).unwrap(), "and the end is the later one");
    assert!(late.is_revoked(&claims("t-7"), now + 300).unwrap());

    // Redis keeps an entry an hour past its end: validators accept tokens until exp + leeway,
    // and a replica loading in that window must still find it.
    late.revoke_jti("ends-soon", now + 5).await.unwrap();
    let mut conn = redis::Client::open(redis.url()).unwrap().get_multiplexed_async_connection().await.unwrap();
    let kept_until: i64 = redis::cmd("ZSCORE")
        .arg("{jwtguard:revocations}:ends")
        .arg("jti ends-soon")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(kept_until, now + 5 + 3600);
}

fn claims(jti: &str) -> RegisteredClaims {
    let now = jwtguard_test::unix_now();
    serde_json::from_value(serde_json::json!({"jti": jti, "sub": "alice", "iat": now, "exp": now + 600})).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server"]
async fn a_replica_started_later_loads_existing_revocations() {
    let redis = RedisServer::start();
    let stores = RedisStores::connect(&redis.url()).await.unwrap();
    let writer = stores.revocations();
    let now = jwtguard_test::unix_now();
    eventually("writer in sync", || writer.in_sync()).await;
    writer.revoke_jti("old one", now + 600).await.unwrap();
    let late = RedisStores::connect(&redis.url()).await.unwrap().revocations();
    eventually("late replica in sync", || late.in_sync()).await;
    assert!(late.is_revoked(&claims("old one"), now).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server"]
async fn redis_killed_fails_closed_then_resumes() {
    let mut redis = RedisServer::start();
    let stores = RedisStores::connect(&redis.url()).await.unwrap();
    let revocations = stores.revocations_with_max_stale(Duration::from_millis(200));
    eventually("in sync", || revocations.in_sync()).await;
    let now = jwtguard_test::unix_now();
    assert!(!revocations.is_revoked(&claims("a"), now).unwrap());

    // A validator using it, failing closed (the default) and one failing open.
    let token = |jti: &str| -> String {
        jwtguard_test::Minter::new(jwtguard_core::Algorithm::HS256)
            .token(&serde_json::json!({"jti": jti, "sub": "alice", "iat": now, "exp": now + 600}))
    };
    let validator = |fail_open: bool| {
        let b =
            jwtguard_core::Validator::builder(jwtguard_test::Fixture::Hmac.key(), [jwtguard_core::Algorithm::HS256])
                .revocation(Arc::new(revocations.clone()));
        if fail_open { b.revocation_fail_open() } else { b }.build().unwrap()
    };
    let (closed, open) = (validator(false), validator(true));
    assert!(closed.verify::<serde_json::Value>(&token("a")).is_ok());

    redis.kill();
    // After the staleness bound, checks fail closed (503), and writes fail, without panicking.
    eventually("fails closed", || revocations.is_revoked(&claims("a"), now).is_err()).await;
    let err = closed.verify::<serde_json::Value>(&token("a")).unwrap_err();
    let answer = jwtguard_core::Challenge::default().respond(&err);
    assert_eq!((answer.status(), answer.retry_after()), (503, Some(5)));
    assert!(open.verify::<serde_json::Value>(&token("a")).is_ok(), "fail-open passes while Redis is down");
    assert_eq!(revocations.is_revoked(&claims("a"), now).unwrap_err().kind(), ErrorKind::StoreUnavailable);
    assert_eq!(revocations.revoke_jti("b", now + 600).await.unwrap_err().kind(), ErrorKind::StoreUnavailable);
    let refresh = jwtguard_core::refresh::RefreshTokens::new(Arc::new(stores.refresh_store()));
    assert!(refresh.issue("alice", None).await.is_err());

    redis.restart();
    eventually("back in sync", || revocations.in_sync()).await;
    assert!(!revocations.is_revoked(&claims("a"), now).unwrap());
    assert!(closed.verify::<serde_json::Value>(&token("a")).is_ok(), "service resumes");
    revocations.revoke_jti("c", now + 600).await.unwrap();
    assert!(revocations.is_revoked(&claims("c"), now).unwrap());
    assert!(refresh.issue("alice", None).await.is_ok());
}

/// Found by the soak run (scripts/soak.sh): with Redis back after an outage, the first
/// subscription succeeded but the reload on the command connection, which reconnects only after
/// a command fails, failed; the replica then waited a whole backoff step (up to 5 s, failing
/// closed) and subscribed again. Now the reload is tried again at once, so one subscription after
/// the restart is enough.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server"]
async fn replica_resyncs_on_its_first_subscription_after_redis_returns() {
    let mut redis = RedisServer::start();
    let stores = RedisStores::connect(&redis.url()).await.unwrap();
    let revocations = stores.revocations();
    eventually("in sync", || revocations.in_sync()).await;

    redis.kill();
    eventually("fails closed", || !revocations.in_sync()).await;
    redis.restart();
    eventually("back in sync", || revocations.in_sync()).await;

    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let stats: String = redis::cmd("INFO").arg("commandstats").query_async(&mut conn).await.unwrap();
    let subscribes = stats
        .lines()
        .find_map(|l| l.strip_prefix("cmdstat_subscribe:calls="))
        .map(|rest| rest.split(',').next().unwrap().parse::<u32>().unwrap());
    assert_eq!(subscribes, Some(1), "subscriptions to the restarted Redis before the replica was in sync");
}
