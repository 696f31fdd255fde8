//! `jwtguard gateway`: the gateway process as a subcommand, with the binary's check mode, exit
//! status and clean stop on SIGTERM.
#![cfg(feature = "gateway")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn config_file(tag: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jwtguard-cli-gateway-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("gateway.toml");
    std::fs::write(&file, text).unwrap();
    file
}

fn good() -> String {
    format!(
        "[[listener]]\naddr = \"127.0.0.1:0\"\nmode = \"forward_auth\"\n\n[[issuer]]\nname = \"a\"\n\
         issuer = \"https://a.example\"\nalgorithms = [\"ES256\"]\npem_files = [\"{}\"]\n\n[[route]]\npath = \"/\"\n",
        jwtguard_test::key_path("p256.pub.pem").display()
    )
}

fn jwtguard() -> Command {
    Command::new(env!("CARGO_BIN_EXE_jwtguard"))
}

#[test]
fn check_accepts_a_good_file_and_names_the_line_of_a_bad_one() {
    let file = config_file("check", &good());
    let out = jwtguard().args(["gateway", "--check"]).arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{}: ok\n", file.display()));

    let bad = config_file("bad", &good().replace("mode = \"forward_auth\"", "mode = \"sideways\""));
    let out = jwtguard().args(["gateway", "--check"]).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(78), "EX_CONFIG, as the jwtguard-gateway binary");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with(&format!("error: {}:3: mode:", bad.display())), "{stderr}");
}

#[test]
fn gateway_serves_then_stops_cleanly_on_sigterm() {
    let file = config_file("run", &good());
    let mut child = jwtguard_test::KillOnDrop(
        jwtguard().arg("gateway").arg(&file).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.starts_with("listening on http://127.0.0.1:"), "{line}");
    let addr = line.trim_start_matches("listening on http://").split_whitespace().next().unwrap().to_owned();

    // A forward-auth answer from the process: no token, the bare challenge.
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    std::io::Write::write_all(
        &mut conn,
        b"GET /auth HTTP/1.1\r\nHost: x\r\nX-Original-URI: /orders\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("www-authenticate: bearer realm=\"api\"\r\n"), "{answer}");

    let killed = Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().unwrap();
    assert!(killed.success());
    assert!(child.0.wait().unwrap().success(), "SIGTERM is a clean stop (exit 0)");
}
