//! The verified-token cache's byte bound holds in real memory when the middleware keeps the typed
//! claims in each entry: a claims set of many tiny objects parses into a `serde_json::Value`
//! many times its JSON size (about 630 bytes per `{"a":0}`), so the kept value must be weighed.
//! Measured as the process's resident memory (Linux), alone in its test binary.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use jwtguard_core::pipeline::Decision;
use jwtguard_core::{Algorithm, Guard, Validator};
use jwtguard_test::{AuthorizationHead as Bearer, Fixture, Minter, NOW, TestClock};
use serde_json::{Value, json};

/// Resident memory, from /proc/self/status.
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).unwrap();
    kib.trim().trim_end_matches("kB").trim().parse::<u64>().unwrap() * 1024
}

#[test]
fn kept_claims_of_many_tiny_objects_stay_within_the_cache_bound() {
    const CAPACITY: u64 = 4 << 20;
    let clock = TestClock::at(NOW);
    let validator = Validator::builder(Fixture::Hmac.key(), [Algorithm::HS256])
        .clock(clock)
        .cache_capacity(CAPACITY)
        .build()
        .unwrap();
    let guard = Guard::new(validator.clone());
    // About 800 bytes of JSON that parse into some 60 KB of `Value`.
    let tiny: Vec<Value> = (0..100).map(|_| json!({ "a": 0 })).collect();
    let minter = Minter::new(Algorithm::HS256);
    let request = |i: usize| {
        let claims = json!({ "sub": "alice", "exp": NOW + 600, "jti": i.to_string(), "x": tiny });
        Bearer(format!("Bearer {}", minter.token(&claims)))
    };
    // Warm up the allocator and the cache's tables on one token.
    assert!(matches!(guard.decide::<Value, _>(&request(0)), Decision::Pass(_)));
    let before = rss_bytes();
    for i in 1..2000 {
        assert!(matches!(guard.decide::<Value, _>(&request(i)), Decision::Pass(_)));
    }
    let grown = rss_bytes().saturating_sub(before);
    let stats = validator.cache_stats().unwrap();
    assert!(stats.bytes <= CAPACITY, "{stats:?}");
    assert!(stats.entries >= 10, "the kept claims are cached: {stats:?}");
    assert!(
        grown <= 3 * CAPACITY,
        "resident memory grew by {grown} bytes for a {CAPACITY}-byte cache holding {} entries",
        stats.entries
    );
}
