//! The `jwtguard-gateway` binary: `jwtguard-gateway [--check] CONFIG.toml`.

use std::future::Future;
use std::io::Write;
use std::process::ExitCode;

use jwtguard_gateway::{Config, Gateway, Server};

const USAGE: &str =
    "usage: jwtguard-gateway [--check] CONFIG.toml\n\n  --check  read and check the configuration, then exit";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (check, path) = match args.as_slice() {
        [flag, path] if flag == "--check" => (true, path),
        [path] if !path.starts_with('-') => (false, path),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let config = match Config::from_file(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(78);
        }
    };
    jwtguard_gateway::init_logging(&config);
    let gateway = match Gateway::start(config).await {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(78);
        }
    };
    if check {
        println!("{path}: ok");
        return ExitCode::SUCCESS;
    }
    // Installed before the first listener is announced, so a SIGTERM from then on is a clean stop.
    let shutdown = shutdown_signal();
    let server = match Server::bind(gateway).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    for (addr, mode) in server.local_addrs() {
        tracing::info!(%addr, ?mode, "listening");
        // Not println!: a closed stdout is no reason to stop serving.
        let _ = writeln!(std::io::stdout(), "listening on http://{addr} ({mode:?})");
    }
    server.run(shutdown).await;
    ExitCode::SUCCESS
}

/// SIGTERM or Ctrl-C. The handlers are registered when this is called, not when it is first
/// awaited.
fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let ctrl_c = tokio::signal::ctrl_c();
    async move {
        #[cfg(unix)]
        if let Some(mut term) = term {
            tokio::select! {
                _ = term.recv() => {}
                _ = ctrl_c => {}
            }
            return;
        }
        let _ = ctrl_c.await;
    }
}
