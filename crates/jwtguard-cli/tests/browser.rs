//! The debugger page in a real browser: headless Chromium driven over the DevTools protocol by
//! `tests/browser/debugger.mjs` (Node, no npm packages) through paste → decoded parts → verify
//! valid (green, with the keyboard) → tamper one character → the failing check → re-sign →
//! valid again, and a phone width. Writes a screenshot to
//! `$CARGO_TARGET_TMPDIR/debugger.png` (or `$JWTGUARD_SCREENSHOT`).
//!
//! `#[ignore = "needs chromium"]`: CI installs Debian's Chromium and runs it with
//! `--include-ignored`, where a missing browser or Node fails the test. Set `CHROMIUM` to the
//! browser binary if it is not `chromium` or `chromium-headless-shell` on `PATH`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

mod support;

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| PathBuf::from(d).join(name)).find(|p| p.is_file())
}

fn jwtguard(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_jwtguard")).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
#[ignore = "needs chromium"]
fn debugger_page_in_chromium() {
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| which("chromium"))
        .or_else(|| which("chromium-headless-shell"))
        .expect("Chromium not found: install Debian's chromium (or set CHROMIUM)");
    let node = which("node").expect("node not found");

    // A key and a token, made by the CLI.
    let key: Value = serde_json::from_str(&jwtguard(&["keygen", "--json", "--alg", "ES256"])).unwrap();
    let pem = key["private_key_pem"].as_str().unwrap();
    let dir = std::env::temp_dir().join(format!("jwtguard-browser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pem_path = dir.join("key.pem");
    std::fs::write(&pem_path, pem).unwrap();
    let token = jwtguard(&[
        "sign",
        "--key",
        pem_path.to_str().unwrap(),
        "--alg",
        "ES256",
        "--iss",
        "https://auth.example",
        "--aud",
        "orders-api",
        "--sub",
        "alice",
    ]);

    let debugger = support::start_debugger();
    let url = debugger.url();

    let screenshot = std::env::var_os("JWTGUARD_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("debugger.png"));
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser/debugger.mjs");
    let mut child = Command::new(node)
        .arg("--experimental-websocket")
        .arg(script)
        .args([url.as_str(), chromium.to_str().unwrap(), screenshot.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = json!({"token": token.trim(), "jwks": key["jwks"].to_string(), "pem": pem, "aud": "orders-api"});
    child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    drop(debugger);
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::metadata(&screenshot).unwrap().len() > 1000, "a screenshot was written");
}
