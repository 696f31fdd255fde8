//! A real identity provider nobody here wrote: panva's `oidc-provider` from the npm registry,
//! installed from the lockfile in `tests/fixtures/oidc-provider` and started on 127.0.0.1.
//!
//! Under `CI=true` a missing Node.js or a failed install fails the test; elsewhere the test is
//! skipped with a message, so a machine without Node.js can still run the rest.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

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

fn unavailable(why: &str) -> Option<OidcProvider> {
    crate::service_missing(&format!(
        "oidc-provider interop needs Node.js and `npm ci` in tests/fixtures/oidc-provider: {why}"
    ))
}

impl OidcProvider {
    /// Installs (if needed) and starts the provider on a free loopback port, and waits until
    /// it answers discovery. `None` (outside CI) when Node.js is missing.
    pub fn start() -> Option<OidcProvider> {
        let dir = fixture_dir();
        if Command::new("node").arg("--version").output().map(|o| !o.status.success()).unwrap_or(true) {
            return unavailable("node is not installed");
        }
        if !dir.join("node_modules/oidc-provider").exists() {
            let ok = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                return unavailable("npm ci failed");
            }
        }
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut provider = OidcProvider { child: None, port };
        provider.launch();
        Some(provider)
    }

    fn launch(&mut self) {
        let child = Command::new("node")
            .arg("server.mjs")
            .current_dir(fixture_dir())
            .env("PORT", self.port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start node");
        self.child = Some(child);
        crate::wait_for_port(self.port, 20, "oidc-provider");
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Restarts on the same port with fresh signing keys (new `kid`s): a key rotation.
    pub fn rotate(&mut self) {
        self.stop();
        self.launch();
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
