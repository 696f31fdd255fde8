//! Verification cost: jwtguard vs `jsonwebtoken::decode` vs the floor (base64url + JSON parse +
//! a raw, pre-parsed aws-lc-rs verify), for HS256, RS256, ES256 and EdDSA.
//!
//! `cargo bench --bench verify`; the figures go to BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    for case in common::cases() {
        let mut group = c.benchmark_group(format!("verify/{}", case.alg));
        group.bench_function("floor", |b| b.iter(|| black_box(&case).floor()));
        group.bench_function("jwtguard", |b| b.iter(|| black_box(&case).jwtguard()));
        group.bench_function("jwtguard_cache_hit", |b| b.iter(|| black_box(&case).cache_hit()));
        group.bench_function("jwtguard_guard_cache_hit", |b| b.iter(|| black_box(&case).guard_hit()));
        group.bench_function("jsonwebtoken", |b| b.iter(|| black_box(&case).jsonwebtoken()));
        group.finish();
    }
    // What an unauthenticated client can make a request cost: forged tokens at the size bound,
    // rejected only at the signature. Compare with the asymmetric verifications above: they must
    // not be amplifiers.
    for which in ["header", "scope"] {
        let (validator, token) = common::hostile(which);
        c.bench_function(&format!("hostile/{which}"), |b| {
            b.iter(|| validator.verify::<serde_json::Value>(black_box(&token)))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
