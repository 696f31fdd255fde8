//! The `jwtguard` binary, run as a user runs it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use jwtguard_core::Algorithm;
use jwtguard_test::{Fixture, Minter, NOW, claims, key_path};
use serde_json::{Value, json};

fn jwtguard(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jwtguard"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A child that exits early closes its stdin; that is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn at() -> String {
    NOW.to_string()
}

#[test]
fn verify_prints_header_and_claims() {
    let token = Minter::new(Algorithm::ES256).kid("k1").token(&claims());
    let key = key_path("p256.pub.pem");
    let out = jwtguard(&["verify", "--alg", "ES256", "--key", key.to_str().unwrap(), "--at", &at(), &token], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["header"], json!({"alg": "ES256", "kid": "k1", "typ": "JWT"}));
    assert_eq!(v["claims"]["sub"], "alice");
    assert_eq!(v["times"]["iat"], "2023-11-14T22:13:20Z");
}

#[test]
fn verify_reads_stdin_and_a_secret_file() {
    let dir = std::env::temp_dir().join(format!("jwtguard-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let secret = dir.join("secret");
    std::fs::write(&secret, [jwtguard_test::HMAC_SECRET.as_slice(), b"\n"].concat()).unwrap();
    let token = Minter::new(Algorithm::HS256).token(&claims());
    let out = jwtguard(
        &["verify", "--alg", "HS256", "--secret-file", secret.to_str().unwrap(), "--at", &at()],
        format!("{token}\n").as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = jwtguard(
        &["verify", "--alg", "HS256", "--secret-file", secret.to_str().unwrap(), "--at", &at(), "-"],
        token.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn rejected_token_exits_1_with_kind_and_description() {
    let token = Minter::new(Algorithm::RS256).token(&claims());
    let key = key_path("rsa.pub.pem");
    let later = (NOW + 3600).to_string();
    let out = jwtguard(&["verify", "--alg", "RS256", "--key", key.to_str().unwrap(), "--at", &later, &token], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr).trim(), "error: expired: token expired");
    assert!(out.stdout.is_empty());

    let out = jwtguard(
        &["verify", "--alg", "RS256", "--key", key.to_str().unwrap(), "--at", &at(), "--aud", "api", &token],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr).trim(), "error: missing_claim: required claim missing: aud");
}

#[test]
fn verify_with_a_jwks_file_and_issuer() {
    let dir = std::env::temp_dir().join(format!("jwtguard-cli-jwks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let jwks = dir.join("jwks.json");
    let k = jwtguard_test::b64(jwtguard_test::HMAC_SECRET);
    std::fs::write(&jwks, json!({"keys": [{"kty": "oct", "kid": "a", "k": k}]}).to_string()).unwrap();
    let token = Minter::new(Algorithm::HS256).kid("a").token(&json!({"exp": NOW + 60, "iss": "me"}));
    let args = ["verify", "--alg", "HS256", "--jwks", jwks.to_str().unwrap(), "--iss", "me", "--at", &at(), &token];
    let out = jwtguard(&args, b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let args = ["verify", "--alg", "HS256", "--jwks", jwks.to_str().unwrap(), "--iss", "you", "--at", &at(), &token];
    assert_eq!(jwtguard(&args, b"").status.code(), Some(1));
}

#[test]
fn decode_warns_and_shows_times() {
    let token = Minter::new(Algorithm::HS256).fixture(Fixture::Hmac2).token(&claims());
    let out = jwtguard(&["decode", &token], b"");
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("nothing was verified"));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["header"]["alg"], "HS256");
    assert_eq!(v["claims"]["exp"], NOW + 600);
    assert_eq!(v["times"]["exp"], "2023-11-14T22:23:20Z");
}

#[test]
fn usage_and_key_errors_exit_2() {
    let key = key_path("rsa.pub.pem");
    let k = key.to_str().unwrap();
    for args in [
        vec!["verify", "--alg", "RS256", "tok"],
        vec!["verify", "--alg", "XX256", "--key", k, "tok"],
        vec!["verify", "--alg", "none", "--key", k, "tok"],
        vec!["verify", "--alg", "HS256", "--key", k, "tok"],
        vec!["verify", "--alg", "RS256", "--key", "/nonexistent", "tok"],
        vec!["verify", "--alg", "RS256", "--key", key_path("rsa.key.pem").to_str().unwrap(), "tok"],
        vec!["verify", "--alg", "RS256", "--jwks", k, "tok"],
        vec!["frobnicate"],
        vec![],
    ] {
        let out = jwtguard(&args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
    }
}

#[test]
fn garbage_never_panics() {
    let key = key_path("p256.pub.pem");
    let k = key.to_str().unwrap();
    let valid = Minter::new(Algorithm::ES256).token(&claims());
    let mut inputs: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\n\n".to_vec(),
        b"...".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x80],
        vec![b'a'; 2 * 1024 * 1024],
        "é.é.é".as_bytes().to_vec(),
        b"eyJhbGciOiJFUzI1NiJ9.eyJleHAiOjF9.AAAA".to_vec(),
        b"e30.e30.e30".to_vec(),
        b"W10.W10.W10".to_vec(),
        format!("{valid}.{valid}").into_bytes(),
        valid.replace('.', "").into_bytes(),
    ];
    // Every single-character truncation point of a valid token.
    for cut in (0..valid.len()).step_by(7) {
        inputs.push(valid.as_bytes()[..cut].to_vec());
    }
    for input in &inputs {
        for args in [vec!["decode", "-"], vec!["verify", "--alg", "ES256", "--key", k, "--at", "1700000000", "-"]] {
            let out = jwtguard(&args, input);
            let code = out.status.code();
            assert!(
                matches!(code, Some(0..=2)),
                "{args:?} on {:?}: {code:?} {}",
                text(&input[..input.len().min(40)]),
                text(&out.stderr)
            );
            assert!(!text(&out.stderr).contains("panicked"), "{}", text(&out.stderr));
        }
    }
    // Garbage key files are usage errors, not crashes.
    let dir = std::env::temp_dir().join(format!("jwtguard-cli-garbage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, junk) in
        [&b"\x00\x01\x02"[..], b"-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----\n", b"{\"keys\":[{}]}", b"{"]
            .iter()
            .enumerate()
    {
        let path = dir.join(format!("junk{i}"));
        std::fs::write(&path, junk).unwrap();
        for flag in ["--key", "--jwks", "--secret-file"] {
            let out = jwtguard(&["verify", "--alg", "ES256", flag, path.to_str().unwrap(), &valid], b"");
            assert_eq!(out.status.code(), Some(2), "{flag} junk{i}: {}", text(&out.stderr));
        }
    }
}

async fn jwtguard_async(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        jwtguard(&args, b"")
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_with_a_jwks_url_and_with_oidc_discovery() {
    use jwtguard_test::jwks_server::{JwksServer, Mode};
    let idp = JwksServer::start(&[("k1", Fixture::P256)]).await;
    let token = Minter::new(Algorithm::ES256).kid("k1").token(&json!({"iss": idp.issuer(), "exp": NOW + 600}));
    let s = |v: &str| v.to_owned();

    let out = jwtguard_async(vec![
        s("verify"),
        s("--alg"),
        s("ES256"),
        s("--jwks-url"),
        idp.url("/jwks"),
        s("--at"),
        at(),
        token.clone(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let out = jwtguard_async(vec![
        s("verify"),
        s("--alg"),
        s("ES256"),
        s("--oidc-issuer"),
        idp.issuer(),
        s("--at"),
        at(),
        token.clone(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["claims"]["iss"], idp.issuer());

    // The discovered issuer is enforced.
    let other =
        Minter::new(Algorithm::ES256).kid("k1").token(&json!({"iss": "https://evil.example", "exp": NOW + 600}));
    let out = jwtguard_async(vec![
        s("verify"),
        s("--alg"),
        s("ES256"),
        s("--oidc-issuer"),
        idp.issuer(),
        s("--at"),
        at(),
        other,
    ])
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr).trim(), "error: wrong_issuer: issuer not accepted");

    // Keys that cannot be fetched are a key error (exit 2), not a rejected token.
    idp.mode(Mode::Fail);
    let out =
        jwtguard_async(vec![s("verify"), s("--alg"), s("ES256"), s("--jwks-url"), idp.url("/jwks"), token.clone()])
            .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = jwtguard_async(vec![
        s("verify"),
        s("--alg"),
        s("ES256"),
        s("--jwks-url"),
        s("http://jwks.example.com/keys"),
        token,
    ])
    .await;
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_with_a_jwks_url_names_the_remote_kids() {
    use jwtguard_test::jwks_server::JwksServer;
    let idp = JwksServer::start(&[("k1", Fixture::P256), ("k3", Fixture::P384)]).await;
    let token = Minter::new(Algorithm::ES256).kid("k2").token(&json!({"exp": NOW + 600}));
    let out = jwtguard_async(vec![
        "explain".into(),
        "--alg".into(),
        "ES256".into(),
        "--jwks-url".into(),
        idp.url("/jwks"),
        "--at".into(),
        at(),
        token,
    ])
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).lines().next().unwrap(),
        "rejected (unknown_key): kid 'k2' not in the key set; the set has 'k1', 'k3'"
    );
}
