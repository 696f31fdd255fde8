//! The README's command-line section, run as written: every shell block in it is marked
//! `# readme-test` and run here as it is (with the built `jwtguard` first on `PATH`), and the
//! output it shows is checked against what the commands print. The README cannot go stale.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
#![cfg(unix)]

use std::path::Path;
use std::process::Command;

const README: &str = include_str!("../../../README.md");
const MARK: &str = "# readme-test";

/// The fenced blocks of the `## The command-line tool` section: (info string, body).
fn cli_blocks() -> Vec<(String, String)> {
    let section = README.split("\n## The command-line tool\n").nth(1).expect("README has a CLI section");
    let section = section.split("\n## ").next().unwrap();
    let mut blocks = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        if let Some(info) = line.strip_prefix("```") {
            let body: Vec<&str> = lines.by_ref().take_while(|l| !l.starts_with("```")).collect();
            blocks.push((info.to_owned(), body.join("\n")));
        }
    }
    blocks
}

#[test]
fn readme_cli_commands_run_as_written() {
    let blocks = cli_blocks();
    let scripts: Vec<&String> = blocks.iter().filter(|(info, _)| info == "sh").map(|(_, b)| b).collect();
    assert!(!scripts.is_empty(), "no shell block in the README's CLI section");
    for script in &scripts {
        assert!(script.starts_with(MARK), "every shell block of the CLI section is run; mark it `{MARK}`:\n{script}");
    }
    let shown: Vec<&String> = blocks.iter().filter(|(info, _)| info == "text").map(|(_, b)| b).collect();

    let bin = Path::new(env!("CARGO_BIN_EXE_jwtguard"));
    let path = format!("{}:{}", bin.parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    let dir = std::env::temp_dir().join(format!("jwtguard-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut stdout = String::new();
    for script in scripts {
        let out = Command::new("sh")
            .args(["-eu", "-c", script])
            .current_dir(&dir)
            .env("PATH", &path)
            .env_remove("NO_COLOR")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "README block failed:\n{script}\nstderr:\n{err}");
        assert!(!err.contains("panicked"), "{err}");
        stdout.push_str(&String::from_utf8_lossy(&out.stdout));
    }
    // What the README says the commands print, they print.
    for block in shown {
        for line in block.lines() {
            assert!(stdout.lines().any(|l| l == line), "README shows `{line}`, the commands printed:\n{stdout}");
        }
    }
    // The files the README says keygen writes.
    assert!(dir.join("k1.key.pem").exists() && dir.join("k1.jwks.json").exists() && dir.join("jwtguard.bash").exists());
}
