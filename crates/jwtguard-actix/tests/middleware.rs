//! The actix middleware and extractors through `test::init_service`, and end to end against an
//! `HttpServer` on 127.0.0.1:0 with a real HTTP client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, HttpServer, Responder, test, web};
use jwtguard_actix::{
    Algorithm, Challenge, Claims, Error, ErrorKind, Guard, JwtAuth, OptionalClaims, RequireClaim, RequireRole,
    RequireScope, Token, TokenSource, TokenSources, Validator,
};
use jwtguard_test::{Minter, unix_now};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

const INVALID_TOKEN: &str =
    r#"Bearer realm="api", error="invalid_token", error_description="the access token is invalid""#;
const INVALID_REQUEST: &str =
    r#"Bearer realm="api", error="invalid_request", error_description="malformed authorization request""#;

#[derive(Clone, Debug, Serialize, Deserialize)]
struct MyClaims {
    sub: String,
}

fn validator() -> Validator {
    Validator::builder(jwtguard_test::Fixture::Hmac.key(), [Algorithm::HS256]).audience("api").build().unwrap()
}

fn token(extra: Value) -> String {
    let mut claims =
        json!({"sub": "alice", "aud": "api", "iat": unix_now(), "exp": unix_now() + 600, "roles": ["admin"]});
    claims.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    Minter::new(Algorithm::HS256).token(&claims)
}

async fn me(Claims(c): Claims<MyClaims>) -> impl Responder {
    web::Json(c)
}

async fn whoami(t: Token<MyClaims>) -> String {
    let alg = t.header().alg().map_or("none", |a| a.as_str());
    format!("{} via {alg}", t.claims().sub)
}

async fn feed(OptionalClaims(c): OptionalClaims<MyClaims>) -> String {
    c.map_or("anonymous".into(), |c| c.sub)
}

async fn sees_header(req: HttpRequest) -> String {
    let info = req.extensions().get::<jwtguard_actix::TokenInfo>().is_some();
    format!(
        "{} {info}",
        req.headers().get(AUTHORIZATION).map_or("none".to_owned(), |v| format!("sensitive={}", v.is_sensitive()))
    )
}

async fn ok() -> &'static str {
    "ok"
}

fn www(res: &actix_web::dev::ServiceResponse) -> Option<String> {
    res.headers().get(WWW_AUTHENTICATE).map(|v| v.to_str().unwrap().to_owned())
}

macro_rules! app {
    ($auth:expr) => {
        test::init_service(
            App::new()
                .service(
                    web::scope("/api")
                        .wrap($auth)
                        .route("/me", web::get().to(me))
                        .route("/whoami", web::get().to(whoami))
                        .route("/feed", web::get().to(feed))
                        .route("/header", web::get().to(sees_header))
                        .service(
                            web::scope("/write")
                                .wrap(RequireScope::all(["orders:write"]))
                                .route("", web::post().to(ok)),
                        )
                        .service(
                            web::scope("/any")
                                .wrap(RequireScope::any(["orders:write", "orders:read"]))
                                .route("", web::get().to(ok)),
                        )
                        .service(web::scope("/admin").wrap(RequireRole::all(["admin"])).route("", web::get().to(ok)))
                        .service(web::scope("/root").wrap(RequireRole::any(["root"])).route("", web::get().to(ok)))
                        .service(
                            web::scope("/alice")
                                .wrap(RequireClaim::new(|c: &MyClaims| c.sub == "alice"))
                                .route("", web::get().to(ok)),
                        ),
                )
                .route("/bare", web::get().to(me))
                .service(web::scope("/standalone").app_data(Guard::new(validator())).route("", web::get().to(me)))
                .service(
                    web::scope("/standalone-optional")
                        .app_data(web::Data::new(validator()))
                        .route("", web::get().to(feed)),
                ),
        )
        .await
    };
}

fn get(path: &str, headers: &[(&str, String)]) -> actix_web::test::TestRequest {
    let mut r = test::TestRequest::get().uri(path);
    for (k, v) in headers {
        r = r.append_header((*k, v.as_str()));
    }
    r
}

