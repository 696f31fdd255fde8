//! A real identity provider nobody here wrote: panva's `oidc-provider` from the npm registry,
//! installed from the lockfile in `tests/fixtures/oidc-provider` and started on 127.0.0.1.
//!
//! Tests that use it are `#[ignore = "needs node (npm ci in tests/fixtures/oidc-provider)"]`:
//! `cargo test` lists them as ignored, and `cargo test -- --include-ignored` (what `.ci/run`
//! runs, after installing Node.js and running `npm ci`) runs them, where a missing Node.js or a
//! failed install fails them.

use std::path::PathBuf;
use std::process::{Child, Command};

use crate::process;

/// The client the fixture registers (client-credentials grant, `client_secret_basic`).
pub const CLIENT_ID: &str = "jwtguard";
/// Its secret (a test fixture).
pub const CLIENT_SECRET: &str = "jwtguard-test-secret";

/// A running provider; killed on drop.
#[derive(Debug)]
pub struct OidcProvider {
    child: Option<Child>,
    port: u16,
}

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/oidc-provider")
}

/// What `server.mjs` prints once it listens.
const READY: &str = "oidc-provider listening on";

fn command(port: u16) -> Command {
    let mut command = Command::new("node");
    command.arg("server.mjs").current_dir(fixture_dir()).env("PORT", port.to_string());
    command
}

impl OidcProvider {
    /// Installs (if needed) and starts the provider on a free loopback port, and waits until
    /// it listens. Another process taking the port first is retried on a new port.
    ///
    /// # Panics
    /// When Node.js is not installed, `npm ci` fails, or the provider does not start.
    pub fn start() -> OidcProvider {
        let dir = fixture_dir();
        assert!(
            process::installed("node"),
            "node is not on the PATH, and this test needs Node.js and `npm ci` in \
             tests/fixtures/oidc-provider (`.ci/run` does both; plain `cargo test`, without \
             --include-ignored, leaves this test out)"
        );
        if !dir.join("node_modules/oidc-provider").exists() {
            let ok = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "`npm ci` in tests/fixtures/oidc-provider failed: the oidc-provider interop test needs it");
        }
        let (child, port) = process::launch("oidc-provider", READY, 20, |_| process::free_port(), command);
        OidcProvider { child: Some(child), port }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Restarts on the same port with fresh signing keys (new `kid`s): a key rotation.
    ///
    /// # Panics
    /// When the port stays taken by another process.
    pub fn rotate(&mut self) {
        self.stop();
        let port = self.port;
        self.child = Some(process::launch("oidc-provider", READY, 20, |_| port, command).0);
    }

    /// The issuer, `http://127.0.0.1:PORT`.
    pub fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[ignore = "needs node (npm ci in tests/fixtures/oidc-provider)"]
    fn a_port_taken_before_the_provider_binds_it_is_retried_on_another() {
        // Installs the fixture if needed, and checks node is there.
        drop(OidcProvider::start());
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let taken_port = taken.local_addr().unwrap().port();
        let pick = |attempt: usize| if attempt == 0 { taken_port } else { process::free_port() };
        let (child, port) = process::launch("oidc-provider", READY, 20, pick, command);
        let mut provider = OidcProvider { child: Some(child), port };
        assert_ne!(port, taken_port);
        // A rotation restarts it on the same port: the issuer stays.
        let issuer = provider.issuer();
        provider.rotate();
        assert_eq!(provider.issuer(), issuer);
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    }
}
