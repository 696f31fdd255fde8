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
        group.bench_function("jsonwebtoken", |b| b.iter(|| black_box(&case).jsonwebtoken()));
        group.finish();
    }
    // What an unauthenticated client can make a request cost: a header at the size bound made
    // of distinct one- and two-letter names, rejected only at the signature. Compare with the
    // asymmetric verifications above: it must not be an amplifier.
    let v = jwtguard::Validator::builder(jwtguard::Key::hmac([7u8; 32]).unwrap(), [jwtguard::Algorithm::HS256])
        .build()
        .unwrap();
    let token = common::wide_header_token();
    c.bench_function("hostile/header_of_many_names", |b| b.iter(|| v.verify::<serde_json::Value>(black_box(&token))));
    // A multi-issuer validator reads the claims before the signature, to pick the issuer.
    let issuer = |name: &str, secret: u8| {
        jwtguard::Validator::builder(jwtguard::Key::hmac([secret; 32]).unwrap(), [jwtguard::Algorithm::HS256])
            .issuer(name)
            .build()
            .unwrap()
    };
    let multi = jwtguard::Validator::multi_issuer([issuer("a", 7), issuer("b", 8)]).unwrap();
    let token = common::wide_scope_token();
    c.bench_function("hostile/multi_issuer_scope_of_many_words", |b| {
        b.iter(|| multi.verify::<serde_json::Value>(black_box(&token)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
