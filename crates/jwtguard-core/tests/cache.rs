//! The verified-token cache (issue 12): a hit never outlives what a full verification would
//! accept, and it is bounded in bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use jwtguard_core::issuer::{Issue, SigningKey, TokenIssuer};
use jwtguard_core::revocation::{InMemoryRevocations, RevocationStore};
use jwtguard_core::{Algorithm, ErrorKind, Validator};
use jwtguard_test::{AuthorizationHead as Bearer, Fixture, Minter, NOW, TestClock};
use serde_json::{Value, json};

fn es256(claims: Value) -> String {
    Minter::new(Algorithm::ES256).fixture(Fixture::P256).token(&claims)
}

fn validator(clock: &TestClock) -> Validator {
    Validator::builder(Fixture::P256.key(), [Algorithm::ES256]).clock(clock.clone()).build().unwrap()
}

/// [`validator`] with a revocation store.
fn revocable(clock: &TestClock, store: &Arc<InMemoryRevocations>) -> Validator {
    Validator::builder(Fixture::P256.key(), [Algorithm::ES256])
        .clock(clock.clone())
        .revocation(store.clone())
        .build()
        .unwrap()
}

/// An HS256 validator whose cache holds at most `capacity` bytes.
fn hs256_bounded(clock: &TestClock, capacity: u64) -> Validator {
    Validator::builder(Fixture::Hmac.key(), [Algorithm::HS256])
        .clock(clock.clone())
        .cache_capacity(capacity)
        .build()
        .unwrap()
}

fn hits(v: &Validator) -> u64 {
    v.cache_stats().unwrap().hits
}

#[test]
fn a_hit_never_survives_exp_plus_leeway() {
    let clock = TestClock::at(NOW);
    let v = validator(&clock);
    let token = es256(json!({"sub": "alice", "exp": NOW + 10}));
    v.verify::<Value>(&token).unwrap();
    clock.set(NOW + 69);
    v.verify::<Value>(&token).unwrap();
    assert_eq!(hits(&v), 1, "served from the cache");
    clock.set(NOW + 70);
    assert_eq!(v.verify::<Value>(&token).unwrap_err().kind(), ErrorKind::Expired);
    assert_eq!(hits(&v), 2, "the expired answer came from a hit, re-checked");
}

#[test]
fn a_hit_is_refused_once_the_token_is_revoked() {
    let (clock, store) = (TestClock::at(NOW), Arc::new(InMemoryRevocations::new()));
    let v = revocable(&clock, &store);
    let token = es256(json!({"sub": "alice", "jti": "t-1", "exp": NOW + 600}));
    v.verify::<Value>(&token).unwrap();
    futures_executor(store.revoke_jti("t-1", NOW + 600)).unwrap();
    assert_eq!(v.verify::<Value>(&token).unwrap_err().kind(), ErrorKind::Revoked);
    assert_eq!(hits(&v), 1);
}

/// A tiny executor for the in-memory store's ready futures.
fn futures_executor<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
}

#[test]
fn a_key_rotation_or_retirement_empties_the_cache_for_its_tokens() {
    let clock = TestClock::at(NOW);
    let issuer = |kid: &str| {
        let key = SigningKey::from_pkcs8_pem(&Fixture::P256.private_pem().unwrap(), Algorithm::ES256, kid).unwrap();
        TokenIssuer::builder(key).issuer("https://auth.example").clock(clock.clone()).build().unwrap()
    };
    let iss = issuer("k1");
    let v = Validator::builder(iss.clone(), [Algorithm::ES256, Algorithm::EdDSA]).clock(clock.clone()).build().unwrap();
    let token = iss.issue(&Issue::subject("alice")).unwrap().token;
    v.verify::<Value>(&token).unwrap();
    v.verify::<Value>(&token).unwrap();
    assert_eq!(hits(&v), 1);
    iss.prepare_next(SigningKey::generate_ed25519("k2").unwrap()).unwrap();
    iss.rotate().unwrap();
    v.verify::<Value>(&token).unwrap();
    assert_eq!(hits(&v), 1, "the key set changed: verified again, not served from the cache");
    iss.retire("k1").unwrap();
    assert_eq!(v.verify::<Value>(&token).unwrap_err().kind(), ErrorKind::UnknownKey);
}

#[test]
fn another_validators_policy_is_never_answered_from_this_cache() {
    let clock = TestClock::at(NOW);
    let token = es256(json!({"sub": "alice", "aud": "a", "exp": NOW + 600}));
    let for_a =
        Validator::builder(Fixture::P256.key(), [Algorithm::ES256]).audience("a").clock(clock.clone()).build().unwrap();
    let for_b =
        Validator::builder(Fixture::P256.key(), [Algorithm::ES256]).audience("b").clock(clock.clone()).build().unwrap();
    for_a.verify::<Value>(&token).unwrap();
    for_a.verify::<Value>(&token).unwrap();
    assert_eq!(for_b.verify::<Value>(&token).unwrap_err().kind(), ErrorKind::WrongAudience);
}

