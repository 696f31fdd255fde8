//! The same failure, the same configuration: axum and actix answer with the same status, the
//! same headers that matter and the same body, byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use actix_web::{App, test, web};
use axum::body::Body;
use http_body_util::BodyExt;
use jwtguard::{Algorithm, Challenge, Guard, TokenSource, TokenSources, Validator};
use jwtguard_test::{Fixture, Minter, Rng, unix_now};
use serde_json::{Value, json};
use tower::ServiceExt;

const HEADERS: [&str; 3] = ["www-authenticate", "content-type", "retry-after"];

#[derive(Debug, PartialEq)]
struct Answer {
    status: u16,
    headers: Vec<(String, Option<String>)>,
    body: Vec<u8>,
}

fn token(claims: Value) -> String {
    Minter::new(Algorithm::ES256).token(&claims)
}

fn good_claims() -> Value {
    json!({"sub": "alice", "iss": "https://idp.example", "aud": "api", "exp": unix_now() + 600, "scope": "orders:read"})
}

fn with(change: Value) -> String {
    let mut c = good_claims();
    for (k, v) in change.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    token(c)
}

fn guard(problem_json: bool) -> Guard {
    let validator = Validator::builder(Fixture::P256.key(), [Algorithm::ES256])
        .issuer("https://idp.example")
        .audience("api")
        .build()
        .unwrap();
    let sources = TokenSources::new([TokenSource::Bearer, TokenSource::Cookie("at".into())]).unwrap();
    Guard::new(validator)
        .sources(sources)
        .challenge(Challenge::new("shop \"main\"").unwrap().problem_json(problem_json))
}

async fn ok() -> &'static str {
    "ok"
}

async fn axum_answer(guard: Guard, path: &str, headers: &[(&str, String)]) -> Answer {
    use jwtguard::tower::{JwtAuthLayer, RequireScope};
    let app = axum::Router::new()
        .route("/me", axum::routing::get(ok))
        .route("/write", axum::routing::get(ok).layer(RequireScope::all(["orders:write"])))
        .layer(JwtAuthLayer::<Value>::new(guard));
    let mut req = http::Request::builder().uri(path);
    for (k, v) in headers {
        req = req.header(*k, v.as_str());
    }
    let res = app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    Answer {
        status: res.status().as_u16(),
        headers: HEADERS
            .iter()
            .map(|h| (h.to_string(), res.headers().get(*h).map(|v| v.to_str().unwrap().to_owned())))
            .collect(),
        body: res.into_body().collect().await.unwrap().to_bytes().to_vec(),
    }
}

async fn actix_answer(guard: Guard, path: &str, headers: &[(&str, String)]) -> Answer {
    use jwtguard::actix::{JwtAuth, RequireScope};
    let app = test::init_service(
        App::new().service(
            web::scope("")
                .wrap(JwtAuth::<Value>::new(guard))
                .route("/me", web::get().to(ok))
                .service(web::scope("/write").wrap(RequireScope::all(["orders:write"])).route("", web::get().to(ok))),
        ),
    )
    .await;
    let mut req = test::TestRequest::get().uri(path);
    for (k, v) in headers {
        req = req.append_header((*k, v.as_str()));
    }
    let res = test::call_service(&app, req.to_request()).await;
    let status = res.status().as_u16();
    let headers = HEADERS
        .iter()
        .map(|h| (h.to_string(), res.headers().get(*h).map(|v| v.to_str().unwrap().to_owned())))
        .collect();
    Answer { status, headers, body: test::read_body(res).await.to_vec() }
}

