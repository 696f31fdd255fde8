//! End to end behind real nginx (`auth_request`) and real Caddy (`forward_auth`), each in front
//! of an upstream that echoes the headers it got, with the gateway deciding. The proxy
//! configuration is the one in `deploy/` that the README quotes, read from the file; only its
//! example addresses are replaced by the ports of this test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use jwtguard_gateway::Mode;
use jwtguard_test::web_proxy::WebProxy;
use serde_json::{Value, json};
use support::*;

/// The example addresses the deploy files use.
const PROXY_ADDR: &str = "127.0.0.1:8000";
const GATEWAY_ADDR: &str = "127.0.0.1:9000";
const UPSTREAM_ADDR: &str = "127.0.0.1:8080";

fn deploy_file(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A deploy snippet with its example addresses replaced (each must occur, so the test
/// notices when the file changes shape).
fn site(text: &str, port: u16, gateway: &Running, upstream: &Upstream) -> String {
    let gateway_addr = gateway.url(Mode::ForwardAuth).trim_start_matches("http://").to_owned();
    let mut out = text.to_owned();
    for (from, to) in [
        (PROXY_ADDR, format!("127.0.0.1:{port}")),
        (GATEWAY_ADDR, gateway_addr),
        (UPSTREAM_ADDR, upstream.addr.to_string()),
    ] {
        assert!(out.contains(from), "the deploy file no longer names {from}");
        out = out.replace(from, &to);
    }
    out
}

fn gateway_config(original_uri_header: &str) -> String {
    format!(
        "realm = \"shop\"\n[[listener]]\naddr = \"127.0.0.1:0\"\nmode = \"forward_auth\"\n\n\
         [forward_auth]\noriginal_uri_header = \"{original_uri_header}\"\n{}{ROUTES}",
        issuers_and_headers()
    )
}

const INSUFFICIENT_SCOPE: &str = r#"Bearer realm="shop", error="insufficient_scope", error_description="the access token lacks the required scope", scope="orders:read""#;

/// Every acceptance check against a proxy at `base`; `gone` stops the gateway for the last one.
async fn acceptance(base: &str, upstream: &Upstream, gateway: Running, gateway_down_status: u16) {
    let client = client();

    // Valid token: 200, and the upstream sees the gateway's claim headers, none forged.
    let token = token_a(json!({ "scope": "orders:read" }));
    let res = client
        .get(format!("{base}/orders/42?x=1"))
        .bearer_auth(&token)
        .header("X-Auth-Request-User", "mallory")
        .header("X-Auth-Request-Email", "mallory@example.com")
        .header("X-Jwt-Payload", "forged")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let seen: Value = res.json().await.unwrap();
    assert_eq!(seen["x-auth-request-user"], "alice", "{seen}");
    let email = seen.get("x-auth-request-email").and_then(Value::as_str);
    assert!(email.is_none_or(str::is_empty), "a claim the token lacks: no value, never the forged one\n{seen}");
    assert_eq!(seen["x-auth-request-scopes"], "orders:read");
    assert_eq!(seen["x-jwt-payload"].as_str(), token.split('.').nth(1));
    assert_eq!(seen[":path"], "/orders/42?x=1");
    let hits = upstream.hits();

    // No token: 401 with the bare challenge.
    let res = client.get(format!("{base}/orders/42")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(header(&res, "www-authenticate").as_deref(), Some(r#"Bearer realm="shop""#));

    // Bad token: 401 invalid_token.
    let res = client.get(format!("{base}/orders/42")).bearer_auth(forged_a()).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(header(&res, "www-authenticate").as_deref(), Some(INVALID_TOKEN));

    // Missing scope: 403 insufficient_scope.
    let res = client.get(format!("{base}/orders/42")).bearer_auth(token_a(json!({}))).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(header(&res, "www-authenticate").as_deref(), Some(INSUFFICIENT_SCOPE));

    // A client-sent original URI cannot turn a protected path into a public one.
    let res = client
        .get(format!("{base}/orders/42"))
        .header("X-Original-URI", "/public/x")
        .header("X-Forwarded-Uri", "/public/x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(upstream.hits(), hits, "no refused request reached the upstream");

    // A public path passes without a token, still without forged headers.
    let res = client.get(format!("{base}/public/logo")).header("X-Auth-Request-User", "mallory").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let seen: Value = res.json().await.unwrap();
    let user = seen.get("x-auth-request-user").and_then(Value::as_str);
    assert!(user.is_none_or(str::is_empty), "{seen}");

    // Gateway down: the proxy's own error, never an allow.
    gateway.stop().await;
    let hits = upstream.hits();
    let res = client.get(format!("{base}/orders/42")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status().as_u16(), gateway_down_status);
    assert_eq!(upstream.hits(), hits);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nginx and caddy"]
async fn nginx_auth_request_in_front_of_an_upstream() {
    let upstream = Upstream::start().await;
    let gateway = start(&gateway_config("X-Original-URI")).await;
    let dir = TempDir::new("nginx");
    let snippet = deploy_file("nginx.conf");
    let site = |port| site(&snippet, port, &gateway, &upstream);
    let nginx = tokio::task::block_in_place(|| WebProxy::nginx(&dir.0, site));
    acceptance(&nginx.url(), &upstream, gateway, 500).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nginx and caddy"]
async fn caddy_forward_auth_in_front_of_an_upstream() {
    let upstream = Upstream::start().await;
    let gateway = start(&gateway_config("X-Forwarded-Uri")).await;
    let dir = TempDir::new("caddy");
    let snippet = deploy_file("Caddyfile");
    let site = |port| site(&snippet, port, &gateway, &upstream);
    let caddy = tokio::task::block_in_place(|| WebProxy::caddy(&dir.0, site));
    acceptance(&caddy.url(), &upstream, gateway, 502).await;
}