#[actix_web::test]
async fn valid_token_reaches_the_handler() {
    let app = app!(JwtAuth::<MyClaims>::new(validator()));
    let res = test::call_service(
        &app,
        get("/api/me", &[("authorization", format!("Bearer {}", token(json!({}))))]).to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(test::read_body_json::<Value, _>(res).await, json!({"sub": "alice"}));
    let res = test::call_service(
        &app,
        get("/api/whoami", &[("authorization", format!("bearer {}", token(json!({}))))]).to_request(),
    )
    .await;
    assert_eq!(test::read_body(res).await, "alice via HS256");
    let res = test::call_service(
        &app,
        get("/api/header", &[("authorization", format!("Bearer {}", token(json!({}))))]).to_request(),
    )
    .await;
    assert_eq!(test::read_body(res).await, "sensitive=true true");
}

#[actix_web::test]
async fn rejection_paths_pin_status_and_www_authenticate() {
    let app = app!(JwtAuth::<MyClaims>::new(validator()));
    let t = token(json!({}));
    let other = Minter::new(Algorithm::HS256)
        .fixture(jwtguard_test::Fixture::Hmac2)
        .token(&json!({"aud": "api", "exp": unix_now() + 60}));
    type Case<'a> = (Vec<(&'a str, String)>, StatusCode, &'a str, ErrorKind);
    let cases: Vec<Case<'_>> = vec![
        (vec![], StatusCode::UNAUTHORIZED, r#"Bearer realm="api""#, ErrorKind::Missing),
        (
            vec![("authorization", "Basic dXNlcjpwdw==".into())],
            StatusCode::UNAUTHORIZED,
            r#"Bearer realm="api""#,
            ErrorKind::Missing,
        ),
        (vec![("authorization", "Bearer".into())], StatusCode::BAD_REQUEST, INVALID_REQUEST, ErrorKind::InvalidRequest),
        (
            vec![("authorization", format!("Bearer {t}")), ("authorization", format!("Bearer {t}"))],
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST,
            ErrorKind::InvalidRequest,
        ),
        (vec![("authorization", "Bearer x.y.z".into())], StatusCode::UNAUTHORIZED, INVALID_TOKEN, ErrorKind::Malformed),
        (
            vec![("authorization", format!("Bearer {}", token(json!({"exp": unix_now() - 3600}))))],
            StatusCode::UNAUTHORIZED,
            INVALID_TOKEN,
            ErrorKind::Expired,
        ),
        (
            vec![("authorization", format!("Bearer {}", token(json!({"aud": "billing"}))))],
            StatusCode::UNAUTHORIZED,
            INVALID_TOKEN,
            ErrorKind::WrongAudience,
        ),
        (
            vec![("authorization", format!("Bearer {other}"))],
            StatusCode::UNAUTHORIZED,
            INVALID_TOKEN,
            ErrorKind::BadSignature,
        ),
        (
            vec![("authorization", format!("Bearer {}", "a".repeat(9000)))],
            StatusCode::UNAUTHORIZED,
            INVALID_TOKEN,
            ErrorKind::TooLarge,
        ),
    ];
    for (headers, status, www_value, kind) in cases {
        let res = test::call_service(&app, get("/api/me", &headers).to_request()).await;
        assert_eq!(res.status(), status, "{kind:?}");
        assert_eq!(www(&res).as_deref(), Some(www_value), "{kind:?}");
        assert_eq!(res.response().extensions().get::<Error>().map(Error::kind), Some(kind));
        assert!(test::read_body(res).await.is_empty());
    }
}