#[test]
fn tokens_differing_in_one_byte_never_share_an_entry() {
    let clock = TestClock::at(NOW);
    let v = validator(&clock);
    let token = es256(json!({"sub": "alice", "exp": NOW + 600}));
    v.verify::<Value>(&token).unwrap();
    let mut forged = 0;
    for i in 0..token.len() {
        let mut bytes = token.clone().into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let Ok(other) = String::from_utf8(bytes) else { continue };
        if other == token {
            continue;
        }
        let result = v.verify::<Value>(&other);
        assert!(result.is_err(), "byte {i} changed and the token still verified");
        forged += 1;
    }
    assert!(forged > 100);
    assert_eq!(hits(&v), 0, "no changed token was answered from the original's entry");
}

#[test]
fn custom_rules_run_on_every_hit() {
    let clock = TestClock::at(NOW);
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let v = Validator::builder(Fixture::P256.key(), [Algorithm::ES256])
        .clock(clock.clone())
        .rule(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
            true
        })
        .build()
        .unwrap();
    let token = es256(json!({"sub": "alice", "exp": NOW + 600}));
    for _ in 0..5 {
        v.verify::<Value>(&token).unwrap();
    }
    assert_eq!((runs.load(Ordering::Relaxed), hits(&v)), (5, 4));
}

#[test]
fn the_memory_bound_holds_under_100_000_distinct_tokens() {
    let clock = TestClock::at(NOW);
    let capacity = 1 << 20;
    let v = hs256_bounded(&clock, capacity);
    let minter = Minter::new(Algorithm::HS256);
    let mut peak = 0;
    for i in 0..100_000u32 {
        let token = minter.token(&json!({"sub": format!("user-{i}"), "jti": i.to_string(), "exp": NOW + 600}));
        v.verify::<Value>(&token).unwrap();
        if i % 1000 == 0 {
            peak = peak.max(v.cache_stats().unwrap().bytes);
        }
    }
    let stats = v.cache_stats().unwrap();
    assert!(stats.bytes <= capacity && peak <= capacity, "{stats:?}, peak {peak}");
    assert!(stats.entries > 1000 && stats.entries < 100_000, "{stats:?}");
}

#[test]
fn the_cache_can_be_turned_off() {
    let v = Validator::builder(Fixture::P256.key(), [Algorithm::ES256]).cache_capacity(0).build().unwrap();
    assert!(v.cache_stats().is_none());
}

/// Review finding: the weight counted the token and its JSON but not the parsed claims, so a
/// token of thousands of one-letter scopes cost six times its weight in memory.
#[test]
fn a_token_of_many_scopes_weighs_what_its_parsed_claims_hold() {
    let clock = TestClock::at(NOW);
    let capacity = 1 << 20;
    let v = hs256_bounded(&clock, capacity);
    // 1,500 distinct scopes of one to three base-36 characters: a 6 KiB token.
    let word = |mut i: u32| {
        let mut w = String::new();
        loop {
            w.push(char::from_digit(i % 36, 36).unwrap());
            i /= 36;
            if i == 0 {
                return w;
            }
        }
    };
    let scope: String = (0..1_500).map(|i| word(i) + " ").collect();
    let minter = Minter::new(Algorithm::HS256);
    for i in 0..100 {
        let token = minter.token(&json!({"sub": format!("user-{i}"), "scope": scope, "exp": NOW + 600}));
        v.verify::<Value>(&token).unwrap();
    }
    // 1,500 parsed scope strings of at least 48 bytes each: at most 14 such entries in 1 MiB.
    let stats = v.cache_stats().unwrap();
    assert!((1..=14).contains(&stats.entries), "{stats:?}");
}

/// Found in review: a claims set that parses into more than a shard holds (a token near the
/// size bound made of empty objects) had its kept claims make the entry too heavy to cache at
/// all through the middleware. Such claims are not kept: the entry is cached and a hit parses.
#[test]
fn a_middleware_entry_too_heavy_to_keep_its_claims_is_still_cached() {
    let clock = TestClock::at(NOW);
    let v = Validator::builder(Fixture::P256.key(), [Algorithm::ES256]).clock(clock.clone()).build().unwrap();
    let guard = jwtguard_core::Guard::new(v.clone());
    let objects: Vec<Value> = (0..1_900).map(|_| json!({})).collect();
    let token = es256(json!({"sub": "alice", "exp": NOW + 600, "a": objects}));
    assert!(token.len() < jwtguard_core::DEFAULT_MAX_TOKEN_SIZE, "{}", token.len());
    let req = Bearer(format!("Bearer {token}"));
    for _ in 0..3 {
        assert_eq!(pass::<Value>(&guard, &req).unwrap()["sub"], "alice");
    }
    let stats = v.cache_stats().unwrap();
    assert_eq!((stats.entries, stats.hits, stats.evictions), (1, 2, 0), "{stats:?}");
}

