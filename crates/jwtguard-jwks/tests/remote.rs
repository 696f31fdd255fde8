//! `RemoteJwks` against a real HTTP server on 127.0.0.1:0 that can rotate keys, fail, stall,
//! send garbage or too much, and counts its hits.
//!
//! Time is tokio's: what depends on it (timeouts, staleness, the background refetch) is driven
//! with a paused clock (`start_paused`, or `jump` between steps of real loopback I/O), never by
//! sleeping, and no test measures how long anything took.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::Duration;

use axum::http::{StatusCode, header};
use axum::routing::get;
use futures_util::FutureExt;
use jwtguard_core::provider::KeyProvider;
use jwtguard_core::{Algorithm, Challenge, ErrorKind, Validator};
use jwtguard_jwks::RemoteJwks;
use jwtguard_test::jwks_server::{JwksServer as Idp, Mode};
use jwtguard_test::{Fixture, Minter, eventually, jump, unix_now};
use serde_json::{Value, json};

fn token(kid: &str, fixture: Fixture) -> String {
    Minter::new(Algorithm::ES256).fixture(fixture).kid(kid).token(&json!({"sub": "alice", "exp": unix_now() + 600}))
}

fn validator(jwks: &RemoteJwks) -> Validator {
    Validator::builder(jwks.clone(), [Algorithm::ES256]).build().unwrap()
}

/// HTTP requests `jwks` made, comparable with the server's `hits()`.
fn fetches(jwks: &RemoteJwks) -> usize {
    usize::try_from(jwks.fetches()).unwrap()
}

async fn ready(idp: &Idp) -> RemoteJwks {
    let jwks = RemoteJwks::builder(&idp.url("/jwks"))
        .unwrap()
        .timeouts(Duration::from_secs(1), Duration::from_secs(2))
        .build()
        .unwrap();
    jwks.wait_ready(Duration::from_secs(5)).await.unwrap();
    jwks
}

// Paused from the start: the stalled server and the client's timeout both wait on tokio's
// clock, which moves to the timeout as soon as nothing else can run.
#[tokio::test(start_paused = true)]
async fn before_the_first_fetch_requests_get_503_never_401_or_a_hang() {
    let idp = Idp::start(&[("k1", Fixture::P256)]).await;
    idp.mode(Mode::Stall);
    let jwks = RemoteJwks::builder(&idp.url("/jwks"))
        .unwrap()
        .timeouts(Duration::from_secs(1), Duration::from_secs(1))
        .build()
        .unwrap();
    let v = validator(&jwks);
    // Answered on the first poll: the verification waits for no I/O at all.
    let err = v.verify_async::<Value>(&token("k1", Fixture::P256)).now_or_never().expect("verification waited for I/O");
    let err = err.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeysUnavailable);
    let answer = Challenge::default().respond(&err);
    assert_eq!((answer.status(), answer.retry_after(), answer.www_authenticate()), (503, Some(5), None));

    // A stalled fetch ends at the timeout; wait_ready says so instead of hanging.
    let err = jwks.wait_ready(Duration::from_millis(1500)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeysUnavailable);

    // The real clock again for the fetch that succeeds.
    tokio::time::resume();
    idp.mode(Mode::Ok);
    jwks.wait_ready(Duration::from_secs(5)).await.unwrap();
    assert!(v.verify_async::<Value>(&token("k1", Fixture::P256)).await.is_ok());
}

#[tokio::test]
async fn a_hundred_concurrent_requests_with_a_new_kid_cause_exactly_one_fetch() {
    let idp = Idp::start(&[("k1", Fixture::P256)]).await;
    let jwks = ready(&idp).await;
    let v = validator(&jwks);
    assert!(v.verify_async::<Value>(&token("k1", Fixture::P256)).await.is_ok());
    let before = idp.hits();

    idp.set(&[("k1", Fixture::P256), ("k2", Fixture::P256b)]);
    let t2 = token("k2", Fixture::P256b);
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (v, t2) = (v.clone(), t2.clone());
            tokio::spawn(async move { v.verify_async::<Value>(&t2).await.map(|_| ()).map_err(|e| e.kind()) })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), Ok(()));
    }
    assert_eq!(idp.hits() - before, 1);
}

