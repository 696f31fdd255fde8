//! `JwtAuthLayer` and the requirement layers in front of a `service_fn` echo, driven with
//! `oneshot`. Every rejection path pins the status and the exact `WWW-Authenticate`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::convert::Infallible;

use axum::body::Body;
use http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use jwtguard_test::{Minter, NOW, clock};
use jwtguard_tower::{
    Algorithm, Challenge, Error, ErrorKind, Guard, JwtAuthLayer, Require, RequireClaim, RequireRole, RequireScope,
    Requirement, TokenInfo, TokenSource, TokenSources, Validator, Verified,
};
use serde_json::{Value, json};
use tower::{Layer, ServiceBuilder, ServiceExt, service_fn};

const INVALID_TOKEN: &str =
    r#"Bearer realm="api", error="invalid_token", error_description="the access token is invalid""#;
const INVALID_REQUEST: &str =
    r#"Bearer realm="api", error="invalid_request", error_description="malformed authorization request""#;

fn validator() -> Validator {
    Validator::builder(jwtguard_test::Fixture::Hmac.key(), [Algorithm::HS256])
        .audience("api")
        .clock(clock())
        .build()
        .unwrap()
}

fn token(claims: Value) -> String {
    Minter::new(Algorithm::HS256).token(&claims)
}

fn good() -> String {
    token(json!({"sub": "alice", "aud": "api", "exp": NOW + 600, "scope": "orders:read", "roles": ["admin"]}))
}

/// Echoes what the layer left in the extensions.
async fn echo(req: Request<Body>) -> Result<Response<Body>, Infallible> {
    let sub = req.extensions().get::<Verified<Value>>().map(|v| v.claims()["sub"].as_str().unwrap_or("").to_owned());
    let info = req.extensions().get::<TokenInfo>().is_some();
    let auth = req.headers().get(AUTHORIZATION).map(|v| (v.is_sensitive(), v.to_str().unwrap_or("").to_owned()));
    let body = json!({ "sub": sub, "info": info, "authorization": auth.map(|(s, v)| json!({"sensitive": s, "len": v.len()})) });
    Ok(Response::new(Body::from(body.to_string())))
}

async fn call(layer: JwtAuthLayer<Value>, req: Request<Body>) -> Response<Body> {
    layer.layer(service_fn(echo)).oneshot(req).await.unwrap()
}

fn get(headers: &[(&str, &str)]) -> Request<Body> {
    let mut b = Request::builder().uri("/");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Body::empty()).unwrap()
}

fn www(res: &Response<Body>) -> Option<&str> {
    res.headers().get(WWW_AUTHENTICATE).map(|v| v.to_str().unwrap())
}

async fn body_json(res: Response<Body>) -> Value {
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap()
}

