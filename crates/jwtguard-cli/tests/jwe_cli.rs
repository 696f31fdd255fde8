//! `jwtguard encrypt`, `jwtguard decrypt` and `jwtguard verify --decrypt-key`, run as a user
//! runs them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::process::{Command, Output};

use jwtguard_core::Algorithm;
use jwtguard_test::{Minter, NOW, claims, key_path, read_key};
use serde_json::Value;

fn jwtguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jwtguard")).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn encrypt_then_decrypt_then_verify_a_nested_token() {
    let dir = std::env::temp_dir().join(format!("jwtguard-cli-jwe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let jwks: Value = serde_json::from_slice(&read_key("jwe.private.jwks.json")).unwrap();
    let mut public = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == "x25519").unwrap().clone();
    public.as_object_mut().unwrap().remove("d");
    let to = dir.join("x25519.pub.jwk");
    std::fs::write(&to, public.to_string()).unwrap();
    let private = key_path("jwe.private.jwks.json");
    let jws = Minter::new(Algorithm::ES256).kid("k1").token(&claims());

    let out = jwtguard(&["encrypt", "--alg", "ECDH-ES+A256KW", "--enc", "A256GCM", "--to", to.to_str().unwrap(), &jws]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let jwe = text(&out.stdout).trim().to_owned();
    assert_eq!(jwe.split('.').count(), 5);

    let out = jwtguard(&["decrypt", "--key", private.to_str().unwrap(), &jwe]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), jws);
    assert!(text(&out.stderr).contains("not verified"));

    let key = key_path("p256.pub.pem");
    let at = NOW.to_string();
    let verify = |token: &str| {
        jwtguard(&[
            "verify",
            "--alg",
            "ES256",
            "--key",
            key.to_str().unwrap(),
            "--at",
            &at,
            "--decrypt-key",
            private.to_str().unwrap(),
            token,
        ])
    };
    let out = verify(&jwe);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["claims"]["sub"], "alice");

    // One changed ciphertext character: rejected, with the one fixed reason.
    let mut parts: Vec<String> = jwe.split('.').map(str::to_owned).collect();
    let first = if parts[3].starts_with('A') { "B" } else { "A" };
    parts[3].replace_range(0..1, first);
    let out = verify(&parts.join("."));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("decryption_failed"), "{}", text(&out.stderr));

    // Only a signed token is encrypted.
    let out = jwtguard(&["encrypt", "--alg", "ECDH-ES", "--enc", "A128GCM", "--to", to.to_str().unwrap(), "not-a-jws"]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn decrypt_and_verify_accept_a_private_key_pem() {
    let dir = std::env::temp_dir().join(format!("jwtguard-cli-jwe-pem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let jwks: Value = serde_json::from_slice(&read_key("jwe.private.jwks.json")).unwrap();
    let at = NOW.to_string();
    let jws = Minter::new(Algorithm::ES256).kid("k1").token(&claims());
    let verify_key = key_path("p256.pub.pem");
    // (public JWK of the fixture key, the same private key as PEM, key management)
    for (kid, pem, alg) in [
        ("rsa", "jwe.rsa.pkcs1.key.pem", "RSA-OAEP-256"),
        ("p384", "jwe.p384.sec1.key.pem", "ECDH-ES+A128KW"),
        ("x25519", "jwe.x25519.key.pem", "ECDH-ES"),
    ] {
        let mut public = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid).unwrap().clone();
        for m in ["d", "p", "q", "dp", "dq", "qi"] {
            public.as_object_mut().unwrap().remove(m);
        }
        let to = dir.join(format!("{kid}.pub.jwk"));
        std::fs::write(&to, public.to_string()).unwrap();
        let out = jwtguard(&["encrypt", "--alg", alg, "--enc", "A256GCM", "--to", to.to_str().unwrap(), &jws]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let jwe = text(&out.stdout).trim().to_owned();
        let pem = key_path(pem);

        let out = jwtguard(&["decrypt", "--key", pem.to_str().unwrap(), &jwe]);
        assert_eq!(out.status.code(), Some(0), "{kid}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout).trim(), jws);

        let out = jwtguard(&[
            "verify",
            "--alg",
            "ES256",
            "--key",
            verify_key.to_str().unwrap(),
            "--at",
            &at,
            "--decrypt-key",
            pem.to_str().unwrap(),
            &jwe,
        ]);
        assert_eq!(out.status.code(), Some(0), "{kid}: {}", text(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["claims"]["sub"], "alice");
    }
    // A public key PEM is a key error (exit 2) that says why.
    let out = jwtguard(&["decrypt", "--key", verify_key.to_str().unwrap(), "x.y.z.a.b"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("a public key was given where a private key is needed"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
