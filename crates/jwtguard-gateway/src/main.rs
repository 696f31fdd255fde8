//! The `jwtguard-gateway` binary: `jwtguard-gateway [--check] CONFIG.toml`.

use std::process::ExitCode;

use jwtguard_gateway::{Config, Gateway, LogFormat, Server};

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
    init_logging(&config);
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
    let server = match Server::bind(gateway).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    for (addr, mode) in server.local_addrs() {
        tracing::info!(%addr, ?mode, "listening");
        println!("listening on http://{addr} ({mode:?})");
    }
    server.run(shutdown_signal()).await;
    ExitCode::SUCCESS
}

fn init_logging(config: &Config) {
    let builder = tracing_subscriber::fmt().with_max_level(config.log_level()).with_writer(std::io::stderr);
    let _ = match config.log_format() {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