async fn body_text(res: Response<Body>) -> String {
    String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

#[tokio::test]
async fn valid_token_reaches_the_service_with_claims_in_extensions() {
    let res = call(JwtAuthLayer::new(validator()), get(&[("authorization", &format!("Bearer {}", good()))])).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = body_json(res).await;
    assert_eq!(body["sub"], "alice");
    assert_eq!(body["info"], true);
    assert_eq!(body["authorization"]["sensitive"], true);
}

#[tokio::test]
async fn lowercase_bearer_scheme_is_accepted() {
    let res = call(JwtAuthLayer::new(validator()), get(&[("authorization", &format!("bearer {}", good()))])).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn rejection_paths_pin_status_and_www_authenticate() {
    let expired = token(json!({"sub": "a", "aud": "api", "exp": NOW - 3600}));
    let wrong_aud = token(json!({"sub": "a", "aud": "other", "exp": NOW + 600}));
    let bad_sig = {
        let t = good();
        let (head, sig) = t.rsplit_once('.').unwrap();
        let flipped = format!("{}{}", if sig.starts_with('A') { 'B' } else { 'A' }, &sig[1..]);
        format!("{head}.{flipped}")
    };
    let other_key = Minter::new(Algorithm::HS256)
        .fixture(jwtguard_test::Fixture::Hmac2)
        .token(&json!({"aud": "api", "exp": NOW + 600}));
    let none = "eyJhbGciOiJub25lIn0.eyJhdWQiOiJhcGkiLCJleHAiOjE3MDAwMDA2MDB9.";
    type Case<'a> = (Vec<(&'a str, String)>, StatusCode, Option<&'a str>, ErrorKind);
    let cases: Vec<Case<'_>> = vec![
        (vec![], StatusCode::UNAUTHORIZED, Some(r#"Bearer realm="api""#), ErrorKind::Missing),
        (
            vec![("authorization", "Basic dXNlcjpwdw==".into())],
            StatusCode::UNAUTHORIZED,
            Some(r#"Bearer realm="api""#),
            ErrorKind::Missing,
        ),
        (
            vec![("authorization", "Bearer".into())],
            StatusCode::BAD_REQUEST,
            Some(INVALID_REQUEST),
            ErrorKind::InvalidRequest,
        ),
        (
            vec![("authorization", "Bearer a b".into())],
            StatusCode::BAD_REQUEST,
            Some(INVALID_REQUEST),
            ErrorKind::InvalidRequest,
        ),
        (
            vec![("authorization", format!("Bearer {}", good())), ("authorization", format!("Bearer {}", good()))],
            StatusCode::BAD_REQUEST,
            Some(INVALID_REQUEST),
            ErrorKind::InvalidRequest,
        ),
        (
            vec![("authorization", "Bearer not-a-jwt".into())],
            StatusCode::UNAUTHORIZED,
            Some(INVALID_TOKEN),
            ErrorKind::Malformed,
        ),
        (
            vec![("authorization", format!("Bearer {expired}"))],
            StatusCode::UNAUTHORIZED,
            Some(INVALID_TOKEN),
            ErrorKind::Expired,
        ),
        (
            vec![("authorization", format!("Bearer {wrong_aud}"))],
            StatusCode::UNAUTHORIZED,
            Some(INVALID_TOKEN),
            ErrorKind::WrongAudience,
        ),
        (
            vec![("authorization", format!("Bearer {bad_sig}"))],
            StatusCode::UNAUTHORIZED,
            Some(INVALID_TOKEN),
            ErrorKind::BadSignature,
        ),
        (
            vec![("authorization", format!("Bearer {other_key}"))],
            StatusCode::UNAUTHORIZED,
            Some(INVALID_TOKEN),
            ErrorKind::BadSignature,
        ),
        (
            vec![("authorization", format!("Bearer {none}"))],
            StatusCode::UNAUTHORIZED,
            Some(INVALID_TOKEN),
            ErrorKind::AlgorithmNotAllowed,
        ),
        (
            vec![("authorization", format!("Bearer {}", "a".repeat(9000)))],
            StatusCode::UNAUTHORIZED,
            Some(INVALID_TOKEN),
            ErrorKind::TooLarge,
        ),
    ];
    for (headers, status, www_value, kind) in cases {
        let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = call(JwtAuthLayer::new(validator()), get(&h)).await;
        assert_eq!(res.status(), status, "{kind:?}");
        assert_eq!(www(&res), www_value, "{kind:?}");
        assert_eq!(res.extensions().get::<Error>().map(Error::kind), Some(kind));
        assert_eq!(body_text(res).await, "", "{kind:?}");
    }
}

#[tokio::test]
async fn problem_json_bodies() {
    let layer = JwtAuthLayer::new(validator()).challenge(Challenge::new("orders").unwrap().problem_json(true));
    let res = call(layer, get(&[])).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(www(&res), Some(r#"Bearer realm="orders""#));
    assert_eq!(res.headers().get(CONTENT_TYPE).unwrap(), "application/problem+json");
    assert_eq!(
        body_json(res).await,
        json!({"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": "a bearer token is required"})
    );
}

#[tokio::test]
async fn custom_rejection_closure() {
    let layer = JwtAuthLayer::<Value>::new(validator()).on_rejection(|err: &Error| {
        let mut res = Response::new(Body::from(format!("nope: {}", err.kind().as_str())));
        *res.status_mut() = StatusCode::IM_A_TEAPOT;
        res
    });
    let res = layer.layer(service_fn(echo)).oneshot(get(&[])).await.unwrap();
    assert_eq!(res.status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(res.extensions().get::<Error>().map(Error::kind), Some(ErrorKind::Missing));
    assert_eq!(body_text(res).await, "nope: missing");
}

#[tokio::test]
async fn optional_mode_lets_anonymous_through_but_rejects_bad_tokens() {
    let res = call(JwtAuthLayer::new(validator()).optional(), get(&[])).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_json(res).await["sub"], Value::Null);
    let res = call(JwtAuthLayer::new(validator()).optional(), get(&[("authorization", "Bearer x.y.z")])).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(www(&res), Some(INVALID_TOKEN));
    let res =
        call(JwtAuthLayer::new(validator()).optional(), get(&[("authorization", &format!("Bearer {}", good()))])).await;
    assert_eq!(body_json(res).await["sub"], "alice");
}

#[tokio::test]
async fn strip_token_hides_the_header_from_the_inner_service() {
    let res =
        call(JwtAuthLayer::new(validator()).strip_token(), get(&[("authorization", &format!("Bearer {}", good()))]))
            .await;
    let body = body_json(res).await;
    assert_eq!(body["sub"], "alice");
    assert_eq!(body["authorization"], Value::Null);
}

#[tokio::test]
async fn cookie_and_custom_header_sources() {
    let sources = TokenSources::new([TokenSource::Cookie("at".into()), TokenSource::Header("X-Token".into())]).unwrap();
    let layer = || JwtAuthLayer::new(validator()).sources(sources.clone());
    let res = call(layer(), get(&[("cookie", &format!("theme=dark; at={}", good()))])).await;
    assert_eq!(body_json(res).await["sub"], "alice");
    let res = call(layer(), get(&[("x-token", &good())])).await;
    assert_eq!(body_json(res).await["sub"], "alice");
    let res = call(layer(), get(&[("authorization", &format!("Bearer {}", good()))])).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn grpc_requests_get_grpc_status() {
    let res = call(JwtAuthLayer::new(validator()), get(&[("content-type", "application/grpc")])).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get("grpc-status").unwrap(), "16");
    assert_eq!(res.headers().get("grpc-message").unwrap(), "a%20bearer%20token%20is%20required");
    assert_eq!(res.headers().get(CONTENT_TYPE).unwrap(), "application/grpc");
}

async fn through<Q: Requirement + Send + Sync>(require: Require<Q>, auth: &str) -> Response<Body> {
    let svc =
        ServiceBuilder::new().layer(JwtAuthLayer::<Value>::new(validator())).layer(require).service(service_fn(echo));
    svc.oneshot(get(&[("authorization", auth)])).await.unwrap()
}

#[tokio::test]
async fn scope_role_and_claim_requirements() {
    let auth = format!("Bearer {}", good());
    assert_eq!(through(RequireScope::all(["orders:read"]), &auth).await.status(), StatusCode::OK);
    let res = through(RequireScope::all(["orders:read", "orders:write"]), &auth).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        www(&res),
        Some(
            r#"Bearer realm="api", error="insufficient_scope", error_description="the access token lacks the required scope", scope="orders:read orders:write""#
        )
    );
    assert_eq!(res.extensions().get::<Error>().map(Error::kind), Some(ErrorKind::InsufficientScope));
    assert_eq!(through(RequireScope::any(["orders:write", "orders:read"]), &auth).await.status(), StatusCode::OK);

    assert_eq!(through(RequireRole::any(["admin"]), &auth).await.status(), StatusCode::OK);
    let res = through(RequireRole::all(["admin", "root"]), &auth).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        www(&res),
        Some(
            r#"Bearer realm="api", error="insufficient_scope", error_description="the access token lacks the required scope""#
        )
    );

    assert_eq!(through(RequireClaim::new(|c: &Value| c["sub"] == "alice"), &auth).await.status(), StatusCode::OK);
    assert_eq!(through(RequireClaim::new(|c: &Value| c["sub"] == "bob"), &auth).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn requirements_without_a_token_answer_401_in_the_layer_realm() {
    let svc = ServiceBuilder::new()
        .layer(
            JwtAuthLayer::<Value>::new(Guard::new(validator()).challenge(Challenge::new("shop").unwrap())).optional(),
        )
        .layer(RequireScope::all(["x"]))
        .service(service_fn(echo));
    let res = svc.oneshot(get(&[])).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(www(&res), Some(r#"Bearer realm="shop""#));
}
