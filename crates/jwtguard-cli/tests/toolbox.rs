//! `keygen`, `sign`, `jwks`, `explain` and `completions`, run as a user runs them, and checked
//! against the validator (`verify`) and an independent JOSE library (jsonwebtoken).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use jwtguard_test::{NOW, key_path};
use serde_json::Value;

fn jwtguard_in(dir: Option<&Path>, args: &[&str], stdin: &[u8]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_jwtguard"));
    cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).env_remove("NO_COLOR");
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    let mut child = cmd.spawn().unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn jwtguard(args: &[&str]) -> Output {
    jwtguard_in(None, args, b"")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs and expects exit 0; returns stdout.
fn ok(args: &[&str]) -> String {
    let out = jwtguard(args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("panicked"));
    text(&out.stdout)
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// A fresh directory for one test.
fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jwtguard-toolbox-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The subcommands this file (and tests/cli.rs for decode and verify, tests/jwe_cli.rs for
/// encrypt and decrypt, tests/gateway.rs for gateway) tests. A subcommand added to the binary
/// without a test fails `every_subcommand_in_help_is_tested`.
const TESTED: &[&str] = &[
    "decode",
    "verify",
    "explain",
    "keygen",
    "sign",
    "jwks",
    "debugger",
    "completions",
    "encrypt",
    "decrypt",
    #[cfg(feature = "gateway")]
    "gateway",
];

#[test]
fn every_subcommand_in_help_is_tested() {
    let help = ok(&["--help"]);
    let listed: Vec<&str> = help
        .split("Commands:")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert_eq!(listed, TESTED, "{help}");
}

#[test]
fn keygen_key_round_trips_through_jwks_and_verifies_signed_tokens() {
    let dir = tempdir("roundtrip");
    for (alg, bits) in [
        ("ES256", None),
        ("ES384", None),
        ("ES512", None),
        ("EdDSA", None),
        ("RS256", Some("2048")),
        ("PS384", Some("3072")),
    ] {
        let mut args = vec!["keygen", "--alg", alg, "--out", s(&dir), "--json"];
        if let Some(b) = bits {
            args.extend(["--bits", b]);
        }
        let made = json(&ok(&args));
        let kid = made["kid"].as_str().unwrap().to_owned();
        let key = made["key"].as_str().unwrap().to_owned();
        let pem = std::fs::read_to_string(&key).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{alg}: {pem}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600, "{alg}");
        }
        // keygen's JWKS and the one `jwks` derives from the private key agree, thumbprint kid included.
        let written = json(&std::fs::read_to_string(made["jwks"].as_str().unwrap()).unwrap());
        let derived = json(&ok(&["jwks", "--alg", alg, &key]));
        assert_eq!(written, derived, "{alg}");
        assert_eq!(derived["keys"][0]["kid"], kid.as_str());
        let jwks_file = dir.join(format!("{kid}.derived.json"));
        std::fs::write(&jwks_file, derived.to_string()).unwrap();

        let token = ok(&[
            "sign",
            "--key",
            &key,
            "--alg",
            alg,
            "--iss",
            "https://auth.example",
            "--aud",
            "orders-api",
            "--sub",
            "alice",
        ]);
        let token = token.trim();
        let verified = json(&ok(&[
            "verify",
            "--alg",
            alg,
            "--jwks",
            s(&jwks_file),
            "--iss",
            "https://auth.example",
            "--aud",
            "orders-api",
            "--typ",
            "at+jwt",
            token,
        ]));
        assert_eq!(verified["header"]["kid"], kid.as_str(), "{alg}: sign's default kid is the thumbprint");
        assert_eq!(verified["claims"]["sub"], "alice");

        // An independent library accepts the same token with the same JWK (jsonwebtoken has
        // no ES512).
        if alg == "ES512" {
            continue;
        }
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(derived["keys"][0].clone()).unwrap();
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
        let mut validation = jsonwebtoken::Validation::new(alg.parse().unwrap());
        validation.set_audience(&["orders-api"]);
        validation.set_issuer(&["https://auth.example"]);
        let data = jsonwebtoken::decode::<Value>(token, &key, &validation).unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(data.claims["sub"], "alice");
        assert_eq!(data.header.typ.as_deref(), Some("at+jwt"));
    }
}

#[test]
fn hmac_secret_from_keygen_signs_and_verifies() {
    let dir = tempdir("hmac");
    for (alg, len) in [("HS256", 43), ("HS384", 64), ("HS512", 86)] {
        let made = json(&ok(&["keygen", "--alg", alg, "--out", s(&dir), "--json"]));
        let secret_path = made["key"].as_str().unwrap().to_owned();
        assert!(made["jwks"].is_null(), "an HMAC secret is never published");
        let secret = std::fs::read_to_string(&secret_path).unwrap();
        assert_eq!(secret.trim_end().len(), len, "{alg}: the hash length in random bytes, as base64url");
        let token = ok(&["sign", "--key", &secret_path, "--alg", alg, "--iss", "me", "--sub", "bob"]);
        ok(&["verify", "--alg", alg, "--secret-file", &secret_path, "--iss", "me", token.trim()]);
        let key = jsonwebtoken::DecodingKey::from_secret(secret.trim_end().as_bytes()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(alg.parse().unwrap());
        validation.set_issuer(&["me"]);
        jsonwebtoken::decode::<Value>(token.trim(), &key, &validation).unwrap();
    }
}

#[test]
fn sign_has_the_token_issuer_defaults() {
    let key = key_path("p256.key.pem");
    let at = NOW.to_string();
    let out = json(&ok(&[
        "--json",
        "sign",
        "--key",
        s(&key),
        "--alg",
        "ES256",
        "--kid",
        "k1",
        "--iss",
        "https://auth.example",
        "--aud",
        "a",
        "--aud",
        "b",
        "--scope",
        "orders:read",
        "--claims",
        r#"{"sub": "alice", "tenant": "acme"}"#,
        "--at",
        &at,
    ]));
    assert_eq!(out["exp"], NOW + 900, "15 minutes by default");
    assert_eq!(out["expires_in"], 900);
    let token = out["token"].as_str().unwrap();
    let decoded = json(&ok(&["decode", token]));
    assert_eq!(decoded["header"], serde_json::json!({"alg": "ES256", "kid": "k1", "typ": "at+jwt"}));
    let c = &decoded["claims"];
    assert_eq!((c["iat"].as_i64(), c["nbf"].as_i64()), (Some(NOW), Some(NOW)));
    assert_eq!(c["aud"], serde_json::json!(["a", "b"]));
    assert_eq!(
        (c["sub"].as_str(), c["scope"].as_str(), c["tenant"].as_str()),
        (Some("alice"), Some("orders:read"), Some("acme"))
    );
    assert_eq!(c["jti"], out["jti"]);
    assert_eq!(c["jti"].as_str().unwrap().len(), 22, "16 random bytes, base64url");

    // --ttl, claims from a file and from standard input.
    let dir = tempdir("sign");
    let claims = dir.join("claims.json");
    std::fs::write(&claims, r#"{"sub": "carol", "roles": ["admin"]}"#).unwrap();
    let file_arg = format!("@{}", s(&claims));
    let out = json(&ok(&[
        "sign",
        "--json",
        "--key",
        s(&key),
        "--alg",
        "ES256",
        "--iss",
        "x",
        "--ttl",
        "1h30m",
        "--claims",
        &file_arg,
        "--at",
        &at,
    ]));
    assert_eq!(out["exp"], NOW + 5400);
    let from_stdin = jwtguard_in(
        None,
        &["sign", "--key", s(&key), "--alg", "ES256", "--iss", "x", "--claims", "-"],
        br#"{"sub":"dave"}"#,
    );
    assert_eq!(from_stdin.status.code(), Some(0), "{}", text(&from_stdin.stderr));
    let decoded = json(&ok(&["decode", text(&from_stdin.stdout).trim()]));
    assert_eq!(decoded["claims"]["sub"], "dave");
}

#[test]
fn sign_refuses_what_it_cannot_do_honestly() {
    let dir = tempdir("refuse");
    let short = dir.join("short.secret");
    std::fs::write(&short, "too-short-for-hs256\n").unwrap();
    let garbage = dir.join("garbage.pem");
    std::fs::write(&garbage, b"\x00\xff-----BEGIN PRIVATE KEY-----\n!!\n").unwrap();
    let p256 = key_path("p256.key.pem");
    let public = key_path("p256.pub.pem");
    for (args, says) in [
        (
            vec!["sign", "--key", s(&short), "--alg", "HS256", "--iss", "x", "--sub", "a"],
            "at least as long as its hash",
        ),
        (vec!["sign", "--key", s(&p256), "--alg", "RS256", "--iss", "x", "--sub", "a"], "does not fit"),
        (vec!["sign", "--key", s(&public), "--alg", "ES256", "--iss", "x", "--sub", "a"], "PKCS#8"),
        (vec!["sign", "--key", s(&garbage), "--alg", "ES256", "--iss", "x", "--sub", "a"], "PEM"),
        (vec!["sign", "--key", "/nonexistent", "--alg", "ES256", "--iss", "x", "--sub", "a"], "cannot read"),
        (vec!["sign", "--key", s(&p256), "--alg", "none", "--iss", "x", "--sub", "a"], "unknown algorithm"),
        (vec!["sign", "--key", s(&p256), "--alg", "ES256", "--iss", "x"], "needs a subject"),
        (
            vec!["sign", "--key", s(&p256), "--alg", "ES256", "--iss", "x", "--sub", "a", "--claims", r#"{"exp": 1}"#],
            "use --ttl",
        ),
        (
            vec!["sign", "--key", s(&p256), "--alg", "ES256", "--iss", "x", "--sub", "a", "--claims", "[1]"],
            "JSON object",
        ),
        (vec!["sign", "--key", s(&p256), "--alg", "ES256", "--iss", "x", "--sub", "a", "--claims", "{"], "not JSON"),
        (vec!["sign", "--key", s(&p256), "--alg", "ES256", "--iss", "x", "--sub", "a", "--ttl", "0s"], "positive"),
        (
            vec!["sign", "--key", s(&p256), "--alg", "ES256", "--iss", "x", "--sub", "a", "--ttl", "soon"],
            "invalid duration",
        ),
        (vec!["keygen", "--alg", "RS256", "--bits", "1024"], "at least 2048 bits"),
        (vec!["keygen", "--alg", "RS256", "--bits", "2049"], "2048, 3072 or 4096"),
        (vec!["keygen", "--alg", "ES256", "--bits", "4096"], "fixed size"),
        (vec!["keygen", "--alg", "none"], "unknown algorithm"),
        (vec!["jwks", s(&garbage)], "PEM"),
        (vec!["jwks", "--alg", "ES384", s(&public)], "cannot verify"),
        (vec!["jwks", "--kid", "a", "--kid", "b", s(&public)], "2 --kid values for 1 files"),
    ] {
        let out = jwtguard(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(err.starts_with("error: ") && err.contains(says), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn keygen_never_replaces_a_key() {
    let dir = tempdir("replace");
    ok(&["keygen", "--alg", "ES256", "--kid", "k1", "--out", s(&dir)]);
    let before = std::fs::read(dir.join("k1.key.pem")).unwrap();
    let out = jwtguard(&["keygen", "--alg", "ES256", "--kid", "k1", "--out", s(&dir)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("exists; not replacing it"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(dir.join("k1.key.pem")).unwrap(), before);
    let out = jwtguard(&["keygen", "--alg", "ES256", "--kid", "../escape", "--out", s(&dir)]);
    assert_eq!(out.status.code(), Some(2), "a kid is not a path");
}

#[test]
fn jwks_takes_public_keys_and_certificates_with_thumbprint_kids() {
    let jwks = json(&ok(&[
        "jwks",
        "--kid",
        "first",
        s(&key_path("p256.pub.pem")),
        s(&key_path("rsa.cert.pem")),
        s(&key_path("ed25519.key.pem")),
    ]));
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 3);
    assert_eq!(keys[0]["kid"], "first");
    assert_eq!(keys[1]["kty"], "RSA");
    assert!(keys[1].get("alg").is_none(), "an RSA key alone does not say RS* or PS*");
    assert_eq!(keys[2]["alg"], "EdDSA");
    for k in keys {
        assert_eq!(k["use"], "sig");
        assert!(k.get("d").is_none(), "never a private member");
    }
    // The same key, public or private, gets the same thumbprint.
    let a = json(&ok(&["jwks", s(&key_path("rsa.pub.pem"))]));
    let b = json(&ok(&["jwks", s(&key_path("rsa.key.pem"))]));
    assert_eq!(a["keys"][0]["kid"], b["keys"][0]["kid"]);
    assert_eq!(a["keys"][0]["kid"].as_str().unwrap().len(), 43);
}

/// A JWKS of the P-256 fixture as `k1` and the P-384 one as `k3`, and a token signed at `at`.
fn explain_setup(name: &str, sign_args: &[&str], at: i64) -> (PathBuf, String) {
    let dir = tempdir(name);
    let jwks = ok(&["jwks", "--kid", "k1", "--kid", "k3", s(&key_path("p256.pub.pem")), s(&key_path("p384.pub.pem"))]);
    let path = dir.join("jwks.json");
    std::fs::write(&path, jwks).unwrap();
    let key = key_path("p256.key.pem");
    let at = at.to_string();
    let mut args = vec![
        "sign",
        "--key",
        s(&key),
        "--alg",
        "ES256",
        "--iss",
        "https://auth.example",
        "--sub",
        "alice",
        "--at",
        &at,
    ];
    args.extend_from_slice(sign_args);
    let token = ok(&args).trim().to_owned();
    (path, token)
}

fn explain(jwks: &Path, extra: &[&str], token: &str, at: i64) -> (Option<i32>, String) {
    let at = at.to_string();
    let mut args = vec!["explain", "--alg", "ES256", "--jwks", s(jwks), "--at", &at];
    args.extend_from_slice(extra);
    args.push(token);
    let out = jwtguard(&args);
    assert!(!text(&out.stdout).contains('\x1b'), "no colour when piped");
    (out.status.code(), text(&out.stdout))
}

#[test]
fn explain_says_how_long_ago_a_token_expired() {
    let (jwks, token) = explain_setup("expired", &["--kid", "k1"], NOW);
    let (code, out) = explain(&jwks, &[], &token, NOW + 900 + 3 * 3600 + 12 * 60 + 5);
    assert_eq!(code, Some(1));
    assert_eq!(
        out.lines().next().unwrap(),
        "rejected (expired): expired 3 h 12 min ago (exp 2023-11-14T22:28:20Z, leeway 60 s)"
    );
    assert!(out.lines().nth(1).unwrap().starts_with("fix: get a new token"), "{out}");
}

#[test]
fn explain_names_the_kids_of_the_key_set() {
    let (jwks, token) = explain_setup("kid", &["--kid", "k2"], NOW);
    let (code, out) = explain(&jwks, &[], &token, NOW);
    assert_eq!(code, Some(1));
    assert_eq!(
        out.lines().next().unwrap(),
        "rejected (unknown_key): kid 'k2' not in the key set; the set has 'k1', 'k3'"
    );
}

#[test]
fn explain_names_the_audiences() {
    let (jwks, token) = explain_setup("aud", &["--kid", "k1", "--aud", "a"], NOW);
    let (code, out) = explain(&jwks, &["--aud", "orders-api"], &token, NOW);
    assert_eq!(code, Some(1));
    assert_eq!(out.lines().next().unwrap(), "rejected (wrong_audience): aud 'a' is not 'orders-api'");
    let (code, out) = explain(&jwks, &[], &token, NOW);
    assert_eq!(code, Some(1));
    assert!(out.contains("the token has aud 'a' but no audience is configured"), "{out}");
    assert!(out.contains("fix: pass --aud"), "{out}");
}

#[test]
fn explain_says_which_key_the_signature_failed_with() {
    let dir = tempdir("badsig");
    ok(&["keygen", "--alg", "ES256", "--kid", "other", "--out", s(&dir)]);
    let (jwks, _) = explain_setup("badsig-set", &["--kid", "k1"], NOW);
    let at = NOW.to_string();
    let other = dir.join("other.key.pem");
    // Signed by another key under the kid the set knows.
    let forged =
        ok(&["sign", "--key", s(&other), "--alg", "ES256", "--kid", "k1", "--iss", "x", "--sub", "a", "--at", &at]);
    let (code, out) = explain(&jwks, &[], forged.trim(), NOW);
    assert_eq!(code, Some(1));
    assert_eq!(
        out.lines().next().unwrap(),
        "rejected (bad_signature): the signature does not verify with key 'k1' (alg 'ES256')"
    );
}

#[test]
fn explain_says_how_long_until_a_token_is_valid() {
    let (jwks, token) = explain_setup("nbf", &["--kid", "k1"], NOW + 3600);
    let (code, out) = explain(&jwks, &[], &token, NOW);
    assert_eq!(code, Some(1));
    assert_eq!(
        out.lines().next().unwrap(),
        "rejected (not_yet_valid): not valid for another 1 h (nbf 2023-11-14T23:13:20Z, leeway 60 s)"
    );
}

#[test]
fn explain_of_a_good_token_says_when_it_expires() {
    let (jwks, token) = explain_setup("good", &["--kid", "k3"], NOW);
    // Signed with the P-256 key but named k3 (P-384): the key kind does not fit the alg.
    let (code, _) = explain(&jwks, &[], &token, NOW);
    assert_eq!(code, Some(1));
    let (jwks, token) = explain_setup("good2", &["--kid", "k1"], NOW);
    let (code, out) = explain(&jwks, &[], &token, NOW + 60);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(out.trim(), "valid: signed by kid 'k1' (ES256); expires in 14 min (exp 2023-11-14T22:28:20Z)");
}

#[test]
fn json_everywhere_parses() {
    let dir = tempdir("json");
    let (jwks, token) = explain_setup("json-setup", &["--kid", "k1"], NOW);
    let at = NOW.to_string();
    let key = key_path("p256.key.pem");
    for args in [
        vec!["--json", "decode", &token],
        vec!["verify", "--json", "--alg", "ES256", "--jwks", s(&jwks), "--at", &at, &token],
        vec!["explain", "--json", "--alg", "ES256", "--jwks", s(&jwks), "--at", &at, &token],
        vec!["keygen", "--json", "--alg", "ES256"],
        vec!["keygen", "--json", "--alg", "HS256", "--out", s(&dir)],
        vec!["sign", "--json", "--key", s(&key), "--alg", "ES256", "--iss", "x", "--sub", "a"],
        vec!["jwks", "--json", s(&key)],
    ] {
        let out = jwtguard(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
        json(&text(&out.stdout));
    }
    let later = (NOW + 86_400).to_string();
    let out = jwtguard(&["explain", "--json", "--alg", "ES256", "--jwks", s(&jwks), "--at", &later, &token]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&text(&out.stdout));
    assert_eq!((v["valid"].as_bool(), v["kind"].as_str()), (Some(false), Some("expired")));
    assert!(v["why"].as_str().unwrap().starts_with("expired 23 h 45 min ago"), "{v}");
    // Errors are JSON on stderr too.
    let out = jwtguard(&["--json", "sign", "--key", "/nonexistent", "--alg", "ES256", "--iss", "x", "--sub", "a"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(json(&text(&out.stderr))["error"].as_str().unwrap().contains("cannot read"));
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let script = ok(&["completions", shell]);
        assert!(script.contains("jwtguard") && script.contains("keygen") && script.contains("explain"), "{shell}");
    }
    assert_eq!(jwtguard(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn explain_never_panics_on_garbage() {
    let (jwks, _) = explain_setup("garbage", &["--kid", "k1"], NOW);
    for input in ["", "...", "e30.e30.e30", "eyJhbGciOiJub25lIn0.e30.", "\u{0}\u{1}", "a.b.c.d"] {
        let out = jwtguard_in(None, &["explain", "--alg", "ES256", "--jwks", s(&jwks), "-"], input.as_bytes());
        assert!(matches!(out.status.code(), Some(1 | 2)), "{input:?}: {}", text(&out.stderr));
        assert!(!text(&out.stderr).contains("panicked"));
    }
    let out = jwtguard_in(None, &["explain", "--alg", "ES256", "--jwks", s(&jwks), "-"], b"eyJhbGciOiJub25lIn0.e30.");
    assert!(text(&out.stdout).contains("alg 'none' is not in the allow-list (ES256)"), "{}", text(&out.stdout));
}
