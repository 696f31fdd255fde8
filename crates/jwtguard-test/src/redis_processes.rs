//! Redis processes on free loopback ports, for the cluster and sentinel launchers: started with
//! a retry when the port turned out taken, checked with `redis-cli`, killed on drop.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One running `redis-server` (or `redis-sentinel`); killed on drop.
#[derive(Debug)]
pub struct RedisProcess {
    child: Option<Child>,
    port: u16,
}

impl RedisProcess {
    /// Starts `program` with the arguments `args(port)` gives for a free port (and, with `bus`,
    /// port + 10,000 free too, for the cluster bus), retrying on another port when the process
    /// exits before answering `PING` (the port was taken meanwhile).
    ///
    /// # Panics
    /// When no attempt starts within 20 tries.
    pub fn start(program: &str, bus: bool, mut args: impl FnMut(u16) -> Vec<String>) -> RedisProcess {
        for _ in 0..20 {
            let Some(port) = free_port(bus) else { continue };
            let mut child = Command::new(program)
                .args(args(port))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("start {program}: {e}"));
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if child.try_wait().ok().flatten().is_some() {
                    break; // exited: try another port
                }
                if cli(port, &["PING"]).is_some_and(|r| r.trim() == "PONG") {
                    return RedisProcess { child: Some(child), port };
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("{program} did not start on a free loopback port in 20 attempts");
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// `true` until it is killed.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Kills it (SIGKILL: no clean shutdown).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port(bus: bool) -> Option<u16> {
    let port = TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    if bus {
        let bus_port = port.checked_add(10_000)?;
        TcpListener::bind(("127.0.0.1", bus_port)).ok()?;
    }
    Some(port)
}

/// `redis-cli -p PORT ARGS...`'s output, or `None` when it failed.
pub fn cli(port: u16, args: &[&str]) -> Option<String> {
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Polls `check` every 50 ms until it holds.
///
/// # Panics
/// When it does not within `secs` (`what` says what was awaited).
pub fn wait_for(what: &str, secs: u64, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check() {
        assert!(Instant::now() < deadline, "{what} within {secs} s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Fails the test unless every program is installed (the tests that start these are
/// `#[ignore = "needs redis-server"]`, run by `.ci/run` with `--include-ignored`).
///
/// # Panics
/// When one is missing.
pub(crate) fn installed(programs: &[&str]) {
    for program in programs {
        assert!(
            crate::process::installed(program),
            "{program} is not on the PATH, and this test needs it (`.ci/run` installs it with apt; plain \
             `cargo test`, without --include-ignored, leaves this test out)"
        );
    }
}

/// A fresh directory for configuration files; removed on drop.
#[derive(Debug)]
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    /// Creates `jwtguard-NAME-PID-NANOS` in the temporary directory.
    pub fn new(name: &str) -> ScratchDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("jwtguard-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        ScratchDir(dir)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
