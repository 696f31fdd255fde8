//! The `jwtguard-gateway` binary: `jwtguard-gateway [--check] CONFIG.toml`.

use std::path::Path;
use std::process::ExitCode;

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
    jwtguard_gateway::run(Path::new(path), check).await
}