#[actix_web::test]
async fn axum_and_actix_answer_every_failure_alike() {
    let bearer = |t: String| vec![("authorization", format!("Bearer {t}"))];
    let other_key = Minter::new(Algorithm::ES256).fixture(Fixture::P256b).token(&good_claims());
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, String)>, u16);
    let cases: Vec<Case<'_>> = vec![
        ("no token", "/me", vec![], 401),
        ("basic scheme", "/me", vec![("authorization", "Basic dXNlcjpwdw==".into())], 401),
        ("bearer without token", "/me", vec![("authorization", "Bearer".into())], 400),
        ("two credentials", "/me", vec![("authorization", "Bearer a b".into())], 400),
        ("two authorization headers", "/me", [bearer(with(json!({}))), bearer(with(json!({})))].concat(), 400),
        ("malformed", "/me", bearer("x.y.z".into()), 401),
        ("expired", "/me", bearer(with(json!({"exp": unix_now() - 3600}))), 401),
        ("not yet valid", "/me", bearer(with(json!({"nbf": unix_now() + 3600}))), 401),
        ("wrong audience", "/me", bearer(with(json!({"aud": "billing"}))), 401),
        ("wrong issuer", "/me", bearer(with(json!({"iss": "https://evil.example"}))), 401),
        ("no exp", "/me", bearer(with(json!({"exp": null}))), 401),
        ("bad signature", "/me", bearer(other_key), 401),
        ("alg none", "/me", bearer("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.".into()), 401),
        ("oversize", "/me", bearer("a".repeat(9000)), 401),
        ("bad cookie token", "/me", vec![("cookie", "at=x.y.z".into())], 401),
        ("two cookies", "/me", vec![("cookie", "at=a.b.c; at=d.e.f".into())], 400),
        ("scope missing", "/write", bearer(with(json!({}))), 403),
    ];
    assert!(cases.len() >= 12);
    for problem_json in [false, true] {
        for (name, path, headers, status) in &cases {
            let a = axum_answer(guard(problem_json), path, headers).await;
            let b = actix_answer(guard(problem_json), path, headers).await;
            assert_eq!(a.status, *status, "{name}");
            assert_eq!(a, b, "{name} (problem_json: {problem_json})");
            assert!(a.headers[0].1.as_deref().unwrap().starts_with(r#"Bearer realm="shop \"main\"""#), "{name}");
            assert_eq!(a.body.is_empty(), !problem_json, "{name}");
        }
    }
    // And the happy path is the same too.
    let a = axum_answer(guard(false), "/me", &bearer(with(json!({})))).await;
    let b = actix_answer(guard(false), "/me", &bearer(with(json!({})))).await;
    assert_eq!((a.status, &a.body), (200, &b"ok".to_vec()));
    assert_eq!((b.status, &b.body), (200, &b"ok".to_vec()));
}

#[actix_web::test]
async fn both_frameworks_publish_the_same_issuer_jwks() {
    use jwtguard::issuer::{SigningKey, TokenIssuer};
    let issuer = TokenIssuer::builder(SigningKey::generate_ed25519("k1").unwrap())
        .issuer("https://auth.example")
        .build()
        .unwrap();
    issuer.prepare_next(SigningKey::generate_ed25519("k2").unwrap()).unwrap();

    let app =
        axum::Router::new().route_service("/.well-known/jwks.json", jwtguard::tower::JwksService::new(issuer.clone()));
    let res = app.oneshot(http::Request::get("/.well-known/jwks.json").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(res.headers()["content-type"], "application/jwk-set+json");
    let axum_body = res.into_body().collect().await.unwrap().to_bytes().to_vec();

    let app = test::init_service(
        App::new().service(jwtguard::actix::jwks_resource("/.well-known/jwks.json", issuer.clone())),
    )
    .await;
    let res = test::call_service(&app, test::TestRequest::get().uri("/.well-known/jwks.json").to_request()).await;
    assert_eq!(res.headers().get("content-type").unwrap(), "application/jwk-set+json");
    let actix_body = test::read_body(res).await.to_vec();

    assert_eq!(axum_body, actix_body);
    let keys = jwtguard::KeySet::from_jwks(std::str::from_utf8(&axum_body).unwrap()).unwrap();
    assert_eq!(keys.keys().iter().map(|k| k.kid().unwrap()).collect::<Vec<_>>(), ["k1", "k2"]);
}

#[actix_web::test]
async fn generated_requests_get_the_same_answer_from_both_and_never_a_5xx() {
    let mut rng = Rng(0x9a11_7e57);
    let valid = with(json!({}));
    let writer = with(json!({"scope": "orders:read orders:write"}));
    let schemes = ["Bearer", "bearer", "BEARER", "Basic", "Token", "Bearer ", "", "Bearer\t"];
    let mut statuses = std::collections::BTreeMap::new();
    for i in 0..150 {
        let mut token = if rng.below(2) == 0 { valid.clone() } else { writer.clone() };
        // Mutate some tokens: a character replaced, cut short, or a segment dropped.
        match rng.below(5) {
            0 => {
                let at = rng.below(token.len());
                let with_char = rng.pick(&["A", "-", ".", "=", "%", "~"]);
                token.replace_range(at..=at, with_char);
            }
            1 => token.truncate(rng.below(token.len())),
            2 => token = token.splitn(3, '.').take(2).collect::<Vec<_>>().join("."),
            _ => {}
        }
        let mut headers: Vec<(&str, String)> = Vec::new();
        for _ in 0..rng.below(3) {
            headers.push(match rng.below(3) {
                0 => ("cookie", format!("{}={token}", rng.pick(&["at", "other", "at "]))),
                1 => ("x-other", token.clone()),
                _ => ("authorization", format!("{} {token}", rng.pick(&schemes)).trim_end().to_owned()),
            });
        }
        if rng.below(4) == 0 {
            headers.push(("authorization", format!("Bearer {token}")));
        }
        let path = rng.pick(&["/me", "/write"]);
        let problem_json = rng.below(2) == 0;
        let a = axum_answer(guard(problem_json), path, &headers).await;
        let b = actix_answer(guard(problem_json), path, &headers).await;
        assert_eq!(a, b, "case {i}: {path} {headers:?}");
        assert!(matches!(a.status, 200 | 400 | 401 | 403), "case {i}: {} for {headers:?}", a.status);
        *statuses.entry(a.status).or_insert(0) += 1;
    }
    // The generator reaches every outcome.
    assert_eq!(statuses.keys().copied().collect::<Vec<_>>(), [200, 400, 401, 403], "{statuses:?}");
}

/// A guard whose validator accepts only encrypted (nested) tokens: `dir` with a shared key, or
/// ECDH-ES+A256KW to the P-256 fixture key, content A256GCM.
fn encrypted_guard() -> Guard {
    use jwtguard::{ContentEncryption, DecryptionKey, DecryptionKeys, KeyManagement};
    let keys = DecryptionKeys::from_jwks(&String::from_utf8(jwtguard_test::read_key("jwe.private.jwks.json")).unwrap())
        .unwrap()
        .with(DecryptionKey::shared([0x33; 32]).unwrap().with_kid("dir"));
    let validator = Validator::builder(Fixture::P256.key(), [Algorithm::ES256])
        .issuer("https://idp.example")
        .audience("api")
        .decrypt_with(keys, [KeyManagement::Dir, KeyManagement::EcdhEsA256Kw], [ContentEncryption::A256Gcm])
        .require_encryption()
        .build()
        .unwrap();
    Guard::new(validator).challenge(Challenge::new("shop").unwrap())
}

fn encrypt(jws: &str, alg: jwtguard::KeyManagement, enc: jwtguard::ContentEncryption) -> String {
    use jwtguard::KeyManagement;
    use jwtguard::issuer::EncryptionKey;
    let key = match alg {
        KeyManagement::Dir => EncryptionKey::shared([0x33; 32]).unwrap().with_kid("dir"),
        _ => {
            let jwks: Value = serde_json::from_slice(&jwtguard_test::read_key("jwe.private.jwks.json")).unwrap();
            let mut k = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == "p256").unwrap().clone();
            k.as_object_mut().unwrap().remove("d");
            EncryptionKey::from_jwk(&k.to_string()).unwrap()
        }
    };
    key.encrypt(alg, enc, jws).unwrap()
}

#[actix_web::test]
async fn axum_and_actix_answer_encrypted_tokens_alike() {
    use jwtguard::{ContentEncryption as C, KeyManagement as K};
    let bearer = |t: String| vec![("authorization", format!("Bearer {t}"))];
    let good = || encrypt(&with(json!({})), K::EcdhEsA256Kw, C::A256Gcm);
    let tampered = {
        let t = good();
        let mut parts: Vec<String> = t.split('.').map(str::to_owned).collect();
        let first = if parts[3].starts_with('A') { "B" } else { "A" };
        parts[3].replace_range(0..1, first);
        parts.join(".")
    };
    type Case<'a> = (&'a str, Vec<(&'a str, String)>, u16);
    let cases: Vec<Case<'_>> = vec![
        ("encrypted, ECDH-ES+A256KW", bearer(good()), 200),
        ("encrypted, dir", bearer(encrypt(&with(json!({})), K::Dir, C::A256Gcm)), 200),
        ("plain JWS where encryption is required", bearer(with(json!({}))), 401),
        ("tampered ciphertext", bearer(tampered), 401),
        (
            "encrypted but expired inside",
            bearer(encrypt(&with(json!({"exp": unix_now() - 3600})), K::Dir, C::A256Gcm)),
            401,
        ),
        ("enc not allowed", bearer(encrypt(&with(json!({})), K::Dir, C::A128CbcHs256)), 401),
        (
            "encrypted, signed by another key",
            bearer(encrypt(
                &Minter::new(Algorithm::ES256).fixture(Fixture::P256b).token(&good_claims()),
                K::Dir,
                C::A256Gcm,
            )),
            401,
        ),
    ];
    for (name, headers, status) in &cases {
        let a = axum_answer(encrypted_guard(), "/me", headers).await;
        let b = actix_answer(encrypted_guard(), "/me", headers).await;
        assert_eq!(a.status, *status, "{name}");
        assert_eq!(a, b, "{name}");
        if *status == 401 {
            // Whatever failed (key, tag, policy inside), the one fixed answer.
            assert_eq!(
                a.headers[0].1.as_deref(),
                Some(r#"Bearer realm="shop", error="invalid_token", error_description="the access token is invalid""#),
                "{name}"
            );
        }
    }
}