#[tokio::test]
async fn a_thousand_forged_kids_inside_one_cooldown_cause_at_most_one_fetch() {
    let idp = Idp::start(&[("k1", Fixture::P256)]).await;
    let jwks = ready(&idp).await;
    let v = validator(&jwks);
    let before = idp.hits();
    let forged: Vec<String> = (0..1000).map(|i| token(&format!("forged-{i}"), Fixture::P256b)).collect();
    let tasks: Vec<_> = forged
        .into_iter()
        .map(|t| {
            let v = v.clone();
            tokio::spawn(async move { v.verify_async::<Value>(&t).await.unwrap_err().kind() })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), ErrorKind::UnknownKey);
    }
    assert!(idp.hits() - before <= 1, "{} fetches", idp.hits() - before);
    // Valid tokens keep working meanwhile, without any fetch.
    let hits = idp.hits();
    assert!(v.verify_async::<Value>(&token("k1", Fixture::P256)).await.is_ok());
    assert_eq!(idp.hits(), hits);
}

#[tokio::test]
async fn the_cooldown_ends_on_tokio_time_and_the_next_unknown_kid_refetches() {
    let idp = Idp::start(&[("k1", Fixture::P256)]).await;
    let jwks = ready(&idp).await;
    let v = validator(&jwks);
    let before = idp.hits();
    let unknown = |v: &Validator, kid: &str| {
        let (v, t) = (v.clone(), token(kid, Fixture::P256b));
        async move { v.verify_async::<Value>(&t).await.map(|_| ()).map_err(|e| e.kind()) }
    };
    // The first unknown kid refetches once and starts the 30 s cooldown.
    assert_eq!(unknown(&v, "k2").await, Err(ErrorKind::UnknownKey));
    assert_eq!(idp.hits() - before, 1);
    // Inside it, no refetch, even though the IdP has published the key meanwhile.
    idp.set(&[("k1", Fixture::P256), ("k2", Fixture::P256b)]);
    jump(Duration::from_secs(29)).await;
    assert_eq!(unknown(&v, "k2").await, Err(ErrorKind::UnknownKey));
    assert_eq!(idp.hits() - before, 1);
    // After it, the next unknown kid refetches, and the new key serves.
    jump(Duration::from_secs(2)).await;
    assert_eq!(unknown(&v, "k2").await, Ok(()));
    assert_eq!(idp.hits() - before, 2);
}

#[tokio::test]
async fn a_rotation_is_picked_up_within_one_refetch() {
    let idp = Idp::start(&[("old", Fixture::P256)]).await;
    let jwks = ready(&idp).await;
    let v = validator(&jwks);
    idp.set(&[("new", Fixture::P256b)]);
    let before = idp.hits();
    assert!(v.verify_async::<Value>(&token("new", Fixture::P256b)).await.is_ok());
    assert_eq!(idp.hits() - before, 1);
    // The old key is gone with the rotation.
    assert_eq!(v.verify_async::<Value>(&token("old", Fixture::P256)).await.unwrap_err().kind(), ErrorKind::UnknownKey);
}

#[tokio::test]
async fn an_outage_after_a_good_fetch_keeps_valid_tokens_accepted_and_recovery_is_picked_up() {
    let idp = Idp::start(&[("k1", Fixture::P256)]).await;
    let jwks = ready(&idp).await;
    let v = validator(&jwks);
    for mode in [Mode::Fail, Mode::Garbage, Mode::Oversize] {
        idp.mode(mode);
        let keys = jwks.refetch().await.unwrap(); // stale-if-error: the last good keys
        assert_eq!(keys.len(), 1, "{mode:?}");
        assert!(v.verify_async::<Value>(&token("k1", Fixture::P256)).await.is_ok(), "{mode:?}");
    }
    idp.mode(Mode::Ok);
    idp.set(&[("k2", Fixture::P256b)]);
    jwks.refetch().await.unwrap();
    assert!(v.verify_async::<Value>(&token("k2", Fixture::P256b)).await.is_ok());
}

