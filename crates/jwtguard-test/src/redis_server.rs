//! A real `redis-server` on a free loopback port, started by the test and killed on drop.
//!
//! Tests that use it are `#[ignore = "needs redis-server"]`: `cargo test` lists them as
//! ignored, and `cargo test -- --include-ignored` (what `.ci/run` runs, after installing
//! `redis-server`) runs them, where a missing `redis-server` fails them.

use std::process::{Child, Command};

use crate::process;

/// A running server; killed on drop.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
}

impl RedisServer {
    /// Starts `redis-server` without persistence on a free port and waits until it accepts
    /// connections. Another process taking the port first is retried on a new port.
    ///
    /// # Panics
    /// When `redis-server` is not installed or does not start.
    pub fn start() -> RedisServer {
        assert!(
            RedisServer::installed(),
            "redis-server is not on the PATH, and this test needs it (`.ci/run` installs it with apt; \
             plain `cargo test`, without --include-ignored, leaves this test out)"
        );
        let (child, port) = process::launch("redis-server", READY, 10, |_| process::free_port(), command);
        RedisServer { child: Some(child), port }
    }

    /// Whether `redis-server` is on the `PATH`.
    pub fn installed() -> bool {
        process::installed("redis-server")
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

    /// Starts it again on the same port (retried for a moment if another process holds it).
    ///
    /// # Panics
    /// When the port stays taken.
    pub fn restart(&mut self) {
        self.kill();
        let port = self.port;
        self.child = Some(process::launch("redis-server", READY, 10, |_| port, command).0);
    }
}

/// What `redis-server` logs once it listens.
const READY: &str = "Ready to accept connections";

fn command(port: u16) -> Command {
    let mut command = Command::new("redis-server");
    command.args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
    command
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[ignore = "needs redis-server"]
    fn a_port_taken_before_the_server_binds_it_is_retried_on_another() {
        // Another process holds the first port picked: that redis-server exits, and a port
        // that merely answers is not taken for a started server.
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let taken_port = taken.local_addr().unwrap().port();
        let pick = |attempt: usize| if attempt == 0 { taken_port } else { process::free_port() };
        let (child, port) = process::launch("redis-server", READY, 10, pick, command);
        let mut server = RedisServer { child: Some(child), port };
        assert_ne!(port, taken_port);
        // It is the server we started that answers, also after a restart on its port.
        server.restart();
        let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        std::io::Write::write_all(&mut conn, b"PING\r\n").unwrap();
        let mut answer = [0; 7];
        std::io::Read::read_exact(&mut conn, &mut answer).unwrap();
        assert_eq!(&answer, b"+PONG\r\n");
    }
}