/// Claims that count how often they are deserialized.
#[derive(Clone, Debug, PartialEq)]
struct Counted {
    sub: String,
    scope: String,
}

static PARSED: AtomicUsize = AtomicUsize::new(0);

impl<'de> serde::Deserialize<'de> for Counted {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw {
            sub: String,
            scope: String,
        }
        PARSED.fetch_add(1, Ordering::SeqCst);
        let raw = Raw::deserialize(d)?;
        Ok(Counted { sub: raw.sub, scope: raw.scope })
    }
}

fn pass<T: serde::de::DeserializeOwned + Clone + Send + Sync + 'static>(
    guard: &jwtguard_core::Guard,
    req: &Bearer,
) -> Result<T, ErrorKind> {
    use jwtguard_core::pipeline::Decision;
    match guard.decide::<T, _>(req) {
        Decision::Pass(pass) => Ok(pass.verified().unwrap().claims().clone()),
        Decision::Reject(reject) => Err(reject.error().kind()),
        Decision::Refetch => panic!("static keys never refetch"),
    }
}

/// The middleware's claims types are `Clone`: a hit by the type that made the entry clones the
/// claims it keeps instead of parsing the JSON again, and still runs every time-dependent check
/// first; another type, or `Validator::verify`, parses them.
#[test]
fn a_middleware_hit_clones_the_kept_claims_after_every_check() {
    let (clock, store) = (TestClock::at(NOW), Arc::new(InMemoryRevocations::new()));
    let v = revocable(&clock, &store);
    let guard = jwtguard_core::Guard::new(v.clone());
    let token = es256(json!({"sub": "alice", "scope": "orders:read", "jti": "t-1", "exp": NOW + 10}));
    let req = Bearer(format!("Bearer {token}"));
    let want = Counted { sub: "alice".into(), scope: "orders:read".into() };

    let before = PARSED.load(Ordering::SeqCst);
    assert_eq!(pass::<Counted>(&guard, &req), Ok(want.clone()));
    assert_eq!(PARSED.load(Ordering::SeqCst), before + 1, "the miss parses");
    assert_eq!(pass::<Counted>(&guard, &req), Ok(want.clone()));
    assert_eq!(pass::<Counted>(&guard, &req), Ok(want.clone()));
    assert_eq!((PARSED.load(Ordering::SeqCst), hits(&v)), (before + 1, 2), "hits clone the kept claims");

    // Another type parses (and gets its own answer), as does the library's `verify`.
    assert_eq!(pass::<Value>(&guard, &req).unwrap()["sub"], "alice");
    assert_eq!(v.verify::<Counted>(&token).unwrap().claims(), &want);
    assert_eq!(PARSED.load(Ordering::SeqCst), before + 2, "verify parses on a hit");

    // The checks run before the kept claims are used.
    clock.set(NOW + 70);
    assert_eq!(pass::<Counted>(&guard, &req), Err(ErrorKind::Expired));
    clock.set(NOW);
    futures_executor(store.revoke_jti("t-1", NOW + 600)).unwrap();
    assert_eq!(pass::<Counted>(&guard, &req), Err(ErrorKind::Revoked));
}

/// The middleware verifies first and checks a bearer credential's characters only when it
/// fails: the answers are those of checking first.
#[test]
fn a_credential_that_is_not_a_b64token_is_still_an_invalid_request() {
    let clock = TestClock::at(NOW);
    let guard = jwtguard_core::Guard::new(validator(&clock));
    let token = es256(json!({"sub": "alice", "scope": "x", "exp": NOW + 600}));
    assert!(pass::<Value>(&guard, &Bearer(format!("Bearer {token}"))).is_ok(), "primes the cache");
    let cases = [
        (format!("Bearer {token}*"), ErrorKind::InvalidRequest),
        (format!("Bearer {token} x"), ErrorKind::InvalidRequest),
        (format!("Bearer *{token}"), ErrorKind::InvalidRequest),
        (format!("Bearer {token}="), ErrorKind::Malformed),
        (format!("Bearer {}", token.replacen('.', "~", 1)), ErrorKind::Malformed),
        ("Bearer a,b".to_owned(), ErrorKind::InvalidRequest),
    ];
    for (header, want) in cases {
        assert_eq!(pass::<Value>(&guard, &Bearer(header.clone())).unwrap_err(), want, "{header}");
    }
}