#[tokio::test]
async fn keys_staler_than_allowed_stop_serving() {
    let idp = Idp::start(&[("k1", Fixture::P256)]).await;
    let jwks = RemoteJwks::builder(&idp.url("/jwks")).unwrap().max_stale(Duration::from_millis(300)).build().unwrap();
    jwks.wait_ready(Duration::from_secs(5)).await.unwrap();
    assert!(jwks.keys().is_ok());
    idp.mode(Mode::Fail);
    // Well past the bound: a fetch already in flight when the IdP broke may still have succeeded.
    jump(Duration::from_millis(1000)).await;
    assert_eq!(jwks.keys().unwrap_err().kind(), ErrorKind::KeysUnavailable);
}

#[tokio::test]
async fn unusable_keys_are_skipped_and_the_good_ones_serve() {
    let idp = Idp::start(&[]).await;
    idp.set_doc(json!({"keys": [
        {"kty": "EC", "crv": "P-256", "kid": "enc", "use": "enc", "x": "AA", "y": "AA"},
        {"kty": "WAT", "kid": "wat"},
        {"kty": "RSA", "kid": "bad", "n": "!!", "e": "AQAB"},
        Fixture::P256.jwk("good"),
    ]}));
    let jwks = ready(&idp).await;
    assert_eq!(jwks.keys().unwrap().len(), 1);
    assert_eq!(jwks.keys().unwrap().skipped().len(), 3);
    assert!(validator(&jwks).verify_async::<Value>(&token("good", Fixture::P256)).await.is_ok());
}