#[actix_web::test]
async fn scopes_roles_and_claims() {
    let app = app!(JwtAuth::<MyClaims>::new(validator()));
    let with = |scope: &str| vec![("authorization", format!("Bearer {}", token(json!({"scope": scope}))))];
    let post = |h: Vec<(&str, String)>| {
        let mut r = test::TestRequest::post().uri("/api/write");
        for (k, v) in h {
            r = r.append_header((k, v));
        }
        r.to_request()
    };
    assert_eq!(test::call_service(&app, post(with("orders:write"))).await.status(), StatusCode::OK);
    let res = test::call_service(&app, post(with("orders:read"))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        www(&res).as_deref(),
        Some(
            r#"Bearer realm="api", error="insufficient_scope", error_description="the access token lacks the required scope", scope="orders:write""#
        )
    );
    assert_eq!(
        test::call_service(&app, get("/api/any", &with("orders:read")).to_request()).await.status(),
        StatusCode::OK
    );
    assert_eq!(test::call_service(&app, get("/api/admin", &with("")).to_request()).await.status(), StatusCode::OK);
    assert_eq!(
        test::call_service(&app, get("/api/root", &with("")).to_request()).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(test::call_service(&app, get("/api/alice", &with("")).to_request()).await.status(), StatusCode::OK);
    let bob = vec![("authorization", format!("Bearer {}", token(json!({"sub": "bob"}))))];
    assert_eq!(test::call_service(&app, get("/api/alice", &bob).to_request()).await.status(), StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn optional_mode_cookie_source_problem_json_and_strip() {
    let app = app!(JwtAuth::<MyClaims>::new(validator()).optional());
    assert_eq!(test::read_body(test::call_service(&app, get("/api/feed", &[]).to_request()).await).await, "anonymous");
    let res =
        test::call_service(&app, get("/api/feed", &[("authorization", "Bearer x.y.z".into())]).to_request()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Claims<T> behind an optional middleware still needs a token.
    let res = test::call_service(&app, get("/api/me", &[]).to_request()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(www(&res).as_deref(), Some(r#"Bearer realm="api""#));

    let sources = TokenSources::new([TokenSource::Cookie("at".into())]).unwrap();
    let app = app!(
        JwtAuth::<MyClaims>::new(validator())
            .sources(sources)
            .challenge(Challenge::new("shop").unwrap().problem_json(true))
    );
    let res =
        test::call_service(&app, get("/api/me", &[("cookie", format!("a=b; at={}", token(json!({}))))]).to_request())
            .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = test::call_service(&app, get("/api/me", &[]).to_request()).await;
    assert_eq!(www(&res).as_deref(), Some(r#"Bearer realm="shop""#));
    assert_eq!(res.headers().get(CONTENT_TYPE).unwrap(), "application/problem+json");
    assert_eq!(
        test::read_body_json::<Value, _>(res).await,
        json!({"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": "a bearer token is required"})
    );

    let app = app!(JwtAuth::<MyClaims>::new(validator()).strip_token());
    let res = test::call_service(
        &app,
        get("/api/header", &[("authorization", format!("Bearer {}", token(json!({}))))]).to_request(),
    )
    .await;
    assert_eq!(test::read_body(res).await, "none true");
}

#[actix_web::test]
async fn custom_rejection() {
    let app = app!(
        JwtAuth::<MyClaims>::new(validator())
            .on_rejection(|e: &Error| HttpResponse::ImATeapot().body(e.kind().as_str()))
    );
    let res = test::call_service(&app, get("/api/me", &[]).to_request()).await;
    assert_eq!(res.status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(res.response().extensions().get::<Error>().map(Error::kind), Some(ErrorKind::Missing));
    assert_eq!(test::read_body(res).await, "missing");
}

#[actix_web::test]
async fn extractors_without_middleware() {
    let app = app!(JwtAuth::<MyClaims>::new(validator()));
    let good = vec![("authorization", format!("Bearer {}", token(json!({}))))];
    let res = test::call_service(&app, get("/bare", &good).to_request()).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        test::read_body(res).await,
        "Claims<MyClaims> not found; is JwtAuth installed (.wrap(JwtAuth::new(..))) or a Guard in app_data?"
    );
    // A guard in app_data: the extractor verifies by itself.
    assert_eq!(test::call_service(&app, get("/standalone", &good).to_request()).await.status(), StatusCode::OK);
    let res = test::call_service(&app, get("/standalone", &[]).to_request()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(www(&res).as_deref(), Some(r#"Bearer realm="api""#));
    let expired = vec![("authorization", format!("Bearer {}", token(json!({"exp": unix_now() - 3600}))))];
    let res = test::call_service(&app, get("/standalone", &expired).to_request()).await;
    assert_eq!(www(&res).as_deref(), Some(INVALID_TOKEN));
    // A validator in web::Data with OptionalClaims: None without a token, 401 for a bad one.
    let res = test::call_service(&app, get("/standalone-optional", &[]).to_request()).await;
    assert_eq!(test::read_body(res).await, "anonymous");
    let res = test::call_service(&app, get("/standalone-optional", &expired).to_request()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = test::call_service(&app, get("/standalone-optional", &good).to_request()).await;
    assert_eq!(test::read_body(res).await, "alice");
}

#[actix_web::test]
async fn end_to_end_over_http() {
    let server = HttpServer::new(|| {
        App::new().service(
            web::scope("")
                .wrap(JwtAuth::<MyClaims>::new(validator()))
                .route("/me", web::get().to(me))
                .service(web::scope("/write").wrap(RequireScope::all(["orders:write"])).route("", web::post().to(ok))),
        )
    })
    .workers(2)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    let handle = server.run();
    let stop = handle.handle();
    actix_web::rt::spawn(handle);

    let client = reqwest::Client::new();
    let url = |p: &str| format!("http://{addr}{p}");
    let t = token(json!({}));
    let res = client.get(url("/me")).bearer_auth(&t).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"sub": "alice"}));
    let res = client.get(url("/me")).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["www-authenticate"], r#"Bearer realm="api""#);
    let res = client.get(url("/me")).bearer_auth(token(json!({"exp": unix_now() - 3600}))).send().await.unwrap();
    assert_eq!(res.headers()["www-authenticate"], INVALID_TOKEN);
    let res = client
        .get(url("/me"))
        .header("authorization", format!("Bearer {t}"))
        .header("authorization", format!("Bearer {t}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::BAD_REQUEST);
    let res = client.post(url("/write")).bearer_auth(token(json!({"scope": "orders:write"}))).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    let res = client.post(url("/write")).bearer_auth(&t).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::FORBIDDEN);
    stop.stop(true).await;
}

/// Review finding: a client-chosen `content-type: application/grpc` must not turn a refusal into
/// an HTTP 200 where nothing speaks gRPC (actix, or a forward-auth endpoint reading the status).
#[actix_web::test]
async fn a_grpc_content_type_never_turns_a_refusal_into_a_2xx() {
    let validator = jwtguard_test::validator(jwtguard_core::Algorithm::HS256);
    let app = actix_web::test::init_service(
        actix_web::App::new()
            .wrap(jwtguard_actix::JwtAuth::<serde_json::Value>::new(validator))
            .route("/", actix_web::web::get().to(|| async { "ok" })),
    )
    .await;
    for content_type in ["application/grpc", "application/grpc+proto", "application/grpc-web"] {
        let req =
            actix_web::test::TestRequest::get().uri("/").insert_header(("content-type", content_type)).to_request();
        let res = actix_web::test::call_service(&app, req).await;
        assert_eq!(res.status(), 401, "{content_type}");
        assert!(res.headers().get("grpc-status").is_none(), "{content_type}");
    }
}
