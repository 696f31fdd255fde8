//! The axum app on 127.0.0.1:0, called with a real HTTP client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::net::SocketAddr;

use axum::extract::FromRef;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use jwtguard_test::{Minter, unix_now};
use jwtguard_tower::{
    Algorithm, Claims, Guard, JwtAuthLayer, RequireScope, StateClaims, Token, TokenSource, TokenSources, Validator,
};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Clone, Debug, Serialize, Deserialize)]
struct MyClaims {
    sub: String,
}

fn validator() -> Validator {
    // The real clock: tokens here are minted relative to now.
    Validator::builder(jwtguard_test::Fixture::Rsa.key(), [Algorithm::RS256]).audience("api").build().unwrap()
}

fn token(extra: serde_json::Value) -> String {
    let mut claims = json!({"sub": "alice", "aud": "api", "iat": unix_now(), "exp": unix_now() + 600});
    claims.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    Minter::new(Algorithm::RS256).token(&claims)
}

async fn me(Claims(c): Claims<MyClaims>) -> Json<MyClaims> {
    Json(c)
}

async fn feed(claims: Option<Claims<MyClaims>>) -> String {
    claims.map_or_else(|| "anonymous".to_owned(), |c| c.sub.clone())
}

async fn whoami(token: Token<MyClaims>) -> String {
    let alg = token.header().alg().map_or("none", |a| a.as_str());
    format!("{} via {alg}", token.claims().sub)
}

/// An app's state holding the guard, for `StateClaims` on routes without the layer.
#[derive(Clone)]
struct AppState {
    guard: Guard,
    greeting: &'static str,
}

impl FromRef<AppState> for Guard {
    fn from_ref(state: &AppState) -> Guard {
        state.guard.clone()
    }
}

async fn from_state(
    axum::extract::State(state): axum::extract::State<AppState>,
    StateClaims(c): StateClaims<MyClaims>,
) -> String {
    format!("{}, {}", state.greeting, c.sub)
}

async fn maybe_from_state(claims: Option<StateClaims<MyClaims>>) -> String {
    claims.map_or_else(|| "anonymous".to_owned(), |c| c.sub.clone())
}

async fn write_order() -> &'static str {
    "written"
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn app() -> SocketAddr {
    let cookie_sources = TokenSources::new([TokenSource::Bearer, TokenSource::Cookie("access_token".into())]).unwrap();
    let protected = Router::new()
        .route("/me", get(me))
        .route("/whoami", get(whoami))
        .route("/orders", post(write_order).layer(RequireScope::all(["orders:write"])))
        .layer(JwtAuthLayer::<MyClaims>::new(validator()).sources(cookie_sources));
    let optional = Router::new().route("/feed", get(feed)).layer(JwtAuthLayer::<MyClaims>::new(validator()).optional());
    // No layer at all here: the extractor must say what is missing.
    let bare = Router::new().route("/bare", get(me));
    // No layer, but a guard as an extension: the extractor verifies by itself.
    let standalone = Router::new().route("/standalone", get(me)).layer(Extension(Guard::new(validator())));
    // No layer, the guard in the router's state.
    let stateful = Router::new()
        .route("/state", get(from_state))
        .route("/state/optional", get(maybe_from_state))
        .with_state(AppState { guard: Guard::new(validator()), greeting: "hello" });
    // Behind the layer, StateClaims reads what the layer verified (this state's guard would reject
    // every token: another key).
    let other = Validator::builder(jwtguard_test::Fixture::Rsa2.key(), [Algorithm::RS256]).build().unwrap();
    let layered = Router::new()
        .route("/state/layered", get(from_state))
        .layer(JwtAuthLayer::<MyClaims>::new(validator()))
        .with_state(AppState { guard: Guard::new(other), greeting: "hi" });
    serve(protected.merge(optional).merge(bare).merge(standalone).merge(stateful).merge(layered)).await
}

fn www(res: &reqwest::Response) -> Option<String> {
    res.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned())
}

const INVALID_TOKEN: &str =
    r#"Bearer realm="api", error="invalid_token", error_description="the access token is invalid""#;

