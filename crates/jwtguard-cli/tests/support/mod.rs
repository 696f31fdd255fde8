//! What the debugger tests share: the real `jwtguard debugger` on a free loopback port.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The running debugger; killed (by its own handle) when the test ends, passed or not.
pub(crate) struct Debugger {
    child: Child,
    /// Its port on 127.0.0.1.
    pub(crate) port: u16,
}

impl Debugger {
    /// The page's address, as the debugger prints it.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }
}

impl Drop for Debugger {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `jwtguard debugger --port 0` and reads the port from its first line.
pub(crate) fn start_debugger() -> Debugger {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jwtguard"))
        .args(["debugger", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("jwtguard debugger: http://127.0.0.1:").unwrap_or_else(|| panic!("{line}"));
    let port = url.trim_end_matches('/').parse().unwrap();
    Debugger { child, port }
}
