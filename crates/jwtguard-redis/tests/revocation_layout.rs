//! What Redis holds for revocations: two keys under one hash tag, cleaned as they are written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use jwtguard_core::revocation::RevocationStore;
use jwtguard_redis::RedisStores;
use jwtguard_test::redis_server::RedisServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server"]
async fn entries_past_their_keeping_time_are_forgotten_and_the_keys_expire_with_the_last() {
    let redis = RedisServer::start();
    let revocations = RedisStores::connect(&redis.url()).await.unwrap().revocations();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    // Ended 3,700 s ago: kept for an hour past its end, so already forgettable.
    revocations.revoke_jti("long gone", now - 3700).await.unwrap();
    revocations.revoke_subject("bob", now, now + 600).await.unwrap();

    let mut conn = redis::Client::open(redis.url()).unwrap().get_multiplexed_async_connection().await.unwrap();
    let fields: Vec<String> = redis::cmd("HKEYS").arg("{jwtguard:revocations}").query_async(&mut conn).await.unwrap();
    assert_eq!(fields, ["sub bob"]);
    let ends: Vec<String> =
        redis::cmd("ZRANGE").arg("{jwtguard:revocations}:ends").arg(0).arg(-1).query_async(&mut conn).await.unwrap();
    assert_eq!(ends, ["sub bob"]);
    for key in ["{jwtguard:revocations}", "{jwtguard:revocations}:ends"] {
        let expires_at: i64 = redis::cmd("EXPIRETIME").arg(key).query_async(&mut conn).await.unwrap();
        assert_eq!(expires_at, now + 600 + 3600, "{key}");
    }
}
