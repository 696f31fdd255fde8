//! Operations: the JSON access log (what it says and what it never says), the binary's exit on
//! a configuration error, and its graceful stop on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use jwtguard_gateway::{Config, Mode};
use serde_json::{Value, json};
use support::*;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Buffer {
        self.clone()
    }
}

fn config(log: &str) -> String {
    format!(
        "realm = \"shop\"\n[[listener]]\naddr = \"127.0.0.1:0\"\nmode = \"forward_auth\"\n{}{ROUTES}\n[log]\n{log}\n",
        issuers_and_headers()
    )
}

/// The access lines logged while `f` runs (current-thread runtime: every task logs here).
async fn access_lines(log: &str, f: impl AsyncFnOnce(&Running)) -> Vec<Value> {
    let dir = TempDir::new("log");
    let cfg = Config::from_file(dir.write("gateway.toml", &config(log))).unwrap();
    let buffer = Buffer::default();
    let _guard = tracing::subscriber::set_default(jwtguard_gateway::log_subscriber(&cfg, buffer.clone()));
    let gw = start(&config(log)).await;
    f(&gw).await;
    gw.stop().await;
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .filter(|v| v["target"] == "jwtguard_gateway::access")
        .collect()
}

async fn ask(gw: &Running, uri: &str, token: Option<&str>) {
    let mut req = client().get(format!("{}/auth", gw.url(Mode::ForwardAuth))).header("X-Original-URI", uri);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap();
}

#[tokio::test]
async fn access_log_says_route_outcome_error_kid_iss_and_never_a_token_or_claim() {
    let token = jwtguard_test::Minter::new(jwtguard_test::Algorithm::ES256)
        .kid("key-1")
        .token(&claims(ISS_A, json!({ "email": "alice@example.com", "scope": "orders:read" })));
    let forged = forged_a();
    let lines = access_lines("", async |gw| {
        ask(gw, "/orders/1?access_token=in-the-query", Some(&token)).await;
        ask(gw, "/orders/1", Some(&forged)).await;
        ask(gw, "/orders/1", Some(&token_a(json!({})))).await;
    })
    .await;
    assert_eq!(lines.len(), 3, "{lines:#?}");
    let (ok, bad, scope) = (&lines[0], &lines[1], &lines[2]);
    assert_eq!(
        (ok["route"].as_str(), ok["outcome"].as_str(), ok["status"].as_u64()),
        (Some("/orders"), Some("allow"), Some(200))
    );
    assert_eq!((ok["kid"].as_str(), ok["iss"].as_str()), (Some("key-1"), Some(ISS_A)));
    assert_eq!(ok["path"], "/orders/1", "no query");
    assert!(ok["latency_us"].is_u64());
    assert!(ok["timestamp"].is_string());
    assert_eq!(
        (bad["outcome"].as_str(), bad["error_kind"].as_str(), bad["status"].as_u64()),
        (Some("deny"), Some("BadSignature"), Some(401))
    );
    assert_eq!((scope["error_kind"].as_str(), scope["status"].as_u64()), (Some("InsufficientScope"), Some(403)));
    let all = serde_json::to_string(&lines).unwrap();
    for secret in [token.as_str(), forged.as_str(), token.split('.').nth(1).unwrap(), "alice", "in-the-query"] {
        assert!(!all.contains(secret), "the log carries {secret:.24}…");
    }
}

#[tokio::test]
async fn claims_listed_in_the_config_are_logged() {
    let lines = access_lines("claims = [\"sub\"]", async |gw| ask(gw, "/", Some(&token_a(json!({})))).await).await;
    assert_eq!(lines[0]["claims"], r#"{"sub":"alice"}"#);
}

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_jwtguard-gateway"))
}

#[test]
fn a_config_error_stops_the_binary_naming_file_line_and_key() {
    let dir = TempDir::new("bin");
    let file = dir.write("gateway.toml", "[[listener]]\naddr = \"127.0.0.1:0\"\nmode = \"sideways\"\n");
    let out = binary().arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(78));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{}:3: mode: ", file.display())), "{stderr}");
}

#[test]
fn check_mode_accepts_a_good_file_and_exits() {
    let dir = TempDir::new("bin");
    let file = dir.write("gateway.toml", &config(""));
    let out = binary().arg("--check").arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn sigterm_stops_the_binary_cleanly() {
    let dir = TempDir::new("bin");
    let file = dir.write("gateway.toml", &config(""));
    let mut child =
        jwtguard_test::KillOnDrop(binary().arg(&file).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap());
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.starts_with("listening on http://127.0.0.1:"), "{line}");
    let addr = line.trim_start_matches("listening on http://").split_whitespace().next().unwrap().to_owned();
    let healthy = std::net::TcpStream::connect(&addr).is_ok();
    assert!(healthy, "{addr} does not accept");
    let killed = Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().unwrap();
    assert!(killed.success());
    assert!(child.0.wait().unwrap().success(), "SIGTERM is a clean stop (exit 0)");
}
