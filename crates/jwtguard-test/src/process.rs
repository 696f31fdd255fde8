//! Starting an external server (`redis-server`, the Node.js OpenID provider) on a port this
//! process picked. Such a server cannot take over a bound listener, so between picking a free
//! port and the server binding it another process may take it: the server then exits, and the
//! launch is tried again (on a new port, or for a restart on the same port after a moment).

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How often a launch is tried before the test fails.
const ATTEMPTS: usize = 5;

/// A loopback port that was free a moment ago.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Spawns `command(port)` until one child prints a line containing `ready` on stdout, each
/// time on the port `port(attempt)` names. A child that exits first did not get its port (or
/// failed otherwise: its output is in the panic message after the last attempt).
///
/// # Panics
/// When no attempt succeeds, or a child neither gets ready nor exits within `secs` seconds.
pub(crate) fn launch(
    what: &str,
    ready: &str,
    secs: u64,
    mut port: impl FnMut(usize) -> u16,
    mut command: impl FnMut(u16) -> Command,
) -> (Child, u16) {
    let mut output = Vec::new();
    for attempt in 0..ATTEMPTS {
        let port = port(attempt);
        match spawn_ready(command(port), ready, secs, what) {
            Ok(child) => return (child, port),
            Err(lines) => output = lines,
        }
        std::thread::sleep(Duration::from_millis(100 * attempt as u64));
    }
    panic!("{what} exited before it was ready, {ATTEMPTS} times; its last output:\n{}", output.join("\n"));
}

/// `Ok` once the child printed `ready`; `Err(output)` when it exited first.
fn spawn_ready(mut command: Command, ready: &str, secs: u64, what: &str) -> Result<Child, Vec<String>> {
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let (tx, rx) = mpsc::channel();
    // Both pipes are read to the end, also after the child is ready, so it never blocks on a
    // full pipe; once nobody listens the lines are dropped.
    drain(child.stdout.take().unwrap(), tx.clone());
    drain(child.stderr.take().unwrap(), tx);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut output = Vec::new();
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) if line.contains(ready) => return Ok(child),
            Ok(line) => output.push(line),
            // Both pipes closed: the child exited.
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let _ = child.wait();
                return Err(output);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{what} was not ready after {secs} s; its output:\n{}", output.join("\n"));
            }
        }
    }
}

fn drain(stream: impl Read + Send + 'static, tx: mpsc::Sender<String>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            let _ = tx.send(line);
        }
    });
}

/// Whether `program --version` runs.
pub(crate) fn installed(program: &str) -> bool {
    Command::new(program).arg("--version").output().is_ok_and(|o| o.status.success())
}
