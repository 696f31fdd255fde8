//! A real `redis-server` on a free loopback port, started by the test and killed on drop.
//!
//! Under `CI=true` a missing `redis-server` fails the test (`.ci/run` installs it with apt);
//! elsewhere the test is skipped with a message.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

/// A running server; killed on drop.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
}

impl RedisServer {
    /// Starts `redis-server` without persistence on a free port and waits until it answers.
    /// `None` (outside CI) when `redis-server` is not installed.
    pub fn start() -> Option<RedisServer> {
        if Command::new("redis-server").arg("--version").output().map(|o| !o.status.success()).unwrap_or(true) {
            return crate::service_missing("redis-server is not installed");
        }
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut server = RedisServer { child: None, port };
        server.launch();
        Some(server)
    }

    fn launch(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        crate::wait_for_port(self.port, 10, "redis-server");
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (data is lost: it has no persistence).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
