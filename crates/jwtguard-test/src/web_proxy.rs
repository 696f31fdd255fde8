//! Real nginx and Caddy on a free loopback port, started by the test with a generated config
//! in a folder the test owns, and killed on drop: for the gateway's end-to-end tests, where
//! they sit in front of an upstream and ask the gateway about each request.
//!
//! Tests that use them are `#[ignore = "needs nginx and caddy"]`: `cargo test` lists them as
//! ignored, and `cargo test -- --include-ignored` (what `.ci/run` runs, after installing both
//! with apt) runs them, where a missing binary fails them with a message saying so.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use crate::process;

/// A running nginx or Caddy; killed on drop.
#[derive(Debug)]
pub struct WebProxy {
    child: Option<Child>,
    port: u16,
}

impl WebProxy {
    /// Starts nginx (`daemon off`, one process, so a kill leaves no worker behind; logs to stderr, pid and temp files in `dir`) with
    /// `site(port)` as its `http` block's content: a `server` block that listens on
    /// `127.0.0.1:port`. Another process taking the port first is retried on a new port.
    ///
    /// # Panics
    /// When nginx is not installed or does not start.
    pub fn nginx(dir: &Path, site: impl Fn(u16) -> String) -> WebProxy {
        let nginx = nginx_binary();
        assert!(
            Command::new(&nginx).arg("-v").output().is_ok_and(|o| o.status.success()),
            "nginx is not installed, and this test needs it (`.ci/run` installs it with apt; plain \
             `cargo test`, without --include-ignored, leaves this test out)"
        );
        let dir = dir.to_owned();
        let command = |port: u16| {
            let conf = dir.join("nginx.conf");
            let tmp = |name: &str| dir.join(name).display().to_string();
            let text = format!(
                "daemon off;\nmaster_process off;\nworker_processes 1;\npid {pid};\nerror_log stderr notice;\n\
                 events {{ worker_connections 256; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {body};\n  \
                 proxy_temp_path {proxy};\n  fastcgi_temp_path {fcgi};\n  uwsgi_temp_path {uwsgi};\n  scgi_temp_path {scgi};\n\n{site}\n}}\n",
                pid = tmp("nginx.pid"),
                body = tmp("client_body"),
                proxy = tmp("proxy"),
                fcgi = tmp("fastcgi"),
                uwsgi = tmp("uwsgi"),
                scgi = tmp("scgi"),
                site = site(port),
            );
            std::fs::write(&conf, text).unwrap();
            let mut command = Command::new(&nginx);
            command.arg("-p").arg(&dir).arg("-c").arg(&conf).args(["-e", "stderr"]);
            command
        };
        // Printed (with the version and OS) once the configuration is loaded and the listening
        // sockets are bound; a port taken by another process ends nginx before it.
        let (child, port) = process::launch("nginx", "getrlimit(RLIMIT_NOFILE)", 10, |_| process::free_port(), command);
        WebProxy { child: Some(child), port }
    }

    /// Starts Caddy (`admin off`, `auto_https off`, its data and config folders in `dir`) with
    /// `site(port)` after the global options: a site block for `http://127.0.0.1:port`.
    /// Another process taking the port first is retried on a new port.
    ///
    /// # Panics
    /// When caddy is not installed or does not start.
    pub fn caddy(dir: &Path, site: impl Fn(u16) -> String) -> WebProxy {
        assert!(
            Command::new("caddy").arg("version").output().is_ok_and(|o| o.status.success()),
            "caddy is not installed, and this test needs it (`.ci/run` installs it with apt; plain \
             `cargo test`, without --include-ignored, leaves this test out)"
        );
        let dir = dir.to_owned();
        let command = |port: u16| {
            let file = dir.join("Caddyfile");
            std::fs::write(&file, format!("{{\n\tadmin off\n\tauto_https off\n}}\n\n{}\n", site(port))).unwrap();
            let mut command = Command::new("caddy");
            command
                .args(["run", "--adapter", "caddyfile", "--config"])
                .arg(&file)
                .env("XDG_DATA_HOME", dir.join("data"))
                .env("XDG_CONFIG_HOME", dir.join("config"))
                .env("HOME", &dir);
            command
        };
        // Logged once the listeners are bound.
        let (child, port) =
            process::launch("caddy", "serving initial configuration", 20, |_| process::free_port(), command);
        WebProxy { child: Some(child), port }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }
}

/// `nginx` from the `PATH`, else Debian's `/usr/sbin/nginx` (not on a non-root `PATH`).
fn nginx_binary() -> PathBuf {
    let on_path = Command::new("nginx").arg("-v").output().is_ok_and(|o| o.status.success());
    if on_path { PathBuf::from("nginx") } else { PathBuf::from("/usr/sbin/nginx") }
}

impl Drop for WebProxy {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