#[tokio::test]
async fn end_to_end_over_http() {
    let addr = app().await;
    let client = reqwest::Client::new();
    let url = |p: &str| format!("http://{addr}{p}");

    // valid
    let res = client.get(url("/me")).bearer_auth(token(json!({}))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap(), json!({"sub": "alice"}));
    let res = client.get(url("/whoami")).bearer_auth(token(json!({}))).send().await.unwrap();
    assert_eq!(res.text().await.unwrap(), "alice via RS256");

    // missing
    let res = client.get(url("/me")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(www(&res).as_deref(), Some(r#"Bearer realm="api""#));

    // expired
    let res = client.get(url("/me")).bearer_auth(token(json!({"exp": unix_now() - 3600}))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(www(&res).as_deref(), Some(INVALID_TOKEN));

    // wrong audience
    let res = client.get(url("/me")).bearer_auth(token(json!({"aud": "billing"}))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(www(&res).as_deref(), Some(INVALID_TOKEN));

    // wrong signature (another RSA key)
    let forged = Minter::new(Algorithm::RS256)
        .fixture(jwtguard_test::Fixture::Rsa2)
        .token(&json!({"sub": "mallory", "aud": "api", "exp": unix_now() + 600}));
    let res = client.get(url("/me")).bearer_auth(forged).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(www(&res).as_deref(), Some(INVALID_TOKEN));

    // two Authorization headers
    let t = token(json!({}));
    let res = client
        .get(url("/me"))
        .header("authorization", format!("Bearer {t}"))
        .header("authorization", format!("Bearer {t}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        www(&res).as_deref(),
        Some(r#"Bearer realm="api", error="invalid_request", error_description="malformed authorization request""#)
    );

    // lowercase bearer
    let res = client.get(url("/me")).header("authorization", format!("bearer {t}")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // cookie source
    let res = client.get(url("/me")).header("cookie", format!("lang=en; access_token={t}")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // optional mode
    let res = client.get(url("/feed")).send().await.unwrap();
    assert_eq!(res.text().await.unwrap(), "anonymous");
    let res = client.get(url("/feed")).bearer_auth(&t).send().await.unwrap();
    assert_eq!(res.text().await.unwrap(), "alice");
    let res = client.get(url("/feed")).bearer_auth("x.y.z").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // scope granted and denied
    let res = client.post(url("/orders")).bearer_auth(token(json!({"scope": "orders:write"}))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = client.post(url("/orders")).bearer_auth(token(json!({"scope": "orders:read"}))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        www(&res).as_deref(),
        Some(
            r#"Bearer realm="api", error="insufficient_scope", error_description="the access token lacks the required scope", scope="orders:write""#
        )
    );

    // extractor without the layer names what is missing
    let res = client.get(url("/bare")).bearer_auth(&t).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(res.text().await.unwrap(), "Claims<MyClaims> not found; is JwtAuthLayer installed on this route?");

    // extractor with a guard extension verifies by itself
    let res = client.get(url("/standalone")).bearer_auth(&t).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = client.get(url("/standalone")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(www(&res).as_deref(), Some(r#"Bearer realm="api""#));
    let res =
        client.get(url("/standalone")).bearer_auth(token(json!({"exp": unix_now() - 3600}))).send().await.unwrap();
    assert_eq!(www(&res).as_deref(), Some(INVALID_TOKEN));

    // StateClaims with the guard in the state (FromRef) verifies by itself
    let res = client.get(url("/state")).bearer_auth(&t).send().await.unwrap();
    assert_eq!((res.status(), res.text().await.unwrap()), (StatusCode::OK, "hello, alice".to_owned()));
    let res = client.get(url("/state")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(www(&res).as_deref(), Some(r#"Bearer realm="api""#));
    let res = client.get(url("/state")).bearer_auth(token(json!({"aud": "billing"}))).send().await.unwrap();
    assert_eq!(www(&res).as_deref(), Some(INVALID_TOKEN));
    let res = client.get(url("/state/optional")).send().await.unwrap();
    assert_eq!(res.text().await.unwrap(), "anonymous");
    let res = client.get(url("/state/optional")).bearer_auth(&t).send().await.unwrap();
    assert_eq!(res.text().await.unwrap(), "alice");
    let res =
        client.get(url("/state/optional")).bearer_auth(token(json!({"exp": unix_now() - 3600}))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "a bad token is not anonymous");
    // ... and behind the layer it takes what the layer verified.
    let res = client.get(url("/state/layered")).bearer_auth(&t).send().await.unwrap();
    assert_eq!((res.status(), res.text().await.unwrap()), (StatusCode::OK, "hi, alice".to_owned()));
}
