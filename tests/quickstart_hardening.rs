//! The quickstarts' credential routes under abuse (issue 9): a rate limit per client address on
//! `/login` and `/token/refresh` (429 with `Retry-After`), the RFC 6749 §5.2 `invalid_request`
//! JSON for a body the routes cannot use, `Cache-Control: no-store` on every token-flow answer,
//! and no password or token in `Debug` output. The real axum and actix apps run over HTTP with the
//! embedded default (no Redis) and must answer alike: same status, headers (but `date`) and body.
//!
//! Distinct client addresses are distinct loopback sources (127.0.0.2, 127.0.0.3, ...): Linux
//! routes all of 127.0.0.0/8 to the loopback interface.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../examples/common/actix_app.rs"]
mod actix_app;
#[path = "support/apps.rs"]
mod apps;
#[path = "../examples/common/axum_app.rs"]
mod axum_app;
#[path = "../examples/common/quickstart.rs"]
#[allow(dead_code)]
mod quickstart;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use quickstart::{Auth, Login, RefreshRequest, Settings};
use serde_json::{Value, json};

/// Requests one address may make to the credential routes before the 429 (the burst).
const BURST: u32 = quickstart::CREDENTIAL_REQUESTS_PER_MINUTE;
const INVALID_REQUEST: &str = r#"{"error":"invalid_request"}"#;

fn embedded() -> Settings {
    Settings { port: 0, tls: None, redis_url: None, signing_key_file: None, trusted_jwks: None }
}

/// The two apps, each started fresh (so each has its own, untouched rate limit).
struct Apps {
    axum: SocketAddr,
    actix: SocketAddr,
}

