//! `jwtguard debugger`: the real binary serving the page and its JSON API on 127.0.0.1, driven
//! over HTTP the way the page drives it (the page in a real browser: `tests/browser.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::{Read, Write};
use std::net::TcpStream;

use serde_json::{Value, json};

mod support;

use support::{Debugger, start_debugger as start};

/// One HTTP/1.1 exchange: (status, headers, body).
fn http(port: u16, request: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head.to_lowercase(), body.to_owned())
}

fn get(d: &Debugger, path: &str) -> (u16, String, String) {
    http(d.port, &format!("GET {path} HTTP/1.1\r\nhost: 127.0.0.1:{}\r\n\r\n", d.port))
}

fn post(d: &Debugger, path: &str, body: &Value) -> (u16, Value) {
    let body = body.to_string();
    let (status, _, text) = http(
        d.port,
        &format!(
            "POST {path} HTTP/1.1\r\nhost: 127.0.0.1:{}\r\norigin: http://127.0.0.1:{}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            d.port,
            d.port,
            body.len()
        ),
    );
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")))
}

#[test]
fn the_page_is_served_from_the_binary_with_no_outside_sources() {
    let d = start();
    let (status, head, page) = get(&d, "/");
    assert_eq!(status, 200);
    assert!(page.contains("<title>jwtguard debugger</title>"));
    assert!(head.contains("content-security-policy: default-src 'self'"), "{head}");
    for asset in ["/style.css", "/app.js"] {
        let (status, _, body) = get(&d, asset);
        assert_eq!(status, 200, "{asset}");
        assert!(!body.contains("http://") && !body.contains("https://"), "{asset} loads nothing from outside");
    }
    assert!(!page.contains("https://") && !page.contains("http://"), "no CDN");
    assert_eq!(get(&d, "/nope").0, 404);
}

#[test]
fn foreign_hosts_origins_and_form_posts_are_refused() {
    let d = start();
    let p = d.port;
    let (status, _, _) = http(p, "GET / HTTP/1.1\r\nhost: evil.example\r\n\r\n");
    assert_eq!(status, 403, "DNS rebinding: another Host is refused");
    let (status, _, _) = http(
        p,
        &format!(
            "POST /api/decode HTTP/1.1\r\nhost: 127.0.0.1:{p}\r\norigin: https://evil.example\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{{}}"
        ),
    );
    assert_eq!(status, 403, "cross-origin API call");
    let (status, _, _) = http(
        p,
        &format!(
            "POST /api/decode HTTP/1.1\r\nhost: 127.0.0.1:{p}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 7\r\n\r\ntoken=x"
        ),
    );
    assert_eq!(status, 415, "a form post is not an API call");
    let (status, _, _) = http(
        p,
        &format!(
            "POST /api/decode HTTP/1.1\r\nhost: 127.0.0.1:{p}\r\ncontent-type: application/json\r\ncontent-length: 99999999\r\n\r\n"
        ),
    );
    assert_eq!(status, 413);
}

#[test]
fn paste_verify_tamper_resign_verify() {
    let d = start();
    // A key, and a token signed with it.
    let (status, k) = post(&d, "/api/keygen", &json!({"alg": "ES256"}));
    assert_eq!(status, 200, "{k}");
    let pem = k["private_key_pem"].as_str().unwrap();
    let jwks = k["jwks"].to_string();
    let claims = json!({"iss": "https://auth.example", "sub": "alice", "aud": "orders-api", "tenant": "acme"});
    let (status, signed) = post(&d, "/api/sign", &json!({"alg": "ES256", "key": pem, "claims": claims}));
    assert_eq!(status, 200, "{signed}");
    let token = signed["token"].as_str().unwrap().to_owned();

    // Pasted: decoded parts and times.
    let (status, decoded) = post(&d, "/api/decode", &json!({"token": token}));
    assert_eq!(status, 200);
    assert_eq!(decoded["header"]["typ"], "at+jwt");
    assert_eq!(decoded["claims"]["tenant"], "acme");
    assert_eq!(decoded["segments"].as_array().unwrap().len(), 3);
    assert_eq!(decoded["relative"]["exp"], "in 15 min");

    let verify = |token: &str, aud: &str| {
        post(&d, "/api/verify", &json!({"token": token, "alg": "ES256", "key_type": "jwk", "key": jwks, "aud": aud}))
    };
    let (status, v) = verify(&token, "orders-api");
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["valid"], true, "{v}");

    // The same words as `jwtguard explain`.
    let (_, v) = verify(&token, "billing-api");
    assert_eq!((v["valid"].as_bool(), v["kind"].as_str()), (Some(false), Some("wrong_audience")));
    assert_eq!(v["why"], "aud 'orders-api' is not 'billing-api'");

    // Tamper one character of the signature.
    let mut tampered = token.clone().into_bytes();
    let last = tampered.len() - 5;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let (_, v) = verify(&tampered, "orders-api");
    assert_eq!(v["kind"], "bad_signature", "{v}");

    // Edit the payload and re-sign: valid again, with the edit.
    let mut edited = decoded["claims"].clone();
    edited["tenant"] = json!("globex");
    let (status, resigned) = post(&d, "/api/sign", &json!({"alg": "ES256", "key": pem, "claims": edited}));
    assert_eq!(status, 200, "{resigned}");
    let (_, v) = verify(resigned["token"].as_str().unwrap(), "orders-api");
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["claims"]["tenant"], "globex");
}

#[test]
fn bad_input_is_an_error_answer_not_a_crash() {
    let d = start();
    for (path, body) in [
        ("/api/decode", json!({"token": "not a token"})),
        ("/api/decode", json!({})),
        ("/api/verify", json!({"token": "a.b.c", "alg": "ES256", "key_type": "pem", "key": "garbage"})),
        ("/api/verify", json!({"token": "a.b.c", "alg": "XX", "key_type": "secret", "key": "k"})),
        ("/api/verify", json!({"token": "a.b.c", "alg": "HS256", "key_type": "secret", "key": "short"})),
        ("/api/verify", json!({"token": "a.b.c", "alg": "HS256", "key_type": "nope", "key": "k"})),
        ("/api/sign", json!({"alg": "ES256", "key": "garbage", "claims": {"iss": "a", "sub": "b"}})),
        ("/api/sign", json!({"alg": "ES256", "key": "x", "claims": [1]})),
        ("/api/keygen", json!({"alg": "none"})),
    ] {
        let (status, v) = post(&d, path, &body);
        assert_eq!(status, 400, "{path} {body}: {v}");
        assert!(v["error"].is_string(), "{v}");
    }
    let (status, _, _) = http(
        d.port,
        &format!(
            "POST /api/decode HTTP/1.1\r\nhost: 127.0.0.1:{}\r\ncontent-type: application/json\r\ncontent-length: 3\r\n\r\n{{{{{{",
            d.port
        ),
    );
    assert_eq!(status, 400);
    // Still serving.
    assert_eq!(get(&d, "/").0, 200);
}
