//! Instruction counts, which unlike wall time repeat exactly on a shared machine:
//!
//! ```sh
//! cargo bench --bench instructions --no-run
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/deps/instructions-* HS256 jwtguard 20000
//! ```
//!
//! Arguments: algorithm (HS256, RS256, ES256, EdDSA), verifier (floor, jwtguard, cached,
//! guard-cached, jsonwebtoken; `jwtguard` has the verified-token cache off, `cached` is a cache
//! hit through `Validator::verify`, `guard-cached` one through the middleware's `Guard::decide`),
//! iterations; or `hostile header|scope N` for the forged tokens of `benches/verify.rs`. Without
//! arguments (as `cargo bench` runs it) every pair runs briefly and the wall time per
//! verification is printed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::hint::black_box;
use std::time::Instant;

fn run(case: &common::Case, verifier: &str, n: u32) {
    for _ in 0..n {
        let claims = match verifier {
            "floor" => black_box(case).floor(),
            "jwtguard" => black_box(case).jwtguard(),
            "cached" => black_box(case).cache_hit(),
            "guard-cached" => black_box(case).guard_hit(),
            "jsonwebtoken" => black_box(case).jsonwebtoken(),
            other => panic!("unknown verifier {other}"),
        };
        black_box(claims);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    if let [hostile, which, n] = args.as_slice()
        && hostile == "hostile"
    {
        let (validator, token) = common::hostile(which);
        for _ in 0..n.parse::<u32>().unwrap() {
            black_box(validator.verify::<serde_json::Value>(black_box(&token)).unwrap_err());
        }
        return;
    }
    let cases = common::cases();
    if let [alg, verifier, n] = args.as_slice() {
        let case = cases.iter().find(|c| c.alg.as_str() == alg).unwrap();
        run(case, verifier, n.parse().unwrap());
        return;
    }
    for case in &cases {
        for verifier in ["floor", "jwtguard", "cached", "guard-cached", "jsonwebtoken"] {
            let start = Instant::now();
            run(case, verifier, 2000);
            println!("{} {verifier}: {:?} per verification", case.alg, start.elapsed() / 2000);
        }
    }
}