impl Apps {
    async fn start() -> Apps {
        Apps { axum: apps::start_axum(&embedded()).await, actix: apps::start_actix(&embedded()).await }
    }
    fn each(&self) -> [(&'static str, SocketAddr); 2] {
        [("axum", self.axum), ("actix", self.actix)]
    }
}

/// A client whose connections come from `127.0.0.<last>`.
fn client(last: u8) -> reqwest::Client {
    reqwest::Client::builder().local_address(IpAddr::from([127, 0, 0, last])).build().unwrap()
}

/// What a client sees of an answer, but the `date` header.
#[derive(Debug, Clone, PartialEq)]
struct Reply {
    status: u16,
    headers: BTreeMap<String, String>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

async fn send(req: reqwest::RequestBuilder) -> Reply {
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res
        .headers()
        .iter()
        .filter(|(name, _)| *name != "date")
        .map(|(name, value)| (name.to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    let body = String::from_utf8_lossy(&res.bytes().await.unwrap()).into_owned();
    Reply { status, headers, body }
}

async fn post_json(c: &reqwest::Client, addr: SocketAddr, path: &str, body: Value) -> Reply {
    send(c.post(format!("http://{addr}{path}")).json(&body)).await
}

async fn login(c: &reqwest::Client, addr: SocketAddr) -> (String, String) {
    let reply = post_json(c, addr, "/login", json!({"username": "demo", "password": "demo"})).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let body: Value = serde_json::from_str(&reply.body).unwrap();
    (body["access_token"].as_str().unwrap().to_owned(), body["refresh_token"].as_str().unwrap().to_owned())
}

#[actix_web::test]
async fn credential_routes_answer_429_with_retry_after_once_an_address_spends_its_burst() {
    let apps = Apps::start().await;
    let mallory = client(2);
    let wrong = json!({"username": "demo", "password": "guess"});
    let mut limited = Vec::new();
    for (name, addr) in apps.each() {
        // A token obtained from another address, to show mallory's other requests still work.
        let (access, _) = login(&client(3), addr).await;
        for attempt in 1..=BURST {
            let reply = post_json(&mallory, addr, "/login", wrong.clone()).await;
            assert_eq!(reply.status, 401, "{name}: attempt {attempt} is within the burst: {reply:?}");
        }
        // The burst is spent; a refill takes a fifth of a minute, far longer than these requests.
        let reply = post_json(&mallory, addr, "/login", wrong.clone()).await;
        assert_eq!(reply.status, 429, "{name}: attempt {} is over the burst: {reply:?}", BURST + 1);
        let retry_after: u64 = reply.header("retry-after").and_then(|v| v.parse().ok()).unwrap_or(0);
        assert!((1..=60 / u64::from(BURST)).contains(&retry_after), "{name}: Retry-After in whole seconds: {reply:?}");
        assert_eq!(reply.header("connection"), Some("close"), "{name}: {reply:?}");
        // `/token/refresh` shares the budget: guessing refresh tokens is limited too.
        let refresh = post_json(&mallory, addr, "/token/refresh", json!({"refresh_token": "guess"})).await;
        assert_eq!(refresh.status, 429, "{name}: {refresh:?}");
        limited.push((name, reply, refresh));

        // The same address still reaches every other route.
        let me = send(mallory.get(format!("http://{addr}/me")).bearer_auth(&access)).await;
        assert_eq!(me.status, 200, "{name}: {me:?}");
        let public = send(mallory.get(format!("http://{addr}/"))).await;
        assert_eq!(public.status, 200, "{name}: {public:?}");
        // Another address still logs in.
        let (_, _) = login(&client(4), addr).await;
    }
    // Both apps answer the 429 alike (the `Retry-After` value counts down; it is checked above).
    for reply in limited.iter_mut().flat_map(|(_, login, refresh)| [login, refresh]) {
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{reply:?}");
        reply.headers.remove("retry-after");
    }
    assert_eq!((&limited[0].1, &limited[0].2), (&limited[1].1, &limited[1].2), "axum and actix answer alike");
}

/// One request the credential routes cannot use.
struct Unusable {
    what: &'static str,
    path: &'static str,
    content_type: Option<&'static str>,
    body: String,
}

fn unusable(what: &'static str, path: &'static str, content_type: Option<&'static str>, body: &str) -> Unusable {
    Unusable { what, path, content_type, body: body.to_owned() }
}

#[actix_web::test]
async fn unusable_bodies_get_the_rfc6749_invalid_request_json() {
    let apps = Apps::start().await;
    let json = Some("application/json");
    let login_json = r#"{"username":"demo","password":"demo"}"#;
    let refresh_json = r#"{"refresh_token":"x"}"#;
    // Each path's cases come from one address; `/login` and `/token/refresh` stay within the burst.
    let cases = [
        (
            5,
            vec![
                unusable("a non-JSON body", "/login", json, "username=demo&password=demo"),
                unusable("a JSON body missing a field", "/login", json, r#"{"username":"demo"}"#),
                unusable("a field of the wrong type", "/login", json, r#"{"username":"demo","password":1}"#),
                unusable("a wrong content type", "/login", Some("text/plain"), login_json),
                unusable("no content type", "/login", None, login_json),
            ],
        ),
        (
            6,
            vec![
                unusable("a non-JSON body", "/token/refresh", json, "refresh_token=x"),
                unusable("a JSON body missing a field", "/token/refresh", json, "{}"),
                unusable("an empty body", "/token/refresh", json, ""),
                unusable(
                    "a form content type",
                    "/token/refresh",
                    Some("application/x-www-form-urlencoded"),
                    refresh_json,
                ),
                unusable(
                    "a body over the limit",
                    "/token/refresh",
                    json,
                    &format!(r#"{{"refresh_token":"{}"}}"#, "x".repeat(64 * 1024)),
                ),
            ],
        ),
        (
            7,
            vec![
                unusable("a non-JSON body", "/logout", json, "refresh_token=x"),
                unusable("a JSON body missing a field", "/logout", json, r#"{"refresh":"x"}"#),
                unusable("trailing garbage", "/logout", json, r#"{"refresh_token":"x"} x"#),
                unusable("a wrong content type", "/logout", Some("text/plain"), refresh_json),
            ],
        ),
    ];
    let mut wrong = Vec::new();
    for (source, requests) in &cases {
        let c = client(*source);
        let mut tokens = BTreeMap::new();
        for (name, addr) in apps.each() {
            tokens.insert(name, login(&client(8), addr).await.0);
        }
        for case in requests {
            let mut replies = Vec::new();
            for (name, addr) in apps.each() {
                let mut req = c.post(format!("http://{addr}{}", case.path)).body(case.body.clone());
                if let Some(ct) = case.content_type {
                    req = req.header("content-type", ct);
                }
                if case.path == "/logout" {
                    req = req.bearer_auth(&tokens[name]);
                }
                let reply = send(req).await;
                let expected = reply.status == 400
                    && reply.header("content-type") == Some("application/json")
                    && reply.header("cache-control") == Some("no-store")
                    && reply.body == INVALID_REQUEST;
                if !expected {
                    wrong.push(format!("{name} {} with {}: {reply:?}", case.path, case.what));
                }
                replies.push(reply);
            }
            if replies[0] != replies[1] {
                wrong.push(format!("{} with {}: axum and actix differ: {replies:?}", case.path, case.what));
            }
        }
    }
    assert!(wrong.is_empty(), "not the RFC 6749 invalid_request answer:\n{}", wrong.join("\n"));
}

#[actix_web::test]
async fn token_flow_answers_say_no_store_and_match_across_apps() {
    let apps = Apps::start().await;
    let c = client(9);
    let mut seen = Vec::new();
    for (name, addr) in apps.each() {
        let login = post_json(&c, addr, "/login", json!({"username": "demo", "password": "demo"})).await;
        let body: Value = serde_json::from_str(&login.body).unwrap();
        let refresh_token = body["refresh_token"].as_str().unwrap();
        let refresh = post_json(&c, addr, "/token/refresh", json!({"refresh_token": refresh_token})).await;
        let body: Value = serde_json::from_str(&refresh.body).unwrap();
        let (access, refresh_token) = (body["access_token"].as_str().unwrap(), body["refresh_token"].as_str().unwrap());
        let logout = send(
            c.post(format!("http://{addr}/logout")).bearer_auth(access).json(&json!({"refresh_token": refresh_token})),
        )
        .await;
        let reuse = post_json(&c, addr, "/token/refresh", json!({"refresh_token": refresh_token})).await;
        let bad_password = post_json(&c, addr, "/login", json!({"username": "demo", "password": "nope"})).await;
        for (what, reply, status) in
            [("login", &login, 200), ("refresh", &refresh, 200), ("logout", &logout, 204), ("reuse", &reuse, 400)]
                .into_iter()
                .chain([("bad password", &bad_password, 401)])
        {
            assert_eq!(reply.status, status, "{name} {what}: {reply:?}");
            assert_eq!(reply.header("cache-control"), Some("no-store"), "{name} {what}: RFC 6749 §5.1: {reply:?}");
        }
        assert_eq!(reuse.body, r#"{"error":"invalid_grant"}"#);
        assert_eq!(bad_password.body, r#"{"error":"invalid_client"}"#);
        // Token bodies differ (new tokens); their headers may differ only in content-length.
        let mut login_headers = login.headers.clone();
        login_headers.remove("content-length");
        seen.push((login_headers, logout, reuse, bad_password));
    }
    assert_eq!(seen[0], seen[1], "axum and actix answer alike");
}

#[tokio::test]
async fn debug_output_hides_passwords_and_tokens() {
    let login = Login { username: "demo".to_owned(), password: "correct horse battery staple".to_owned() };
    let printed = format!("{login:?}");
    assert!(!printed.contains("correct horse"), "the password is printed: {printed}");
    assert!(printed.contains("demo"), "the user name is not a secret: {printed}");

    let refresh = RefreshRequest { refresh_token: "rt-secret-value".to_owned() };
    let printed = format!("{refresh:?}");
    assert!(!printed.contains("rt-secret-value"), "the refresh token is printed: {printed}");

    let auth = Auth::new(&embedded()).await.unwrap();
    let tokens = auth.login(&Login { username: "demo".to_owned(), password: "demo".to_owned() }).await.unwrap();
    let printed = format!("{tokens:?}");
    let fields = serde_json::to_value(&tokens).unwrap();
    for field in ["access_token", "refresh_token"] {
        let token = fields[field].as_str().unwrap();
        assert!(!printed.contains(token), "the {field} is printed: {printed}");
    }
    assert!(printed.contains("Bearer"), "the token type is not a secret: {printed}");
}

#[tokio::test]
async fn login_accepts_only_the_exact_demo_credentials() {
    let auth = Auth::new(&embedded()).await.unwrap();
    let attempt =
        |username: &str, password: &str| Login { username: username.to_owned(), password: password.to_owned() };
    assert!(auth.login(&attempt("demo", "demo")).await.is_ok());
    for (username, password) in [
        ("demo", "dem"),
        ("demo", "demo\0"),
        ("demo", "DEMO"),
        ("dem", "odemo"),
        ("demodemo", ""),
        ("", ""),
        ("demo ", "demo"),
    ] {
        let result = auth.login(&attempt(username, password)).await;
        assert!(
            matches!(result, Err(quickstart::FlowError::BadCredentials)),
            "{username:?} / {password:?} must be refused: {result:?}"
        );
    }
}

#[tokio::test]
async fn rate_limit_budget_is_per_ipv4_address_or_per_ipv6_64() {
    let auth = Auth::new(&embedded()).await.unwrap();
    let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
    let status = |peer| auth.limiter.check(peer).err().map(|answer| answer.status);
    // Addresses of one /64 draw on one budget (a subscriber holds the whole /64).
    for attempt in 0..BURST {
        let peer = if attempt % 2 == 0 { "2001:db8::1" } else { "2001:db8::ffff:2" };
        assert_eq!(status(ip(peer)), None, "attempt {attempt} is within the burst");
    }
    assert_eq!(status(ip("2001:db8::3")), Some(429));
    assert_eq!(status(ip("2001:db8:0:1::1")), None, "the next /64 has its own budget");
    // An IPv4-mapped IPv6 peer (a dual-stack listener) is the IPv4 address.
    for _ in 0..BURST {
        assert_eq!(status(ip("192.0.2.7")), None);
    }
    assert_eq!(status(ip("::ffff:192.0.2.7")), Some(429));
    assert_eq!(status(ip("192.0.2.8")), None, "the next IPv4 address has its own budget");
    // No peer address is a set-up mistake, not a free pass.
    assert_eq!(status(None), Some(500));
}

/// The value of the first `name{...}` sample whose labels contain every one of `labels`, or 0.
fn sample(metrics: &str, name: &str, labels: &[&str]) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .find(|l| labels.iter().all(|want| l.contains(want)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// `/metrics` serves the Prometheus text format, and jwtguard's counters move with the requests:
/// allowed and denied (by error kind), cache hits, verification times by algorithm (issue 12).
#[actix_web::test]
async fn metrics_endpoint_shows_the_counters_moving() {
    let apps = Apps::start().await;
    let c = client(40);
    for (name, addr) in apps.each() {
        let metrics = |c: reqwest::Client| async move {
            let r = c.get(format!("http://{addr}/metrics")).send().await.unwrap();
            assert_eq!(r.status(), 200, "{name}");
            r.text().await.unwrap()
        };
        let before = metrics(c.clone()).await;
        let (token, _) = login(&c, addr).await;
        for _ in 0..3 {
            let r = c.get(format!("http://{addr}/me")).bearer_auth(&token).send().await.unwrap();
            assert_eq!(r.status(), 200, "{name}");
        }
        for _ in 0..2 {
            let r = c.get(format!("http://{addr}/me")).bearer_auth("x.y.z").send().await.unwrap();
            assert_eq!(r.status(), 401, "{name}");
        }
        let after = metrics(c.clone()).await;
        let moved = |name: &str, labels: &[&str]| sample(&after, name, labels) - sample(&before, name, labels);
        assert!(moved("jwtguard_requests_total", &[r#"outcome="allowed""#]) >= 3.0, "{name}: {after}");
        assert!(moved("jwtguard_requests_total", &[r#"outcome="denied""#, r#"error="malformed""#]) >= 2.0, "{name}");
        assert!(moved("jwtguard_cache_hits_total", &[]) >= 2.0, "{name}: the same token again is a hit");
        assert!(moved("jwtguard_verification_seconds_count", &[r#"alg="EdDSA""#]) >= 3.0, "{name}: {after}");
        assert!(!after.contains(&token), "{name}: a token in the metrics");
    }
}