#[tokio::test]
async fn redirects_stay_on_the_same_origin() {
    let idp = Idp::start(&[("k1", Fixture::P256)]).await;
    let jwks = RemoteJwks::builder(&idp.url("/redirect")).unwrap().build().unwrap();
    jwks.wait_ready(Duration::from_secs(5)).await.unwrap();

    // Another port is another origin: the redirect is not followed.
    let other = Idp::start(&[("k1", Fixture::P256)]).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redirector = listener.local_addr().unwrap();
    let target = other.url("/jwks");
    let app = axum::Router::new().route(
        "/jwks",
        get(move || {
            let target = target.clone();
            async move { (StatusCode::FOUND, [(header::LOCATION, target)]) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let jwks = RemoteJwks::builder(&format!("http://{redirector}/jwks")).unwrap().build().unwrap();
    // One fetch, whose redirect is refused: no keys, and nothing ready.
    assert_eq!(jwks.refetch().await.unwrap_err().kind(), ErrorKind::KeysUnavailable);
    assert!(jwks.wait_ready(Duration::ZERO).await.is_err());
    assert_eq!(other.hits(), 0);
}

#[tokio::test]
async fn plain_http_needs_loopback_or_an_opt_in() {
    assert!(RemoteJwks::builder("http://login.example.com/jwks").unwrap().build().is_err());
    assert!(RemoteJwks::builder("http://login.example.com/jwks").unwrap().allow_http().build().is_ok());
    assert!(RemoteJwks::builder("ftp://login.example.com/jwks").is_err());
    assert!(RemoteJwks::builder("not a url").is_err());
}

#[test]
fn building_outside_a_runtime_is_a_config_error() {
    assert!(RemoteJwks::builder("https://login.example.com/jwks").unwrap().build().is_err());
}

#[tokio::test]
async fn an_unknown_issuer_is_rejected_without_any_fetch() {
    let idp_a = Idp::start(&[("a1", Fixture::P256)]).await;
    let idp_b = Idp::start(&[("b1", Fixture::P256b)]).await;
    let (ja, jb) = (ready(&idp_a).await, ready(&idp_b).await);
    let a = Validator::builder(ja, [Algorithm::ES256]).issuer("https://a.example").build().unwrap();
    let b = Validator::builder(jb, [Algorithm::ES256]).issuer("https://b.example").build().unwrap();
    let v = Validator::multi_issuer([a, b]).unwrap();
    let mint = |iss: &str, kid: &str, f: Fixture| {
        Minter::new(Algorithm::ES256)
            .fixture(f)
            .kid(kid)
            .token(&json!({"iss": iss, "sub": "x", "exp": unix_now() + 600}))
    };
    assert!(v.verify_async::<Value>(&mint("https://a.example", "a1", Fixture::P256)).await.is_ok());
    assert!(v.verify_async::<Value>(&mint("https://b.example", "b1", Fixture::P256b)).await.is_ok());
    let hits = (idp_a.hits(), idp_b.hits());
    for i in 0..50 {
        let err =
            v.verify_async::<Value>(&mint("https://evil.example", &format!("k{i}"), Fixture::P256)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WrongIssuer);
    }
    assert_eq!((idp_a.hits(), idp_b.hits()), hits);
    // A new kid at issuer b refetches b's keys only.
    idp_b.set(&[("b1", Fixture::P256b), ("b2", Fixture::P256)]);
    assert!(v.verify_async::<Value>(&mint("https://b.example", "b2", Fixture::P256)).await.is_ok());
    assert_eq!((idp_a.hits(), idp_b.hits()), (hits.0, hits.1 + 1));
}

#[tokio::test]
async fn oidc_discovery_follows_jwks_uri_and_checks_the_issuer() {
    use jwtguard_jwks::{DiscoveryError, Oidc};
    let idp = Idp::start(&[("k1", Fixture::P256)]).await;
    let oidc = Oidc::discover(&idp.issuer()).await.unwrap();
    assert_eq!(oidc.issuer(), idp.issuer());
    assert_eq!(oidc.jwks_uri(), idp.url("/jwks"));
    oidc.jwks().wait_ready(Duration::from_secs(5)).await.unwrap();
    let v = oidc.validator([Algorithm::ES256]).build().unwrap();
    let mint = |iss: &str| Minter::new(Algorithm::ES256).kid("k1").token(&json!({"iss": iss, "exp": unix_now() + 600}));
    assert!(v.verify_async::<Value>(&mint(&idp.issuer())).await.is_ok());
    // `iss` is checked automatically.
    assert_eq!(
        v.verify_async::<Value>(&mint("https://evil.example")).await.unwrap_err().kind(),
        ErrorKind::WrongIssuer
    );

    idp.claim_issuer("https://someone-else.example");
    assert!(matches!(Oidc::discover(&idp.issuer()).await, Err(DiscoveryError::IssuerMismatch { .. })));
    assert!(matches!(Oidc::discover("http://login.example.com").await, Err(DiscoveryError::Config(_))));
    let dead = Idp::start(&[]).await;
    assert!(matches!(Oidc::discover(&format!("{}/nothing-here", dead.issuer())).await, Err(DiscoveryError::Fetch(_))));
}

#[tokio::test]
async fn the_background_refetch_honours_max_age_within_bounds() {
    let idp = Idp::start(&[("k1", Fixture::P256)]).await;
    idp.cache_control("public, max-age=1");
    let jwks = RemoteJwks::builder(&idp.url("/jwks"))
        .unwrap()
        .refetch_bounds(Duration::from_millis(500), Duration::from_secs(3600))
        .build()
        .unwrap();
    jwks.wait_ready(Duration::from_secs(5)).await.unwrap();
    let has = |kid: &str| jwks.keys().unwrap().keys().iter().any(|k| k.kid() == Some(kid));
    // A rotation with no token asking for it: the background task alone picks it up, once the
    // keys' max-age (1 s) has run out on tokio's clock.
    idp.set(&[("k2", Fixture::P256b)]);
    jump(Duration::from_millis(1100)).await;
    eventually("the background refetch brings k2", || has("k2")).await;
    assert!(idp.hits() >= 2, "{} hits", idp.hits());
    assert!(jwks.keys().unwrap().keys().iter().any(|k| k.kid() == Some("k2")));

    // max-age below the lower bound is raised to it (500 ms): no fetch storm. The next refetch
    // (at the end of the 1 s max-age) brings max-age=0 and k3; from then on, 1.2 s of tokio's
    // clock in 100 ms steps, each refetch they start finishing over loopback in between.
    idp.cache_control("max-age=0");
    idp.set(&[("k3", Fixture::P256)]);
    jump(Duration::from_millis(1100)).await;
    eventually("the refetch brings k3 with max-age=0", || has("k3")).await;
    let hits = idp.hits();
    for _ in 0..12 {
        jump(Duration::from_millis(100)).await;
        eventually("every fetch started reached the server", || idp.hits() == fetches(&jwks)).await;
    }
    assert!(idp.hits() - hits <= 3, "{} fetches in 1.2 s", idp.hits() - hits);
    // ...and the bound is a floor, not a stop: refetches went on.
    assert!(idp.hits() > hits, "no refetch in 1.2 s");
}

/// A remote JWKS carrying `kty: "oct"` with HS256 in the allow-list would let anyone who can
/// read the JWKS forge tokens: such keys are skipped unless the application opts in.
#[tokio::test]
async fn symmetric_key_in_a_remote_jwks_is_refused_unless_opted_in() {
    let secret = jwtguard_test::HMAC_SECRET;
    let idp = Idp::start(&[("k1", Fixture::P256)]).await;
    idp.set_doc(
        json!({"keys": [Fixture::P256.jwk("k1"), {"kty": "oct", "kid": "h", "k": jwtguard_test::b64(secret)}]}),
    );
    let forged = Minter::new(Algorithm::HS256).kid("h").token(&json!({"sub": "mallory", "exp": unix_now() + 600}));

    let jwks = ready(&idp).await;
    let keys = jwks.keys().unwrap();
    assert_eq!(keys.len(), 1, "only the EC key serves");
    assert_eq!(keys.skipped()[0].kid.as_deref(), Some("h"));
    let v = Validator::builder(jwks.clone(), [Algorithm::ES256, Algorithm::HS256]).build().unwrap();
    assert_eq!(v.verify_async::<Value>(&forged).await.unwrap_err().kind(), ErrorKind::AlgorithmNotAllowed);
    assert!(v.verify_async::<Value>(&token("k1", Fixture::P256)).await.is_ok());

    let opted_in = RemoteJwks::builder(&idp.url("/jwks")).unwrap().insecure_allow_symmetric_keys().build().unwrap();
    opted_in.wait_ready(Duration::from_secs(5)).await.unwrap();
    let v = Validator::builder(opted_in, [Algorithm::HS256]).build().unwrap();
    assert!(v.verify_async::<Value>(&forged).await.is_ok());
}

/// Review finding: every refetch installed a new key set, and the verified-token cache (which
/// matches an entry to the key set it was verified with) lost every entry, even when the JWKS had
/// not changed, so anyone sending unknown kids could flush it once per cooldown.
#[tokio::test]
async fn an_unchanged_jwks_keeps_the_verified_token_cache() {
    let idp = Idp::start(&[("k1", Fixture::P256)]).await;
    let jwks = ready(&idp).await;
    let v = validator(&jwks);
    let token = token("k1", Fixture::P256);
    v.verify_async::<Value>(&token).await.unwrap();
    v.verify_async::<Value>(&token).await.unwrap();
    assert_eq!(v.cache_stats().unwrap().hits, 1);
    jwks.refetch().await.unwrap();
    v.verify_async::<Value>(&token).await.unwrap();
    assert_eq!(v.cache_stats().unwrap().hits, 2, "the same document: the same key set, the entry holds");
    idp.set(&[("k1", Fixture::P256), ("k2", Fixture::P256b)]);
    jwks.refetch().await.unwrap();
    v.verify_async::<Value>(&token).await.unwrap();
    assert_eq!(v.cache_stats().unwrap().hits, 2, "a changed document: verified again");
}
